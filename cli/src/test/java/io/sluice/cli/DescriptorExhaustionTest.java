package io.sluice.cli;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 14: a server out of file descriptors pauses accepting, says so once, and serves again by
 * itself once descriptors free up. The command runs in a child JVM under {@code ulimit -n 300}
 * and gets more idle connections than that allows; the client idle timeout is off, so only the
 * clients leaving frees descriptors.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DescriptorExhaustionTest {
    private static final int DESCRIPTOR_LIMIT = 300;
    private static final int IDLE_CLIENTS = 400;

    @ParameterizedTest
    @ValueSource(strings = {"serve", "relay"})
    void aServerOutOfDescriptorsWarnsOnceAndServesAgainWhenTheyFreeUp(String command, @TempDir Path dir) throws Exception {
        Path err = dir.resolve("stderr");
        Process process = start(command, err);
        List<Socket> idle = new ArrayList<>();
        try {
            int port = announcedPort(process, err);
            for (int i = 0; i < IDLE_CLIENTS; i++) {
                Socket socket = new Socket();
                socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000); // the kernel's backlog takes those not accepted
                idle.add(socket);
            }
            waitFor(() -> read(err).contains("cannot accept connections"), process, err);
            Thread.sleep(2 * AcceptBackoff.PAUSE_MILLIS + 500); // at least two more failed accepts
            assertTrue(process.isAlive(), () -> "the server died: " + read(err));

            for (Socket socket : idle) {
                socket.close();
            }
            idle.clear();
            // serve answers with its recording; the relay, whose upstream is a closed port, with its 502.
            String expected = command.equals("serve") ? "HTTP/1.1 200 OK" : "HTTP/1.1 502";
            long start = System.nanoTime();
            String answer = "";
            while (!answer.startsWith(expected) && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10)) {
                answer = firstLine(port);
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            String last = answer;
            assertTrue(last.startsWith(expected), () -> "no answer within 10 s: " + last + "; " + read(err));
            assertTrue(millis < 5_000, "answered after " + millis + " ms");

            waitFor(() -> read(err).contains("accepting connections again"), process, err);
            String log = read(err);
            assertEquals(1, count(log, "cannot accept connections: Too many open files"), log);
            assertFalse(log.contains("\tat ") || log.contains("Exception") || log.contains("Error"), log);
        } finally {
            for (Socket socket : idle) {
                socket.close();
            }
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Process start(String command, Path err) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> sluice = new ArrayList<>(List.of(quote(java), "-cp", quote(System.getProperty("java.class.path")),
                Sluice.class.getName(), command));
        if (command.equals("serve")) {
            sluice.addAll(List.of(SAMPLES.resolve("anthropic-text.sse").toString(), "--port", "0", "--loop", "--timing", "none"));
        } else {
            int closedPort;
            try (ServerSocket free = new ServerSocket(0)) {
                closedPort = free.getLocalPort(); // the relay answers 502 for it: an answer, all this test needs
            }
            sluice.addAll(List.of("--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:" + closedPort + "/"));
        }
        sluice.addAll(List.of("--client-idle-timeout", "0"));
        return new ProcessBuilder("bash", "-c", "ulimit -n " + DESCRIPTOR_LIMIT + " && exec " + String.join(" ", sluice))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static int announcedPort(Process process, Path err) throws Exception {
        Matcher port = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)/").matcher("");
        waitFor(() -> port.reset(read(err)).find(), process, err);
        return Integer.parseInt(port.group(1));
    }

    /** The status line of a GET's answer, or what went wrong; never waits more than 3 s. */
    private static String firstLine(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 3_000);
            socket.setSoTimeout(3_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            byte[] line = new byte[15];
            int n = in.readNBytes(line, 0, line.length);
            return new String(line, 0, n, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void waitFor(Condition condition, Process process, Path err) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.holds()) {
            assertTrue(process.isAlive() && System.nanoTime() < deadline, () -> "waited in vain: " + read(err));
            Thread.sleep(50);
        }
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }
}

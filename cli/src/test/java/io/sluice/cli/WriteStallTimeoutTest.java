package io.sluice.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sluice relay --write-stall-timeout}: a client that reads nothing is dropped, and its upstream with it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WriteStallTimeoutTest {
    private static final byte[] CHUNK = chunk("data: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\" the\"}}\n\n");

    private static byte[] chunk(String event) {
        return (Integer.toHexString(event.length()) + "\r\n" + event + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void aClientThatReadsNothingIsDroppedAfterTheTimeoutAndItsUpstreamClosed(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = dir.resolve("stdout");
        Path err = dir.resolve("stderr");
        try (ServerSocket upstream = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // An upstream that writes events as fast as the relay reads them, until the relay lets go.
            Thread writer = new Thread(() -> {
                try (Socket socket = upstream.accept()) {
                    InputStream in = socket.getInputStream();
                    for (int matched = 0; matched < 4; ) { // the request's head, to its blank line
                        int b = in.read();
                        matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
                    }
                    OutputStream body = socket.getOutputStream();
                    body.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    while (true) {
                        body.write(CHUNK); // blocks while the relay reads nothing; fails once it closes
                    }
                } catch (IOException e) {
                    // the relay closed the connection: the thread ends
                }
            });
            writer.setDaemon(true);
            writer.start();

            Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Sluice.class.getName(),
                    "relay", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:" + upstream.getLocalPort(),
                    "--write-stall-timeout", "1")
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try (Socket client = new Socket()) {
                int port = announcedPort(process, err);
                client.setReceiveBufferSize(4096);
                client.connect(new InetSocketAddress("127.0.0.1", port));
                client.getOutputStream().write("GET /stream HTTP/1.1\r\nhost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                long asked = System.nanoTime();
                // The client reads nothing. Within the timeout and a margin the relay drops it.
                long deadline = asked + TimeUnit.SECONDS.toNanos(30);
                while (Files.readAllLines(out).isEmpty()) {
                    assertTrue(System.nanoTime() < deadline, "no access log line: the stalled client was kept");
                    Thread.sleep(20);
                }
                long dropped = System.nanoTime() - asked;
                List<String> log = Files.readAllLines(out);
                assertEquals(1, log.size(), log::toString);
                assertTrue(log.get(0).contains(" GET /stream upstream=200 ") && log.get(0).contains(" end=client_gone "), log.get(0));
                assertTrue(dropped >= TimeUnit.SECONDS.toNanos(1), "dropped before the timeout: " + dropped / 1_000_000 + " ms");
                writer.join(TimeUnit.SECONDS.toMillis(20));
                assertFalse(writer.isAlive(), "the upstream connection was closed with the client's");
            } finally {
                process.destroy();
                assertTrue(process.waitFor(20, TimeUnit.SECONDS), "stopped");
                process.destroyForcibly();
            }
        }
    }

    private static int announcedPort(Process process, Path err) throws Exception {
        Matcher port = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/").matcher("");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!port.reset(Files.readString(err)).find()) {
            assertTrue(process.isAlive() && System.nanoTime() < deadline, () -> "no announcement: " + readQuietly(err));
            Thread.sleep(50);
        }
        return Integer.parseInt(port.group(1));
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }
}

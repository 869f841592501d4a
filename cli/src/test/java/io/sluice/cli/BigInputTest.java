package io.sluice.cli;

import io.sluice.cli.capture.SyntheticCapture;
import io.sluice.cli.capture.TcpReassembler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.sluice.cli.SluiceRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Inputs far larger than the heap (issue 14, item 3): {@code replay} and {@code serve} run in a
 * child JVM with a small heap over inputs made on the fly (streamed into its standard input, or a
 * file in a temporary directory), and must finish with the right event count; the child runs with
 * the leak detector at PARANOID and prints nothing on standard error. The out-of-order window and
 * the {@code get -d @FILE} bound are each one line and exit status 1.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BigInputTest {
    private static final String HEAP = "-Xmx64m";
    private static final int SEGMENT = 32 * 1024;

    @TempDir
    Path dir;

    /** What a child {@code sluice} printed and returned. */
    private record Child(int exit, String out, String err) {
        long events() {
            Matcher m = Pattern.compile("(?m)^events\\s+(\\d+)$").matcher(out);
            assertTrue(m.find(), () -> "no events line: " + out + err);
            return Long.parseLong(m.group(1));
        }
    }

    /** Writes standard input for a child; the child's output is collected on other threads. */
    private interface Feed {
        void write(OutputStream stdin) throws IOException;
    }

    private static Child sluice(Feed feed, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                HEAP, "-Dio.netty.leakDetection.level=paranoid", "-cp", System.getProperty("java.class.path"),
                Sluice.class.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        try {
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
            try (OutputStream stdin = new BufferedOutputStream(process.getOutputStream(), 1 << 16)) {
                feed.write(stdin);
            } catch (IOException e) {
                // the child stopped reading: its exit status and standard error say why
            }
            assertTrue(process.waitFor(100, TimeUnit.SECONDS), "child finished");
            return new Child(process.exitValue(), new String(out.get(), StandardCharsets.UTF_8),
                    new String(err.get(), StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
        }
    }

    private static byte[] readAll(InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return e.toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    /** {@code events} copies of {@link SyntheticCapture#EVENT}, written a block at a time. */
    private static void sse(OutputStream out, long events) throws IOException {
        int perBlock = 4096;
        byte[] block = new byte[perBlock * SyntheticCapture.EVENT.length];
        for (int i = 0; i < perBlock; i++) {
            System.arraycopy(SyntheticCapture.EVENT, 0, block, i * SyntheticCapture.EVENT.length, SyntheticCapture.EVENT.length);
        }
        long left = events;
        while (left > 0) {
            int n = (int) Math.min(perBlock, left);
            out.write(block, 0, n * SyntheticCapture.EVENT.length);
            left -= n;
        }
    }

    private static void assertCleanChild(Child child) {
        assertEquals(0, child.exit(), child::err);
        assertEquals("", child.err(), "standard error (a leak report would be here)");
    }

    @Test
    void sseOfTwoHundredMegabytesOnStandardInputReplaysInASixtyFourMegabyteHeap() throws Exception {
        long events = 2_000_000; // 196 MB
        Child child = sluice(in -> sse(in, events), "replay", "--format", "summary", "-");
        assertCleanChild(child);
        assertEquals(events, child.events());
    }

    @Test
    void sseFileWholeAndInBigChunksReplaysInASixtyFourMegabyteHeap() throws Exception {
        long events = 700_000; // 69 MB: "whole" was once one read of all of it
        Path file = dir.resolve("big.sse");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            sse(out, events);
        }
        for (String chunk : new String[] {"whole", "200000000"}) {
            Child child = sluice(in -> { }, "replay", "--format", "summary", "--chunk", chunk, file.toString());
            assertCleanChild(child);
            assertEquals(events, child.events());
        }
        Files.delete(file);
    }

    @Test
    void pcapOfOneHundredFiftyMegabytesOnStandardInputReplaysInASixtyFourMegabyteHeap() throws Exception {
        long events = 1_600_000; // 157 MB of stream, its sequence numbers wrapping past 2^32
        Child child = sluice(in -> SyntheticCapture.write(in, events, SEGMENT, -1, true),
                "replay", "--format", "summary", "-");
        assertCleanChild(child);
        assertEquals(events, child.events());
        assertTrue(child.out().contains("flow " + SyntheticCapture.SERVER_FLOW), child::out);
    }

    @Test
    void pcapFileWithoutHandshakeIsReadTwiceAndReplaysInASixtyFourMegabyteHeap() throws Exception {
        long events = 1_000_000;
        Path file = dir.resolve("big.pcap");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            SyntheticCapture.write(out, events, SEGMENT, -1, false);
        }
        Child child = sluice(in -> { }, "replay", "--format", "summary", "--chunk", "5000", file.toString());
        assertCleanChild(child);
        assertEquals(events, child.events());
        Files.delete(file);
    }

    @Test
    void pcapOnStandardInputWithoutHandshakeIsSpooledForTheSecondPass() throws IOException {
        // Without the SYN the flow's first byte is its lowest sequence number: the whole capture is
        // read before the choice, so standard input goes past the in-memory spool into a file.
        long events = 30_000; // 2.9 MB
        ByteArrayOutputStream pcap = new ByteArrayOutputStream();
        SyntheticCapture.write(pcap, events, 1460, -1, false);
        SluiceRunner.Result result = run(pcap.toByteArray(), "replay", "--format", "summary", "-");
        assertEquals(0, result.exit(), result.err());
        assertTrue(result.out().matches("(?s).*\\nevents\\s+" + events + "\\n.*"), result.out());
    }

    @Test
    void aHoleWiderThanTheReorderWindowIsOneLineAfterTheEventsBeforeIt() throws IOException {
        // A hole at the 4th body segment, then more than the window's bytes after it.
        int segment = 16 * 1024;
        long events = (TcpReassembler.DEFAULT_MAX_REORDER_BYTES + 16L * segment) / SyntheticCapture.EVENT.length;
        ByteArrayOutputStream pcap = new ByteArrayOutputStream();
        SyntheticCapture.write(pcap, events, segment, 3, true);
        SluiceRunner.Result result = run(pcap.toByteArray(), "replay", "--format", "ndjson", "-");
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        long hole = SyntheticCapture.HEAD.length + 3L * segment;
        assertTrue(result.err().startsWith("sluice replay: standard input: out-of-order window exceeded on "
                + SyntheticCapture.SERVER_FLOW + ": stream offset " + hole + " never arrived while "), result.err());
        assertTrue(result.err().contains("(bound " + TcpReassembler.DEFAULT_MAX_REORDER_BYTES + " bytes or "
                + TcpReassembler.DEFAULT_MAX_REORDER_SEGMENTS + " segments)"), result.err());
        assertEquals(3L * segment / SyntheticCapture.EVENT.length, result.records("event").size());
    }

    @Test
    void serveSendsAFileLargerThanItsHeapToEachConnection() throws Exception {
        long events = 1_000_000; // 98 MB of stream
        Path file = dir.resolve("serve.pcap");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            SyntheticCapture.write(out, events, SEGMENT, -1, true);
        }
        Path err = dir.resolve("stderr");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx48m",
                "-Dio.netty.leakDetection.level=paranoid", "-cp", System.getProperty("java.class.path"), Sluice.class.getName(),
                "serve", file.toString(), "--port", "0", "--timing", "none", "--loop");
        Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile()).start();
        try {
            Matcher port = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)/").matcher("");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!port.reset(Files.readString(err)).find()) {
                assertTrue(process.isAlive() && System.nanoTime() < deadline, () -> "no announcement: " + readQuietly(err));
                Thread.sleep(50);
            }
            List<CompletableFuture<Long>> clients = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                clients.add(CompletableFuture.supplyAsync(() -> received(Integer.parseInt(port.group(1)))));
            }
            for (CompletableFuture<Long> client : clients) {
                assertEquals(SyntheticCapture.streamBytes(events), client.get(60, TimeUnit.SECONDS));
            }
            assertTrue(process.isAlive(), () -> readQuietly(err));
            assertEquals(1, Files.readAllLines(err).size(), () -> readQuietly(err));
        } finally {
            process.destroyForcibly();
            process.waitFor(20, TimeUnit.SECONDS);
        }
    }

    /** The bytes one raw HTTP exchange with a serve process receives, counted as they arrive. */
    private static long received(int port) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.getOutputStream().write("GET / HTTP/1.1\r\nhost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = in.read(buffer)) > 0) {
                total += n;
            }
            return total;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Test
    void aRequestBodyFileOverSixtyFourMebibytesIsOneLineBeforeAnythingIsSent() throws IOException {
        Path body = dir.resolve("body.json");
        try (RandomAccessFile sparse = new RandomAccessFile(body.toFile(), "rw")) {
            sparse.setLength(GetCommand.MAX_BODY + 1L); // sparse: no disk written
        }
        SluiceRunner.Result result = run("get", "-d", "@" + body, "http://127.0.0.1:9/");
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertEquals("sluice get: request body " + body + " is " + (GetCommand.MAX_BODY + 1L) + " bytes, over the "
                + GetCommand.MAX_BODY + "-byte limit of -d @FILE\n", result.err());
    }

    /**
     * More than 2^31 bytes through standard input: the size at which byte arrays end. About a
     * minute on two shared cores, so it runs only with {@code -Dsluice.hugeTests=true} (its
     * timing is in the notes on big files).
     */
    @Test
    @EnabledIfSystemProperty(named = "sluice.hugeTests", matches = "true")
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void sseOverTwoGibibytesOnStandardInputReplaysInASixtyFourMegabyteHeap() throws Exception {
        long events = ((1L << 31) + (1 << 20)) / SyntheticCapture.EVENT.length + 1;
        Child child = sluice(in -> sse(in, events), "replay", "--format", "summary", "-");
        assertCleanChild(child);
        assertEquals(events, child.events());
        assertFalse(child.out().isEmpty());
    }
}

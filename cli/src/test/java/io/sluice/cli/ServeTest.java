package io.sluice.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sluice serve} over loopback: clients connected at once each get the whole recorded
 * stream, which parses to the sample's events; the wire bytes are the capture's; the process stops
 * cleanly on a signal. Every server listens on an ephemeral port and is closed by the test.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServeTest {
    private static final int CLIENTS = 8;

    private static ReplayServer serve(String sample, Timing timing, boolean loop) throws Exception {
        Path file = SAMPLES.resolve(sample);
        byte[] bytes = Files.readAllBytes(file);
        InputKind kind = sample.endsWith(".pcap") ? InputKind.PCAP : sample.endsWith(".http") ? InputKind.HTTP : InputKind.SSE;
        ServeCommand.Served served = ServeCommand.served(kind, bytes, sample, null, new PrintWriter(new StringWriter()));
        return ReplayServer.start("127.0.0.1", 0, served.writes(), timing, loop, served.reset());
    }

    /** The events {@code sluice replay} finds in a body a client received. */
    private static List<String> events(byte[] body) {
        return SluiceRunner.run(body, "replay", "--format", "ndjson", "-").records("event");
    }

    @ParameterizedTest
    @ValueSource(strings = {"anthropic-text.pcap", "openai-chat-tools.pcap", "gemini-text.pcap", "anthropic-tool-use.http",
            "openai-responses-text.sse"})
    void clientsConnectedAtOnceEachGetTheWholeStream(String sample) throws Exception {
        String stem = sample.substring(0, sample.lastIndexOf('.'));
        List<String> expected = Files.readAllLines(SAMPLES.resolve(stem + ".events.ndjson"));
        try (ReplayServer server = serve(sample, new Timing.Converter().convert("x20"), true)) {
            List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                // A client each: a recording may not say "connection: close" although the server
                // closes after it, and a shared client would pool the connection and send another
                // request into that close.
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/stream"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"stream\":true}")).timeout(Duration.ofSeconds(30)).build();
                responses.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()));
            }
            for (CompletableFuture<HttpResponse<byte[]>> f : responses) {
                HttpResponse<byte[]> response = f.get(30, TimeUnit.SECONDS);
                assertEquals(200, response.statusCode());
                assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
                byte[] body = response.body();
                if (response.headers().firstValue("content-encoding").orElse("").equals("gzip")) {
                    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
                        body = in.readAllBytes(); // the captured coding is served as it was: inflating is the client's job
                    }
                }
                assertEquals(expected, events(body));
            }
            assertEquals(CLIENTS, server.served());
        }
    }

    /** Sends a request on a plain socket and reads until the server closes or resets the connection. */
    private static byte[] rawExchange(int port) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            try {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    received.write(buffer, 0, n);
                }
            } catch (SocketException reset) {
                // a capture that ended in a RST is served ending in one
            }
            return received.toByteArray();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"anthropic-thinking", "anthropic-truncated", "openai-chat-tools"})
    void theWireBytesAreTheCapturedResponse(String stem) throws Exception {
        try (ReplayServer server = serve(stem + ".pcap", Timing.NONE, true)) {
            assertArrayEquals(Files.readAllBytes(SAMPLES.resolve(stem + ".http")), rawExchange(server.port()));
        }
    }

    @Test
    void originalTimingKeepsTheCapturedGaps() throws Exception {
        // anthropic-text's response spans about 2.9 s of capture time; x4 makes it about 0.7 s.
        try (ReplayServer server = serve("anthropic-text.pcap", new Timing.Converter().convert("x4"), true)) {
            long start = System.nanoTime();
            rawExchange(server.port());
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis >= 500, "the gaps were waited out: " + millis + " ms");
        }
    }

    @Test
    void aPortInUseIsOneLineAndExit1() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            SluiceRunner.Result result = SluiceRunner.run("serve", SAMPLES.resolve("anthropic-text.sse").toString(),
                    "--port", Integer.toString(taken.getLocalPort()));
            result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
            assertTrue(result.err().startsWith("sluice serve: cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": "),
                    result.err());
        }
    }

    @Test
    void withoutLoopTheServerStopsAfterTheFirstReplay() throws Exception {
        try (ReplayServer server = serve("anthropic-text.sse", Timing.NONE, false)) {
            rawExchange(server.port());
            server.awaitStopped();
            assertEquals(1, server.served());
        }
    }

    @Test
    void theServeProcessAnnouncesItsPortAndStopsCleanlyOnASignal(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path err = dir.resolve("stderr");
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Sluice.class.getName(),
                "serve", SAMPLES.resolve("anthropic-text.sse").toString(), "--port", "0", "--loop")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        try {
            Matcher port = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)/").matcher("");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!port.reset(Files.readString(err)).find()) {
                assertTrue(process.isAlive() && System.nanoTime() < deadline, () -> "no announcement: " + read(err));
                Thread.sleep(50);
            }
            byte[] received = rawExchange(Integer.parseInt(port.group(1)));
            assertTrue(new String(received, StandardCharsets.UTF_8).endsWith(Files.readString(SAMPLES.resolve("anthropic-text.sse"))));
            // SIGTERM: the same shutdown hook as Ctrl-C's SIGINT, which the process API cannot send.
            process.destroy();
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "stopped");
            assertEquals(143, process.exitValue());
            List<String> lines = Files.readAllLines(err);
            assertEquals(2, lines.size(), lines::toString);
            assertEquals("sluice serve: stopped after 1 complete replays", lines.get(1));
        } finally {
            process.destroyForcibly();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }
}

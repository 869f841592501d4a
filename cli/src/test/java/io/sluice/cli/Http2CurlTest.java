package io.sluice.cli;

import io.sluice.netty.SseRelayRetry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 16 item 5: curl, a real HTTP/2 client, against {@code sluice serve} and {@code sluice
 * relay}: {@code --http2-prior-knowledge} over h2c, {@code --http2} over TLS (ALPN), and
 * {@code --http2} on plain text, which asks for the deprecated upgrade and is answered over HTTP/1.1.
 * Skipped when curl is missing; {@code .ci/run} checks it is there.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class Http2CurlTest {
    private static String curl;
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();
    @TempDir
    Path dir;

    @BeforeAll
    static void findCurl() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "curl"))) {
                curl = Path.of(d, "curl").toString();
            }
        }
        assumeTrue(curl != null, "curl is not on the PATH");
    }

    @AfterEach
    void closeServers() throws Exception {
        for (AutoCloseable c; (c = opened.pollFirst()) != null; ) {
            c.close();
        }
    }

    private static ProtocolOptions.Protocols protocols(String... args) {
        ProtocolOptions options = new ProtocolOptions();
        new CommandLine(options).parseArgs(args);
        return options.protocols(notice -> { });
    }

    /** {@code sluice serve} of a sample, looping, with {@code protocols}: its port. */
    private int serve(String sample, ProtocolOptions.Protocols protocols) throws IOException {
        InputKind kind = sample.endsWith(".pcap") ? InputKind.PCAP : sample.endsWith(".http") ? InputKind.HTTP : InputKind.SSE;
        ServeCommand.Served served = ServeCommand.served(kind, Files.readAllBytes(SAMPLES.resolve(sample)), sample, null,
                new PrintWriter(new StringWriter()));
        ReplayServer server = ReplayServer.start("127.0.0.1", 0, served.writes(), Timing.NONE, true, served.reset(),
                io.sluice.netty.SseRequestGuard.withDefaults(), w -> { }, protocols);
        opened.push(server);
        return server.port();
    }

    private int relay(int upstreamPort, ProtocolOptions.Protocols protocols) {
        return relay(upstreamPort, protocols, null);
    }

    /** {@code sluice relay} to the upstream with {@code protocols}, and {@code --static files} unless null: its port. */
    private int relay(int upstreamPort, ProtocolOptions.Protocols protocols, Path files) {
        RelayServer relay = RelayServer.start(new RelayServer.Options("127.0.0.1", 0,
                List.of(GetCommand.getRequest("http://127.0.0.1:" + upstreamPort)), SseRelayRetry.DEFAULT, protocols, null, files,
                Duration.ZERO, Duration.ZERO, Duration.ZERO, false, 1 << 20, false, false), outcome -> { });
        opened.push(relay);
        return relay.port();
    }

    /** What curl got: the HTTP version it used, its exit code, the body. */
    record Got(String version, int exit, String body) {
    }

    private Got curl(String... args) throws Exception {
        Path body = Files.createTempFile(dir, "body", ".txt");
        List<String> command = new ArrayList<>(List.of(curl, "-sS", "-N", "--max-time", "30", "-o", body.toString(),
                "-w", "%{http_version}"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "curl ran out of time");
        String version = out.isEmpty() ? "" : out.substring(out.lastIndexOf('\n') + 1);
        return new Got(version, p.exitValue(), Files.readString(body));
    }

    private static String sse(String sample) throws IOException {
        return Files.readString(SAMPLES.resolve(sample));
    }

    @Test
    void servePriorKnowledgeH2cGivesTheRecordedStreamOverHttp2() throws Exception {
        int port = serve("anthropic-text.sse", protocols("--h2c"));
        Got h2 = curl("--http2-prior-knowledge", "http://127.0.0.1:" + port + "/v1/messages");
        assertEquals(new Got("2", 0, sse("anthropic-text.sse")), h2);
        Got h1 = curl("--http1.1", "http://127.0.0.1:" + port + "/v1/messages");
        assertEquals(new Got("1.1", 0, sse("anthropic-text.sse")), h1, "HTTP/1.1 on the same port");
    }

    @Test
    void serveOverTlsGivesEachRecordedFormOverHttp2ByAlpn() throws Exception {
        ProtocolOptions.Protocols tls = protocols("--tls-self-signed");
        for (String form : List.of("openai-chat-text.http", "openai-chat-text.pcap")) {
            int port = serve(form, tls);
            Got h2 = curl("--http2", "-k", "--compressed", "https://127.0.0.1:" + port + "/v1/chat/completions");
            assertEquals(new Got("2", 0, sse("openai-chat-text.sse")), h2, form);
        }
    }

    @Test
    void aRecordingCutMidStreamReachesAnHttp2ClientAsAResetStreamNotAWholeOne() throws Exception {
        int port = serve("anthropic-truncated.pcap", protocols("--h2c"));
        Got h2 = curl("--http2-prior-knowledge", "--compressed", "http://127.0.0.1:" + port + "/v1/messages");
        assertEquals("2", h2.version());
        assertNotEquals(0, h2.exit(), "curl reports the stream cut");
        assertTrue(sse("anthropic-truncated.sse").startsWith(h2.body()) && !h2.body().isEmpty(), h2.body());
    }

    @Test
    void relayOverTlsAndOverH2cGivesTheUpstreamsEventsOverHttp2() throws Exception {
        int upstream = serve("anthropic-text.sse", ProtocolOptions.Protocols.PLAIN);
        int tlsRelay = relay(upstream, protocols("--tls-self-signed"));
        Got overTls = curl("--http2", "-k", "-X", "POST", "-d", "{}", "https://127.0.0.1:" + tlsRelay + "/v1/messages");
        assertEquals(new Got("2", 0, sse("anthropic-text.sse")), overTls);

        int h2cRelay = relay(upstream, protocols("--h2c"));
        Got priorKnowledge = curl("--http2-prior-knowledge", "-X", "POST", "-d", "{}", "http://127.0.0.1:" + h2cRelay + "/v1/messages");
        assertEquals(new Got("2", 0, sse("anthropic-text.sse")), priorKnowledge);

        Got upgrade = curl("--http2", "-X", "POST", "-d", "{}", "http://127.0.0.1:" + h2cRelay + "/v1/messages");
        assertEquals(new Got("1.1", 0, sse("anthropic-text.sse")), upgrade,
                "the deprecated Upgrade: h2c is answered over HTTP/1.1");
    }

    @Test
    void relayServesItsStaticFilesOverTlsAndH2c() throws Exception {
        // Only a plain socket takes a file as a FileRegion (the kernel's copy): over TLS the bytes
        // are encrypted and over HTTP/2 framed, both in the JVM. Larger than a TLS record, an
        // HTTP/2 frame (16 KiB) and the stream's initial window (64 KiB), so all three are crossed.
        Path site = Files.createDirectory(dir.resolve("site"));
        String page = "<p>a page beside the stream</p>\n".repeat(4000);
        Files.writeString(site.resolve("index.html"), page);
        int upstream = serve("anthropic-text.sse", ProtocolOptions.Protocols.PLAIN);

        int tls = relay(upstream, protocols("--tls-self-signed"), site);
        assertServed("2", page, curl("--http2", "-k", "https://127.0.0.1:" + tls + "/"), "h2 by ALPN");
        assertServed("1.1", page, curl("--http1.1", "-k", "https://127.0.0.1:" + tls + "/"), "HTTP/1.1 over TLS");

        int h2c = relay(upstream, protocols("--h2c"), site);
        assertServed("2", page, curl("--http2-prior-knowledge", "http://127.0.0.1:" + h2c + "/"), "h2c");
        assertServed("1.1", page, curl("--http1.1", "http://127.0.0.1:" + h2c + "/"), "plain HTTP/1.1");
    }

    /** {@code got} is {@code page} over HTTP {@code version}; a failure says so in one line, not with the page. */
    private static void assertServed(String version, String page, Got got, String how) {
        assertEquals("HTTP " + version + ", exit 0, " + page.length() + " chars, the page",
                "HTTP " + got.version() + ", exit " + got.exit() + ", " + got.body().length() + " chars, "
                        + (got.body().equals(page) ? "the page" : "not the page"), how);
    }

    // ---- sluice serve --fault over HTTP/2 (issue 19, item 5)

    /** {@code sluice serve SAMPLE --fault SPEC...}, looping, with {@code protocols}: its port. */
    private int serveFaulted(String sample, ProtocolOptions.Protocols protocols, String... specs) throws IOException {
        InputKind kind = sample.endsWith(".pcap") ? InputKind.PCAP : sample.endsWith(".http") ? InputKind.HTTP : InputKind.SSE;
        FaultPlan plan = FaultPlan.of(List.of(specs).stream().map(new Fault.Converter()::convert).toList());
        ServeCommand.Served served = ServeCommand.faulted(kind, Files.readAllBytes(SAMPLES.resolve(sample)), sample, plan, null,
                Timing.NONE);
        ReplayServer server = ReplayServer.start("127.0.0.1", 0, served.writes(), served.timing(Timing.NONE), true, served.reset(),
                io.sluice.netty.SseRequestGuard.withDefaults(), w -> { }, protocols);
        opened.push(server);
        return server.port();
    }

    /** The first {@code n} events of an SSE sample, blank lines included. */
    private static String firstEvents(String sample, int n) throws IOException {
        String body = sse(sample);
        int end = 0;
        for (int i = 0; i < n; i++) {
            end = body.indexOf("\n\n", end) + 2;
        }
        return body.substring(0, end);
    }

    @Test
    void eachStreamFaultReachesAnHttp2ClientAtTheSameEvent() throws Exception {
        ProtocolOptions.Protocols h2c = protocols("--h2c");
        String url = "http://127.0.0.1:%d/v1/messages";

        Got fin = curl("--http2-prior-knowledge", String.format(url, serveFaulted("anthropic-text.pcap", h2c, "cut:2")));
        assertEquals(new Got("2", 0, firstEvents("anthropic-text.sse", 2)), fin,
                "cut:N over HTTP/2 ends the stream (END_STREAM) after event N: whole to HTTP, short of the terminal event");

        Got rst = curl("--http2-prior-knowledge", String.format(url, serveFaulted("anthropic-text.pcap", h2c, "cut:2:rst")));
        assertEquals("2", rst.version());
        assertNotEquals(0, rst.exit(), "cut:N:rst over HTTP/2 resets the stream (RST_STREAM)");
        assertEquals(firstEvents("anthropic-text.sse", 2), rst.body());

        Got error = curl("--http2-prior-knowledge", String.format(url, serveFaulted("anthropic-text.http", h2c, "error:4")));
        assertEquals(new Got("2", 0, firstEvents("anthropic-text.sse", 4)
                + new String(ProviderError.event(io.sluice.llm.Provider.ANTHROPIC, 4), StandardCharsets.UTF_8)), error);

        long start = System.nanoTime();
        Got stalled = curl("--http2-prior-knowledge", String.format(url, serveFaulted("anthropic-text.sse", h2c, "stall:1:0.5",
                "drip:100000")));
        assertEquals(new Got("2", 0, sse("anthropic-text.sse")), stalled);
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(500), "the stall was kept");
    }

    @Test
    void aStatusFaultReachesAnHttp2ClientOverTlsWithItsRetryAfter() throws Exception {
        int port = serveFaulted("openai-chat-text.pcap", protocols("--tls-self-signed"), "status:429:retry-after=2");
        Path head = dir.resolve("head.txt");
        Got h2 = curl("--http2", "-k", "-D", head.toString(), "https://127.0.0.1:" + port + "/v1/chat/completions");
        assertEquals(new Got("2", 0, new String(ProviderError.body(io.sluice.llm.Provider.OPENAI_CHAT, 429), StandardCharsets.UTF_8)),
                h2);
        String headers = Files.readString(head);
        assertTrue(headers.startsWith("HTTP/2 429") && headers.contains("retry-after: 2\r\n")
                && headers.contains("content-type: application/json\r\n"), headers);
    }
}

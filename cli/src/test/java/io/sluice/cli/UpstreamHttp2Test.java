package io.sluice.cli;

import io.sluice.netty.SseClient;
import io.sluice.netty.SseRelayRetry;
import io.sluice.netty.SseRequestGuard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static io.sluice.cli.SluiceRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16 item 2 on the command line: {@code sluice get --http2 | --h2c} and {@code sluice relay
 * --upstream-http2 | --upstream-h2c}, against {@code sluice serve} over TLS and h2c.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpstreamHttp2Test {
    private static final String SAMPLE = "anthropic-text";

    private static ProtocolOptions.Protocols protocols(String... args) {
        ProtocolOptions options = new ProtocolOptions();
        new CommandLine(options).parseArgs(args);
        return options.protocols(notice -> { });
    }

    /** {@code sluice serve} of the sample's capture, looping, speaking {@code protocols}. */
    private static ReplayServer serve(ProtocolOptions.Protocols protocols) throws IOException {
        ServeCommand.Served served = ServeCommand.served(InputKind.PCAP, Files.readAllBytes(SAMPLES.resolve(SAMPLE + ".pcap")),
                SAMPLE + ".pcap", null, new PrintWriter(new StringWriter()));
        return ReplayServer.start("127.0.0.1", 0, served.writes(), Timing.NONE, true, served.reset(),
                SseRequestGuard.withDefaults(), w -> { }, protocols);
    }

    private static List<String> expectedEvents() throws IOException {
        return Files.readAllLines(SAMPLES.resolve(SAMPLE + ".events.ndjson"));
    }

    @Test
    void getWithH2cReadsTheStreamOverHttp2AndFailsAgainstAServerWithoutIt() throws Exception {
        try (ReplayServer h2c = serve(protocols("--h2c"));
             ReplayServer http11 = serve(protocols())) {
            SluiceRunner.Result result = run("get", "--h2c", "--format", "ndjson", "-d", "{}",
                    "http://127.0.0.1:" + h2c.port() + "/v1/messages");
            assertEquals(Sluice.EXIT_OK, result.exit(), result.err());
            assertEquals(expectedEvents(), result.records("event"));

            // The same flag against a server that speaks HTTP/1.1 only: it was HTTP/2 that was spoken.
            SluiceRunner.Result refused = run("get", "--h2c", "--format", "ndjson", "-d", "{}",
                    "http://127.0.0.1:" + http11.port() + "/v1/messages");
            assertNotEquals(Sluice.EXIT_OK, refused.exit());
            assertTrue(refused.err().contains("upstream_unreachable") || refused.err().contains("connection"), refused.err());
        }
    }

    @Test
    void getWithHttp2ReadsTheStreamOverTlsByAlpn() throws Exception {
        try (ReplayServer tls = serve(protocols("--tls-self-signed"))) {
            SluiceRunner.Result result = run("get", "--http2", "-k", "--format", "ndjson", "-d", "{}",
                    "https://127.0.0.1:" + tls.port() + "/v1/messages");
            assertEquals(Sluice.EXIT_OK, result.exit(), result.err());
            assertEquals(expectedEvents(), result.records("event"));
        }
    }

    @Test
    void theUpstreamProtocolFlagsChooseTheClientsProtocol() {
        assertEquals(SseClient.Protocol.HTTP_1_1, GetCommand.upstreamProtocol(false, false));
        assertEquals(SseClient.Protocol.HTTP_2, GetCommand.upstreamProtocol(true, false));
        assertEquals(SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE, GetCommand.upstreamProtocol(false, true));
        assertEquals(SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE, GetCommand.upstreamProtocol(true, true));
    }

    @Test
    void relayWithUpstreamH2cRelaysEveryConcurrentStreamOverOneUpstreamProtocol() throws Exception {
        try (ReplayServer upstream = serve(protocols("--h2c"));
             RelayServer relay = RelayServer.start(new RelayServer.Options("127.0.0.1", 0,
                     List.of(GetCommand.getRequest("http://127.0.0.1:" + upstream.port())), SseRelayRetry.DEFAULT,
                     ProtocolOptions.Protocols.PLAIN, null, null, Duration.ZERO, Duration.ZERO, Duration.ZERO, false, 1 << 20,
                     false, false), SseRequestGuard.withDefaults(), w -> { }, outcome -> { }, null, null,
                     GetCommand.upstreamProtocol(false, true))) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> responses = new java.util.ArrayList<>();
            for (int i = 0; i < 5; i++) {
                responses.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.port() + "/v1/messages"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"stream\":true}")).timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (var response : responses) {
                HttpResponse<String> r = response.get(30, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode());
                assertEquals(expectedEvents(), SluiceRunner.events(r.body()));
            }
        }
    }

    @Test
    void theRelayCommandTakesUpstreamH2c(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path err = dir.resolve("stderr");
        try (ReplayServer upstream = serve(protocols("--h2c"))) {
            Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Sluice.class.getName(),
                    "relay", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:" + upstream.port(), "--upstream-h2c")
                    .redirectOutput(dir.resolve("stdout").toFile()).redirectError(err.toFile()).start();
            try {
                Matcher port = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/").matcher("");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!port.reset(Files.readString(err)).find()) {
                    assertTrue(process.isAlive() && System.nanoTime() < deadline, () -> "no announcement");
                    Thread.sleep(50);
                }
                HttpResponse<String> r = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port.group(1) + "/v1/messages"))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"stream\":true}")).timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode());
                assertEquals(expectedEvents(), SluiceRunner.events(r.body()));
            } finally {
                process.destroy();
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }

    @Test
    void relayWithUpstreamH2cToAnUpstreamWithoutItAnswersBadGateway() throws Exception {
        try (ReplayServer upstream = serve(protocols());
             RelayServer relay = RelayServer.start(new RelayServer.Options("127.0.0.1", 0,
                     List.of(GetCommand.getRequest("http://127.0.0.1:" + upstream.port())), SseRelayRetry.DEFAULT,
                     ProtocolOptions.Protocols.PLAIN, null, null, Duration.ZERO, Duration.ZERO, Duration.ZERO, false, 1 << 20,
                     false, false), SseRequestGuard.withDefaults(), w -> { }, outcome -> { }, null, null,
                     GetCommand.upstreamProtocol(false, true))) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.port() + "/v1/messages"))
                            .POST(HttpRequest.BodyPublishers.ofString("{}")).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(502, r.statusCode(), r.body());
        }
    }
}

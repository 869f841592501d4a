package io.sluice.cli;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.core.SseParser;
import io.sluice.core.testing.JsonTree;
import io.sluice.llm.LlmMessage;
import io.sluice.llm.MessageCollector;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.netty.SseClient;
import io.sluice.netty.SseRelay;
import io.sluice.netty.SseRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static io.sluice.cli.SluiceRunner.events;
import static io.sluice.cli.SluiceRunner.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sluice relay} in front of {@code sluice serve}: every sample, in every recorded form,
 * reaches a client through the relay event for event; the relay's own files, access log and
 * failures. Servers listen on ephemeral loopback ports and are closed by each test.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RelayTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private final BlockingQueue<SseRelay.Outcome> outcomes = new LinkedBlockingQueue<>();

    static Stream<String> recordings() throws IOException {
        try (Stream<Path> files = Files.list(SAMPLES)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".sse") || n.endsWith(".http") || n.endsWith(".pcap"))
                    .filter(n -> Files.exists(SAMPLES.resolve(stem(n) + ".events.ndjson")))
                    .sorted()
                    .toList()
                    .stream();
        }
    }

    private static String stem(String name) {
        return name.substring(0, name.lastIndexOf('.'));
    }

    private static ReplayServer serve(String sample) throws IOException {
        InputKind kind = sample.endsWith(".pcap") ? InputKind.PCAP : sample.endsWith(".http") ? InputKind.HTTP : InputKind.SSE;
        ServeCommand.Served served = ServeCommand.served(kind, Files.readAllBytes(SAMPLES.resolve(sample)), sample, null,
                new PrintWriter(new StringWriter()));
        return ReplayServer.start("127.0.0.1", 0, served.writes(), Timing.NONE, true, served.reset());
    }

    private RelayServer relay(int upstreamPort, Path files) {
        return relay(upstreamPort, null, files);
    }

    private RelayServer relay(int upstreamPort, String path, Path files) {
        return RelayServer.start(new RelayServer.Options("127.0.0.1", 0,
                GetCommand.getRequest("http://127.0.0.1:" + upstreamPort), path, files,
                Duration.ZERO, Duration.ZERO, Duration.ZERO, false, 1 << 20, true, false), outcomes::add);
    }



    @Test
    void theUpstreamIsABaseURLUnderWhichEachRequestsPathAndQueryGo() {
        URI anthropic = URI.create("https://api.anthropic.com");
        assertEquals(URI.create("https://api.anthropic.com/v1/messages"), RelayServer.under(anthropic, "/v1/messages"));
        assertEquals(URI.create("https://api.anthropic.com/v1/models?limit=2"), RelayServer.under(anthropic, "/v1/models?limit=2"));
        assertEquals(URI.create("http://127.0.0.1:8080/"), RelayServer.under(URI.create("http://127.0.0.1:8080/"), "/"));
        assertEquals(URI.create("http://h:1/proxy/v1/chat/completions"),
                RelayServer.under(URI.create("http://h:1/proxy/"), "/v1/chat/completions"));
        assertEquals(URI.create("http://h:1/p/v1/x?key=k&alt=sse"), RelayServer.under(URI.create("http://h:1/p?key=k"), "/v1/x?alt=sse"));
    }

    @Test
    void aRelayedRequestReachesTheUpstreamWithItsPathQueryAndHeaders() throws Exception {
        try (java.net.ServerSocket upstream = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            java.util.concurrent.CompletableFuture<String> head = new java.util.concurrent.CompletableFuture<>();
            Thread server = new Thread(() -> {
                try (java.net.Socket s = upstream.accept()) {
                    java.io.InputStream in = s.getInputStream();
                    StringBuilder got = new StringBuilder();
                    while (got.indexOf("\r\n\r\n") < 0) {
                        int b = in.read();
                        if (b < 0) {
                            break;
                        }
                        got.append((char) b);
                    }
                    head.complete(got.toString());
                    s.getOutputStream().write(("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nrequest-id: req_7\r\n"
                            + "content-length: 9\r\n\r\ndata: a\n\n").getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    head.completeExceptionally(e);
                }
            });
            server.start();
            try (RelayServer relay = RelayServer.start(new RelayServer.Options("127.0.0.1", 0,
                    GetCommand.withHeaders(GetCommand.getRequest("http://127.0.0.1:" + upstream.getLocalPort() + "/base"),
                            List.of("x-api-key: relays-own")), null, null,
                    Duration.ZERO, Duration.ZERO, Duration.ZERO, false, 1 << 20, false, true), outcomes::add)) {
                HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + relay.port() + "/v1/messages?beta=true"))
                        .header("content-type", "application/json").header("anthropic-version", "2023-06-01")
                        .header("x-api-key", "the-clients").header("authorization", "Bearer the-clients")
                        .POST(HttpRequest.BodyPublishers.ofString("{}")).timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode());
                assertEquals("req_7", response.headers().firstValue("request-id").orElse(""), "the upstream's headers come back");
                String sent = head.get(10, TimeUnit.SECONDS).toLowerCase(java.util.Locale.ROOT);
                assertTrue(sent.startsWith("post /base/v1/messages?beta=true http/1.1"), sent);
                assertTrue(sent.contains("anthropic-version: 2023-06-01"), sent);
                assertTrue(sent.contains("x-api-key: relays-own"), sent);
                assertFalse(sent.contains("the-clients"), "--drop-client-credentials: " + sent);
            }
            server.join(5_000);
        }
    }

    @Test
    void anUpstreamThatAnswersAndThenStallsEndsInAnUpstreamTimeoutErrorEventNotHeartbeatsForever() throws Exception {
        try (java.net.ServerSocket upstream = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (java.net.Socket s = upstream.accept()) {
                    s.getInputStream().read(new byte[4096]);
                    s.getOutputStream().write(("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                            + "transfer-encoding: chunked\r\n\r\n9\r\ndata: a\n\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    Thread.sleep(10_000); // a status, one event, then nothing
                } catch (IOException | InterruptedException e) {
                    // the relay gave up on us: what the test wants
                }
            });
            server.start();
            try (RelayServer relay = RelayServer.start(new RelayServer.Options("127.0.0.1", 0,
                    GetCommand.getRequest("http://127.0.0.1:" + upstream.getLocalPort()), null, null,
                    Duration.ofMillis(100), Duration.ofMillis(400), Duration.ZERO, false, 1 << 20, false, false), outcomes::add)) {
                long start = System.nanoTime();
                HttpResponse<String> response = post(relay.port(), "/v1/messages");
                assertEquals(200, response.statusCode());
                List<String> relayed = events(response.body());
                assertEquals(2, relayed.size(), response.body());
                assertTrue(relayed.get(1).contains("upstream_timeout"), relayed.get(1));
                assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "ended by the idle timeout, not the upstream");
                assertEquals("upstream_timeout", outcomes.poll(10, TimeUnit.SECONDS).end().wireName());
            }
            server.interrupt();
            server.join(5_000);
        }
    }

    @ParameterizedTest
    @MethodSource("recordings")
    void everyRecordingArrivesThroughTheRelayEventForEvent(String sample) throws Exception {
        List<String> expected = new ArrayList<>(Files.readAllLines(SAMPLES.resolve(stem(sample) + ".events.ndjson")));
        boolean cut = sample.startsWith("anthropic-truncated");
        try (ReplayServer upstream = serve(sample); RelayServer relay = relay(upstream.port(), null)) {
            HttpResponse<String> response = post(relay.port(), "/v1/messages");

            assertEquals(200, response.statusCode());
            assertEquals("text/event-stream; charset=utf-8", response.headers().firstValue("content-type").orElse(""));
            List<String> relayed = events(response.body());
            if (cut) {
                // The upstream was cut mid-event: the relay says so in a last event of its own.
                String last = relayed.remove(relayed.size() - 1);
                assertTrue(last.startsWith("{\"type\":\"event\",\"event\":\"error\",\"data\":\"{\\\"type\\\":\\\"error\\\","
                        + "\\\"error\\\":{\\\"type\\\":\\\"upstream_closed_early\\\""), last);
            }
            assertEquals(expected, relayed);
            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertEquals(200, outcome.upstreamStatus());
            assertEquals(expected.size() + (cut ? 1 : 0), outcome.events());
            assertEquals(response.body().getBytes(StandardCharsets.UTF_8).length, outcome.bytes());
            assertEquals(cut ? "upstream_closed_early" : "ok", outcome.end().wireName());
            // The relay's tap assembled the final message from the events it relayed.
            LlmMessage message = ((MessageCollector) outcome.tap()).message();
            if (cut) {
                assertFalse(message.complete());
                assertEquals("stream_error", message.error().type());
            } else {
                Object expectedMessage = JsonTree.of(Files.readString(SAMPLES.resolve(stem(sample) + ".expected.json")));
                assertEquals(expectedMessage, JsonTree.trimmedTo(expectedMessage, JsonTree.of(message.toJson()), "usage"));
            }
        }
    }

    @Test
    void aFileInTheStaticFolderIsServedAndEverythingElseIsRelayed(@TempDir Path dir) throws Exception {
        Path site = Files.createDirectory(dir.resolve("site"));
        Files.writeString(site.resolve("index.html"), "<p>page</p>");
        Files.writeString(dir.resolve("secret.txt"), "not for clients");
        try (ReplayServer upstream = serve("anthropic-text.sse"); RelayServer relay = relay(upstream.port(), site)) {
            HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.port() + "/"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("<p>page</p>", page.body());
            assertEquals("text/html; charset=utf-8", page.headers().firstValue("content-type").orElse(""));
            String head = rawRequest(relay.port(), "HEAD", "/index.html");
            assertTrue(head.startsWith("HTTP/1.1 200 OK\r\n") && head.contains("content-length: 11\r\n") && head.endsWith("\r\n\r\n"),
                    head);

            // A path that climbs out of the folder names no file of it: it is relayed like any other.
            String climb = rawGet(relay.port(), "/%2e%2e/secret.txt");
            assertTrue(climb.contains("content-type: text/event-stream"), climb);
            assertTrue(!climb.contains("not for clients"), climb);
            assertEquals(55, outcomes.poll(10, TimeUnit.SECONDS).events());
        }
    }

    @Test
    void onlyGetAndPostToThePathAreRelayedAndTheRestAnsweredHere(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("index.html"), "<p>page</p>");
        try (ReplayServer upstream = serve("anthropic-text.sse"); RelayServer relay = relay(upstream.port(), "/v1/messages", dir)) {
            URI base = URI.create("http://127.0.0.1:" + relay.port());
            HttpResponse<String> preflight = HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/messages"))
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(405, preflight.statusCode());
            assertEquals("GET, POST", preflight.headers().firstValue("allow").orElse(""));
            HttpResponse<String> favicon = HTTP.send(HttpRequest.newBuilder(base.resolve("/favicon.ico"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, favicon.statusCode());
            assertEquals("<p>page</p>", HTTP.send(HttpRequest.newBuilder(base.resolve("/")).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertNull(outcomes.poll(200, TimeUnit.MILLISECONDS), "nothing was relayed so far");

            assertEquals(55, events(post(relay.port(), "/v1/messages?beta=1").body()).size());
            assertEquals(55, outcomes.poll(10, TimeUnit.SECONDS).events());
        }
    }

    @Test
    void theRelayProcessFallsBackLogsALinePerStreamAndStopsOnASignal(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = dir.resolve("stdout");
        Path err = dir.resolve("stderr");
        int refusing;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refusing = closed.getLocalPort();
        }
        try (ReplayServer upstream = serve("openai-chat-tools.pcap")) {
            // The first upstream refuses connections: the stream falls back to the second, and the log says so.
            Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Sluice.class.getName(),
                    "relay", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:" + refusing + "/v1/chat/completions",
                    "--upstream", "http://127.0.0.1:" + upstream.port() + "/v1/chat/completions",
                    "-H", "authorization: Bearer test")
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try {
                Matcher port = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/ \\(HTTP/1\\.1\\), relaying to http://127\\.0\\.0\\.1:"
                        + refusing + "/v1/chat/completions, then http://127").matcher("");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!port.reset(Files.readString(err)).find()) {
                    assertTrue(process.isAlive() && System.nanoTime() < deadline, () -> "no announcement: " + read(err));
                    Thread.sleep(50);
                }
                HttpResponse<String> response = post(Integer.parseInt(port.group(1)), "/chat");
                assertEquals(39, events(response.body()).size());
                Pattern line = Pattern.compile("\\S+Z 127\\.0\\.0\\.1:\\d+ POST /chat upstream=200 events=39 bytes="
                        + response.body().getBytes(StandardCharsets.UTF_8).length + " first_event_ms=\\d+\\.\\d total_ms=\\d+\\.\\d end=ok"
                        + " answer=event_stream attempts=2 provider=openai-chat stop=tool_calls input_tokens=131 output_tokens=58"
                        + " cache_read_input_tokens=0 cache_creation_input_tokens=- reasoning_tokens=0"
                        + " cache_creation_5m_input_tokens=- cache_creation_1h_input_tokens=- tool_use_prompt_tokens=-"
                        + " server_tool_use=- error=-");
                while (Files.readAllLines(out).isEmpty()) {
                    assertTrue(System.nanoTime() < deadline, "no access log line");
                    Thread.sleep(20);
                }
                List<String> log = Files.readAllLines(out);
                assertEquals(1, log.size(), log::toString);
                assertTrue(line.matcher(log.get(0)).matches(), log.get(0));

                process.destroy();
                assertTrue(process.waitFor(20, TimeUnit.SECONDS), "stopped");
                assertEquals(1, Files.readAllLines(err).size(), () -> read(err));
            } finally {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void theAccessLogLineNamesEveryFigure() throws Exception {
        // A real outcome: a relay whose client runs on another loop group answers 502 relay_failed at once.
        EventLoopGroup elsewhere = new NioEventLoopGroup(1);
        try (SseClient client = SseClient.builder().eventLoopGroup(elsewhere, NioSocketChannel.class).build()) {
            BlockingQueue<SseRelay.Outcome> done = new LinkedBlockingQueue<>();
            EmbeddedChannel ch = new EmbeddedChannel(
                    SseRelay.builder(client, request -> SseRequest.get(URI.create("http://127.0.0.1:9/"))).onDone(done::add).build());
            ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/v1/messages?beta=true"));
            SseRelay.Outcome outcome = done.poll(10, TimeUnit.SECONDS);
            ch.finishAndReleaseAll();
            assertTrue(Pattern.matches("2026-11-22T03:00:00Z embedded GET /v1/messages\\?beta=true upstream=0 events=0 bytes=\\d+ first_event_ms=-1 "
                            + "total_ms=\\d+\\.\\d end=relay_failed answer=relay_error attempts=1",
                    RelayCommand.accessLogLine(Instant.parse("2026-11-22T03:00:00Z"), outcome)),
                    RelayCommand.accessLogLine(Instant.parse("2026-11-22T03:00:00Z"), outcome));
        } finally {
            elsewhere.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void theAccessLogLineOfAnLlmStreamCarriesEveryUsageCount() throws IOException {
        MessageCollector tap = MessageCollector.create();
        byte[] body = Files.readAllBytes(SAMPLES.resolve("anthropic-cache.sse"));
        try (SseParser parser = SseParser.create(tap)) {
            ByteBuf read = Unpooled.wrappedBuffer(body);
            try {
                parser.feed(read);
            } finally {
                read.release();
            }
            parser.end();
        }
        assertEquals(" provider=anthropic stop=end_turn "
                + "input_tokens=6431 output_tokens=287 cache_read_input_tokens=14208 cache_creation_input_tokens=2590 "
                + "reasoning_tokens=- cache_creation_5m_input_tokens=1518 cache_creation_1h_input_tokens=1072 "
                + "tool_use_prompt_tokens=- server_tool_use=web_search_requests:1 error=-",
                RelayCommand.messageFields(tap.message()));
    }

    @Test
    void aPortInUseIsOneLineAndExit1() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            SluiceRunner.Result result = SluiceRunner.run("relay", "--listen", "127.0.0.1:" + taken.getLocalPort(),
                    "--upstream", "http://127.0.0.1:9/");
            result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
            assertTrue(result.err().startsWith("sluice relay: cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": "),
                    result.err());
        }
    }

    @Test
    void badArgumentsAreOneLineAndExit2AndAMissingFolderExit1(@TempDir Path dir) {
        SluiceRunner.run("relay", "--listen", "nowhere", "--upstream", "http://127.0.0.1:9/").assertOneLineOnStderr(Sluice.EXIT_USAGE);
        SluiceRunner.run("relay", "--listen", "127.0.0.1:0", "--upstream", "ftp://127.0.0.1/").assertOneLineOnStderr(Sluice.EXIT_USAGE);
        SluiceRunner.run("relay", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9/", "-H", "no-colon")
                .assertOneLineOnStderr(Sluice.EXIT_USAGE);
        SluiceRunner.run("relay", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9/",
                "--static", dir.resolve("missing").toString()).assertOneLineOnStderr(Sluice.EXIT_INPUT);
        SluiceRunner.run("relay", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9/", "--path", "v1")
                .assertOneLineOnStderr(Sluice.EXIT_USAGE);
    }

    // ---- who may use the relay (issue 14, item 5) ----

    private static final String REFUSAL_HEAD = "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\nconnection: close\r\n";

    private RelayServer guardedRelay(int upstreamPort, List<String> requiredHeaders, Path tokenFile, List<String> refused) {
        return RelayServer.start(new RelayServer.Options("127.0.0.1", 0,
                GetCommand.getRequest("http://127.0.0.1:" + upstreamPort), null, null,
                Duration.ZERO, Duration.ZERO, Duration.ZERO, false, 1 << 20, false, false), outcomes::add,
                RelayCredentials.authenticator(requiredHeaders, tokenFile, (client, request) ->
                        refused.add(RelayCommand.refusedLogLine(Instant.EPOCH, client, request.method().name(), request.uri()))));
    }

    @Test
    void aRequiredHeaderAdmitsOnlyItsExactValueAndARefusalOpensNoUpstream() throws Exception {
        List<String> refused = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (TestUpstream upstream = TestUpstream.endingAfter("data: hi\n\n");
             RelayServer relay = guardedRelay(upstream.port(), List.of("X-Relay-Key: s3cret-value"), null, refused)) {
            for (String credential : List.of("", "x-relay-key: s3cret-valuf\r\n", "x-relay-key: s3cret\r\n",
                    "x-relay-key: s3cret-value-2\r\n", "authorization: Bearer s3cret-value\r\n")) {
                String answer = rawExchange(relay.port(), "GET /stream HTTP/1.1\r\nhost: x\r\n" + credential + "\r\n");
                assertTrue(answer.startsWith(REFUSAL_HEAD) && answer.endsWith(io.sluice.netty.SseRequestAuthenticator.REFUSAL_BODY),
                        answer);
                assertFalse(answer.contains("www-authenticate"), "no scheme to challenge with for a custom header");
            }
            String post = rawExchange(relay.port(), "POST /stream HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\n"
                    + "content-type: application/json\r\ncontent-length: 100000000\r\n\r\n");
            assertTrue(post.startsWith(REFUSAL_HEAD), "refused before any 100 Continue or 413: " + post);
            assertEquals(0, upstream.accepted(), "no upstream connection for a refused client");
            assertEquals(6, refused.size());
            assertEquals("1970-01-01T00:00:00Z " + refused.get(5).split(" ")[1] + " POST /stream upstream=0 events=0 bytes=0 "
                    + "first_event_ms=-1 total_ms=0.0 end=unauthorized", refused.get(5));
            assertTrue(refused.stream().noneMatch(line -> line.contains("s3cret")), refused::toString);

            String admitted = rawExchange(relay.port(), "GET /stream HTTP/1.1\r\nhost: x\r\nx-relay-key: s3cret-value\r\n\r\n");
            assertTrue(admitted.startsWith("HTTP/1.1 200 OK\r\n") && admitted.contains("data: hi\n\n"), admitted);
            assertEquals(1, upstream.accepted());
            assertFalse(upstream.requests().get(0).contains("s3cret"), "the credential stays downstream");
        }
    }

    @Test
    void aTokenFileAdmitsEachOfItsTokensAndRefusesTheRestWithABearerChallenge(@TempDir Path dir) throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "# team A\nalpha-0123456789\n\n  beta-short  \ngamma.token/with+chars=\n");
        try (TestUpstream upstream = TestUpstream.endingAfter("data: hi\n\n");
             RelayServer relay = guardedRelay(upstream.port(), List.of(), tokens, new ArrayList<>())) {
            for (String credential : List.of("", "authorization: Bearer alpha-012345678\r\n", "authorization: Bearer beta\r\n",
                    "authorization: Bearer # team A\r\n", "authorization: Bearer \r\n", "authorization: Basic YmV0YS1zaG9ydA==\r\n")) {
                String answer = rawExchange(relay.port(), "GET /stream HTTP/1.1\r\nhost: x\r\n" + credential + "\r\n");
                assertTrue(answer.startsWith(REFUSAL_HEAD + "www-authenticate: Bearer\r\n"), answer);
            }
            assertEquals(0, upstream.accepted());
            for (String token : List.of("alpha-0123456789", "beta-short", "gamma.token/with+chars=")) {
                String admitted = rawExchange(relay.port(), "GET /stream HTTP/1.1\r\nhost: x\r\nauthorization: Bearer " + token + "\r\n\r\n");
                assertTrue(admitted.startsWith("HTTP/1.1 200 OK\r\n") && admitted.contains("data: hi\n\n"), admitted);
            }
            assertEquals(3, upstream.accepted());
        }
    }

    @Test
    void badCredentialOptionsAreOneLineThatNeverQuotesTheSecret(@TempDir Path dir) throws Exception {
        String[] relay = {"relay", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9/"};
        SluiceRunner.Result noColon = SluiceRunner.run(concat(relay, "--require-header", "topsecretvalue"));
        noColon.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertFalse(noColon.err().contains("topsecretvalue"), noColon.err());
        SluiceRunner.Result empty = SluiceRunner.run(concat(relay, "--require-header", "x-key:  "));
        empty.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        SluiceRunner.run(concat(relay, "--token-file", dir.resolve("missing").toString())).assertOneLineOnStderr(Sluice.EXIT_INPUT);
        Path none = Files.writeString(dir.resolve("none"), "# only a comment\n\n");
        SluiceRunner.run(concat(relay, "--token-file", none.toString())).assertOneLineOnStderr(Sluice.EXIT_INPUT);
        Path spaced = Files.writeString(dir.resolve("spaced"), "good-token\ntop secret\n");
        SluiceRunner.Result spacedResult = SluiceRunner.run(concat(relay, "--token-file", spaced.toString()));
        spacedResult.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertTrue(spacedResult.err().contains("line 2 of "), spacedResult.err());
        assertFalse(spacedResult.err().contains("top secret"), spacedResult.err());
    }

    private static String[] concat(String[] first, String... more) {
        return Stream.concat(Stream.of(first), Stream.of(more)).toArray(String[]::new);
    }

    // ---- regressions kept from the hostile-client round (issue 14) ----

    @Test
    void aClientThatVanishesMidStreamHasItsUpstreamClosedWithinASecond() throws Exception {
        try (TestUpstream upstream = TestUpstream.holding("data: first\n\n"); RelayServer relay = relay(upstream.port(), null)) {
            for (boolean reset : new boolean[] {false, true}) {
                int before = upstream.closed();
                Socket socket = new Socket("127.0.0.1", relay.port());
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write("GET /stream HTTP/1.1\r\nhost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = socket.getInputStream();
                String seen = "";
                while (!seen.contains("data: first")) {
                    byte[] buffer = new byte[4096];
                    int n = in.read(buffer);
                    assertTrue(n > 0, seen);
                    seen += new String(buffer, 0, n, StandardCharsets.UTF_8);
                }
                if (reset) {
                    socket.setSoLinger(true, 0); // vanishes with a reset, as a killed process's socket may
                }
                long left = System.nanoTime();
                socket.close();
                long closedAt = upstream.awaitClose(before + 1, Duration.ofSeconds(10));
                assertTrue(closedAt - left < TimeUnit.SECONDS.toNanos(1),
                        "reset " + reset + ": upstream closed " + (closedAt - left) / 1_000_000 + " ms after the client left");
                assertEquals("client_gone", outcomes.poll(10, TimeUnit.SECONDS).end().wireName());
            }
        }
    }

    @Test
    void noClimbOutOfTheStaticFolderIsEverServed(@TempDir Path dir) throws Exception {
        Path site = Files.createDirectory(dir.resolve("site"));
        Files.writeString(site.resolve("index.html"), "<p>page</p>");
        Path outside = Files.createDirectory(dir.resolve("outside"));
        Files.writeString(dir.resolve("secret.txt"), "not for clients");
        Files.writeString(outside.resolve("secret.txt"), "not for clients");
        boolean links;
        try {
            Files.createSymbolicLink(site.resolve("link.txt"), dir.resolve("secret.txt"));
            Files.createSymbolicLink(site.resolve("linked-dir"), outside);
            links = true;
        } catch (UnsupportedOperationException | IOException noLinks) {
            links = false; // a file system without symbolic links: the climbs by name still run
        }
        try (TestUpstream upstream = TestUpstream.endingAfter("data: relayed\n\n"); RelayServer relay = relay(upstream.port(), site)) {
            List<String> climbs = new ArrayList<>(List.of("/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
                    "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/./../secret.txt", "/x/../../secret.txt", "/..\\secret.txt",
                    "/%2e%2e/outside/secret.txt", "//../secret.txt"));
            if (links) {
                climbs.addAll(List.of("/link.txt", "/linked-dir/secret.txt"));
            }
            for (String climb : climbs) {
                String answer = rawGet(relay.port(), climb);
                assertFalse(answer.contains("not for clients"), climb + " served: " + answer);
                assertFalse(answer.contains("content-type: application/octet-stream") || answer.contains("text/plain"),
                        climb + " answered as a file: " + answer);
            }
            assertEquals("<p>page</p>", HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.port() + "/"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()).body(), "the folder itself is served");
        }
    }

    /**
     * One request as given on a plain socket, with {@code connection: close} after its request
     * line (else a stream that ended whole leaves the connection open for the next), read until
     * the server closes.
     */
    private static String rawExchange(int port, String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            int lineEnd = request.indexOf("\r\n") + 2;
            socket.getOutputStream().write((request.substring(0, lineEnd) + "connection: close\r\n" + request.substring(lineEnd))
                    .getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * An upstream on a plain server socket that counts its connections and notes when each one
     * closes: it reads a request head, answers {@code 200 text/event-stream} close-delimited with
     * the given body, then either closes (ending the stream) or holds the connection until the
     * relay closes it.
     */
    private static final class TestUpstream implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
        private final BlockingQueue<Long> closes = new LinkedBlockingQueue<>();
        private final List<String> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();

        static TestUpstream endingAfter(String body) throws IOException {
            return new TestUpstream(body, false);
        }

        static TestUpstream holding(String body) throws IOException {
            return new TestUpstream(body, true);
        }

        private TestUpstream(String body, boolean hold) throws IOException {
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        accepted.incrementAndGet();
                        sockets.add(socket);
                        Thread serving = new Thread(() -> serve(socket, body, hold), "test-upstream-connection");
                        serving.setDaemon(true);
                        serving.start();
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "test-upstream");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void serve(Socket socket, String body, boolean hold) {
            try (socket) {
                socket.setSoTimeout(20_000);
                InputStream in = socket.getInputStream();
                StringBuilder head = new StringBuilder();
                while (head.indexOf("\r\n\r\n") < 0) {
                    int b = in.read();
                    if (b < 0) {
                        return;
                    }
                    head.append((char) b);
                }
                requests.add(head.toString());
                socket.getOutputStream().write(("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
                        + body).getBytes(StandardCharsets.UTF_8));
                socket.getOutputStream().flush();
                if (hold) {
                    while (in.read() >= 0) {
                        // the relay sends nothing more; EOF (or a reset) is its cancel
                    }
                }
            } catch (IOException reset) {
                // a reset is a close too
            } finally {
                closes.add(System.nanoTime());
            }
        }

        int port() {
            return server.getLocalPort();
        }

        int accepted() {
            return accepted.get();
        }

        int closed() {
            return closes.size();
        }

        List<String> requests() {
            return requests;
        }

        /** When the {@code count}th connection closed, waiting up to {@code timeout}. */
        long awaitClose(int count, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (closes.size() < count && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(closes.size() >= count, "the upstream connection is still open");
            return List.copyOf(closes).get(count - 1);
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    /** A GET on a plain socket with the path as given (no client-side normalising), read until close. */
    private static String rawGet(int port, String path) throws IOException {
        return rawRequest(port, "GET", path);
    }

    /** One request on a plain socket, {@code connection: close}, read until the server closes. */
    private static String rawRequest(int port, String method, String path) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write((method + " " + path + " HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            in.transferTo(received);
            return received.toString(StandardCharsets.UTF_8);
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

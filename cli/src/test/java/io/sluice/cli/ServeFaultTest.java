package io.sluice.cli;

import io.sluice.llm.LlmMessage;
import io.sluice.llm.MessageCollector;
import io.sluice.llm.Provider;
import io.sluice.llm.ProviderDetector;
import io.sluice.netty.SseRelay;
import io.sluice.netty.SseRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static io.sluice.cli.SluiceRunner.events;
import static io.sluice.cli.SluiceRunner.post;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19, item 5: each {@code sluice serve --fault} mode as a gateway meets it, driven through
 * {@code sluice relay} (an in-process {@link RelayServer} with the command's own LLM-aware retry
 * policy, {@link RelayCommand#retryPolicy}), asserting what docs/replay.md's fault table promises
 * the client. Everything listens on 127.0.0.1 ephemeral ports and is closed after each test.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServeFaultTest {

    private final Deque<AutoCloseable> opened = new ArrayDeque<>();
    private final BlockingQueue<SseRelay.Outcome> outcomes = new LinkedBlockingQueue<>();

    @AfterEach
    void closeEverythingOpened() throws Exception {
        for (AutoCloseable c; (c = opened.pollFirst()) != null; ) {
            c.close();
        }
    }

    private static InputKind kindOf(String sample) {
        return sample.endsWith(".pcap") ? InputKind.PCAP : sample.endsWith(".http") ? InputKind.HTTP : InputKind.SSE;
    }

    /** {@code sluice serve SAMPLE --fault SPEC...} (no timing, looping), with the errors in {@code provider}'s shape (null: the sample's). */
    private int serve(String sample, Provider provider, String... specs) throws IOException {
        FaultPlan plan = FaultPlan.of(Stream.of(specs).map(new Fault.Converter()::convert).toList());
        ServeCommand.Served served = ServeCommand.faulted(kindOf(sample), Files.readAllBytes(SAMPLES.resolve(sample)), sample,
                plan, provider, Timing.NONE);
        ReplayServer server = ReplayServer.start("127.0.0.1", 0, served.writes(), served.timing(Timing.NONE), true, served.reset());
        opened.push(server);
        return server.port();
    }

    private int serve(String sample, String... specs) throws IOException {
        return serve(sample, null, specs);
    }

    /** {@code sluice serve SAMPLE} without faults: the recording byte for byte. */
    private int serveWhole(String sample) throws IOException {
        ServeCommand.Served served = ServeCommand.served(kindOf(sample), Files.readAllBytes(SAMPLES.resolve(sample)), sample, null,
                new PrintWriter(new StringWriter()));
        ReplayServer server = ReplayServer.start("127.0.0.1", 0, served.writes(), Timing.NONE, true, served.reset());
        opened.push(server);
        return server.port();
    }

    /** {@code sluice relay --upstream ... --attempts N --idle-timeout T}, the first upstream first, the others as fallbacks. */
    private int relay(int attempts, Duration idleTimeout, int... upstreams) {
        List<SseRequest> requests = new ArrayList<>();
        for (int port : upstreams) {
            requests.add(GetCommand.getRequest("http://127.0.0.1:" + port));
        }
        RelayServer relay = RelayServer.start(new RelayServer.Options("127.0.0.1", 0, requests,
                RelayCommand.retryPolicy(attempts, Duration.ofSeconds(2), Duration.ofSeconds(10)), ProtocolOptions.Protocols.PLAIN,
                null, null, Duration.ZERO, idleTimeout, Duration.ZERO, false, 1 << 20, true, false), outcomes::add);
        opened.push(relay);
        return relay.port();
    }

    private int relay(int... upstreams) {
        return relay(3, Duration.ZERO, upstreams);
    }



    private static List<String> expectedEvents(String sample) throws IOException {
        return Files.readAllLines(SAMPLES.resolve(sample.substring(0, sample.lastIndexOf('.')) + ".events.ndjson"));
    }

    private static String errorEventOfType(String type) {
        return "{\"type\":\"event\",\"event\":\"error\",\"data\":\"{\\\"type\\\":\\\"error\\\",\\\"error\\\":{\\\"type\\\":\\\"" + type + "\\\"";
    }

    private SseRelay.Outcome outcome() throws InterruptedException {
        SseRelay.Outcome o = outcomes.poll(10, TimeUnit.SECONDS);
        assertNotNull(o, "the relay reported no outcome");
        return o;
    }

    // ---- status:CODE

    @Test
    void status529BeforeTheStreamWithAFallbackGivesTheClientTheFallbacksEvents() throws Exception {
        int relay = relay(serve("anthropic-text.sse", "status:529"), serveWhole("anthropic-text.sse"));

        HttpResponse<String> response = post(relay, "/v1/messages");

        assertEquals(200, response.statusCode());
        assertEquals(expectedEvents("anthropic-text.sse"), events(response.body()));
        SseRelay.Outcome o = outcome();
        assertEquals(2, o.attempts().size(), o::toString);
        assertEquals(529, o.attempts().get(0).status());
        assertEquals("upstream_status", o.attempts().get(0).end().wireName());
        assertEquals("ok", o.end().wireName());
    }

    @Test
    void status529WithNoFallbackReachesTheClientAsTheProvidersOwnAnswer() throws Exception {
        int relay = relay(serve("anthropic-text.pcap", "status:529"));

        HttpResponse<String> response = post(relay, "/v1/messages");

        assertEquals(529, response.statusCode());
        assertEquals("application/json", response.headers().firstValue("content-type").orElse(""));
        assertEquals("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}", response.body());
        assertFalse(response.headers().firstValue("retry-after").isPresent(), "none unless asked");
        SseRelay.Outcome o = outcome();
        assertEquals(1, o.attempts().size(), o::toString);
        assertEquals(SseRelay.Answer.UPSTREAM_RESPONSE, o.answer());
    }

    @Test
    void aRetryAfterTheRelayMayWaitOutIsWaitedOutAndTheSameUpstreamAskedAgain() throws Exception {
        int relay = relay(2, Duration.ZERO, serve("anthropic-text.sse", "status:429:retry-after=1"));
        long start = System.nanoTime();

        HttpResponse<String> response = post(relay, "/v1/messages");

        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(429, response.statusCode());
        assertEquals("1", response.headers().firstValue("retry-after").orElse(""));
        assertTrue(response.body().contains("\"rate_limit_error\""), response.body());
        SseRelay.Outcome o = outcome();
        assertEquals(2, o.attempts().size(), o::toString);
        assertTrue(millis >= 1000, "the relay waited the second out: " + millis + " ms");
    }

    @ParameterizedTest
    @CsvSource({
            "anthropic-text.sse,         /v1/messages,                              ANTHROPIC",
            "openai-chat-text.http,      /v1/chat/completions,                      OPENAI_CHAT",
            "openai-responses-text.pcap, /v1/responses,                             OPENAI_RESPONSES",
            "gemini-text.pcap,           /v1beta/models/g:streamGenerateContent,    GEMINI"})
    void aStatusAnswerIsShapedLikeTheRecordingsProvidersError(String sample, String path, Provider provider) throws Exception {
        int relay = relay(1, Duration.ZERO, serve(sample, "status:500"));

        HttpResponse<String> response = post(relay, path);

        assertEquals(500, response.statusCode());
        byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
        assertEquals(provider, ProviderDetector.detectHttpError(path, null, body, 0, body.length), response.body());
        assertEquals(new String(ProviderError.body(provider, 500), StandardCharsets.UTF_8), response.body());
    }

    @Test
    void faultProviderOverridesTheRecordingsShape() throws Exception {
        int relay = relay(1, Duration.ZERO, serve("anthropic-text.sse", Provider.GEMINI, "status:429"));

        HttpResponse<String> response = post(relay, "/v1/messages");

        assertEquals(429, response.statusCode());
        assertEquals("{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted (e.g. check quota).\","
                + "\"status\":\"RESOURCE_EXHAUSTED\"}}", response.body());
    }

    // ---- cut:N[:rst]

    @ParameterizedTest
    @ValueSource(strings = {"anthropic-text.sse", "anthropic-text.http", "anthropic-text.pcap", "openai-chat-tools.sse",
            "openai-chat-tools.http", "openai-chat-tools.pcap"})
    void cut3GivesTheClientThreeEventsThenTheRelaysClosedEarlyErrorInEveryRecordedForm(String sample) throws Exception {
        for (String cut : List.of("cut:3", "cut:3:rst")) {
            int relay = relay(serve(sample, cut));

            HttpResponse<String> response = post(relay, "/v1/messages");

            assertEquals(200, response.statusCode());
            List<String> relayed = events(response.body());
            assertEquals(4, relayed.size(), cut + ": " + response.body());
            assertEquals(expectedEvents(sample).subList(0, 3), relayed.subList(0, 3), cut);
            assertTrue(relayed.get(3).startsWith(errorEventOfType("upstream_closed_early")), relayed.get(3));
            assertEquals("upstream_closed_early", outcome().end().wireName(), cut);
        }
    }

    @Test
    void aCutBeforeTheFirstTokenFallsBackToTheNextUpstream() throws Exception {
        // anthropic-text's first three events are message_start, content_block_start and ping: no token yet.
        int relay = relay(serve("anthropic-text.sse", "cut:3"), serveWhole("anthropic-text.sse"));

        HttpResponse<String> response = post(relay, "/v1/messages");

        assertEquals(expectedEvents("anthropic-text.sse"), events(response.body()));
        SseRelay.Outcome o = outcome();
        assertEquals(2, o.attempts().size(), o::toString);
        assertEquals("upstream_closed_early", o.attempts().get(0).end().wireName());
    }

    /** A plain GET on a socket, read until the server ends it: what it sent, and whether the end was a reset. */
    private record Wire(byte[] bytes, boolean reset) {
    }

    private static Wire exchange(int port) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write("GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            try {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    received.write(buffer, 0, n);
                }
            } catch (SocketException e) {
                return new Wire(received.toByteArray(), true);
            }
            return new Wire(received.toByteArray(), false);
        }
    }

    @Test
    void onTheWireACutIsAChunkedBodyWithoutItsLastChunkEndedByAFinOrARstTheSameEveryTime() throws Exception {
        int fin = serve("openai-chat-tools.pcap", "cut:3");
        int rst = serve("openai-chat-tools.pcap", "cut:3:rst");

        Wire first = exchange(fin);
        Wire again = exchange(fin);
        Wire reset = exchange(rst);

        String head = new String(first.bytes(), StandardCharsets.ISO_8859_1);
        assertTrue(head.startsWith("HTTP/1.1 200 OK\r\n") && head.contains("\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"),
                head);
        assertFalse(head.toLowerCase(Locale.ROOT).contains("content-encoding"), "the body is served decoded: " + head);
        assertFalse(first.reset(), "cut:3 ends with a FIN");
        assertFalse(head.endsWith("0\r\n\r\n"), "no last chunk: the client can tell the cut");
        assertArrayEquals(first.bytes(), again.bytes(), "every connection gets the same bytes");
        assertTrue(reset.reset(), "cut:3:rst ends with a RST");
        assertArrayEquals(first.bytes(), reset.bytes());
    }

    // ---- error:N

    @ParameterizedTest
    @CsvSource({
            "anthropic-text.pcap,         4, ANTHROPIC,        overloaded_error",
            "openai-chat-text.pcap,       2, OPENAI_CHAT,      server_error",
            "openai-responses-text.http,  5, OPENAI_RESPONSES, server_error",
            "gemini-text.sse,             1, GEMINI,           UNAVAILABLE"})
    void anErrorAfterContentReachesTheClientAsTheProvidersOwnErrorEvent(String sample, int n, Provider provider, String type)
            throws Exception {
        int relay = relay(serve(sample, "error:" + n), serveWhole(sample));

        HttpResponse<String> response = post(relay, "/v1/messages");

        assertEquals(200, response.statusCode());
        List<String> relayed = events(response.body());
        assertEquals(n + 1, relayed.size(), response.body());
        assertEquals(expectedEvents(sample).subList(0, n), relayed.subList(0, n));
        List<String> injected = events(new String(ProviderError.event(provider, n), StandardCharsets.UTF_8));
        assertEquals(injected, relayed.subList(n, n + 1), "the provider's error event, relayed as it was sent");
        SseRelay.Outcome o = outcome();
        assertEquals(1, o.attempts().size(), "past the first token the relay stays with its upstream: " + o);
        assertEquals("ok", o.end().wireName(), "the upstream ended its body cleanly after the error");
        LlmMessage message = ((MessageCollector) o.tap()).message();
        assertNotNull(message.error(), message::toJson);
        assertEquals(type, message.error().type());
        assertFalse(message.complete());
    }

    @Test
    void anErrorBeforeTheFirstTokenFallsBackToTheNextUpstream() throws Exception {
        int relay = relay(serve("anthropic-text.sse", "error:2"), serveWhole("anthropic-text.sse"));

        HttpResponse<String> response = post(relay, "/v1/messages");

        assertEquals(expectedEvents("anthropic-text.sse"), events(response.body()));
        SseRelay.Outcome o = outcome();
        assertEquals(2, o.attempts().size(), o::toString);
        assertEquals("upstream_error_event", o.attempts().get(0).end().wireName());
    }

    // ---- stall:N:SECONDS

    @Test
    void aStallLongerThanTheRelaysIdleTimeoutEndsInAnUpstreamTimeoutErrorEvent() throws Exception {
        int relay = relay(3, Duration.ofMillis(700), serve("anthropic-text.sse", "stall:2:1"));

        HttpResponse<String> response = post(relay, "/v1/messages");

        List<String> relayed = events(response.body());
        assertEquals(3, relayed.size(), response.body());
        assertEquals(expectedEvents("anthropic-text.sse").subList(0, 2), relayed.subList(0, 2));
        assertTrue(relayed.get(2).startsWith(errorEventOfType("upstream_timeout")), relayed.get(2));
        assertEquals("upstream_timeout", outcome().end().wireName());
    }

    @Test
    void aStallShorterThanTheRelaysIdleTimeoutOnlyDelaysTheStream() throws Exception {
        int relay = relay(3, Duration.ofSeconds(3), serve("anthropic-text.sse", "stall:2:1"));
        long start = System.nanoTime();

        HttpResponse<String> response = post(relay, "/v1/messages");

        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(expectedEvents("anthropic-text.sse"), events(response.body()));
        assertEquals("ok", outcome().end().wireName());
        assertTrue(millis >= 1000, "the stall was kept: " + millis + " ms");
    }

    // ---- drip:B

    @Test
    void aDripDeliversTheWholeStreamNoFasterThanItsRate() throws Exception {
        long size = Files.size(SAMPLES.resolve("gemini-text.sse"));
        int relay = relay(serve("gemini-text.sse", "drip:2000"));
        long start = System.nanoTime();

        HttpResponse<String> response = post(relay, "/v1beta/models/g:streamGenerateContent");

        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(expectedEvents("gemini-text.sse"), events(response.body()));
        assertEquals("ok", outcome().end().wireName());
        assertTrue(millis >= size * 1000 / 2000, size + " bytes at 2000 bytes/s took " + millis + " ms");
    }

    @Test
    void faultsCombineOnOneStream() throws Exception {
        int relay = relay(3, Duration.ofSeconds(5), serve("anthropic-text.http", "stall:4:0.3", "drip:20000", "cut:6:rst"));
        long start = System.nanoTime();

        HttpResponse<String> response = post(relay, "/v1/messages");

        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        List<String> relayed = events(response.body());
        assertEquals(expectedEvents("anthropic-text.http").subList(0, 6), relayed.subList(0, 6));
        assertTrue(relayed.get(6).startsWith(errorEventOfType("upstream_closed_early")), relayed.get(6));
        assertTrue(millis >= 300, "the stall was kept: " + millis + " ms");
    }
}

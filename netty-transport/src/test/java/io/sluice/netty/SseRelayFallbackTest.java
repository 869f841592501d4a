package io.sluice.netty;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.core.SseEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import static io.sluice.netty.LoopbackServer.SSE_HEADERS_CHUNKED;
import static io.sluice.netty.LoopbackServer.chunk;
import static io.sluice.netty.LoopbackServer.write;
import static io.sluice.netty.LoopbackServer.writeAndClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 15 item 5: retry and fallback before the first token, and never after it. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SseRelayFallbackTest {
    @RegisterExtension
    static final RelayFixture RELAYS = new RelayFixture();
    private static final EventLoopGroup group = RELAYS.group;
    private static final SseClient upstreamClient = RELAYS.upstreamClient;
    private static final SseClient downstreamClient = RELAYS.downstreamClient;

    /** A stand-in for Anthropic's stream: what counts as content, as sluice-llm's predicate would say. */
    private static final SseRelayRetry ANTHROPIC_LIKE = SseRelayRetry.builder()
            .content(event -> event.type().startsWith("content_block") || event.type().startsWith("message_delta")
                    || event.type().equals("message_stop"))
            .build();
    private static final String OVERLOADED = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}";
    private static final String B_STREAM = "event: message_start\ndata: {\"from\":\"b\"}\n\n"
            + "event: content_block_delta\ndata: {\"text\":\"hello\"}\n\n"
            + "event: message_stop\ndata: {}\n\n";
    private static final List<String> B_EVENTS = List.of("message_start|{\"from\":\"b\"}|",
            "content_block_delta|{\"text\":\"hello\"}|", "message_stop|{}|");

    private final BlockingQueue<SseRelay.Outcome> outcomes = RELAYS.outcomes;

    /** A relay on loopback to {@code a}, falling back to {@code b}, with the builder's other options as {@code options} sets them. */
    private URI relay(URI a, URI b, UnaryOperator<SseRelay.Builder> options) {
        SseRelay.Builder builder = SseRelay.builder(upstreamClient, request -> SseRequest.get(a))
                .heartbeat(Duration.ZERO).retry(ANTHROPIC_LIKE).onDone(outcomes::add);
        if (b != null) {
            builder.fallback(request -> SseRequest.get(b));
        }
        SseRelay handler = options.apply(builder).build();
        return RELAYS.serve(handler, "/v1/messages");
    }

    private static LoopbackServer serveB(AtomicInteger calls) {
        return LoopbackServer.start(group, (ch, request) -> {
            calls.incrementAndGet();
            writeAndClose(ch, "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nrequest-id: from-b\r\n"
                    + "transfer-encoding: chunked\r\n\r\n" + chunk(B_STREAM) + "0\r\n\r\n");
        });
    }

    /** Records the head the client got too, so a test can tell whose it was. */
    private static final class HeadRecorder extends Recorder {
        final CompletableFuture<HttpHeaders> head = new CompletableFuture<>();

        @Override
        public void onOpen(HttpResponseStatus status, HttpHeaders headers) {
            head.complete(headers);
        }
    }

    private void assertOnlyBReachedTheClient(HeadRecorder client) throws Exception {
        assertNull(client.awaitEnd());
        assertEquals(B_EVENTS, client.events, "exactly B's events, none of A's");
        assertEquals("from-b", client.head.get(10, TimeUnit.SECONDS).get("request-id"), "B's head, not A's");
    }

    @Test
    void aRefusalWith529FallsBackToTheNextUpstreamAndTheClientGetsOnlyItsStream() throws Exception {
        AtomicInteger bCalls = new AtomicInteger();
        try (LoopbackServer a = LoopbackServer.start(group, (ch, request) -> writeAndClose(ch,
                "HTTP/1.1 529 Overloaded\r\ncontent-type: application/json\r\nrequest-id: from-a\r\ncontent-length: "
                        + OVERLOADED.length() + "\r\n\r\n" + OVERLOADED));
             LoopbackServer b = serveB(bCalls)) {
            HeadRecorder client = new HeadRecorder();
            downstreamClient.open(SseRequest.get(relay(a.uri("/a"), b.uri("/b"), r -> r)), client);

            assertOnlyBReachedTheClient(client);
            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertEquals(2, outcome.attempts().size(), outcome::toString);
            assertEquals(529, outcome.attempts().get(0).status());
            assertEquals("upstream_status", outcome.attempts().get(0).end().wireName());
            assertEquals(a.uri("/a"), outcome.attempts().get(0).upstream());
            assertEquals(200, outcome.attempts().get(1).status());
            assertEquals("ok", outcome.attempts().get(1).end().wireName());
            assertEquals(b.uri("/b"), outcome.attempts().get(1).upstream());
            assertEquals(200, outcome.upstreamStatus());
            assertEquals(SseRelay.Answer.EVENT_STREAM, outcome.answer());
            assertEquals(1, bCalls.get());
        }
    }

    @Test
    void anUnreachableUpstreamFallsBackToTheNext() throws Exception {
        URI closedPort;
        try (LoopbackServer gone = LoopbackServer.start(group, (ch, request) -> { })) {
            closedPort = gone.uri("/a");
        }
        try (LoopbackServer b = serveB(new AtomicInteger())) {
            HeadRecorder client = new HeadRecorder();
            downstreamClient.open(SseRequest.get(relay(closedPort, b.uri("/b"), r -> r)), client);

            assertOnlyBReachedTheClient(client);
            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertEquals(List.of("upstream_unreachable", "ok"), outcome.attempts().stream().map(attempt -> attempt.end().wireName()).toList());
            assertEquals(0, outcome.attempts().get(0).status());
        }
    }

    @Test
    void anOverloadedErrorAfterMessageStartFallsBackAndNoByteOfTheFirstStreamReachesTheClient() throws Exception {
        CompletableFuture<Channel> aConnection = new CompletableFuture<>();
        try (LoopbackServer a = LoopbackServer.start(group, (ch, request) -> {
            aConnection.complete(ch);
            // Head, message_start and a ping now; the error later, in a read of its own.
            write(ch, "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nrequest-id: from-a\r\ntransfer-encoding: chunked\r\n\r\n"
                    + chunk("event: message_start\ndata: {\"from\":\"a\"}\n\nretry: 1000\n\nevent: ping\ndata: {}\n\n"));
            ch.eventLoop().schedule(() -> write(ch, chunk("event: error\ndata: " + OVERLOADED + "\n\n")), 100, TimeUnit.MILLISECONDS);
        });
             LoopbackServer b = serveB(new AtomicInteger())) {
            HeadRecorder client = new HeadRecorder();
            downstreamClient.open(SseRequest.get(relay(a.uri("/a"), b.uri("/b"), r -> r)), client);

            assertOnlyBReachedTheClient(client);
            assertEquals(List.of(), client.retries, "A's retry field was held and dropped with its stream");
            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertEquals(List.of("upstream_error_event", "ok"), outcome.attempts().stream().map(attempt -> attempt.end().wireName()).toList());
            assertEquals(3, outcome.events());
            aConnection.get().closeFuture().await(10, TimeUnit.SECONDS);
            assertTrue(!aConnection.get().isActive(), "A's stream is cancelled: the provider stops generating");
        }
    }

    @Test
    void aCutAfterThreeContentEventsDoesNotFallBackAndTheNextUpstreamIsNeverCalled() throws Exception {
        AtomicInteger bCalls = new AtomicInteger();
        try (LoopbackServer a = LoopbackServer.start(group, (ch, request) -> writeAndClose(ch, SSE_HEADERS_CHUNKED
                + chunk("event: message_start\ndata: {}\n\n" + "event: content_block_delta\ndata: 1\n\n".repeat(3)
                        + "event: content_block_delta\ndata: cut her")));
             LoopbackServer b = serveB(bCalls)) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.get(relay(a.uri("/a"), b.uri("/b"), r -> r)), client);

            assertNull(client.awaitEnd());
            assertEquals(5, client.events.size(), client.events::toString);
            assertEquals("message_start|{}|", client.events.get(0));
            assertEquals("content_block_delta|1|", client.events.get(3));
            assertTrue(client.events.get(4).startsWith("error|{\"type\":\"error\",\"error\":{\"type\":\"upstream_closed_early\""),
                    client.events.get(4));
            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertEquals("upstream_closed_early", outcome.end().wireName());
            assertEquals(1, outcome.attempts().size());
            assertEquals(0, bCalls.get(), "once a byte went downstream, never another upstream");
        }
    }

    @Test
    void aShortRetryAfterTriesTheSameUpstreamAgainAfterIt() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        long[] seconds = new long[2];
        try (LoopbackServer a = LoopbackServer.start(group, (ch, request) -> {
            seconds[calls.get()] = System.nanoTime();
            if (calls.getAndIncrement() == 0) {
                writeAndClose(ch, "HTTP/1.1 429 Too Many Requests\r\nretry-after-ms: 300\r\ncontent-length: 0\r\n\r\n");
            } else {
                writeAndClose(ch, SSE_HEADERS_CHUNKED + chunk(B_STREAM) + "0\r\n\r\n");
            }
        })) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.get(relay(a.uri("/a"), null, r -> r)), client);

            assertNull(client.awaitEnd());
            assertEquals(B_EVENTS, client.events);
            assertTrue(seconds[1] - seconds[0] >= TimeUnit.MILLISECONDS.toNanos(290), "waited out the retry-after");
            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertEquals(List.of(429, 200), outcome.attempts().stream().map(SseRelay.Attempt::status).toList());
        }
    }

    @Test
    void aRefusalWithALongRetryAfterAndNoFallbackReachesTheClientAsItCame() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (LoopbackServer a = LoopbackServer.start(group, (ch, request) -> {
            calls.incrementAndGet();
            writeAndClose(ch, "HTTP/1.1 429 Too Many Requests\r\nretry-after: 30\r\ncontent-length: 4\r\n\r\nslow");
        })) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.get(relay(a.uri("/a"), null, r -> r)), client);

            SseStatusException refused = assertInstanceOf(SseStatusException.class, client.awaitEnd());
            assertEquals(429, refused.status().code());
            assertEquals("30", refused.headers().get("retry-after"), "the client's SDK waits as the provider asked");
            assertEquals(1, calls.get());
            assertEquals(1, outcomes.poll(10, TimeUnit.SECONDS).attempts().size());
        }
    }

    @Test
    void whenEveryUpstreamFailsTheClientGetsTheLastRealStatusAndBody() throws Exception {
        URI closedPort;
        try (LoopbackServer gone = LoopbackServer.start(group, (ch, request) -> { })) {
            closedPort = gone.uri("/b");
        }
        try (LoopbackServer a = LoopbackServer.start(group, (ch, request) -> writeAndClose(ch,
                "HTTP/1.1 529 Overloaded\r\ncontent-type: application/json\r\nrequest-id: from-a\r\ncontent-length: "
                        + OVERLOADED.length() + "\r\n\r\n" + OVERLOADED))) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.get(relay(a.uri("/a"), closedPort, r -> r)), client);

            SseStatusException refused = assertInstanceOf(SseStatusException.class, client.awaitEnd());
            assertEquals(529, refused.status().code(), "A's refusal, not the relay's 502 for B");
            assertEquals(OVERLOADED, refused.bodyAsString());
            assertEquals("from-a", refused.headers().get("request-id"));
            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertEquals(List.of("upstream_status", "upstream_unreachable"),
                    outcome.attempts().stream().map(attempt -> attempt.end().wireName()).toList());
            assertEquals(529, outcome.upstreamStatus());
            assertEquals(SseRelay.Answer.UPSTREAM_RESPONSE, outcome.answer());
            assertEquals(OVERLOADED.length(), outcome.bytes());
        }
    }

    @Test
    void aSlowStartIsHeldNoLongerThanTheWindowThenTheStreamStaysWithItsUpstream() throws Exception {
        AtomicInteger bCalls = new AtomicInteger();
        CompletableFuture<Void> preambleArrived = new CompletableFuture<>();
        try (LoopbackServer a = LoopbackServer.start(group, (ch, request) -> {
            write(ch, SSE_HEADERS_CHUNKED + chunk("event: message_start\ndata: {}\n\n"));
            // Content only once the client has had the preamble: the hold must end by itself.
            preambleArrived.whenComplete((v, e) -> ch.eventLoop().execute(() -> writeAndClose(ch,
                    chunk("event: error\ndata: " + OVERLOADED + "\n\n") + "0\r\n\r\n")));
        });
             LoopbackServer b = serveB(bCalls)) {
            Recorder client = new Recorder() {
                @Override
                public void onEvent(SseEvent event) {
                    super.onEvent(event);
                    preambleArrived.complete(null);
                }
            };
            downstreamClient.open(SseRequest.get(relay(a.uri("/a"), b.uri("/b"),
                    r -> r.retry(SseRelayRetry.builder().window(Duration.ofMillis(300)).content(e -> false).build()))), client);

            assertNull(client.awaitEnd());
            assertEquals(List.of("message_start|{}|", "error|" + OVERLOADED + "|"), client.events,
                    "past the window the error is the stream's own, relayed, not a reason to fall back");
            assertEquals(0, bCalls.get());
        }
    }

    @Test
    void aHoldPastItsEventBoundGoesOutAndFallbackEnds() throws Exception {
        AtomicInteger bCalls = new AtomicInteger();
        try (LoopbackServer a = LoopbackServer.start(group, (ch, request) -> writeAndClose(ch, SSE_HEADERS_CHUNKED
                + chunk("event: ping\ndata: {}\n\n".repeat(5) + "event: error\ndata: late\n\n") + "0\r\n\r\n"));
             LoopbackServer b = serveB(bCalls)) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.get(relay(a.uri("/a"), b.uri("/b"),
                    r -> r.retry(SseRelayRetry.builder().hold(3, 1 << 16).content(e -> false).build()))), client);

            assertNull(client.awaitEnd());
            assertEquals(6, client.events.size(), client.events::toString);
            assertEquals(0, bCalls.get());
        }
    }

    @Test
    void aSingleUpstreamIsNeverHeldSoItsHeadGoesOutBeforeAnyEvent() throws Exception {
        CompletableFuture<Void> opened = new CompletableFuture<>();
        try (LoopbackServer a = LoopbackServer.start(group, (ch, request) -> {
            write(ch, SSE_HEADERS_CHUNKED);
            opened.whenComplete((v, e) -> ch.eventLoop().execute(() -> writeAndClose(ch, chunk(B_STREAM) + "0\r\n\r\n")));
        })) {
            // The upstream sends its events only once the client has the head: a held head would deadlock.
            Recorder client = new Recorder() {
                @Override
                public void onOpen(HttpResponseStatus status, HttpHeaders headers) {
                    opened.complete(null);
                }
            };
            downstreamClient.open(SseRequest.get(relay(a.uri("/a"), null, r -> r)), client);

            assertNull(client.awaitEnd());
            assertEquals(B_EVENTS, client.events);
        }
    }

    @Test
    void aClientThatLeavesDuringTheWaitEndsTheStreamWithNoFurtherAttempt() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CompletableFuture<Void> refusedOnce = new CompletableFuture<>();
        try (LoopbackServer a = LoopbackServer.start(group, (ch, request) -> {
            calls.incrementAndGet();
            writeAndClose(ch, "HTTP/1.1 503 Unavailable\r\nretry-after: 1\r\ncontent-length: 0\r\n\r\n");
            refusedOnce.complete(null);
        })) {
            SseStream stream = downstreamClient.open(SseRequest.get(relay(a.uri("/a"), null, r -> r)), new Recorder());
            refusedOnce.get(10, TimeUnit.SECONDS);
            Thread.sleep(100); // the relay is waiting out the retry-after
            stream.cancel();

            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertEquals("client_gone", outcome.end().wireName());
            assertEquals(SseRelay.Answer.NONE, outcome.answer());
            Thread.sleep(1200);
            assertEquals(1, calls.get(), "no attempt after the client left");
        }
    }
}

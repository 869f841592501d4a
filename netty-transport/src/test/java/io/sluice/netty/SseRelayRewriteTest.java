package io.sluice.netty;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.FullHttpRequest;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.SseHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static io.sluice.netty.LoopbackServer.SSE_HEADERS_CHUNKED;
import static io.sluice.netty.LoopbackServer.chunk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link SseRelay.Builder#rewrite}: a new body upstream, events hidden from the client but not from the tap. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SseRelayRewriteTest {
    @RegisterExtension
    static final RelayFixture RELAYS = new RelayFixture();
    private static final EventLoopGroup group = RELAYS.group;
    private static final SseClient upstreamClient = RELAYS.upstreamClient;
    private static final SseClient downstreamClient = RELAYS.downstreamClient;

    private final BlockingQueue<SseRelay.Outcome> outcomes = RELAYS.outcomes;
    private final List<String> tapped = new CopyOnWriteArrayList<>();

    private static final String STREAM = SSE_HEADERS_CHUNKED
            + chunk("data: a\n\ndata: usage\n\nevent: usage\ndata: usage\n\ndata: b\n\n") + "0\r\n\r\n";

    /** A relay to {@code upstream} (the request's method and body), rewriting by {@code rewrite}, its tap recording into {@link #tapped}. */
    private URI relayTo(URI upstream, Function<FullHttpRequest, SseRelayRewrite> rewrite) {
        SseRelay handler = SseRelay.builder(upstreamClient, request -> {
                    byte[] body = new byte[request.content().readableBytes()];
                    request.content().getBytes(request.content().readerIndex(), body);
                    return SseRequest.get(upstream).withMethod(request.method().name()).withBody(body);
                })
                .heartbeat(Duration.ZERO)
                .rewrite(rewrite)
                .tap(request -> new SseHandler() {
                    @Override
                    public void onEvent(SseEvent event) {
                        tapped.add(event.type() + "|" + event.dataAsString());
                    }

                    @Override
                    public void onError(SseException error) {
                        tapped.add("error");
                    }

                    @Override
                    public void onEnd(long incompleteTailBytes) {
                        tapped.add("end");
                    }
                })
                .onDone(outcomes::add)
                .build();
        return RELAYS.serve(handler, "/v1/chat/completions");
    }

    private static boolean isUnnamedUsage(SseEvent event) {
        return event.type().equals("message") && event.dataAsString().equals("usage");
    }

    @Test
    void aRewrittenBodyGoesUpstreamWithItsOwnLengthAndHiddenEventsReachOnlyTheTap() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch, STREAM))) {
            Recorder client = new Recorder();
            URI relayed = relayTo(upstream.uri("/up"), request -> {
                String body = request.content().toString(StandardCharsets.UTF_8);
                return SseRelayRewrite.body((body + "+more").getBytes(StandardCharsets.UTF_8)).hiding(SseRelayRewriteTest::isUnnamedUsage);
            });
            downstreamClient.open(SseRequest.postJson(relayed, "{\"stream\":true}"), client);

            assertNull(client.awaitEnd());
            assertEquals(List.of("message|a|", "usage|usage|", "message|b|"), client.events);
            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertEquals(List.of("message|a", "message|usage", "usage|usage", "message|b", "end"), tapped);
            String seen = upstream.requests.peek();
            assertTrue(seen.endsWith("\n{\"stream\":true}+more"), seen);
            assertTrue(seen.contains("content-length: 20"), seen);
            assertEquals(3, outcome.events(), "a hidden event is not written, so not counted");
            assertEquals("ok", outcome.end().wireName());
        }
    }

    @Test
    void aRewriteThatKeepsTheBodyStillHidesEvents() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch, STREAM))) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.postJson(relayTo(upstream.uri("/up"),
                    request -> SseRelayRewrite.sameBody().hiding(SseRelayRewriteTest::isUnnamedUsage)), "{\"a\":1}"), client);

            assertNull(client.awaitEnd());
            assertEquals(List.of("message|a|", "usage|usage|", "message|b|"), client.events);
            String seen = upstream.requests.peek();
            assertTrue(seen.endsWith("\n{\"a\":1}") && seen.contains("content-length: 7"), seen);
        }
    }

    @Test
    void noRewriteRelaysTheRequestAndEveryEventAsTheyCame() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch, STREAM))) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.postJson(relayTo(upstream.uri("/up"), request -> null), "{\"stream\":true}"), client);

            assertNull(client.awaitEnd());
            assertEquals(List.of("message|a|", "message|usage|", "usage|usage|", "message|b|"), client.events);
            assertTrue(upstream.requests.peek().endsWith("\n{\"stream\":true}"));
            assertEquals(4, outcomes.poll(10, TimeUnit.SECONDS).events());
        }
    }

    @Test
    void aHidingPredicateThatThrowsHidesNothing() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch, STREAM))) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.postJson(relayTo(upstream.uri("/up"), request -> SseRelayRewrite.sameBody().hiding(event -> {
                throw new IllegalStateException("broken predicate");
            })), "{}"), client);

            assertNull(client.awaitEnd());
            assertEquals(4, client.events.size());
            assertEquals("ok", outcomes.poll(10, TimeUnit.SECONDS).end().wireName());
        }
    }

    @Test
    void aRewriteThatThrowsIsABadGatewaySayingRelayFailedAndOpensNoUpstream() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch, STREAM))) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.postJson(relayTo(upstream.uri("/up"), request -> {
                throw new IllegalStateException("cannot rewrite");
            }), "{}"), client);

            SseStatusException refused = assertInstanceOf(SseStatusException.class, client.awaitEnd());
            assertEquals(502, refused.status().code());
            assertTrue(refused.bodyAsString().contains("\"type\":\"relay_failed\""), refused.bodyAsString());
            assertEquals("relay_failed", outcomes.poll(10, TimeUnit.SECONDS).end().wireName());
            assertTrue(upstream.requests.isEmpty());
        }
    }
}

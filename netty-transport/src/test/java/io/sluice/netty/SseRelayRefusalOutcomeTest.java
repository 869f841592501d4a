package io.sluice.netty;

import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.sluice.netty.LoopbackServer.SSE_HEADERS_CHUNKED;
import static io.sluice.netty.LoopbackServer.chunk;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@link SseRelay.Outcome#refusalHeaders()} and {@link SseRelay.Outcome#refusalBody()}: a refusal
 * passed on to the client leaves its head and body start in the outcome, so an access log can tell
 * who refused (issue 19); no other answer does.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SseRelayRefusalOutcomeTest {
    @RegisterExtension
    static final RelayFixture RELAYS = new RelayFixture();
    private static final EventLoopGroup group = RELAYS.group;
    private static final SseClient upstreamClient = RELAYS.upstreamClient;
    private static final SseClient downstreamClient = RELAYS.downstreamClient;
    private static final String OVERLOADED = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}";

    private final BlockingQueue<SseRelay.Outcome> outcomes = RELAYS.outcomes;

    private URI relayTo(URI upstream, URI... fallbacks) {
        SseRelay.Builder builder = SseRelay.builder(upstreamClient, request -> SseRequest.get(upstream))
                .heartbeat(Duration.ZERO)
                .onDone(outcomes::add);
        for (URI fallback : fallbacks) {
            builder.fallback(request -> SseRequest.get(fallback));
        }
        SseRelay handler = builder.build();
        return RELAYS.serve(handler, "/v1/messages");
    }

    private static String refusal(int status, String body) {
        return "HTTP/1.1 " + status + " Refused\r\ncontent-type: application/json\r\nrequest-id: req_1\r\n"
                + "content-length: " + body.length() + "\r\n\r\n" + body;
    }

    private SseRelay.Outcome relayed(URI relayed) throws Exception {
        Recorder client = new Recorder();
        downstreamClient.open(SseRequest.get(relayed), client);
        client.awaitEnd();
        return outcomes.poll(10, TimeUnit.SECONDS);
    }

    @Test
    void aRefusalPassedOnLeavesItsHeadAndBodyInTheOutcome() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                refusal(529, OVERLOADED)))) {
            SseRelay.Outcome outcome = relayed(relayTo(upstream.uri("/")));

            assertEquals(SseRelay.Answer.UPSTREAM_RESPONSE, outcome.answer());
            assertEquals(529, outcome.upstreamStatus());
            assertEquals("req_1", outcome.refusalHeaders().get("request-id"));
            assertArrayEquals(OVERLOADED.getBytes(StandardCharsets.UTF_8), outcome.refusalBody());
        }
    }

    @Test
    void aLongRefusalBodyIsKeptOnlyToItsFirst8KiB() throws Exception {
        String body = "x".repeat(20_000);
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                refusal(400, body)))) {
            SseRelay.Outcome outcome = relayed(relayTo(upstream.uri("/")));

            assertEquals(20_000, outcome.bytes(), "the client got it whole");
            assertArrayEquals(body.substring(0, 8192).getBytes(StandardCharsets.UTF_8), outcome.refusalBody());
        }
    }

    @Test
    void aRefusalKeptForAFallbackThatFailedLeavesItsHeadAndBodyToo() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                refusal(529, OVERLOADED)));
             LoopbackServer gone = LoopbackServer.start(group, (ch, request) -> ch.close())) {
            SseRelay.Outcome outcome = relayed(relayTo(upstream.uri("/"), gone.uri("/")));

            assertEquals(2, outcome.attempts().size());
            assertEquals(529, outcome.upstreamStatus());
            assertEquals("req_1", outcome.refusalHeaders().get("request-id"));
            assertArrayEquals(OVERLOADED.getBytes(StandardCharsets.UTF_8), outcome.refusalBody());
        }
    }

    @Test
    void anAnswerThatIsNoRefusalLeavesNone() throws Exception {
        try (LoopbackServer json = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"));
             LoopbackServer stream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                     SSE_HEADERS_CHUNKED + chunk("data: a\n\n") + "0\r\n\r\n"))) {
            for (URI upstream : new URI[] {json.uri("/"), stream.uri("/")}) {
                SseRelay.Outcome outcome = relayed(relayTo(upstream)); // the next relayTo closes this relay

                assertNull(outcome.refusalHeaders());
                assertNull(outcome.refusalBody());
            }
        }
    }
}

package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import io.sluice.core.testing.ReadmeSection;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's reliability examples (section "Reliability: bounds and timeouts"), compiled and run
 * in an EmbeddedChannel; between {@code // readme:NAME} and {@code // end}, shown verbatim.
 */
class ReliabilityReadmeExampleTest {

    @Test
    void theReadmeShowsTheseExamplesVerbatim() throws IOException {
        ReadmeSection.assertShowsVerbatim(ReliabilityReadmeExampleTest.class, "reliability examples", 2);
    }

    private static String answer(EmbeddedChannel ch, String request) {
        ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
        StringBuilder out = new StringBuilder();
        for (Object msg; (msg = ch.readOutbound()) != null; ) {
            if (msg instanceof ByteBuf b) {
                out.append(b.toString(StandardCharsets.US_ASCII));
            }
            ReferenceCountUtil.release(msg);
        }
        return out.toString();
    }

    @Test
    void aGuardedResponderStreamsAWellFormedRequestAndRefusesAnotherVersion() {
        EmbeddedChannel ch = new EmbeddedChannel();
        // readme:guard
        SseRequestGuard guard = SseRequestGuard.builder()
                .requestTimeout(Duration.ofSeconds(30))   // SseRequestGuard.DEFAULT_REQUEST_TIMEOUT_SECONDS
                .idleTimeout(Duration.ofSeconds(30))      // SseRequestGuard.DEFAULT_IDLE_TIMEOUT_SECONDS
                .maxConnections(10_000)                   // SseRequestGuard.DEFAULT_MAX_CONNECTIONS: 0, none
                .build();                                 // or SseRequestGuard.withDefaults()
        ch.pipeline().addLast(new HttpServerCodec(), guard,
                new SseResponder(Duration.ofSeconds(15), emitter -> emitter.event("hello", "world", null)));
        // end
        String streamed = answer(ch, "GET / HTTP/1.1\r\nhost: x\r\n\r\n");
        assertTrue(streamed.startsWith("HTTP/1.1 200 OK"), streamed);
        assertTrue(streamed.contains("event: hello\ndata: world\n\n"), streamed);
        ch.finishAndReleaseAll();

        EmbeddedChannel other = new EmbeddedChannel(new HttpServerCodec(), guard,
                new SseResponder(Duration.ZERO, emitter -> emitter.event("hello", "world", null)));
        String refused = answer(other, "GET / HTTP/9.9\r\nhost: x\r\n\r\n");
        assertTrue(refused.contains("505"), refused);
        other.finishAndReleaseAll();
    }

    @Test
    void anAuthenticatedRelayRefusesARequestWithoutAToken() {
        List<String> refused = new ArrayList<>();
        try (SseClient client = SseClient.builder().threads(1).build()) {
            SseRelay relay = SseRelay.builder(client, request -> SseRequest.get(URI.create("http://127.0.0.1:9/"))).build();
            SseRequestGuard guard = SseRequestGuard.withDefaults();
            EmbeddedChannel ch = new EmbeddedChannel();
            // readme:auth
            SseRequestAuthenticator auth = SseRequestAuthenticator.builder()
                    .bearerTokens(List.of("token-one", "token-two")) // and/or .requireHeader("x-relay-key", key)
                    .onRefused((peer, request) -> refused.add(request.method() + " " + request.uri()))
                    .build();
            ch.pipeline().addLast(new HttpServerCodec(), guard, auth, new HttpObjectAggregator(1 << 20, true), relay);
            // end
            String answer = answer(ch, "POST /v1/messages HTTP/1.1\r\nhost: x\r\nauthorization: Bearer token-three\r\n"
                    + "content-length: 2\r\n\r\n{}");
            assertTrue(answer.startsWith("HTTP/1.1 401 Unauthorized"), answer);
            assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("www-authenticate: bearer"), answer);
            assertEquals(List.of("POST /v1/messages"), refused);
            ch.finishAndReleaseAll();
        }
    }
}

package io.sluice.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
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
    private static final EventLoopGroup group = TestLoops.nio(2);
    @RegisterExtension
    static final AfterAllCallback SHUT_DOWN = TestLoops.shutDownAfterAll(group);
    private static SseClient upstreamClient;
    private static SseClient downstreamClient;
    private static final String OVERLOADED = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}";

    private final BlockingQueue<SseRelay.Outcome> outcomes = new LinkedBlockingQueue<>();
    private Channel relay;

    @BeforeAll
    static void start() {
        upstreamClient = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).build();
        downstreamClient = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).build();
    }

    @AfterEach
    void closeRelay() {
        if (relay != null) {
            relay.close().syncUninterruptibly();
        }
    }

    private URI relayTo(URI upstream, URI... fallbacks) {
        SseRelay.Builder builder = SseRelay.builder(upstreamClient, request -> SseRequest.get(upstream))
                .heartbeat(Duration.ZERO)
                .onDone(outcomes::add);
        for (URI fallback : fallbacks) {
            builder.fallback(request -> SseRequest.get(fallback));
        }
        SseRelay handler = builder.build();
        relay = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16), handler);
                    }
                })
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        return URI.create("http://127.0.0.1:" + ((InetSocketAddress) relay.localAddress()).getPort() + "/v1/messages");
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
                SseRelay.Outcome outcome = relayed(relayTo(upstream));
                relay.close().syncUninterruptibly();

                assertNull(outcome.refusalHeaders());
                assertNull(outcome.refusalBody());
            }
        }
    }
}

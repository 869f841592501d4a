package io.sluice.micrometer;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.sluice.llm.MessageCollector;
import io.sluice.llm.StreamStart;
import io.sluice.netty.SseClient;
import io.sluice.netty.SseRelay;
import io.sluice.netty.SseRelayRetry;
import io.sluice.netty.SseRequest;
import io.sluice.netty.SseStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A relayed LLM stream on loopback, its first upstream unreachable: the relay's stream meters,
 * its attempts and fallbacks, the GenAI meters from its tap's message, and a bound client's
 * connection counters. The upstream is the JDK's HTTP server playing a recorded sample.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SluiceMetricsRelayTest {
    private static final Path SAMPLE = Path.of("../samples/anthropic-cache.sse");
    private static EventLoopGroup group;
    private static HttpServer upstream;

    @BeforeAll
    @SuppressWarnings("deprecation") // NioEventLoopGroup: the one spelling both Netty lines know
    static void start() throws IOException {
        group = new NioEventLoopGroup(2);
        byte[] body = Files.readAllBytes(SAMPLE);
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("content-type", "text/event-stream");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        upstream.start();
    }

    @AfterAll
    static void stop() {
        upstream.stop(0);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static URI closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort() + "/v1/messages");
        }
    }

    @Test
    void aRelayedLlmStreamCountsItsAttemptsItsFallbackAndItsTapsTokens() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        SluiceMetrics metrics = SluiceMetrics.builder(registry).build();
        URI unreachable = closedPort();
        URI served = URI.create("http://127.0.0.1:" + upstream.getAddress().getPort() + "/v1/messages");
        BlockingQueue<SseRelay.Outcome> outcomes = new LinkedBlockingQueue<>();
        try (SseClient upstreamClient = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).build();
             SseClient downstream = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).build()) {
            metrics.bindConnections(upstreamClient);
            SseRelay relay = SseRelay.builder(upstreamClient, request -> SseRequest.get(unreachable))
                    .fallback(request -> SseRequest.get(served))
                    .retry(SseRelayRetry.builder().content(StreamStart::isContent).error(StreamStart::isError).build())
                    .tap(request -> MessageCollector.create())
                    .heartbeat(Duration.ZERO).observer(metrics).onDone(outcomes::add).build();
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16), relay);
                        }
                    })
                    .bind("127.0.0.1", 0).syncUninterruptibly().channel();
            try {
                URI relayed = URI.create("http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort() + "/v1/messages");
                for (int i = 0; i < 2; i++) {
                    SseStream stream = downstream.open(SseRequest.get(relayed), event -> { });
                    stream.done().toCompletableFuture().get(10, TimeUnit.SECONDS);
                    outcomes.poll(10, TimeUnit.SECONDS);
                }
            } finally {
                server.close().syncUninterruptibly();
            }
        }

        assertEquals(2, registry.get(SluiceMetrics.STREAMS_ENDED).tags("kind", "relay", "end", "ok").counter().count());
        assertEquals(0, registry.get(SluiceMetrics.STREAMS_ACTIVE).tags("kind", "relay").gauge().value());
        assertEquals(2, registry.get(SluiceMetrics.RELAY_ATTEMPTS).tags("kind", "relay", "end", "upstream_unreachable").counter().count());
        assertEquals(2, registry.get(SluiceMetrics.RELAY_ATTEMPTS).tags("kind", "relay", "end", "ok").counter().count());
        assertEquals(2, registry.get(SluiceMetrics.RELAY_FALLBACKS).counter().count());
        assertEquals(2 * 32, registry.get(SluiceMetrics.EVENTS).tags("kind", "relay").counter().count(), "the sample's 32 events, twice");
        assertEquals(2, registry.get(SluiceMetrics.TIME_TO_FIRST_CONTENT).tags("kind", "relay").timer().count());
        // anthropic-cache.expected.json: 6431 input, 14208 read from the cache, 2590 written to it, 287 output.
        assertEquals(2 * (6431 + 14208 + 2590), tokens(registry, "input"));
        assertEquals(2 * 287, tokens(registry, "output"));
        assertEquals(2 * 14208, tokens(registry, "cache_read"));
        assertEquals(2 * 2590, tokens(registry, "cache_write"));
        assertEquals(2, registry.get(SluiceMetrics.GEN_AI_TIME_TO_FIRST_CHUNK)
                .tags("gen_ai.provider.name", "anthropic", "gen_ai.response.model", "claude-sonnet-4-5-20250929").timer().count());
        // Each stream: one connection refused, one to the upstream; the second stream's is the first's, kept alive.
        assertEquals(3, registry.get(SluiceMetrics.CONNECTIONS_OPENED).functionCounter().count());
        assertEquals(1, registry.get(SluiceMetrics.CONNECTIONS_REUSED).functionCounter().count());
    }

    private static double tokens(MeterRegistry registry, String type) {
        return registry.get(SluiceMetrics.GEN_AI_TOKEN_USAGE).tags("gen_ai.token.type", type).summary().totalAmount();
    }
}

package io.sluice.micrometer;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.sluice.core.testing.ReadmeSection;
import io.sluice.llm.MessageCollector;
import io.sluice.netty.SseClient;
import io.sluice.netty.SseRelay;
import io.sluice.netty.SseRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * docs/metrics.md's library example ("In a library"), compiled and run: the example's relay
 * forwards a recorded OpenAI stream from a loopback stand-in, and its registry has the stream and
 * its tokens. Between {@code // readme:metrics} and {@code // end}, shown verbatim.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MetricsDocExampleTest {

    @Test
    @SuppressWarnings("deprecation") // NioEventLoopGroup: the one spelling both Netty lines know
    void theDocumentedBindingCountsARelayedStreamAndItsTokens() throws Exception {
        byte[] recorded = Files.readAllBytes(Path.of("../samples/openai-chat-reasoning.sse"));
        HttpServer providerServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        providerServer.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("content-type", "text/event-stream");
            exchange.sendResponseHeaders(200, recorded.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(recorded);
            }
        });
        providerServer.start();
        EventLoopGroup group = new NioEventLoopGroup(2);
        URI provider = URI.create("http://127.0.0.1:" + providerServer.getAddress().getPort() + "/v1/chat/completions");
        try {
            // readme:metrics
            MeterRegistry registry = new SimpleMeterRegistry(); // your application's: Prometheus, OTLP, ...
            SluiceMetrics metrics = SluiceMetrics.builder(registry).maxModels(50).build();
            SseClient upstream = SseClient.builder()
                    .eventLoopGroup(group, NioSocketChannel.class) // the server's group, as for any relay
                    .build();
            metrics.bindConnections(upstream);
            SseRelay relay = SseRelay.builder(upstream, request -> SseRequest.post(provider, ByteBufUtil.getBytes(request.content())))
                    .tap(request -> MessageCollector.create()) // the GenAI token usage comes from the tap's message
                    .observer(metrics)
                    .build();
            // end
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), relay);
                        }
                    })
                    .bind("127.0.0.1", 0).syncUninterruptibly().channel();
            try (SseClient client = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).build()) {
                URI relayed = URI.create("http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort() + "/chat");
                client.open(SseRequest.postJson(relayed, "{\"stream\":true}"), event -> { })
                        .done().toCompletableFuture().get(10, TimeUnit.SECONDS);
                // The relay's end (its meters) comes on its own loop, after the client's: wait for it.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (registry.find(SluiceMetrics.STREAMS_ENDED).counter() == null && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(1, registry.get(SluiceMetrics.STREAMS_ENDED).tags("kind", "relay", "end", "ok").counter().count());
                // openai-chat-reasoning.expected.json: 626 output tokens, 512 of them reasoning; 1664 input read from the cache.
                assertEquals(626, registry.get(SluiceMetrics.GEN_AI_TOKEN_USAGE).tags("gen_ai.provider.name", "openai",
                        "gen_ai.token.type", "output").summary().totalAmount());
                assertEquals(512, registry.get(SluiceMetrics.GEN_AI_TOKEN_USAGE).tag("gen_ai.token.type", "reasoning")
                        .summary().totalAmount());
                assertEquals(1664, registry.get(SluiceMetrics.GEN_AI_TOKEN_USAGE).tag("gen_ai.token.type", "cache_read")
                        .summary().totalAmount());
                assertEquals(1, registry.get(SluiceMetrics.CONNECTIONS_OPENED).functionCounter().count());
            } finally {
                server.close().syncUninterruptibly();
                upstream.close();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            providerServer.stop(0);
        }
    }

    @Test
    void theDocShowsTheExampleVerbatim() throws Exception {
        ReadmeSection.assertShowsVerbatim(MetricsDocExampleTest.class, "metrics examples", 1);
    }
}

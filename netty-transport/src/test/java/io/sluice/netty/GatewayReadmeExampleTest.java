package io.sluice.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.sluice.core.testing.ReadmeSection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's gateway example (section "A gateway"), compiled and run: a provider stand-in on
 * loopback serves a recorded Anthropic stream, the example's relay forwards it, the module's
 * client reads it. Between {@code // readme:relay} and {@code // end}, shown verbatim.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GatewayReadmeExampleTest {
    private static final EventLoopGroup group = TestLoops.nio(2);
    @RegisterExtension
    static final AfterAllCallback SHUT_DOWN = TestLoops.shutDownAfterAll(group);

    @Test
    void theGatewayRelaysTheProviderStreamWithItsKeyAndLogsIt() throws Exception {
        byte[] recorded = Files.readAllBytes(Path.of("../samples/anthropic-text.sse"));
        try (LoopbackServer providerServer = LoopbackServer.start(group, (ch, request) -> {
            LoopbackServer.write(ch, LoopbackServer.SSE_HEADERS_CLOSE);
            LoopbackServer.write(ch, recorded).addListener(f -> ch.close());
        })) {
            URI provider = providerServer.uri("/v1/messages");
            URI otherRegion = providerServer.uri("/other-region/v1/messages");
            String apiKey = "sk-test";
            Queue<String> accessLog = new ConcurrentLinkedQueue<>();
            // readme:relay
            SseClient upstream = SseClient.builder()
                    .eventLoopGroup(group, NioSocketChannel.class) // the server's group: both ends of a stream on one loop
                    .idleTimeout(Duration.ofSeconds(60))
                    .build();
            Function<URI, Function<FullHttpRequest, SseRequest>> anthropicAt = url -> request -> SseRequest
                    .post(url, ByteBufUtil.getBytes(request.content())) // the browser's JSON, as sent
                    .withHeader("content-type", "application/json")
                    .withHeader("x-api-key", apiKey) // the key stays on the server
                    .withHeader("anthropic-version", "2023-06-01");
            SseRelay relay = SseRelay.builder(upstream, anthropicAt.apply(provider))
                    .fallback(anthropicAt.apply(otherRegion)) // when the first fails before its first token
                    .heartbeat(Duration.ofSeconds(15))
                    .onDone(o -> accessLog.add(o.method() + " " + o.uri() + " upstream=" + o.upstreamStatus()
                            + " events=" + o.events() + " end=" + o.end()))
                    .build();
            Channel server = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), relay);
                        }
                    })
                    .bind("127.0.0.1", 0).sync().channel();
            // end
            URI gateway = URI.create("http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort() + "/chat");
            try (SseClient browser = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).build()) {
                Recorder seen = new Recorder();
                browser.open(SseRequest.postJson(gateway, "{\"model\":\"claude\",\"stream\":true}"), seen);

                assertNull(seen.awaitEnd());
                assertEquals(55, seen.events.size());
                assertEquals("message_stop|{\"type\":\"message_stop\"}|", seen.events.get(54));
                String request = providerServer.requests.peek();
                assertTrue(request.contains("x-api-key: sk-test") && request.endsWith("{\"model\":\"claude\",\"stream\":true}"),
                        request);
                for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); accessLog.isEmpty(); ) {
                    assertTrue(System.nanoTime() < deadline, "no access log entry");
                    Thread.sleep(10);
                }
                assertEquals("POST /chat upstream=200 events=55 end=ok", accessLog.peek());
            } finally {
                server.close().sync();
                upstream.close();
            }
        }
    }

    @Test
    void readmeShowsThisExampleVerbatim() throws Exception {
        ReadmeSection.assertShowsVerbatim(GatewayReadmeExampleTest.class, "gateway examples", 1);
    }
}

package io.sluice.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.core.SseException;
import io.sluice.core.handoff.OwnedSseEvent;
import io.sluice.core.handoff.SseEventQueue;
import io.sluice.core.testing.ReadmeSection;
import io.sluice.netty.testing.LoopbackProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's transport examples, compiled and run against a loopback server. Each example sits
 * between {@code // readme:NAME} and {@code // end} markers; once README.md carries the transport
 * section, {@link #readmeShowsTheseExamplesVerbatim()} checks its Java blocks are these.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReadmeExamplesTest {
    private static final String EVENTS = "event: delta\ndata: {\"text\":\"Hel\"}\n\nevent: delta\ndata: {\"text\":\"lo\"}\n\n";
    private static final EventLoopGroup group = TestLoops.nio(1);
    @RegisterExtension
    static final AfterAllCallback SHUT_DOWN = TestLoops.shutDownAfterAll(group);

    private static LoopbackServer server() {
        return LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch, LoopbackServer.SSE_HEADERS_CLOSE + EVENTS));
    }

    @Test
    void decoderInAPipeline() throws Exception {
        try (LoopbackServer server = server()) {
            URI uri = server.uri("/events");
            BlockingQueue<String> printed = new LinkedBlockingQueue<>();
            // readme:pipeline
            Bootstrap bootstrap = new Bootstrap()
                    .group(group)
                    .channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(
                                    new HttpClientCodec(),
                                    new SseDecompressor(),
                                    new SseDecoder(),
                                    // SimpleChannelInboundHandler releases each owned event after the call.
                                    new SimpleChannelInboundHandler<OwnedSseEvent>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, OwnedSseEvent event) {
                                            printed.add(event.type() + " " + event.dataAsString());
                                        }

                                        @Override
                                        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                            if (evt instanceof SseDecoder.StreamEnd) {
                                                printed.add("clean end");
                                            }
                                        }

                                        @Override
                                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                            printed.add("failed: " + cause.getMessage()); // a typed SseException
                                            ctx.close();
                                        }
                                    });
                        }
                    });
            Channel channel = bootstrap.connect(uri.getHost(), uri.getPort()).sync().channel();
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri.getRawPath());
            request.headers().set(HttpHeaderNames.HOST, uri.getAuthority()).set(HttpHeaderNames.ACCEPT, "text/event-stream");
            channel.writeAndFlush(request);
            // end
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                seen.add(printed.poll(10, TimeUnit.SECONDS));
            }
            assertEquals(List.of("delta {\"text\":\"Hel\"}", "delta {\"text\":\"lo\"}", "clean end"), seen);
            channel.close().sync();
        }
    }

    @Test
    void consumingFromTheQueue() throws Exception {
        try (LoopbackServer server = server()) {
            URI uri = server.uri("/v1/messages");
            StringBuilder text = new StringBuilder();
            // readme:queue
            try (SseClient client = SseClient.builder().idleTimeout(Duration.ofSeconds(30)).build();
                 SseStream stream = client.openQueue(SseRequest.postJson(uri, "{\"stream\":true}")
                         .withHeader("x-api-key", "KEY"))) {
                SseEventQueue queue = stream.queue(); // one consumer thread: this one
                OwnedSseEvent event;
                while ((event = queue.take(1, TimeUnit.SECONDS)) != null || !queue.isDone()) {
                    if (event == null) {
                        continue; // nothing for a second; take() parks, it does not spin
                    }
                    try {
                        text.append(event.dataAsString()).append('\n');
                    } finally {
                        event.release(); // polled events are the consumer's to release
                    }
                }
                if (queue.failure() != null) {
                    throw queue.failure(); // SseStatusException, SseClosedEarlyException, ...
                }
            }
            // end
            assertEquals("{\"text\":\"Hel\"}\n{\"text\":\"lo\"}\n", text.toString());
            assertTrue(server.requests.peek().contains("x-api-key: KEY"));
        }
    }

    @Test
    void drainingTheQueueInBatches() throws Exception {
        try (LoopbackServer server = server(); SseClient client = SseClient.builder().build()) {
            SseStream stream = client.openQueue(SseRequest.get(server.uri("/")));
            SseEventQueue queue = stream.queue();
            List<String> types = new ArrayList<>();
            boolean[] over = {false};
            // readme:drain
            SseEventQueue.Handler handler = new SseEventQueue.Handler() {
                @Override
                public void onEvent(OwnedSseEvent event) { // released by drain() when this returns
                    types.add(event.type());
                }

                @Override
                public void onEnd() {
                    over[0] = true;
                }

                @Override
                public void onError(SseException error) {
                    over[0] = true;
                }
            };
            while (!over[0]) {
                if (queue.drain(handler, 256) == 0) {
                    queue.await(1, TimeUnit.SECONDS);
                }
            }
            // end
            stream.close();
            assertEquals(List.of("delta", "delta"), types);
        }
    }

    @Test
    void clientWithAListenerAndReconnect() throws Exception {
        try (LoopbackServer server = server()) {
            URI uri = server.uri("/feed");
            List<String> seen = new ArrayList<>();
            // readme:client
            try (SseClient client = SseClient.builder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .idleTimeout(Duration.ofSeconds(60))
                    .reconnect(ReconnectPolicy.DEFAULT) // GET only: Last-Event-ID, retry:, backoff with jitter
                    .build()) {
                SseStream stream = client.open(SseRequest.get(uri), event -> seen.add(event.dataAsString()));
                stream.done().toCompletableFuture().join(); // or stream.cancel() to close the connection
            }
            // end
            assertEquals(List.of("{\"text\":\"Hel\"}", "{\"text\":\"lo\"}"), seen);
        }
    }

    @Test
    void clientThroughAProxy() throws Exception {
        try (LoopbackServer server = server();
             LoopbackProxy corporate = LoopbackProxy.http(group, "user", "secret")) {
            URI uri = server.uri("/feed");
            String proxyHost = "127.0.0.1";
            int proxyPort = corporate.port();
            List<String> seen = new ArrayList<>();
            // readme:proxy
            SseProxy proxy = SseProxy.http(proxyHost, proxyPort) // or SseProxy.parse("http://user:secret@host:3128")
                    .withCredentials("user", "secret")
                    .withNoProxy("localhost", ".internal.example"); // reached directly
            try (SseClient client = SseClient.builder().proxy(proxy).build()) {
                SseStream stream = client.open(SseRequest.get(uri), event -> seen.add(event.dataAsString()));
                stream.done().toCompletableFuture().join(); // a refused tunnel: SseProxyException
            }
            // end
            assertEquals(List.of("{\"text\":\"Hel\"}", "{\"text\":\"lo\"}"), seen);
            assertEquals(1, corporate.handshakes().size());
        }
    }

    @Test
    void clientOverHttp2() throws Exception {
        Channel h2c = new io.netty.bootstrap.ServerBootstrap().group(group)
                .channel(io.netty.channel.socket.nio.NioServerSocketChannel.class)
                .childHandler(SseServerProtocols.builder(p -> p.addLast(new io.netty.handler.codec.http.HttpObjectAggregator(1 << 16),
                        new SseResponder(Duration.ZERO, emitter -> {
                            emitter.event("delta", "{\"text\":\"Hel\"}", null);
                            emitter.event("delta", "{\"text\":\"lo\"}", null);
                            emitter.close();
                        }))).h2c(true).build())
                .bind("127.0.0.1", 0).sync().channel();
        try {
            URI uri = URI.create("http://127.0.0.1:" + ((java.net.InetSocketAddress) h2c.localAddress()).getPort() + "/feed");
            List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            // readme:http2
            try (SseClient client = SseClient.builder()
                    .protocol(SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE) // HTTP_2: h2 by ALPN for https only
                    .build()) {
                List<SseStream> streams = new ArrayList<>();
                for (int i = 0; i < 10; i++) { // they share a connection per event loop
                    streams.add(client.open(SseRequest.get(uri), event -> seen.add(event.dataAsString())));
                }
                streams.forEach(stream -> stream.done().toCompletableFuture().join());
                System.out.println(client.connectionsOpened() + " connections for 10 streams");
            }
            // end
            assertEquals(20, seen.size());
        } finally {
            h2c.close().sync();
        }
    }

    @Test
    void readmeShowsTheseExamplesVerbatim() throws Exception {
        ReadmeSection.assertShowsVerbatim(ReadmeExamplesTest.class, "transport examples", 6);
    }
}

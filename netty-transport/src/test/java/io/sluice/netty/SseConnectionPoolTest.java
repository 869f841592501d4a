package io.sluice.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 16 item 1: the upstream keep-alive pool. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SseConnectionPoolTest {
    private static final EventLoopGroup group = TestLoops.nio(2);
    @RegisterExtension
    static final AfterAllCallback SHUT_DOWN = TestLoops.shutDownAfterAll(group);

    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger handshakes = new AtomicInteger();
    private Channel server;

    @AfterEach
    void closeServer() {
        if (server != null) {
            server.close().syncUninterruptibly();
        }
    }

    /** A kept-alive SSE server (SseResponder over SseServerProtocols) whose every stream is {@code onStream}'s. */
    private int serve(boolean tls, Consumer<SseEmitter> onStream) throws Exception {
        SseServerProtocols.Builder protocols = SseServerProtocols.builder(p -> p.addLast(new HttpObjectAggregator(1 << 16),
                        new SseResponder(Duration.ZERO, onStream)))
                .connection(p -> {
                    connections.incrementAndGet();
                    p.addLast(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            SslHandler tls = ctx.pipeline().get(SslHandler.class);
                            if (tls != null) {
                                tls.handshakeFuture().addListener(f -> {
                                    if (f.isSuccess()) {
                                        handshakes.incrementAndGet();
                                    }
                                });
                            }
                            ctx.fireChannelActive();
                        }
                    });
                });
        if (tls) {
            X509Bundle cert = new CertificateBuilder().subject("CN=localhost").addSanIpAddress("127.0.0.1")
                    .setIsCertificateAuthority(true).buildSelfSigned();
            protocols.tls(SslContextBuilder.forServer(cert.toKeyManagerFactory()).build());
        }
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(protocols.build()).bind("127.0.0.1", 0).syncUninterruptibly().channel();
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    private static SseClient.Builder client() {
        return SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).insecure(true);
    }

    private static void threeEventsThenEnd(SseEmitter emitter) {
        for (int i = 0; i < 3; i++) {
            emitter.event("message", emitter.uri() + "#" + i, null);
        }
        emitter.close();
    }

    @Test
    void aHundredSequentialTlsStreamsToOneHostCostOneConnectionAndOneHandshake() throws Exception {
        int port = serve(true, SseConnectionPoolTest::threeEventsThenEnd);
        try (SseClient client = client().build()) {
            for (int i = 0; i < 100; i++) {
                Recorder seen = new Recorder();
                client.open(SseRequest.get(URI.create("https://127.0.0.1:" + port + "/s" + i)), seen);
                assertNull(seen.awaitEnd());
                assertEquals(List.of("message|/s" + i + "#0|", "message|/s" + i + "#1|", "message|/s" + i + "#2|"), seen.events);
            }
            assertEquals(1, handshakes.get(), "one TLS handshake, counted at the server");
            assertEquals(1, connections.get());
            assertEquals(1, client.connectionsOpened());
            assertEquals(99, client.connectionsReused());
        }
    }

    @Test
    void withThePoolOffEveryStreamHasAConnectionOfItsOwn() throws Exception {
        int port = serve(true, SseConnectionPoolTest::threeEventsThenEnd);
        try (SseClient client = client().connectionPool(0, Duration.ZERO).build()) {
            for (int i = 0; i < 3; i++) {
                Recorder seen = new Recorder();
                client.open(SseRequest.get(URI.create("https://127.0.0.1:" + port + "/")), seen);
                assertNull(seen.awaitEnd());
            }
            assertEquals(3, handshakes.get());
            assertEquals(0, client.connectionsReused());
        }
    }

    @Test
    void aCancelledStreamsConnectionIsClosedNeverReused() throws Exception {
        int port = serve(false, emitter -> {
            if (emitter.uri().equals("/forever")) {
                emitter.event("message", "first", null); // and never ends
            } else {
                threeEventsThenEnd(emitter);
            }
        });
        try (SseClient client = client().build()) {
            Recorder forever = new Recorder();
            SseStream stream = client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/forever")), forever);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (forever.events.isEmpty()) {
                assertTrue(System.nanoTime() < deadline, "no first event");
                Thread.sleep(10);
            }
            stream.cancel();
            assertInstanceOf(SseCancelledException.class, forever.awaitEnd());

            Recorder next = new Recorder();
            client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/next")), next);
            assertNull(next.awaitEnd());
            assertEquals(2, connections.get(), "the cancelled stream's connection was not reused");
            assertEquals(0, client.connectionsReused());
        }
    }

    @Test
    void aResponseThatSaysCloseIsNotPooled() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.write(ch,
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n"
                        + LoopbackServer.chunk("data: one\n\n") + "0\r\n\r\n"));
             SseClient client = client().build()) {
            for (int i = 0; i < 2; i++) {
                Recorder seen = new Recorder();
                client.open(SseRequest.get(upstream.uri("/")), seen);
                assertNull(seen.awaitEnd());
            }
            assertEquals(2, upstream.connections.size());
            assertEquals(0, client.connectionsReused());
        }
    }

    @Test
    void aRequestOnAConnectionTheServerDroppedIsSentOnceMoreOnANewOneUnseen() throws Exception {
        // The server answers the first request of each connection and drops the connection at the
        // second, as a server does that closes an idle connection just as the client reuses it.
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.incrementAndGet();
                        AtomicInteger requests = new AtomicInteger();
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16), new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                boolean request = msg instanceof HttpRequest;
                                ReferenceCountUtil.release(msg);
                                if (request && requests.incrementAndGet() > 1) {
                                    ctx.close();
                                } else if (request) {
                                    DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                                    head.headers().set("content-type", "text/event-stream").set("transfer-encoding", "chunked");
                                    ctx.write(head);
                                    ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer("data: a\n\ndata: b\n\ndata: c\n\n",
                                            StandardCharsets.UTF_8)));
                                    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                                }
                            }
                        });
                    }
                })
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        try (SseClient client = client().reconnect(null).build()) {
            Recorder first = new Recorder();
            client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/")), first);
            assertNull(first.awaitEnd());
            Recorder second = new Recorder();
            client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/")), second);
            assertNull(second.awaitEnd(), "retried on a new connection, not failed");
            assertEquals(3, second.events.size());
            assertEquals(2, client.connectionsOpened());
            assertEquals(1, client.connectionsReused());
        }
    }

    @Test
    void anIdleConnectionIsEvictedAfterThePoolsIdleTimeout() throws Exception {
        int port = serve(false, SseConnectionPoolTest::threeEventsThenEnd);
        try (SseClient client = client().connectionPool(4, Duration.ofMillis(200)).build()) {
            Recorder first = new Recorder();
            client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/")), first);
            assertNull(first.awaitEnd());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (client.connectionsEvicted() == 0) {
                assertTrue(System.nanoTime() < deadline, "never evicted");
                Thread.sleep(20);
            }
            Recorder second = new Recorder();
            client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/")), second);
            assertNull(second.awaitEnd());
            assertEquals(2, client.connectionsOpened());
            assertEquals(0, client.connectionsReused());
        }
    }
}

package io.sluice.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 16 item 3: the server side over HTTP/2 (h2 by ALPN, h2c by prior knowledge) and HTTP/1.1 keep-alive. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SseServerProtocolsTest {
    private static final EventLoopGroup group = TestLoops.nio(2);
    @RegisterExtension
    static final AfterAllCallback SHUT_DOWN = TestLoops.shutDownAfterAll(group);

    private final AtomicInteger connections = new AtomicInteger();
    private Channel server;

    @AfterEach
    void closeServer() {
        if (server != null) {
            server.close().syncUninterruptibly();
        }
    }

    /** A server whose every stream writes {@code events} events of {@code size} bytes while writable, then ends. */
    private int serve(SseServerProtocols.Builder protocols) {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(protocols.connection(p -> connections.incrementAndGet()).build())
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** The stream's handlers: each request gets {@code n} events named after its path, written as fast as the client takes them. */
    private static Consumer<io.netty.channel.ChannelPipeline> streams(int n, int size) {
        return p -> p.addLast(new HttpObjectAggregator(1 << 16), new SseResponder(Duration.ZERO, emitter -> {
            String data = "x".repeat(size);
            int[] sent = {0};
            Runnable pump = new Runnable() {
                @Override
                public void run() {
                    while (sent[0] < n && emitter.isWritable()) {
                        emitter.event("message", data, null);
                        sent[0]++;
                    }
                    if (sent[0] == n) {
                        sent[0]++;
                        emitter.end("done", emitter.uri(), null);
                    }
                }
            };
            emitter.onWritabilityChanged(writable -> {
                if (writable) {
                    pump.run();
                }
            });
            pump.run();
        }));
    }

    private static HttpClient trustingClient(HttpClient.Version version) throws Exception {
        return HttpClient.newBuilder().version(version).sslContext(trustingSsl()).build();
    }

    /** Trusts any certificate: the tests' self-signed ones. */
    static SSLContext trustingSsl() throws Exception {
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return ssl;
    }

    private static SseServerProtocols.Builder tls(SseServerProtocols.Builder b) throws Exception {
        X509Bundle cert = new CertificateBuilder().subject("CN=localhost").addSanIpAddress("127.0.0.1")
                .setIsCertificateAuthority(true).buildSelfSigned();
        return b.tls(SseServerProtocols.alpn(SslContextBuilder.forServer(cert.toKeyManagerFactory())).build());
    }

    @Test
    void overTlsAnHttp2ClientGetsEveryStreamOnOneConnection() throws Exception {
        int port = serve(tls(SseServerProtocols.builder(streams(50, 100))));
        HttpClient client = trustingClient(HttpClient.Version.HTTP_2);
        List<CompletableFuture<java.net.http.HttpResponse<String>>> responses = new ArrayList<>();
        // The first alone: requests sent before a connection has negotiated h2 would each open one.
        responses.add(client.sendAsync(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/s0")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()));
        responses.get(0).get(30, TimeUnit.SECONDS);
        for (int i = 1; i < 20; i++) {
            responses.add(client.sendAsync(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/s" + i)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < 20; i++) {
            java.net.http.HttpResponse<String> r = responses.get(i).get(30, TimeUnit.SECONDS);
            assertEquals(HttpClient.Version.HTTP_2, r.version());
            assertEquals(200, r.statusCode());
            assertEquals("text/event-stream; charset=utf-8", r.headers().firstValue("content-type").orElse(""));
            assertTrue(r.body().endsWith("event: done\ndata: /s" + i + "\n\n"), r.body());
            assertEquals(51, r.body().split("\n\n").length);
        }
        assertEquals(1, connections.get(), "twenty streams, one connection");
    }

    /**
     * The relay writes a parsed event as a bare buffer where an HTTP/1.1 encoder frames it, and
     * wrapped where an HTTP/2 stream's codec takes only HTTP objects: both reach the client whole.
     */
    @Test
    void aRelayedStreamReachesHttp2AndHttp11ClientsByteForByte() throws Exception {
        Channel upstream = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(SseServerProtocols.builder(streams(200, 300)).build())
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        SseClient upstreamClient = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).build();
        try {
            URI base = URI.create("http://127.0.0.1:" + ((InetSocketAddress) upstream.localAddress()).getPort());
            SseRelay relay = SseRelay.builder(upstreamClient, request -> SseRequest.get(base.resolve(request.uri())))
                    .heartbeat(Duration.ZERO).build();
            int port = serve(tls(SseServerProtocols.builder(p -> p.addLast(new HttpObjectAggregator(1 << 16), relay))));
            String expected = ("data: " + "x".repeat(300) + "\n\n").repeat(200) + "event: done\ndata: /r\n\n";
            for (HttpClient.Version version : HttpClient.Version.values()) {
                java.net.http.HttpResponse<String> r = trustingClient(version).send(
                        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/r")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(version, r.version());
                assertEquals(200, r.statusCode());
                assertEquals(expected, r.body(), version.toString());
            }
        } finally {
            upstream.close().syncUninterruptibly();
        }
    }

    @Test
    void overTlsAnHttp11ClientGetsKeepAliveAndItsStreamsOneAfterAnotherOnOneConnection() throws Exception {
        int port = serve(tls(SseServerProtocols.builder(streams(5, 10))));
        HttpClient client = trustingClient(HttpClient.Version.HTTP_1_1);
        for (int i = 0; i < 5; i++) {
            java.net.http.HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/s" + i)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(HttpClient.Version.HTTP_1_1, r.version());
            assertTrue(r.body().endsWith("data: /s" + i + "\n\n"), r.body());
            assertTrue(r.headers().firstValue("connection").isEmpty(), "kept alive: no connection: close");
        }
        assertEquals(1, connections.get(), "five streams in turn, one kept-alive connection");
    }

    @Test
    void overPlainTextHttp11StillWorksBesideH2cPriorKnowledge() throws Exception {
        int port = serve(SseServerProtocols.builder(streams(3, 10)).h2c(true));
        java.net.http.HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/plain")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_1_1, r.version());
        assertTrue(r.body().endsWith("data: /plain\n\n"), r.body());
    }

    /** A prior-knowledge HTTP/2 connection (Netty's client codec) to the server on {@code port}. */
    private static Channel h2cConnection(int port, int initialWindow) {
        Channel connection = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forClient()
                                .initialSettings(Http2Settings.defaultSettings().initialWindowSize(initialWindow)).build());
                        ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                    }
                })
                .connect("127.0.0.1", port).syncUninterruptibly().channel();
        // A connection window far above one stream's, as browsers give (Chromium: 15 MB): the
        // bytes a stalled stream leaves unread count against both, and must not starve the others.
        connection.writeAndFlush(new DefaultHttp2WindowUpdateFrame(16 << 20)).syncUninterruptibly();
        return connection;
    }

    /** Counts a stream's body bytes; {@code done} completes at its end. */
    private static final class BodyCounter extends ChannelInboundHandlerAdapter {
        final AtomicLong bytes = new AtomicLong();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final CompletableFuture<HttpResponse> head = new CompletableFuture<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpResponse r) {
                head.complete(r);
            }
            if (msg instanceof HttpContent c) {
                bytes.addAndGet(c.content().readableBytes());
            }
            if (msg instanceof LastHttpContent) {
                done.complete(null);
            }
            ReferenceCountUtil.release(msg);
        }
    }

    private static Http2StreamChannel request(Channel connection, String path, BodyCounter counter, boolean autoRead) {
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection)
                .option(ChannelOption.AUTO_READ, autoRead)
                .handler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel ch) {
                        ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false), counter);
                    }
                })
                .open().syncUninterruptibly().getNow();
        DefaultFullHttpRequest get = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
        get.headers().set(HttpHeaderNames.HOST, "127.0.0.1");
        get.headers().set("x-http2-scheme", "http");
        stream.writeAndFlush(get).syncUninterruptibly();
        return stream;
    }

    @Test
    void overH2cAStreamWhoseReaderStallsHoldsBackOnlyItselfNotItsSiblings() throws Exception {
        // 2,000 events of 1 KiB a stream: 2 MB, thirty times one stream's 64 KiB window.
        int port = serve(SseServerProtocols.builder(streams(2000, 1024)).h2c(true));
        Channel connection = h2cConnection(port, 65_535);
        try {
            BodyCounter stalled = new BodyCounter();
            Http2StreamChannel stalledStream = request(connection, "/stalled", stalled, false); // never reads
            BodyCounter sibling = new BodyCounter();
            request(connection, "/sibling", sibling, true);

            sibling.done.get(30, TimeUnit.SECONDS);
            assertTrue(sibling.bytes.get() > 2_000 * 1024, String.valueOf(sibling.bytes.get()));
            assertEquals(0, stalled.bytes.get(), "the stalled stream's reader read nothing");
            assertEquals(1, connections.get());

            stalledStream.read(); // the reader resumes: its stream goes on to the end
            stalledStream.config().setAutoRead(true);
            stalled.done.get(30, TimeUnit.SECONDS);
            assertEquals(sibling.bytes.get() - "/sibling".length() + "/stalled".length(), stalled.bytes.get());
        } finally {
            connection.close().syncUninterruptibly();
        }
    }

    @Test
    void overH2cAStreamTheClientResetsEndsOnlyThatStream() throws Exception {
        CompletableFuture<SseEmitter> first = new CompletableFuture<>();
        CompletableFuture<Void> firstGone = new CompletableFuture<>();
        int port = serve(SseServerProtocols.builder(p -> p.addLast(new HttpObjectAggregator(1 << 16),
                new SseResponder(Duration.ZERO, emitter -> {
                    if (emitter.uri().equals("/forever")) {
                        emitter.event("message", "first", null);
                        emitter.channel().closeFuture().addListener(f -> firstGone.complete(null));
                        first.complete(emitter);
                    } else {
                        emitter.end("done", "bye", null);
                    }
                }))).h2c(true));
        Channel connection = h2cConnection(port, 65_535);
        try {
            BodyCounter forever = new BodyCounter();
            Http2StreamChannel foreverStream = request(connection, "/forever", forever, true);
            first.get(10, TimeUnit.SECONDS);
            foreverStream.close().syncUninterruptibly(); // RST_STREAM(CANCEL)
            firstGone.get(10, TimeUnit.SECONDS);

            BodyCounter next = new BodyCounter();
            request(connection, "/next", next, true);
            next.done.get(10, TimeUnit.SECONDS);
            assertEquals(200, next.head.get().status().code());
            assertTrue(connection.isActive(), "the connection outlives the reset stream");
        } finally {
            connection.close().syncUninterruptibly();
        }
    }

    @Test
    void anH2cConnectionThatFailsClosesWithItsStreamsAndNothingReachesThePipelinesTail() {
        EmbeddedChannel ch = new EmbeddedChannel(SseServerProtocols.builder(p -> p.addLast(
                new SseResponder(Duration.ZERO, emitter -> { }))).h2c(true).build());
        ch.writeInbound(Http2CodecUtil.connectionPrefaceBuf()); // prior knowledge: the HTTP/2 pipeline
        assertTrue(ch.pipeline().get(Http2MultiplexHandler.class) != null);

        ch.pipeline().fireExceptionCaught(new SocketException("Connection reset")); // as NIO's read raises it
        ch.checkException(); // rethrows an exception that reached the tail, which Netty would log as unhandled
        assertFalse(ch.isOpen(), "the failed connection is closed");
        ch.finishAndReleaseAll();
    }
}

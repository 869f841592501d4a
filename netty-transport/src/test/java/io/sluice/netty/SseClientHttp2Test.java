package io.sluice.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.netty.util.ReferenceCountUtil;
import io.sluice.core.SseBoundExceededException;
import io.sluice.core.SseException;
import io.sluice.core.handoff.OwnedSseEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 16 item 2: {@link SseClient} over HTTP/2 (h2 by ALPN, h2c by prior knowledge), against Sluice's own server. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SseClientHttp2Test {
    private static final EventLoopGroup serverGroup = TestLoops.nio(2);
    private static final EventLoopGroup clientGroup = TestLoops.nio(2);
    @RegisterExtension
    static final AfterAllCallback SHUT_DOWN_SERVER = TestLoops.shutDownAfterAll(serverGroup);
    @RegisterExtension
    static final AfterAllCallback SHUT_DOWN_CLIENT = TestLoops.shutDownAfterAll(clientGroup);

    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger handshakes = new AtomicInteger();
    /** The protocol of each stream the server saw: "h2" (a child channel) or "http/1.1". */
    private final List<String> protocolsSeen = new CopyOnWriteArrayList<>();
    private Channel server;

    @AfterEach
    void closeServer() {
        if (server != null) {
            server.close().syncUninterruptibly();
        }
    }

    private static X509Bundle certificate() throws Exception {
        return new CertificateBuilder().subject("CN=localhost").addSanIpAddress("127.0.0.1")
                .setIsCertificateAuthority(true).buildSelfSigned();
    }

    /** TLS with ALPN offering h2 and http/1.1, as {@code sluice serve --tls} does. */
    private static SseServerProtocols.Builder h2(SseServerProtocols.Builder b) throws Exception {
        return b.tls(SseServerProtocols.alpn(SslContextBuilder.forServer(certificate().toKeyManagerFactory())).build());
    }

    /** Serves {@code protocols}, counting connections and TLS handshakes, and each stream's protocol. */
    private int serve(SseServerProtocols.Builder protocols) {
        server = new ServerBootstrap().group(serverGroup).channel(NioServerSocketChannel.class)
                .childHandler(protocols.connection(p -> {
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
                }).build())
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Each stream's handlers: the protocol noted, then an SseResponder running {@code onStream}. */
    private Consumer<ChannelPipeline> responder(Consumer<SseEmitter> onStream) {
        return p -> {
            protocolsSeen.add(p.channel() instanceof Http2StreamChannel ? "h2" : "http/1.1");
            p.addLast(new HttpObjectAggregator(1 << 16), new SseResponder(Duration.ZERO, onStream));
        };
    }

    private static void threeEventsThenEnd(SseEmitter emitter) {
        for (int i = 0; i < 3; i++) {
            emitter.event("message", emitter.uri() + "#" + i, null);
        }
        emitter.end("done", "bye", null);
    }

    private static List<String> threeEvents(String path) {
        return List.of("message|" + path + "#0|", "message|" + path + "#1|", "message|" + path + "#2|", "done|bye|");
    }

    /** Writes {@code n} events of {@code size} bytes as fast as the stream is writable, then ends. */
    private static Consumer<SseEmitter> pump(int n, int size, ConcurrentHashMap<String, AtomicInteger> sent) {
        return emitter -> {
            String data = "x".repeat(size);
            AtomicInteger count = sent.computeIfAbsent(emitter.uri(), k -> new AtomicInteger());
            Runnable write = new Runnable() {
                @Override
                public void run() {
                    while (count.get() < n && emitter.isWritable()) {
                        emitter.event("message", data, null);
                        count.incrementAndGet();
                    }
                    if (count.get() == n) {
                        count.incrementAndGet();
                        emitter.end("done", emitter.uri(), null);
                    }
                }
            };
            emitter.onWritabilityChanged(writable -> {
                if (writable) {
                    write.run();
                }
            });
            write.run();
        };
    }

    /** Writes {@code n} events named after the path, {@code periodMillis} apart, then ends. */
    private static void tick(SseEmitter emitter, int n, long periodMillis) {
        int[] sent = {0};
        ScheduledFuture<?>[] schedule = new ScheduledFuture<?>[1];
        schedule[0] = emitter.channel().eventLoop().scheduleAtFixedRate(() -> {
            if (sent[0] < n) {
                emitter.event("message", emitter.uri() + "#" + sent[0]++, null);
            } else {
                emitter.end("done", "bye", null);
                schedule[0].cancel(false);
            }
        }, 0, periodMillis, TimeUnit.MILLISECONDS);
    }

    private static SseClient.Builder client(SseClient.Protocol protocol) {
        return SseClient.builder().eventLoopGroup(clientGroup, NioSocketChannel.class).insecure(true).protocol(protocol);
    }

    @Test
    void aHundredSequentialTlsStreamsOverH2CostOneConnectionAndOneHandshake() throws Exception {
        int port = serve(h2(SseServerProtocols.builder(responder(SseClientHttp2Test::threeEventsThenEnd))));
        try (SseClient client = client(SseClient.Protocol.HTTP_2).build()) {
            for (int i = 0; i < 100; i++) {
                Recorder seen = new Recorder();
                client.open(SseRequest.get(URI.create("https://127.0.0.1:" + port + "/s" + i)), seen);
                assertNull(seen.awaitEnd());
                assertEquals(threeEvents("/s" + i), seen.events);
            }
            assertEquals(1, handshakes.get(), "one TLS handshake, counted at the server");
            assertEquals(1, connections.get());
            assertEquals(1, client.connectionsOpened());
            assertEquals(99, client.connectionsReused());
            assertEquals(100, protocolsSeen.stream().filter("h2"::equals).count(), protocolsSeen.toString());
        }
    }

    @Test
    void aThousandConcurrentStreamsAgainstAHundredStreamLimitAllCompleteAndNeverExceedIt() throws Exception {
        AtomicInteger maxActive = new AtomicInteger();
        ConcurrentHashMap<Channel, AtomicInteger> open = new ConcurrentHashMap<>();
        int port = serve(SseServerProtocols.builder(p -> {
            // Counted at the server, per connection, as each stream arrives: its codec's own count, and ours.
            Channel connection = p.channel().parent();
            int codecCount = connection.pipeline().get(Http2FrameCodec.class).connection().remote().numActiveStreams();
            AtomicInteger ours = open.computeIfAbsent(connection, c -> new AtomicInteger());
            int now = ours.incrementAndGet();
            p.channel().closeFuture().addListener(f -> ours.decrementAndGet());
            maxActive.accumulateAndGet(Math.max(codecCount, now), Math::max);
            // Five events 20 ms apart: the streams overlap, and a hundred at once fill a connection.
            p.addLast(new HttpObjectAggregator(1 << 16), new SseResponder(Duration.ZERO, emitter -> tick(emitter, 5, 20)));
        }).maxConcurrentStreams(100).h2c(true));
        try (SseClient client = client(SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE).build()) {
            List<Recorder> recorders = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                Recorder seen = new Recorder();
                recorders.add(seen);
                client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/s" + i)), seen);
            }
            for (int n = 0; n < 1000; n++) {
                int i = n;
                SseException error = recorders.get(i).awaitEnd();
                assertNull(error, () -> "stream " + i + ": " + error + " caused by " + error.getCause());
                assertEquals(6, recorders.get(i).events.size());
                assertEquals("message|/s" + i + "#4|", recorders.get(i).events.get(4));
            }
            assertTrue(maxActive.get() <= 100, "at most 100 streams at once on a connection, saw " + maxActive.get());
            assertTrue(maxActive.get() > 50, "the streams did run side by side: " + maxActive.get());
            assertTrue(connections.get() >= 10, "a thousand streams, a hundred a connection: " + connections.get());
            assertEquals(connections.get(), client.connectionsOpened());
        }
    }

    @Test
    void aSlowConsumerOnOneH2StreamHoldsBackOnlyItsOwnWindowNotItsSiblings() throws Exception {
        // 2,000 events of 1 KiB a stream: 2 MB, thirty times one stream's 64 KiB window.
        ConcurrentHashMap<String, AtomicInteger> sent = new ConcurrentHashMap<>();
        int port = serve(SseServerProtocols.builder(responder(pump(2000, 1024, sent))).h2c(true));
        try (SseClient client = client(SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE).waterMarks(16, 4).build()) {
            SseStream slow = client.openQueue(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/slow"))); // nobody polls
            Recorder sibling = new Recorder();
            // On the slow stream's loop, so both share its connection.
            client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/sibling")), slow.eventLoop(), sibling);
            assertNull(sibling.awaitEnd());
            assertEquals(2001, sibling.events.size());
            assertEquals(1, connections.get(), "both streams on one connection");

            // The slow stream's reader took 16 events; the server could send its window's worth
            // (64 KiB) and a little in flight, then its stream was no longer writable.
            Thread.sleep(200);
            int sentToSlow = sent.get("/slow").get();
            assertTrue(sentToSlow < 200, "the slow stream's window held its server back: " + sentToSlow + " events sent");
            Thread.sleep(200);
            assertEquals(sentToSlow, sent.get("/slow").get(), "and holds it while its reader stays away");

            // The reader comes back: the stream runs to its end.
            int taken = 0;
            while (true) {
                OwnedSseEvent event = slow.queue().take(30, TimeUnit.SECONDS);
                if (event == null) {
                    break;
                }
                taken++;
                event.release();
            }
            assertEquals(2001, taken);
            assertNull(slow.queue().failure());
            slow.done().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void cancelSendsRstStreamOnThatStreamOnlyAndItsSiblingGoesOn() throws Exception {
        CompletableFuture<Long> resetCode = new CompletableFuture<>();
        CompletableFuture<Void> foreverGone = new CompletableFuture<>();
        CompletableFuture<SseEmitter> ticking = new CompletableFuture<>();
        int port = serve(SseServerProtocols.builder(p -> {
            // Between the server connection's codec and its multiplexer: every frame the client sends.
            ChannelPipeline connection = p.channel().parent().pipeline();
            if (connection.get("rst-watch") == null) {
                connection.addBefore(connection.context(Http2MultiplexHandler.class).name(), "rst-watch",
                        new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof Http2ResetFrame reset) {
                                    resetCode.complete(reset.errorCode());
                                }
                                ctx.fireChannelRead(msg);
                            }
                        });
            }
            p.addLast(new HttpObjectAggregator(1 << 16), new SseResponder(Duration.ZERO, emitter -> {
                emitter.event("message", "first", null);
                if (emitter.uri().equals("/forever")) {
                    emitter.channel().closeFuture().addListener(f -> foreverGone.complete(null));
                } else {
                    ticking.complete(emitter);
                }
            }));
        }).h2c(true));
        try (SseClient client = client(SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE).build()) {
            Recorder forever = new Recorder();
            SseStream cancelled = client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/forever")), forever);
            Recorder sibling = new Recorder();
            client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/sibling")), cancelled.eventLoop(), sibling);
            SseEmitter siblingEmitter = ticking.get(10, TimeUnit.SECONDS);
            while (forever.events.isEmpty()) {
                Thread.sleep(5);
            }

            cancelled.cancel();
            assertInstanceOf(SseCancelledException.class, forever.awaitEnd());
            assertEquals(Http2Error.CANCEL.code(), resetCode.get(10, TimeUnit.SECONDS), "RST_STREAM(CANCEL)");
            foreverGone.get(10, TimeUnit.SECONDS);

            siblingEmitter.event("message", "after the reset", null);
            siblingEmitter.end("done", "bye", null);
            assertNull(sibling.awaitEnd());
            assertEquals(List.of("message|first|", "message|after the reset|", "done|bye|"), sibling.events);
            assertEquals(1, connections.get(), "the connection outlived the reset stream");
        }
    }

    /**
     * A server whose first connection answers {@code GOAWAY} to a {@code /refused} request, naming
     * the stream before it as the last it processes: {@code /refused} is left out.
     */
    private int serveGoAwayOnRefused(AtomicBoolean everyConnection) {
        AtomicBoolean goneAway = new AtomicBoolean();
        return serve(SseServerProtocols.builder(p -> {
            protocolsSeen.add("h2");
            p.addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    if (msg instanceof HttpRequest request && request.uri().equals("/refused")
                            && (everyConnection.get() || goneAway.compareAndSet(false, true))) {
                        ReferenceCountUtil.release(msg);
                        Http2StreamChannel stream = (Http2StreamChannel) ctx.channel();
                        ChannelHandlerContext codec = stream.parent().pipeline().context(Http2FrameCodec.class);
                        ((Http2FrameCodec) codec.handler()).goAway(codec, Math.max(0, stream.stream().id() - 2),
                                Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER, codec.newPromise());
                        codec.flush();
                        return;
                    }
                    ctx.fireChannelRead(msg);
                }
            });
            p.addLast(new HttpObjectAggregator(1 << 16), new SseResponder(Duration.ZERO, emitter -> {
                if (emitter.uri().equals("/first")) {
                    tick(emitter, 10, 30);
                } else {
                    threeEventsThenEnd(emitter);
                }
            }));
        }).h2c(true));
    }

    @Test
    void goAwayLetsTheStreamsBelowItFinishAndSendsTheOneAboveAgainOnANewConnectionUnseen() throws Exception {
        int port = serveGoAwayOnRefused(new AtomicBoolean(false));
        try (SseClient client = client(SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE).build()) {
            Recorder first = new Recorder();
            SseStream firstStream = client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/first")), first);
            while (first.events.isEmpty()) {
                Thread.sleep(5);
            }
            List<String> told = new CopyOnWriteArrayList<>();
            Recorder refused = new Recorder() {
                @Override
                public void onReconnecting(SseException error, long delayMillis) {
                    told.add("reconnecting: " + error);
                }
            };
            client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/refused")), firstStream.eventLoop(), refused);
            assertNull(refused.awaitEnd(), "sent again on a new connection, and answered there");
            assertEquals(threeEvents("/refused"), refused.events);
            assertEquals(List.of(), told, "the resend is not the listener's business");

            // No new stream goes on the connection that said GOAWAY: the next joins the new one.
            Recorder after = new Recorder();
            client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/after")), firstStream.eventLoop(), after);
            assertNull(after.awaitEnd());

            assertNull(first.awaitEnd(), "the stream below the GOAWAY's last id ran to its end");
            assertEquals(11, first.events.size());
            assertEquals(2, connections.get());
            assertEquals(2, client.connectionsOpened());
        }
    }

    @Test
    void aStreamLeftOutByGoAwayTwiceEndsWithARetryableConnectError() throws Exception {
        int port = serveGoAwayOnRefused(new AtomicBoolean(true));
        try (SseClient client = client(SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE).build()) {
            Recorder first = new Recorder();
            SseStream firstStream = client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/first")), first);
            while (first.events.isEmpty()) {
                Thread.sleep(5);
            }
            // The resend goes on a new connection, whose GOAWAY leaves it out again: no third try.
            Recorder refused = new Recorder();
            client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/refused")), firstStream.eventLoop(), refused);
            SseException error = refused.awaitEnd();
            assertInstanceOf(SseConnectException.class, error);
            assertTrue(error.retryable());
            assertTrue(error.getMessage().contains("GOAWAY"), error.getMessage());
            assertNull(first.awaitEnd(), "the stream below the GOAWAY ran to its end");
            assertEquals(2, connections.get());
        }
    }

    @Test
    void overTlsAServerWithoutH2GetsHttp11ByAlpnAndItsConnectionIsKeptAlive() throws Exception {
        // A TLS context without ALPN: the server chooses no protocol, which means HTTP/1.1.
        int port = serve(SseServerProtocols.builder(responder(SseClientHttp2Test::threeEventsThenEnd))
                .tls(SslContextBuilder.forServer(certificate().toKeyManagerFactory()).build()));
        try (SseClient client = client(SseClient.Protocol.HTTP_2).build()) {
            for (int i = 0; i < 3; i++) {
                Recorder seen = new Recorder();
                client.open(SseRequest.get(URI.create("https://127.0.0.1:" + port + "/s" + i)), seen);
                assertNull(seen.awaitEnd());
                assertEquals(threeEvents("/s" + i), seen.events);
            }
            List<Recorder> together = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Recorder seen = new Recorder();
                together.add(seen);
                client.open(SseRequest.get(URI.create("https://127.0.0.1:" + port + "/t" + i)), seen);
            }
            for (int i = 0; i < 5; i++) {
                assertNull(together.get(i).awaitEnd());
                assertEquals(threeEvents("/t" + i), together.get(i).events);
            }
            // One entry per connection: an HTTP/1.1 connection's handlers serve each of its streams in turn.
            assertEquals(List.of("http/1.1", "http/1.1", "http/1.1", "http/1.1", "http/1.1"), protocolsSeen);
            assertEquals(5, connections.get(), "three in turn on one kept-alive connection, and four more for five at once");
            assertEquals(5, client.connectionsOpened());
        }
    }

    @Test
    void h2cPriorKnowledgeCarriesConcurrentStreamsOnOneConnection() throws Exception {
        int port = serve(SseServerProtocols.builder(responder(SseClientHttp2Test::threeEventsThenEnd)).h2c(true));
        try (SseClient client = client(SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE).build()) {
            Recorder first = new Recorder();
            SseStream firstStream = client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/s0")), first);
            List<Recorder> recorders = new ArrayList<>(List.of(first));
            for (int i = 1; i < 10; i++) {
                Recorder seen = new Recorder();
                recorders.add(seen);
                client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/s" + i)), firstStream.eventLoop(), seen);
            }
            for (int i = 0; i < 10; i++) {
                assertNull(recorders.get(i).awaitEnd());
                assertEquals(threeEvents("/s" + i), recorders.get(i).events);
            }
            assertEquals(1, connections.get());
            assertEquals(List.of("h2", "h2", "h2", "h2", "h2", "h2", "h2", "h2", "h2", "h2"), protocolsSeen);
        }
    }

    @Test
    void losingTheConnectionEndsEveryOpenStreamWithTheTypedErrorOfACut() throws Exception {
        CompletableFuture<Channel> connection = new CompletableFuture<>();
        int port = serve(SseServerProtocols.builder(p -> {
            connection.complete(p.channel().parent());
            p.addLast(new HttpObjectAggregator(1 << 16), new SseResponder(Duration.ZERO,
                    emitter -> emitter.event("message", emitter.uri(), null))); // and then nothing, for ever
        }).h2c(true));
        try (SseClient client = client(SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE).build()) {
            HttpHeadersSeen a = new HttpHeadersSeen();
            SseStream first = client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/a")), a);
            HttpHeadersSeen b = new HttpHeadersSeen();
            client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/b")), first.eventLoop(), b);
            while (a.events.isEmpty() || b.events.isEmpty()) {
                Thread.sleep(5);
            }
            assertEquals(1, connections.get());
            assertEquals("text/event-stream; charset=utf-8", a.headers.get().get(HttpHeaderNames.CONTENT_TYPE));
            assertTrue(a.headers.get().names().stream().noneMatch(n -> n.startsWith("x-http2-")),
                    "the codec's own headers are not the upstream's: " + a.headers.get().names());

            connection.get().close();
            for (HttpHeadersSeen seen : List.of(a, b)) {
                SseClosedEarlyException cut = assertInstanceOf(SseClosedEarlyException.class, seen.awaitEnd());
                assertTrue(cut.retryable());
                assertEquals(1, cut.events());
            }
        }
    }

    /** A recorder that keeps the response's headers too. */
    private static final class HttpHeadersSeen extends Recorder {
        final CompletableFuture<io.netty.handler.codec.http.HttpHeaders> headers = new CompletableFuture<>();

        @Override
        public void onOpen(HttpResponseStatus status, io.netty.handler.codec.http.HttpHeaders responseHeaders) {
            headers.complete(new io.netty.handler.codec.http.DefaultHttpHeaders().set(responseHeaders));
        }
    }

    @Test
    void http2WithoutPriorKnowledgeSpeaksHttp11ToAPlainTextUpstream() throws Exception {
        int port = serve(SseServerProtocols.builder(responder(SseClientHttp2Test::threeEventsThenEnd)).h2c(true));
        try (SseClient client = client(SseClient.Protocol.HTTP_2).build()) {
            Recorder seen = new Recorder();
            client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/plain")), seen);
            assertNull(seen.awaitEnd());
            assertEquals(List.of("http/1.1"), protocolsSeen);
        }
    }

    @Test
    void h2cPriorKnowledgeToAnHttp11OnlyServerFailsWithAConnectError() throws Exception {
        int port = serve(SseServerProtocols.builder(responder(SseClientHttp2Test::threeEventsThenEnd)));
        try (SseClient client = client(SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE).build()) {
            Recorder seen = new Recorder();
            client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/plain")), seen);
            assertInstanceOf(SseConnectException.class, seen.awaitEnd());
        }
    }

    @Test
    void theDecodersTypedErrorsAreTheSameOverH2AndEndOnlyTheirStream() throws Exception {
        int port = serve(h2(SseServerProtocols.builder(p -> p.addLast(new HttpObjectAggregator(1 << 16),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        String uri = ((HttpRequest) msg).uri();
                        ReferenceCountUtil.release(msg);
                        if (uri.equals("/status")) {
                            DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.TOO_MANY_REQUESTS,
                                    Unpooled.copiedBuffer("slow down", StandardCharsets.UTF_8));
                            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
                            ctx.writeAndFlush(r);
                        } else if (uri.equals("/type")) {
                            DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                                    Unpooled.copiedBuffer("{}", StandardCharsets.UTF_8));
                            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
                            ctx.writeAndFlush(r);
                        } else {
                            ctx.pipeline().addLast(new SseResponder(Duration.ZERO, emitter -> {
                                if (uri.equals("/oversize")) {
                                    emitter.event("message", "y".repeat(4096), null);
                                } else {
                                    threeEventsThenEnd(emitter);
                                }
                            }));
                            ctx.fireChannelRead(new io.netty.handler.codec.http.DefaultFullHttpRequest(
                                    HttpVersion.HTTP_1_1, io.netty.handler.codec.http.HttpMethod.GET, uri));
                        }
                    }
                }))));
        try (SseClient client = client(SseClient.Protocol.HTTP_2)
                .decoderSettings(new SseDecoder.Settings(1024, 1024, false, SseDecoder.DEFAULT_MAX_ERROR_BODY)).build()) {
            Recorder status = new Recorder();
            SseStream first = client.open(SseRequest.get(URI.create("https://127.0.0.1:" + port + "/status")), status);
            SseStatusException statusError = assertInstanceOf(SseStatusException.class, status.awaitEnd());
            assertEquals(429, statusError.status().code());
            assertEquals("slow down", new String(statusError.body(), StandardCharsets.UTF_8));

            Recorder type = new Recorder();
            client.open(SseRequest.get(URI.create("https://127.0.0.1:" + port + "/type")), first.eventLoop(), type);
            assertInstanceOf(SseContentTypeException.class, type.awaitEnd());

            Recorder oversize = new Recorder();
            client.open(SseRequest.get(URI.create("https://127.0.0.1:" + port + "/oversize")), first.eventLoop(), oversize);
            assertInstanceOf(SseBoundExceededException.class, oversize.awaitEnd());

            Recorder fine = new Recorder();
            client.open(SseRequest.get(URI.create("https://127.0.0.1:" + port + "/fine")), first.eventLoop(), fine);
            assertNull(fine.awaitEnd());
            assertEquals(threeEvents("/fine"), fine.events);
            assertEquals(1, connections.get(), "each error ended its stream, not the connection");
        }
    }
}

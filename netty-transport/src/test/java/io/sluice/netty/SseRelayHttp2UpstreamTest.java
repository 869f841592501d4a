package io.sluice.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SseRelay} with its upstream over HTTP/2 (h2c by prior knowledge): what {@code SseRelayTest}
 * and {@code SseRelayBackpressureTest} pin over HTTP/1.1, for the streams that now share one
 * upstream connection. The relay runs on one event loop, so all its upstream streams do share one.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SseRelayHttp2UpstreamTest {
    private static EventLoopGroup relayGroup;
    private static EventLoopGroup otherGroup;
    private static SseClient upstreamClient;
    private static SseClient downstreamClient;

    private final BlockingQueue<SseRelay.Outcome> outcomes = new LinkedBlockingQueue<>();
    private final AtomicInteger upstreamConnections = new AtomicInteger();
    private Channel relay;
    private Channel upstream;

    @BeforeAll
    static void start() {
        relayGroup = TestLoops.nio(1);
        otherGroup = TestLoops.nio(2);
        upstreamClient = SseClient.builder().eventLoopGroup(relayGroup, NioSocketChannel.class)
                .protocol(SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE).build();
        downstreamClient = SseClient.builder().eventLoopGroup(otherGroup, NioSocketChannel.class).build();
    }

    @AfterAll
    static void stop() {
        relayGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        otherGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void close() {
        for (Channel ch : new Channel[] {relay, upstream}) {
            if (ch != null) {
                ch.close().syncUninterruptibly();
            }
        }
    }

    /** An h2c upstream whose every stream's handlers are {@code stream}'s: its base URI. */
    private URI upstream(Consumer<ChannelPipeline> stream) {
        upstream = new ServerBootstrap().group(otherGroup).channel(NioServerSocketChannel.class)
                .childHandler(SseServerProtocols.builder(stream).h2c(true)
                        .connection(p -> upstreamConnections.incrementAndGet()).build())
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        return URI.create("http://127.0.0.1:" + ((InetSocketAddress) upstream.localAddress()).getPort());
    }

    /** A relay (HTTP/1.1 downstream) whose every request opens {@code base} with the request's path. */
    private URI relayTo(URI base) {
        SseRelay handler = SseRelay.builder(upstreamClient, request -> SseRequest.get(base.resolve(request.uri())))
                .heartbeat(Duration.ZERO).onDone(outcomes::add).build();
        relay = new ServerBootstrap().group(relayGroup).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16), handler);
                    }
                })
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        return URI.create("http://127.0.0.1:" + ((InetSocketAddress) relay.localAddress()).getPort());
    }

    private static Consumer<ChannelPipeline> responder(Consumer<SseEmitter> onStream) {
        return p -> p.addLast(new HttpObjectAggregator(1 << 16), new SseResponder(Duration.ZERO, onStream));
    }

    @Test
    void theUpstreamsEventsReachTheClientInOrderOverAnH2Upstream() throws Exception {
        URI relay = relayTo(upstream(responder(emitter -> {
            emitter.event("delta", "one", "1");
            emitter.event("message", "two\nlines", null);
            emitter.end("done", emitter.uri(), null);
        })));
        Recorder client = new Recorder();
        downstreamClient.open(SseRequest.get(relay.resolve("/v1/stream")), client);
        assertNull(client.awaitEnd());
        assertEquals(List.of("delta|one|1", "message|two\nlines|1", "done|/v1/stream|1"), client.events);
        SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
        assertEquals(200, outcome.upstreamStatus());
        assertEquals(3, outcome.events());
        assertNull(outcome.error());
    }

    @Test
    void anUpstreamRefusalOverH2ReachesTheClientWithItsStatusHeadersAndBodyOnly() throws Exception {
        String body = "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}";
        URI relay = relayTo(upstream(p -> p.addLast(new HttpObjectAggregator(1 << 16), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
                DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.TOO_MANY_REQUESTS,
                        Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json").set("retry-after", "7");
                ctx.writeAndFlush(r);
            }
        })));
        java.net.http.HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                java.net.http.HttpRequest.newBuilder(relay.resolve("/v1/messages")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(429, r.statusCode());
        assertEquals(body, r.body());
        assertEquals("7", r.headers().firstValue("retry-after").orElse(""));
        assertTrue(r.headers().map().keySet().stream().noneMatch(name -> name.startsWith("x-http2-")), r.headers().toString());
    }

    @Test
    void aClientThatLeavesResetsOnlyItsUpstreamStreamAndItsSiblingGoesOn() throws Exception {
        CompletableFuture<Long> reset = new CompletableFuture<>();
        CompletableFuture<SseEmitter> sibling = new CompletableFuture<>();
        URI relay = relayTo(upstream(p -> {
            ChannelPipeline connection = p.channel().parent().pipeline();
            if (connection.get("rst-watch") == null) {
                connection.addBefore(connection.context(Http2MultiplexHandler.class).name(), "rst-watch",
                        new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof Http2ResetFrame frame) {
                                    reset.complete(frame.errorCode());
                                }
                                ctx.fireChannelRead(msg);
                            }
                        });
            }
            responder(emitter -> {
                emitter.event("message", "first", null);
                if (emitter.uri().equals("/sibling")) {
                    sibling.complete(emitter);
                }
            }).accept(p);
        }));
        Recorder leaving = new Recorder();
        SseStream leavingStream = downstreamClient.open(SseRequest.get(relay.resolve("/leaving")), leaving);
        Recorder staying = new Recorder();
        downstreamClient.open(SseRequest.get(relay.resolve("/sibling")), staying);
        SseEmitter siblingEmitter = sibling.get(10, TimeUnit.SECONDS);
        while (leaving.events.isEmpty()) {
            Thread.sleep(5);
        }

        leavingStream.cancel();
        assertEquals(Http2Error.CANCEL.code(), reset.get(10, TimeUnit.SECONDS), "the relay reset the left client's upstream stream");
        SseRelay.Outcome left = outcomes.poll(10, TimeUnit.SECONDS);
        assertTrue(left.clientGone());

        siblingEmitter.event("message", "after", null);
        siblingEmitter.end("done", "bye", null);
        assertNull(staying.awaitEnd());
        assertEquals(List.of("message|first|", "message|after|", "done|bye|"), staying.events);
        assertEquals(1, upstreamConnections.get(), "both upstream streams on one connection, which outlived the reset");
    }

    @Test
    void aClientThatStopsReadingHoldsBackOnlyItsOwnUpstreamStream() throws Exception {
        // 4,000 events of 1 KiB a stream: more than the loopback socket buffers and the relay's
        // high water hold for the client that reads nothing.
        int n = 4000;
        ConcurrentHashMap<String, AtomicInteger> sent = new ConcurrentHashMap<>();
        URI relay = relayTo(upstream(responder(emitter -> {
            String data = "x".repeat(1024);
            AtomicInteger count = sent.computeIfAbsent(emitter.uri(), k -> new AtomicInteger());
            Runnable write = () -> {
                while (count.get() < n && emitter.isWritable()) {
                    emitter.event("message", data, null);
                    count.incrementAndGet();
                }
                if (count.get() == n) {
                    count.incrementAndGet();
                    emitter.end("done", emitter.uri(), null);
                }
            };
            emitter.onWritabilityChanged(writable -> {
                if (writable) {
                    write.run();
                }
            });
            write.run();
        })));
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", relay.getPort()));
            slow.getOutputStream().write("GET /slow HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            while (sent.get("/slow") == null) {
                Thread.sleep(5);
            }

            Recorder sibling = new Recorder();
            downstreamClient.open(SseRequest.get(relay.resolve("/sibling")), sibling);
            assertNull(sibling.awaitEnd());
            assertEquals(n + 1, sibling.events.size());

            Thread.sleep(300);
            int sentToSlow = sent.get("/slow").get();
            assertTrue(sentToSlow < n, "the slow client's upstream stream was held back: " + sentToSlow + " events sent");
            Thread.sleep(300);
            assertEquals(sentToSlow, sent.get("/slow").get(), "and stays held while the client reads nothing");
            assertEquals(1, upstreamConnections.get());

            // The client reads: every event arrives, in order.
            InputStream in = new BufferedInputStream(slow.getInputStream(), 1 << 16);
            String all = new String(readUntil(in, "event: done\ndata: /slow\n\n"), StandardCharsets.UTF_8);
            assertEquals(n, all.split("data: x", -1).length - 1);
        }
        SseRelay.Outcome first = outcomes.poll(10, TimeUnit.SECONDS);
        SseRelay.Outcome second = outcomes.poll(10, TimeUnit.SECONDS);
        assertFalse(first.clientGone() || second.clientGone());
    }

    /** Reads until {@code end} has been read; the bytes so far (HTTP framing included). */
    private static byte[] readUntil(InputStream in, String end) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] tail = end.getBytes(StandardCharsets.US_ASCII);
        int matched = 0;
        for (int b; (b = in.read()) >= 0; ) {
            out.write(b);
            matched = b == tail[matched] ? matched + 1 : b == tail[0] ? 1 : 0;
            if (matched == tail.length) {
                return out.toByteArray();
            }
        }
        throw new IOException("the response ended before " + end);
    }
}

package io.sluice.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.sluice.core.SseParser;
import io.sluice.core.testing.RecordingHandler;
import io.sluice.core.testing.SseRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SseEmitterTest {
    private static final EventLoopGroup group = TestLoops.nio(2);
    @RegisterExtension
    static final AfterAllCallback SHUT_DOWN = TestLoops.shutDownAfterAll(group);

    /** An embedded channel that has read a GET and answered it; the emitter is in {@code holder[0]}. */
    private static EmbeddedChannel answered(Duration heartbeat, SseEmitter[] holder, String lastEventId) {
        EmbeddedChannel ch = new EmbeddedChannel(new SseResponder(heartbeat, e -> holder[0] = e));
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/events?room=1");
        if (lastEventId != null) {
            request.headers().set("Last-Event-ID", lastEventId);
        }
        ch.writeInbound(request);
        return ch;
    }

    /** Every body byte written so far, parsed by core's parser; releases what it read. */
    private static List<SseRecord> parseBody(EmbeddedChannel ch) {
        RecordingHandler recording = new RecordingHandler();
        try (SseParser parser = SseParser.create(recording)) {
            for (Object o; (o = ch.readOutbound()) != null; ) {
                if (o instanceof HttpContent content) {
                    try {
                        parser.feed(content.content());
                    } finally {
                        content.release();
                    }
                }
            }
        }
        return recording.records();
    }

    @Test
    void answersWithAnUnsizedNoCacheEventStreamHeadThatKeepsTheConnection() {
        SseEmitter[] emitter = new SseEmitter[1];
        EmbeddedChannel ch = answered(Duration.ZERO, emitter, null);
        HttpResponse head = ch.readOutbound();
        assertEquals(200, head.status().code());
        assertEquals("text/event-stream; charset=utf-8", head.headers().get("content-type"));
        assertEquals("no-cache", head.headers().get("cache-control"));
        assertEquals("no", head.headers().get("x-accel-buffering"));
        assertNull(head.headers().get("connection"), "HTTP/1.1 keeps the connection for the next request");
        assertEquals("chunked", head.headers().get("transfer-encoding"));
        assertNull(head.headers().get("content-length"));
        assertEquals("/events?room=1", emitter[0].uri());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void writtenEventsParseBackIdentically() {
        SseEmitter[] emitter = new SseEmitter[1];
        EmbeddedChannel ch = answered(Duration.ZERO, emitter, null);
        ch.<HttpResponse>readOutbound();
        assertTrue(emitter[0].event(null, "plain", null).isSuccess());
        emitter[0].event("delta", "line one\nline two\r\nline three", "7");
        emitter[0].comment("keep");
        emitter[0].retry(2500);
        emitter[0].event("message", "", "");
        emitter[0].event("ü", "naïve ✓", "id-ü");
        List<SseRecord> expected = List.of(
                SseRecord.event("message", "plain", ""),
                SseRecord.event("delta", "line one\nline two\nline three", "7"),
                SseRecord.comment("keep"),
                SseRecord.retry(2500),
                SseRecord.event("message", "", ""),
                SseRecord.event("ü", "naïve ✓", "id-ü"));
        List<SseRecord> parsed = parseBody(ch);
        assertEquals(expected, parsed.subList(0, expected.size()));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void parsedEventIsWrittenOnByteForByte() {
        SseEmitter[] emitter = new SseEmitter[1];
        EmbeddedChannel ch = answered(Duration.ZERO, emitter, null);
        ch.<HttpResponse>readOutbound();
        ByteBuf upstream = Unpooled.copiedBuffer("event: t\nid: 9\ndata: a\ndata: b\n\n", StandardCharsets.UTF_8);
        try (SseParser parser = SseParser.create(event -> emitter[0].event(event))) {
            parser.feed(upstream);
        } finally {
            upstream.release();
        }
        assertEquals(List.of(SseRecord.event("t", "a\nb", "9")), parseBody(ch).subList(0, 1));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void heartbeatCommentsArriveWhenIdleAndNotWhenBusy() {
        SseEmitter[] emitter = new SseEmitter[1];
        EmbeddedChannel ch = answered(Duration.ofSeconds(10), emitter, null);
        ch.<HttpResponse>readOutbound();
        ch.advanceTimeBy(6, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        emitter[0].event(null, "busy", null);
        ch.advanceTimeBy(13, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(List.of(SseRecord.event("message", "busy", "")), parseBody(ch),
                "the tick at 10 s saw the event at 6 s: no heartbeat");
        ch.advanceTimeBy(1, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(List.of(SseRecord.comment("")), parseBody(ch), "the tick at 20 s saw a whole idle interval");
        ch.advanceTimeBy(10, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(List.of(SseRecord.comment("")), parseBody(ch), "idle 10 s more: one more");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void noHeartbeatWhenTheIntervalIsZero() {
        SseEmitter[] emitter = new SseEmitter[1];
        EmbeddedChannel ch = answered(Duration.ZERO, emitter, null);
        ch.<HttpResponse>readOutbound();
        ch.advanceTimeBy(1, TimeUnit.HOURS);
        ch.runScheduledPendingTasks();
        assertNull(ch.readOutbound());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void lastEventIdOfTheRequestIsVisible() {
        SseEmitter[] emitter = new SseEmitter[1];
        EmbeddedChannel ch = answered(Duration.ZERO, emitter, "41");
        assertEquals("41", emitter[0].lastEventId());
        assertTrue(ch.finishAndReleaseAll(), "the response head");
        EmbeddedChannel fresh = answered(Duration.ZERO, emitter, null);
        assertNull(emitter[0].lastEventId());
        assertTrue(fresh.finishAndReleaseAll(), "the response head");
    }

    @Test
    void endWritesTheSentinelThenTheLastChunkAndTheConnectionTakesTheNextRequest() {
        SseEmitter[] emitter = new SseEmitter[1];
        EmbeddedChannel ch = answered(Duration.ofSeconds(1), emitter, null);
        ch.<HttpResponse>readOutbound();
        SseEmitter first = emitter[0];
        assertTrue(first.end(null, "[DONE]", null).isSuccess());
        HttpContent sentinel = ch.readOutbound();
        assertEquals("data: [DONE]\n\n", sentinel.content().toString(StandardCharsets.UTF_8));
        sentinel.release();
        assertInstanceOf(LastHttpContent.class, ch.readOutbound());
        assertTrue(ch.isOpen(), "kept alive");
        ChannelFuture after = first.event(null, "late", null);
        assertInstanceOf(SseClientGoneException.class, after.cause(), "an ended stream takes no more writes");
        assertEquals(1, ((SseClientGoneException) after.cause()).events());

        ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/next"));
        assertEquals(200, ch.<HttpResponse>readOutbound().status().code());
        assertEquals("/next", emitter[0].uri(), "a second stream on the same connection");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aClientThatAsksToCloseIsToldSoAndTheEndClosesTheConnection() {
        SseEmitter[] emitter = new SseEmitter[1];
        EmbeddedChannel ch = new EmbeddedChannel(new SseResponder(Duration.ZERO, e -> emitter[0] = e));
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/events");
        request.headers().set("connection", "close");
        ch.writeInbound(request);
        assertEquals("close", ch.<HttpResponse>readOutbound().headers().get("connection"));
        emitter[0].end(null, "[DONE]", null);
        assertFalse(ch.isOpen());
        assertTrue(ch.finishAndReleaseAll());
    }

    @Test
    void aRequestPipelinedBehindAStreamClosesTheConnectionWhenTheStreamEnds() {
        SseEmitter[] emitter = new SseEmitter[1];
        EmbeddedChannel ch = answered(Duration.ZERO, emitter, null);
        SseEmitter first = emitter[0];
        ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/pipelined"));
        assertSame(first, emitter[0], "not answered while the first stream runs");
        first.close();
        assertFalse(ch.isOpen(), "closed, so the client asks again elsewhere");
        assertTrue(ch.finishAndReleaseAll());
    }

    @Test
    void writeAfterTheClientClosedFailsTypedAndAllocatesNothing() {
        SseEmitter[] emitter = new SseEmitter[1];
        EmbeddedChannel ch = answered(Duration.ZERO, emitter, null);
        emitter[0].event(null, "one", null);
        ch.close();
        ChannelFuture f = emitter[0].event(null, "two", null);
        SseClientGoneException gone = assertInstanceOf(SseClientGoneException.class, f.cause());
        assertEquals(1, gone.events());
        assertEquals("data: one\n\n".length(), gone.bytes());
        ch.finishAndReleaseAll();
    }

    @Test
    void badInputFailsTheWriteAndReleasesItsBuffer() {
        SseEmitter[] emitter = new SseEmitter[1];
        EmbeddedChannel ch = answered(Duration.ZERO, emitter, null);
        ch.<HttpResponse>readOutbound();
        ChannelFuture f = emitter[0].event("a\nb", "x", null);
        assertInstanceOf(IllegalArgumentException.class, f.cause());
        assertNull(ch.readOutbound());
        assertFalse(ch.finishAndReleaseAll());
    }

    /** Everything the codec wrote so far, as text; releases what it read. */
    private static String wire(EmbeddedChannel ch) {
        StringBuilder wire = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf bytes = (ByteBuf) o;
            try {
                wire.append(bytes.toString(StandardCharsets.UTF_8));
            } finally {
                bytes.release();
            }
        }
        return wire.toString();
    }

    @Test
    void anHttp10ClientGetsAnHttp10HeadAndARawBodyEndedByTheClose() {
        SseEmitter[] emitter = new SseEmitter[1];
        EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(), new SseResponder(Duration.ZERO, e -> emitter[0] = e));
        ch.writeInbound(Unpooled.copiedBuffer("GET /events HTTP/1.0\r\n\r\n", StandardCharsets.US_ASCII));
        emitter[0].event("delta", "a\nb", "1");
        emitter[0].end(null, "[DONE]", null);

        assertEquals("HTTP/1.0 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\n"
                + "x-accel-buffering: no\r\nconnection: close\r\n\r\n"
                + "event: delta\nid: 1\ndata: a\ndata: b\n\ndata: [DONE]\n\n", wire(ch),
                "no transfer-encoding, no content-length, no chunk framing");
        assertFalse(ch.isOpen(), "the close ends the body");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void anHttp11ClientStillGetsAChunkedBodyEndedByTheLastChunk() {
        SseEmitter[] emitter = new SseEmitter[1];
        EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(), new SseResponder(Duration.ZERO, e -> emitter[0] = e));
        ch.writeInbound(Unpooled.copiedBuffer("GET /events HTTP/1.1\r\nhost: x\r\n\r\n", StandardCharsets.US_ASCII));
        emitter[0].end(null, "[DONE]", null);

        assertEquals("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ntransfer-encoding: chunked\r\n"
                + "cache-control: no-cache\r\nx-accel-buffering: no\r\n\r\n"
                + "e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n", wire(ch));
        assertFalse(ch.finishAndReleaseAll());
    }

    /** A relay's pipeline on an embedded channel: the codec, {@code between}, the responder; its head read and dropped. */
    private static EmbeddedChannel relayedOver(SseEmitter[] emitter, ChannelHandler between) {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(), between, new SseResponder(Duration.ZERO, e -> emitter[0] = e));
        ch.writeInbound(Unpooled.copiedBuffer("GET /events HTTP/1.1\r\nhost: x\r\n\r\n", StandardCharsets.US_ASCII));
        assertTrue(wire(ch).startsWith("HTTP/1.1 200 OK\r\n"));
        return ch;
    }

    /** Forwards each event of {@code upstream}, as the relay does, and returns what reached the socket: one string a write. */
    private static List<String> forwarded(EmbeddedChannel ch, SseEmitter emitter, String upstream) {
        ByteBuf bytes = Unpooled.copiedBuffer(upstream, StandardCharsets.UTF_8);
        try (SseParser parser = SseParser.create(emitter::forward)) {
            parser.feed(bytes);
        } finally {
            bytes.release();
        }
        ch.runPendingTasks(); // a consolidated flush
        List<String> writes = new ArrayList<>();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf buf = (ByteBuf) o;
            writes.add(buf.toString(StandardCharsets.UTF_8));
            buf.release();
        }
        return writes;
    }

    @Test
    void aForwardedEventIsOneChunkFramedInItsOwnBufferBelowTheEncoder() {
        SseEmitter[] emitter = new SseEmitter[1];
        EmbeddedChannel ch = relayedOver(emitter,
                new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        String manyLines = "data: line\n".repeat(40) + "\n"; // past forward's size estimate: the buffer grows
        String big = "data: " + "x".repeat(4088) + "\n\n";

        assertEquals(List.of("9\r\ndata: a\n\n\r\n"), forwarded(ch, emitter[0], "data: a\n\n"));
        assertEquals(List.of("f\r\ndata: 0123456\n\n\r\n"), forwarded(ch, emitter[0], "data: 0123456\n\n"));
        assertEquals(List.of("10\r\ndata: 01234567\n\n\r\n"), forwarded(ch, emitter[0], "data: 01234567\n\n"));
        assertEquals(List.of("1b9\r\n" + manyLines + "\r\n"), forwarded(ch, emitter[0], manyLines));
        assertEquals(List.of("1000\r\n" + big + "\r\n"), forwarded(ch, emitter[0], big));
        assertEquals(List.of("18\r\nevent: t\nid: 7\ndata: b\n\n\r\n"), forwarded(ch, emitter[0], "event: t\nid: 7\ndata: b\n\n"));
        assertEquals(List.of("9\r\ndata: c\n\n\r\n"), forwarded(ch, emitter[0], "id: 7\ndata: c\n\n"), "an id line only to change it");

        // The encoder, passed by, still ends the chunked body.
        emitter[0].close();
        ch.runPendingTasks();
        assertEquals("0\r\n\r\n", wire(ch));
        assertEquals(7, emitter[0].events());
        assertEquals(9 + 15 + 16 + 441 + 4096 + 24 + 9, emitter[0].bytes(), "body bytes, the framing not counted");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void anOutboundHandlerBetweenSeesEveryForwardedEventAndTheEncoderFramesIt() {
        SseEmitter[] emitter = new SseEmitter[1];
        List<Object> seen = new ArrayList<>();
        EmbeddedChannel ch = relayedOver(emitter, new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                seen.add(msg instanceof ByteBuf ? "bytes" : msg.getClass().getSimpleName()); // a compressor would be here
                ctx.write(msg, promise);
            }
        });
        assertEquals("9\r\ndata: a\n\n\r\n", String.join("", forwarded(ch, emitter[0], "data: a\n\n")));
        assertEquals(List.of("DefaultHttpResponse", "bytes"), seen);
        assertFalse(ch.finishAndReleaseAll());
    }

    // ---- a real server on loopback ----

    private static Channel server(Duration heartbeat, Consumer<SseEmitter> onStream) throws InterruptedException {
        return new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new SseResponder(heartbeat, onStream));
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    private static URI uri(Channel server) {
        return URI.create("http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort() + "/events");
    }

    @Test
    void eventsFromAnotherThreadReachAnSseClientThenTheSentinelEndsTheStream() throws Exception {
        Channel server = server(Duration.ofMillis(20), emitter -> new Thread(() -> {
            emitter.event("delta", "a\nb", "1");
            emitter.comment("note");
            emitter.event(null, "c", "2");
            emitter.end(null, "[DONE]", null);
        }, "not-the-event-loop").start());
        SseClient client = SseClient.builder().eventLoopGroup(group, io.netty.channel.socket.nio.NioSocketChannel.class).build();
        try {
            Recorder seen = new Recorder();
            client.open(SseRequest.get(uri(server)), seen);
            assertNull(seen.awaitEnd());
            assertEquals(List.of("delta|a\nb|1", "message|c|2", "message|[DONE]|2"), seen.events);
        } finally {
            client.close();
            server.close().sync();
        }
    }

    @Test
    void anHttp10ClientOnARealSocketReadsTheEventsUnframedUntilEof() throws Exception {
        Channel server = server(Duration.ZERO, emitter -> {
            emitter.event("delta", "one", "1");
            emitter.comment("note");
            emitter.end(null, "[DONE]", null);
        });
        try (Socket socket = new Socket("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertEquals("HTTP/1.0 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\n"
                    + "x-accel-buffering: no\r\nconnection: close\r\n\r\n"
                    + "event: delta\nid: 1\ndata: one\n\n:note\ndata: [DONE]\n\n", response);
        } finally {
            server.close().sync();
        }
    }

    @Test
    void writesAfterARealClientVanishedFailTyped() throws Exception {
        CompletableFuture<SseEmitter> stream = new CompletableFuture<>();
        Channel server = server(Duration.ZERO, stream::complete);
        try {
            try (Socket socket = new Socket("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort())) {
                socket.getOutputStream().write("GET / HTTP/1.1\r\nhost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                stream.get(10, TimeUnit.SECONDS);
                socket.setSoLinger(true, 0); // a reset, as a vanished client leaves
            }
            SseEmitter emitter = stream.get();
            emitter.channel().closeFuture().await(10, TimeUnit.SECONDS);
            ChannelFuture f = emitter.event(null, "nobody listens", null).await();
            assertInstanceOf(SseClientGoneException.class, f.cause());
        } finally {
            server.close().sync();
        }
    }

    @Test
    void writabilityChangesReachTheListener() throws Exception {
        CompletableFuture<SseEmitter> stream = new CompletableFuture<>();
        Channel server = server(Duration.ZERO, stream::complete);
        BlockingQueue<Boolean> changes = new LinkedBlockingQueue<>();
        try (Socket socket = new Socket("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort())) {
            socket.getOutputStream().write("GET / HTTP/1.1\r\nhost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            SseEmitter emitter = stream.get(10, TimeUnit.SECONDS);
            emitter.onWritabilityChanged(changes::add);
            String big = "x".repeat(16 * 1024);
            // The reader reads nothing: writes queue up until the channel turns unwritable.
            for (int i = 0; i < 2_000 && changes.isEmpty(); i++) {
                emitter.event(null, big, null);
                Thread.sleep(1);
            }
            assertEquals(Boolean.FALSE, changes.poll(10, TimeUnit.SECONDS));
            assertFalse(emitter.isWritable());
            // Draining the socket lets it turn writable again.
            byte[] sink = new byte[64 * 1024];
            long[] drainedBytes = new long[1];
            Thread drainer = new Thread(() -> {
                try {
                    for (int n; (n = socket.getInputStream().read(sink)) >= 0; ) {
                        drainedBytes[0] += n;
                    }
                } catch (java.io.IOException ignored) {
                    // the test closes the socket
                }
            }, "drainer");
            drainer.start();
            assertEquals(Boolean.TRUE, changes.poll(10, TimeUnit.SECONDS), () -> "drained " + drainedBytes[0] + " bytes, changes " + changes);
            emitter.close().await();
            drainer.join(10_000);
        } finally {
            server.close().sync();
        }
    }
}

package io.sluice.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.sluice.core.SseException;
import io.sluice.core.handoff.OwnedSseEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static io.sluice.netty.LoopbackServer.SSE_HEADERS_CHUNKED;
import static io.sluice.netty.LoopbackServer.chunk;
import static io.sluice.netty.LoopbackServer.write;
import static io.sluice.netty.LoopbackServer.writeAndClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19 item 4: a stream that fails leaves a {@code .http} file that decodes, through the same
 * handlers {@code sluice replay} uses, into the events the client saw and the same end.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SseFailureCaptureTest {
    private static EventLoopGroup group;

    @TempDir
    Path dir;

    @BeforeAll
    static void startGroup() {
        group = TestLoops.nio(2);
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private SseClient client(int maxBodyBytes) {
        return SseClient.builder().threads(1)
                .captureFailures(SseFailureCapture.builder(dir).maxBodyBytes(maxBodyBytes).build())
                .build();
    }

    /** What a recorded response decodes to, through replay's decoding path: Netty's codec, the client's decompressor and decoder. */
    record Replayed(List<String> events, SseException error, String head) {
    }

    static Replayed replay(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        List<String> events = new ArrayList<>();
        SseException[] error = new SseException[1];
        EmbeddedChannel ch = new EmbeddedChannel(new HttpClientCodec(), new SseDecompressor(),
                new SseDecoder(SseDecoder.Settings.DEFAULTS, 0), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        OwnedSseEvent event = (OwnedSseEvent) msg;
                        events.add(event.type() + "|" + event.dataAsString() + "|" + event.lastEventId());
                        event.release();
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        if (error[0] == null) {
                            error[0] = (SseException) cause;
                        }
                    }
                });
        ch.writeInbound(Unpooled.wrappedBuffer(bytes));
        ch.finishAndReleaseAll();
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        return new Replayed(events, error[0], text.substring(0, text.indexOf("\r\n\r\n") + 2));
    }

    /** The capture file once written (off the loop, moved into place whole). */
    static Path await(Path file) throws InterruptedException {
        assertNotNull(file, "the stream names its capture");
        for (int i = 0; i < 1000 && !Files.exists(file); i++) {
            Thread.sleep(10);
        }
        assertTrue(Files.exists(file), "written: " + file);
        return file;
    }

    private List<String> folder() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aStreamCutMidEventReplaysToTheSameEventsAndTheSameCut() throws Exception {
        try (SseClient client = client(SseFailureCapture.DEFAULT_MAX_BODY_BYTES);
             LoopbackServer server = LoopbackServer.start(group, (ch, request) -> writeAndClose(ch, SSE_HEADERS_CHUNKED
                     + chunk("event: delta\nid: 1\ndata: one\n\n") + chunk("data: two\n\n") + chunk("data: thr")))) {
            Recorder live = new Recorder();
            SseStream stream = client.open(SseRequest.get(server.uri("/v1/messages")), live);
            SseClosedEarlyException cut = assertInstanceOf(SseClosedEarlyException.class, live.awaitEnd());
            Path file = await(stream.failureCapture());
            assertTrue(FailureCaptureFolder.NAME.matcher(file.getFileName().toString()).matches(), file.toString());
            assertTrue(file.getFileName().toString().endsWith("-127.0.0.1-upstream_closed_early.http"), file.toString());

            Replayed replayed = replay(file);
            assertEquals(live.events, replayed.events());
            SseClosedEarlyException again = assertInstanceOf(SseClosedEarlyException.class, replayed.error());
            assertEquals(cut.incompleteTailBytes(), again.incompleteTailBytes());
            assertTrue(replayed.head().contains("\r\nx-sluice-capture-end: upstream_closed_early\r\n"), replayed.head());
            assertTrue(replayed.head().contains("\r\nx-sluice-capture-body: wire\r\n"), replayed.head());
            assertTrue(replayed.head().contains("\r\nx-sluice-capture-request: GET /v1/messages HTTP/1.1\r\n"), replayed.head());
        }
    }

    @Test
    void aMalformedChunkReplaysMalformedAfterTheSameEvents() throws Exception {
        try (SseClient client = client(SseFailureCapture.DEFAULT_MAX_BODY_BYTES);
             LoopbackServer server = LoopbackServer.start(group, (ch, request) -> writeAndClose(ch, SSE_HEADERS_CHUNKED
                     + chunk("data: one\n\n") + "zz-not-hex\r\ndata: two\n\n\r\n"))) {
            Recorder live = new Recorder();
            SseStream stream = client.open(SseRequest.get(server.uri("/")), live);
            assertInstanceOf(SseMalformedResponseException.class, live.awaitEnd());
            Path file = await(stream.failureCapture());
            assertTrue(file.getFileName().toString().endsWith("-upstream_malformed.http"), file.toString());
            Replayed replayed = replay(file);
            assertEquals(live.events, replayed.events());
            assertInstanceOf(SseMalformedResponseException.class, replayed.error());
        }
    }

    @Test
    void anIdleTimeoutReplaysTheSameEventsThenACutAndItsHeadSaysTimeout() throws Exception {
        try (SseClient client = SseClient.builder().threads(1).idleTimeout(Duration.ofMillis(300))
                .captureFailures(SseFailureCapture.builder(dir).build()).build();
             LoopbackServer server = LoopbackServer.start(group, (ch, request) -> write(ch, SSE_HEADERS_CHUNKED
                     + chunk("data: one\n\n") + chunk("data: two\n\n")))) { // then silence, the connection open
            Recorder live = new Recorder();
            SseStream stream = client.open(SseRequest.get(server.uri("/")), live);
            assertInstanceOf(SseTimeoutException.class, live.awaitEnd());
            Path file = await(stream.failureCapture());
            assertTrue(file.getFileName().toString().endsWith("-upstream_timeout.http"), file.toString());
            Replayed replayed = replay(file);
            assertEquals(List.of("message|one|", "message|two|"), replayed.events());
            assertEquals(live.events, replayed.events());
            // A file holds no silence: it ends where the bytes stopped, a cut between events.
            assertInstanceOf(SseClosedEarlyException.class, replayed.error());
            assertTrue(replayed.head().contains("\r\nx-sluice-capture-end: upstream_timeout\r\n"), replayed.head());
        }
    }

    private static byte[] gzipEvents(int count, boolean syncFlushEach) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out, syncFlushEach)) {
            for (int i = 0; i < count; i++) {
                gzip.write(("id: " + i + "\nevent: delta\ndata: {\"n\":" + i + ",\"text\":\"" + "abc".repeat(i % 40)
                        + "\"}\n\n").getBytes(StandardCharsets.UTF_8));
                if (syncFlushEach) {
                    gzip.flush();
                }
            }
        }
        return out.toByteArray();
    }

    /** A gzipped chunked response whose body is {@code gzip} cut after {@code keep} bytes: no last chunk, a FIN. */
    private static LoopbackServer gzipServer(byte[] gzip, int keep) {
        return LoopbackServer.start(group, (ch, request) -> {
            write(ch, "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: gzip\r\n"
                    + "transfer-encoding: chunked\r\n\r\n");
            for (int at = 0; at < keep; at += 1000) {
                int n = Math.min(1000, keep - at);
                write(ch, Integer.toHexString(n) + "\r\n");
                write(ch, java.util.Arrays.copyOfRange(gzip, at, at + n));
                write(ch, "\r\n");
            }
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        });
    }

    @Test
    void aGzippedBodyThatFittedReplaysFromItsWireBytes() throws Exception {
        byte[] gzip = gzipEvents(40, true);
        try (SseClient client = client(SseFailureCapture.DEFAULT_MAX_BODY_BYTES);
             LoopbackServer server = gzipServer(gzip, gzip.length * 2 / 3)) {
            Recorder live = new Recorder();
            SseStream stream = client.open(SseRequest.get(server.uri("/")), live);
            SseException end = live.awaitEnd();
            assertNotNull(end);
            Replayed replayed = replay(await(stream.failureCapture()));
            assertTrue(replayed.head().contains("\r\ncontent-encoding: gzip\r\n"), "as on the wire: " + replayed.head());
            assertTrue(replayed.head().contains("\r\nx-sluice-capture-body: wire\r\n"), replayed.head());
            assertTrue(live.events.size() > 5, "events before the cut: " + live.events.size());
            assertEquals(live.events, replayed.events());
            assertEquals(end.getClass(), replayed.error().getClass());
        }
    }

    @Test
    void aGzippedBodyLongerThanTheBoundReplaysItsLastEventsDecodedAndEndsTheSame() throws Exception {
        byte[] gzip = gzipEvents(2000, true);
        int bound = 4096;
        try (SseClient client = client(bound);
             LoopbackServer server = gzipServer(gzip, gzip.length * 2 / 3)) {
            Recorder live = new Recorder();
            SseStream stream = client.open(SseRequest.get(server.uri("/")), live);
            SseException end = live.awaitEnd();
            assertNotNull(end);
            Path file = await(stream.failureCapture());
            assertTrue(Files.size(file) < bound + 2 * 1024, "bounded: " + Files.size(file));
            Replayed replayed = replay(file);
            assertTrue(replayed.head().contains("\r\nx-sluice-capture-body: decoded\r\n"), replayed.head());
            assertTrue(replayed.head().contains("\r\nx-sluice-capture-truncated: "), replayed.head());
            assertFalse(replayed.head().contains("content-encoding"), replayed.head());
            List<String> tail = replayed.events();
            assertTrue(tail.size() >= 10 && tail.size() < live.events.size(), "the last events: " + tail.size());
            assertEquals(live.events.subList(live.events.size() - tail.size(), live.events.size()), tail);
            assertEquals(end.getClass(), replayed.error().getClass());
        }
    }

    @Test
    void aRefusalReplaysAsTheSameRefusal() throws Exception {
        String body = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}";
        try (SseClient client = client(SseFailureCapture.DEFAULT_MAX_BODY_BYTES);
             LoopbackServer server = LoopbackServer.start(group, (ch, request) -> writeAndClose(ch,
                     "HTTP/1.1 529 Overloaded\r\ncontent-type: application/json\r\ncontent-length: " + body.length()
                             + "\r\n\r\n" + body))) {
            Recorder live = new Recorder();
            SseStream stream = client.open(SseRequest.postJson(server.uri("/v1/messages"), "{}")
                    .withHeader("x-api-key", "sk-SECRET"), live);
            SseStatusException refused = assertInstanceOf(SseStatusException.class, live.awaitEnd());
            Path file = await(stream.failureCapture());
            assertTrue(file.getFileName().toString().endsWith("-upstream_status.http"), file.toString());
            assertFalse(Files.readString(file, StandardCharsets.ISO_8859_1).contains("sk-SECRET"));
            SseStatusException again = assertInstanceOf(SseStatusException.class, replay(file).error());
            assertEquals(refused.status(), again.status());
            assertEquals(body, again.bodyAsString());
        }
    }

    @Test
    void aCleanEndACancelAndAFailureBeforeAnyResponseLeaveNothing() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (SseClient client = client(SseFailureCapture.DEFAULT_MAX_BODY_BYTES);
             LoopbackServer ok = LoopbackServer.start(group, (ch, request) -> writeAndClose(ch,
                     SSE_HEADERS_CHUNKED + chunk("data: one\n\n") + "0\r\n\r\n"));
             LoopbackServer endless = LoopbackServer.start(group, (ch, request) -> write(ch,
                     SSE_HEADERS_CHUNKED + chunk("data: one\n\n")))) {
            Recorder clean = new Recorder();
            SseStream cleanStream = client.open(SseRequest.get(ok.uri("/")), clean);
            assertNull(clean.awaitEnd());
            assertNull(cleanStream.failureCapture());

            Recorder cancelled = new Recorder() {
                @Override
                public void onEvent(io.sluice.core.SseEvent event) {
                    super.onEvent(event);
                }
            };
            SseStream cancelledStream = client.open(SseRequest.get(endless.uri("/")), cancelled);
            for (int i = 0; i < 500 && cancelled.events.isEmpty(); i++) {
                Thread.sleep(10);
            }
            cancelledStream.cancel();
            assertInstanceOf(SseCancelledException.class, cancelled.awaitEnd());
            assertNull(cancelledStream.failureCapture());

            Recorder unreachable = new Recorder();
            SseStream unreachableStream = client.open(SseRequest.get(URI.create("http://127.0.0.1:" + closedPort + "/")), unreachable);
            assertInstanceOf(SseConnectException.class, unreachable.awaitEnd());
            assertNull(unreachableStream.failureCapture());
        }
        assertEquals(List.of(), folder());
    }

    @Test
    void aKeptAliveConnectionsNextStreamRecordsOnlyItsOwnBytes() throws Exception {
        // The first response ends whole and its connection is pooled; the second, on the same
        // connection, is cut: its capture must start at its own head.
        java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
        Channel[] server = new Channel[1];
        server[0] = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16), new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                io.netty.util.ReferenceCountUtil.release(msg);
                                ChannelHandlerContext codec = ctx.pipeline().context(HttpServerCodec.class);
                                if (requests.incrementAndGet() == 1) {
                                    codec.writeAndFlush(LoopbackServer.ascii(SSE_HEADERS_CHUNKED + chunk("data: first\n\n") + "0\r\n\r\n"));
                                } else {
                                    codec.writeAndFlush(LoopbackServer.ascii(SSE_HEADERS_CHUNKED + chunk("data: second\n\n")))
                                            .addListener(ChannelFutureListener.CLOSE);
                                }
                            }
                        });
                    }
                }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
        try (SseClient client = client(SseFailureCapture.DEFAULT_MAX_BODY_BYTES)) {
            URI uri = URI.create("http://127.0.0.1:" + ((InetSocketAddress) server[0].localAddress()).getPort() + "/");
            Recorder first = new Recorder();
            client.open(SseRequest.get(uri), first);
            assertNull(first.awaitEnd());
            Recorder second = new Recorder();
            SseStream stream = client.open(SseRequest.get(uri), second);
            assertInstanceOf(SseClosedEarlyException.class, second.awaitEnd());
            assertEquals(1, client.connectionsReused());
            Replayed replayed = replay(await(stream.failureCapture()));
            assertEquals(List.of("message|second|"), replayed.events());
            assertFalse(Files.readString(stream.failureCapture()).contains("first"));
        } finally {
            server[0].close().syncUninterruptibly();
        }
    }

    @Test
    void aRelayedStreamCutUpstreamLeavesACaptureItsOutcomeNames() throws Exception {
        BlockingQueue<SseRelay.Outcome> outcomes = new LinkedBlockingQueue<>();
        try (SseClient upstreamClient = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class)
                .captureFailures(SseFailureCapture.builder(dir).build()).build();
             SseClient downstreamClient = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).build();
             LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> writeAndClose(ch, SSE_HEADERS_CHUNKED
                     + chunk("event: message_start\ndata: {\"a\":1}\n\n") + chunk("event: delta\ndata: {\"b\":2}\n\n")
                     + chunk("event: delta\ndata: {\"c\"")))) {
            SseRelay relay = SseRelay.builder(upstreamClient, r -> SseRequest.get(upstream.uri("/v1/messages"))
                            .withHeader("authorization", "Bearer sk-SECRET"))
                    .heartbeat(Duration.ZERO).onDone(outcomes::add).build();
            Channel relayServer = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16), relay);
                        }
                    }).bind("127.0.0.1", 0).syncUninterruptibly().channel();
            try {
                Recorder client = new Recorder();
                downstreamClient.open(SseRequest.get(URI.create("http://127.0.0.1:"
                        + ((InetSocketAddress) relayServer.localAddress()).getPort() + "/relay")), client);
                assertNull(client.awaitEnd(), "the relay ends the client's stream with an error event");
                SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
                assertEquals("upstream_closed_early", outcome.end().wireName());
                assertEquals(1, outcome.captures().size(), outcome.toString());
                Path file = await(outcome.captures().get(0));
                assertFalse(Files.readString(file, StandardCharsets.ISO_8859_1).contains("sk-SECRET"));
                Replayed replayed = replay(file);
                List<String> relayed = client.events.subList(0, client.events.size() - 1); // less the relay's error event
                assertTrue(client.events.get(client.events.size() - 1).startsWith("error|"), client.events.toString());
                assertEquals(relayed, replayed.events());
                assertInstanceOf(SseClosedEarlyException.class, replayed.error());
            } finally {
                relayServer.close().syncUninterruptibly();
            }
        }
    }
}

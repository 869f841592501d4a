package io.sluice.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.core.SseEvent;
import io.sluice.core.SseHandler;
import io.sluice.core.SseParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The relay under clients that stop reading or vanish, over loopback: the upstream is paused, not
 * buffered; a leaving client cancels its upstream; nothing is lost, reported twice, or leaked.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SseRelayBackpressureTest {
    /** The relay's downstream write water marks, stated (they are Netty's defaults) because the bound below uses them. */
    private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);
    /** The most one upstream read takes: the maximum of the adaptive receive buffer the SseClient's connections use. */
    private static final int MAX_READ = 64 * 1024;
    /**
     * What Netty's outbound buffer counts for each message on top of its bytes
     * ({@code io.netty.transport.outboundBufferEntrySizeOverhead}, default 96).
     */
    private static final int ENTRY_OVERHEAD = 96;
    /**
     * The most messages a relayed event becomes: HttpObjectEncoder writes a chunk as three (the size
     * line, the data, the CRLF); the relay's own framing, with this pipeline, as one.
     */
    private static final int MESSAGES_PER_EVENT = 3;
    /** An LLM provider's text delta: the events here are that size. */
    private static final String DELTA = "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" the\"}}";
    /** Upper bound of the pump: far more than loopback's socket buffers hold, so reaching it means nothing stopped it. */
    private static final int MAX_EVENTS = 500_000;

    private static EventLoopGroup upstreamGroup;
    private static EventLoopGroup relayGroup;
    private static EventLoopGroup clientGroup;
    private static SseClient relayClient;

    private final Queue<SseRelay.Outcome> outcomes = new ConcurrentLinkedQueue<>();
    /** The relay's downstream connections, as accepted. */
    private final Queue<Channel> downstreams = new ConcurrentLinkedQueue<>();
    /** The request targets that reached the relay: one relayed stream each. */
    private final Queue<String> relayed = new ConcurrentLinkedQueue<>();
    private final PendingProbe probe = new PendingProbe();
    /** Exceptions that got past the relay to the end of its pipeline, where Netty would log them as unhandled. */
    private final Queue<Throwable> escaped = new ConcurrentLinkedQueue<>();
    private Channel relay;

    @BeforeAll
    static void start() {
        upstreamGroup = TestLoops.nio(1);
        relayGroup = TestLoops.nio(2);
        clientGroup = TestLoops.nio(1);
        relayClient = SseClient.builder().eventLoopGroup(relayGroup, NioSocketChannel.class).build();
    }

    @AfterAll
    static void stop() {
        for (EventLoopGroup group : new EventLoopGroup[] {clientGroup, relayGroup, upstreamGroup}) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @AfterEach
    void closeRelay() {
        if (relay != null) {
            relay.close().syncUninterruptibly();
        }
    }

    /** A relay on loopback whose every request opens the same path on {@code upstream}. */
    private URI relayTo(LoopbackServer upstream) {
        return relayTo(upstream, Duration.ofSeconds(60));
    }

    private URI relayTo(LoopbackServer upstream, Duration writeStallTimeout) {
        SseRelay handler = SseRelay.builder(relayClient, request -> SseRequest.get(upstream.uri(request.uri())))
                .heartbeat(Duration.ZERO)
                .writeStallTimeout(writeStallTimeout)
                .onDone(outcomes::add)
                .build();
        relay = new ServerBootstrap()
                .group(relayGroup)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                // Small kernel buffers on both sides of a stall, so it comes after kilobytes, not
                // megabytes: the kernel's memory is not the relay's, and the test stays fast.
                .childOption(ChannelOption.SO_SNDBUF, 16 * 1024)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        downstreams.add(ch);
                        ch.pipeline().addLast(probe, new HttpServerCodec(), new RequestLog(), handler, new EscapeLog());
                    }
                })
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        return URI.create("http://127.0.0.1:" + ((InetSocketAddress) relay.localAddress()).getPort());
    }

    @Test
    void aClientThatStopsReadingPausesTheUpstreamWithinHighWaterPlusTwoReadsAndLosesNothing() throws Exception {
        CompletableFuture<Pump> pumping = new CompletableFuture<>();
        try (LoopbackServer upstream = LoopbackServer.start(upstreamGroup, (ch, request) -> {
            ch.config().setOption(ChannelOption.SO_SNDBUF, 16 * 1024);
            LoopbackServer.write(ch, LoopbackServer.SSE_HEADERS_CHUNKED);
            Pump pump = new Pump(ch);
            ch.pipeline().addLast(pump);
            pumping.complete(pump);
            pump.pump();
        }); PlainClient client = new PlainClient(relayTo(upstream).resolve("/stream"))) {
            Pump pump = pumping.get(10, TimeUnit.SECONDS);
            Channel downstream = awaitDownstream();

            // The client reads nothing. The upstream writes as fast as its socket takes bytes. The
            // relay must fill its downstream to the high water, then stop reading: no more events
            // written downstream while it stays full, and the upstream's socket backs up in turn.
            // The bound: the high water, the read in flight when the downstream filled, and one read
            // more, for the kernel takes a few tens of kilobytes of the outbound buffer after the
            // first stall and writability may come back once before its buffers are full for good
            // (seen on the Netty 4.1 pass: 365 KB against 324 KB for one read). Still a read or two,
            // never the upstream's whole output.
            long bound = WATER_MARK.high() + 2 * pendingOfOneRead(MAX_EVENTS);
            long relayedWrites = -1;
            long upstreamWritten = -1;
            long quietSince = System.nanoTime();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (true) {
                assertTrue(pump.sent < MAX_EVENTS, "the upstream wrote all " + MAX_EVENTS + " events: nothing paused it");
                assertTrue(probe.maxPending <= bound, "the relay's outbound buffer reached " + probe.maxPending
                        + " bytes, over high water + two reads = " + bound + " (" + pump.sent + " events sent)");
                assertTrue(System.nanoTime() < deadline, "no stall: downstream writable " + downstream.isWritable()
                        + ", upstream writable " + pump.channel.isWritable() + ", " + pump.written.get() + " bytes written upstream");
                long writes = probe.writes;
                long written = pump.written.get();
                if (writes != relayedWrites || written != upstreamWritten || downstream.isWritable()) {
                    relayedWrites = writes;
                    upstreamWritten = written;
                    quietSince = System.nanoTime();
                } else if (!pump.channel.isWritable() && System.nanoTime() - quietSince > TimeUnit.MILLISECONDS.toNanos(500)) {
                    break;
                }
                Thread.sleep(10);
            }
            // A closed channel is not writable either: a stall that is really an early end must say so.
            assertTrue(downstream.isActive() && pump.channel.isActive(), () -> "the relayed stream ended instead of stalling: downstream "
                    + (downstream.isActive() ? "open" : "closed") + ", upstream " + (pump.channel.isActive() ? "open" : "closed")
                    + ", outcomes " + outcomes + ", " + probe);
            assertTrue(probe.maxPending <= bound, "the relay's outbound buffer peaked at " + probe.maxPending
                    + " bytes, over high water + two reads = " + bound + " (" + pump.sent + " events sent)");
            assertTrue(probe.maxPending > WATER_MARK.high(), () -> "the relay filled its downstream to the high water first: " + probe);

            int total = pump.finish().get(10, TimeUnit.SECONDS);
            OrderCheck check = new OrderCheck();
            client.readAll(check);

            assertNull(check.failure);
            assertEquals(total, check.received, "every event the upstream wrote, in order");
            SseRelay.Outcome outcome = awaitOutcomes(1).get(0);
            assertEquals(total, outcome.events());
            assertNull(outcome.error());
            assertFalse(outcome.clientGone());
        }
    }

    @Test
    void aClientThatReadsNothingForTheWriteStallTimeoutIsDroppedAndItsUpstreamCancelled() throws Exception {
        CompletableFuture<Pump> pumping = new CompletableFuture<>();
        try (LoopbackServer upstream = LoopbackServer.start(upstreamGroup, (ch, request) -> {
            LoopbackServer.write(ch, LoopbackServer.SSE_HEADERS_CHUNKED);
            Pump pump = new Pump(ch);
            ch.pipeline().addLast(pump);
            pumping.complete(pump);
            pump.pump();
        }); PlainClient client = new PlainClient(relayTo(upstream, Duration.ofMillis(300)).resolve("/stream"))) {
            Pump pump = pumping.get(10, TimeUnit.SECONDS);
            Channel downstream = awaitDownstream();
            long start = System.nanoTime();

            // The client reads nothing: the downstream fills, stays unwritable, and 300 ms later
            // the relay drops it and cancels the upstream, which would otherwise stay paused for ever.
            assertTrue(downstream.closeFuture().await(10, TimeUnit.SECONDS), "the stalled client was dropped");
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300), "not before the timeout");
            assertTrue(pump.channel.closeFuture().await(10, TimeUnit.SECONDS), "its upstream was cancelled");
            SseRelay.Outcome outcome = awaitOutcomes(1).get(0);
            assertTrue(outcome.clientGone(), outcome::toString);
            assertNull(outcome.error());
            assertEquals(SseRelay.End.CLIENT_GONE, outcome.end());
            assertTrue(outcome.events() > 0, "it was relaying when the client stopped reading");
        }
    }

    @Test
    void aClientThatResetsMidRequestOpensNoUpstreamAndLeavesNoUnhandledException() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(upstreamGroup, (ch, request) -> { })) {
            URI relayUri = relayTo(upstream);
            try (Socket socket = new Socket(relayUri.getHost(), relayUri.getPort())) {
                socket.setSoLinger(true, 0); // close sends a reset
                socket.getOutputStream().write("GET /stream HTTP/1.1\r\nhost: 127".getBytes(StandardCharsets.US_ASCII));
            }
            Channel downstream = awaitDownstream();
            assertTrue(downstream.closeFuture().await(10, TimeUnit.SECONDS));
            Thread.sleep(50); // an exception fired with the close would reach the end of the pipeline by now
            assertEquals(List.of(), List.copyOf(escaped), "the relay answers a reset by closing, as its legs do");
            assertEquals(List.of(), List.copyOf(outcomes), "no request, no relayed stream");
            assertTrue(upstream.connections.isEmpty(), "no upstream request");
        }
    }

    @Test
    void clientsThatVanishAnywhereCancelEveryUpstreamAndReportOnceEach() throws Exception {
        long seed = Long.getLong("sluice.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        String because = "seed " + seed + " (rerun with -Dsluice.seed=" + seed + ")";
        // Upstreams that never end by themselves: an event every millisecond until their connection closes.
        try (LoopbackServer upstream = LoopbackServer.start(upstreamGroup, (ch, request) -> {
            LoopbackServer.write(ch, LoopbackServer.SSE_HEADERS_CHUNKED);
            int[] next = {0};
            ScheduledFuture<?> ticks = ch.eventLoop().scheduleAtFixedRate(
                    () -> LoopbackServer.write(ch, LoopbackServer.chunk(event(next[0]++))), 0, 1, TimeUnit.MILLISECONDS);
            ch.closeFuture().addListener(f -> ticks.cancel(false));
        })) {
            URI relayUri = relayTo(upstream);
            Bootstrap closing = vanisherBootstrap(false);
            Bootstrap resetting = vanisherBootstrap(true);
            List<Channel> clients = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int point = random.nextInt(6);
                Vanisher vanisher = new Vanisher("/stream/" + i, point < 3 ? point - 2 : random.nextInt(1, 4000));
                Bootstrap bootstrap = random.nextBoolean() ? resetting : closing;
                clients.add(bootstrap.clone().handler(vanisher).connect(relayUri.getHost(), relayUri.getPort()).sync().channel());
            }
            for (Channel client : clients) {
                assertTrue(client.closeFuture().await(10, TimeUnit.SECONDS), because);
            }

            // Each request that reached the relay is one relayed stream; wait for all their ends.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((outcomes.size() < relayed.size() || upstream.connections.stream().anyMatch(Channel::isActive))
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Thread.sleep(100); // a second report of any stream would come in this time
            for (Channel ch : upstream.connections) {
                assertFalse(ch.isActive(), "an upstream connection outlived its client: " + because);
            }
            for (Channel ch : downstreams) {
                assertFalse(ch.isActive(), "a downstream connection stayed open: " + because);
            }
            assertEquals(List.of(), List.copyOf(escaped), "no exception got past the relay: " + because);
            Map<String, Integer> reports = new HashMap<>();
            for (SseRelay.Outcome outcome : outcomes) {
                reports.merge(outcome.uri(), 1, Integer::sum);
                assertTrue(outcome.clientGone(), () -> outcome + ", " + because);
                assertNull(outcome.error(), () -> outcome + ", " + because);
            }
            Map<String, Integer> expected = new HashMap<>();
            relayed.forEach(uri -> expected.put(uri, 1));
            assertEquals(expected, reports, "exactly one outcome per relayed stream: " + because);
            assertTrue(outcomes.stream().anyMatch(o -> o.events() > 1), "some clients left mid-stream: " + because);
            assertTrue(relayed.size() < clients.size(), "some clients left before their request was whole: " + because);
        }
    }

    /** Clients that leave by themselves: {@code SO_LINGER 0} makes their close a reset. */
    private static Bootstrap vanisherBootstrap(boolean reset) {
        Bootstrap bootstrap = new Bootstrap().group(clientGroup).channel(NioSocketChannel.class);
        return reset ? bootstrap.option(ChannelOption.SO_LINGER, 0) : bootstrap;
    }

    /**
     * The pending bytes that the events of one upstream read can add to the downstream's outbound
     * buffer: at most {@link #MAX_READ} bytes of the upstream's chunks, plus the partial event the
     * previous read left, each re-encoded to the same chunk and counted with the outbound buffer's
     * per-message overhead.
     */
    private static long pendingOfOneRead(int eventsSent) {
        int longest = chunkBytes(eventsSent - 1);
        int shortest = chunkBytes(0);
        long events = MAX_READ / shortest + 2;
        return events * (longest + (long) MESSAGES_PER_EVENT * ENTRY_OVERHEAD);
    }

    private static int chunkBytes(int index) {
        return LoopbackServer.chunk(event(index)).length();
    }

    private static String event(int index) {
        return "data: " + index + ' ' + DELTA + "\n\n";
    }

    private Channel awaitDownstream() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (downstreams.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return downstreams.element();
    }

    private List<SseRelay.Outcome> awaitOutcomes(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (outcomes.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return List.copyOf(outcomes);
    }

    /**
     * Writes events while the socket takes them: as fast as the upstream can, never more than its
     * own high water in memory. Counts the bytes that reached the socket, so a test sees it stall.
     */
    private static final class Pump extends ChannelInboundHandlerAdapter {
        private static final int BATCH = 16;
        final AtomicLong written = new AtomicLong();
        final Channel channel;
        volatile int sent;
        private boolean finishing;
        private boolean finished;

        Pump(Channel channel) {
            this.channel = channel;
        }

        /** On the channel's loop. */
        void pump() {
            Channel ch = channel;
            while (ch.isWritable() && !finished) {
                if (finishing) {
                    finished = true;
                    LoopbackServer.write(ch, "0\r\n\r\n");
                    return;
                }
                if (sent >= MAX_EVENTS) {
                    return;
                }
                StringBuilder batch = new StringBuilder(BATCH * 128);
                int from = sent;
                for (int i = 0; i < BATCH; i++) {
                    batch.append(LoopbackServer.chunk(event(from + i)));
                }
                sent = from + BATCH;
                int bytes = batch.length();
                LoopbackServer.write(ch, batch.toString()).addListener(f -> written.addAndGet(bytes));
            }
        }

        /** Stops after the events written so far and ends the stream; completes with their count. */
        CompletableFuture<Integer> finish() {
            CompletableFuture<Integer> total = new CompletableFuture<>();
            channel.eventLoop().execute(() -> {
                finishing = true;
                total.complete(sent);
                pump();
            });
            return total;
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            pump();
            ctx.fireChannelWritabilityChanged();
        }
    }

    /** Checks that the events are the upstream's, each once, in order. */
    private static final class OrderCheck implements SseHandler {
        int received;
        String failure;

        @Override
        public void onEvent(SseEvent event) {
            String got = "data: " + event.dataAsString() + "\n\n";
            if (failure == null && !got.equals(event(received))) {
                failure = "event " + received + ": " + got;
            }
            received++;
        }
    }

    /**
     * The slowest reader there is: a plain socket with a small receive buffer (so the kernel holds
     * little for it) that sends its GET and reads nothing until {@link #readAll}.
     */
    private static final class PlainClient implements AutoCloseable {
        private final Socket socket = new Socket();

        PlainClient(URI uri) throws IOException {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()));
            socket.getOutputStream().write(("GET " + uri.getPath() + " HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        }

        /** Reads the response to its last chunk, feeding the de-chunked body to a parser. */
        void readAll(SseHandler handler) throws IOException {
            InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            String status = line(in);
            assertTrue(status.startsWith("HTTP/1.1 200"), status);
            while (!line(in).isEmpty()) {
                // the head's fields: the relay's own, checked in SseRelayTest
            }
            try (SseParser parser = SseParser.create(handler)) {
                for (int size; (size = Integer.parseInt(line(in), 16)) > 0; ) {
                    ByteBuf chunk = Unpooled.wrappedBuffer(in.readNBytes(size));
                    parser.feed(chunk);
                    assertEquals("", line(in), "a chunk ends with CRLF");
                }
                parser.end();
            }
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder();
            for (int b; (b = in.read()) != '\n'; ) {
                if (b < 0) {
                    throw new EOFException("the response ended mid-line: " + line);
                }
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * First in the relay's downstream pipeline (next to the socket): after each write reaches the
     * outbound buffer, records the buffer's pending bytes, so the peak is exact, not sampled.
     */
    @ChannelHandler.Sharable
    private static final class PendingProbe extends ChannelDuplexHandler {
        // Written by the relay's loops; exact only with one downstream, as the backpressure test has.
        volatile long maxPending;
        volatile long writes;
        /** The pending bytes each time the channel turned unwritable, then writable again: for a failure's message. */
        private final Queue<String> turns = new ConcurrentLinkedQueue<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ctx.write(msg, promise);
            writes++;
            long pending = pending(ctx);
            if (pending > maxPending) {
                maxPending = pending;
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            turns.add((ctx.channel().isWritable() ? "writable at " : "unwritable at ") + pending(ctx));
            ctx.fireChannelWritabilityChanged();
        }

        private static long pending(ChannelHandlerContext ctx) {
            ChannelOutboundBuffer buffer = ctx.channel().unsafe().outboundBuffer();
            return buffer == null ? -1 : buffer.totalPendingWriteBytes();
        }

        @Override
        public String toString() {
            return "outbound buffer peak " + maxPending + " bytes after " + writes + " writes, turns " + turns;
        }
    }

    /** Notes each whole request that reaches the relay. */
    private final class RequestLog extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest request && request.decoderResult().isSuccess()) {
                relayed.add(request.uri());
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** Last in the relay's pipeline: records what the relay let through instead of handling. */
    private final class EscapeLog extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            escaped.add(cause);
            ctx.close();
        }
    }

    /**
     * A client that leaves at a point chosen by {@code leaveAfter}: -2 before its request, -1 halfway
     * through it, 0 right after it, n > 0 after n bytes of the response (its head, or an event, or
     * between events).
     */
    private static final class Vanisher extends ChannelInboundHandlerAdapter {
        private final byte[] request;
        private final int leaveAfter;
        private long received;

        Vanisher(String target, int leaveAfter) {
            this.request = ("GET " + target + " HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            this.leaveAfter = leaveAfter;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            switch (leaveAfter) {
                case -2 -> ctx.close();
                case -1 -> LoopbackServer.write(ctx.channel(), java.util.Arrays.copyOf(request, request.length / 2))
                        .addListener(f -> ctx.close());
                case 0 -> LoopbackServer.write(ctx.channel(), request).addListener(f -> ctx.close());
                default -> LoopbackServer.write(ctx.channel(), request);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            received += ((ByteBuf) msg).readableBytes();
            ReferenceCountUtil.release(msg);
            if (leaveAfter > 0 && received >= leaveAfter) {
                ctx.close();
            }
        }
    }
}

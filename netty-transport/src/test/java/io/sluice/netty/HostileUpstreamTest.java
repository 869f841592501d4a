package io.sluice.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.handoff.OwnedSseEvent;
import io.sluice.core.handoff.SseEventQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Upstreams that attack or break (issue 14): a gzip bomb into a queue nobody takes from and into a
 * relay whose client reads nothing, interim 1xx answers, a chunk size that is not one, a body that
 * stalls after its head. Real sockets on 127.0.0.1; memory is measured where it is the point.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostileUpstreamTest {
    /** One event of the flood: 100 bytes on the wire. */
    private static final String FLOOD_EVENT = "data: " + "x".repeat(92) + "\n\n";
    private static final int FLOOD_EVENTS = 1_000_000;
    /** What one step of {@link SseDecompressor} inflates to. */
    private static final int EVENTS_PER_STEP = SseDecompressor.DEFAULT_MAX_STEP / FLOOD_EVENT.length() + 1;
    /**
     * 100 MB of events in about 100 KB of gzip: two socket reads, each of which Netty's
     * HttpContentDecompressor turned into some 50 MB of events at once.
     */
    private static byte[] bomb;

    private static EventLoopGroup upstreamGroup;
    /** One thread: every relayed stream shares it, so a hog shows as the others' latency. */
    private static EventLoopGroup relayGroup;
    private static EventLoopGroup clientGroup;

    @BeforeAll
    static void start() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16)) {
            byte[] block = FLOOD_EVENT.repeat(1000).getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < FLOOD_EVENTS / 1000; i++) {
                gz.write(block);
            }
        }
        bomb = out.toByteArray();
        upstreamGroup = TestLoops.nio(1);
        relayGroup = TestLoops.nio(1);
        clientGroup = TestLoops.nio(1);
    }

    @AfterAll
    static void stop() {
        for (EventLoopGroup group : new EventLoopGroup[] {clientGroup, relayGroup, upstreamGroup}) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Answers with the bomb: a gzip body, close-delimited. */
    private static LoopbackServer bombServer() {
        return LoopbackServer.start(upstreamGroup, (ch, request) -> sendBomb(ch, "text/event-stream"));
    }

    /** Writes the bomb as a close-delimited gzip body of {@code contentType}, as fast as a small send buffer takes it. */
    private static void sendBomb(Channel ch, String contentType) {
        ch.config().setOption(ChannelOption.SO_SNDBUF, 16 * 1024);
        LoopbackServer.write(ch, "HTTP/1.1 200 OK\r\ncontent-type: " + contentType + "\r\ncontent-encoding: gzip\r\n"
                + "connection: close\r\n\r\n");
        LoopbackServer.write(ch, bomb).addListener(ChannelFutureListener.CLOSE);
    }

    private static long allocatorBytes() {
        ByteBufAllocatorMetric metric = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        return metric.usedDirectMemory() + metric.usedHeapMemory();
    }

    @Test
    void aGzipFloodIntoAQueueNobodyTakesFromStopsWithinOneStepOfTheHighWaterAndLosesNothing() throws Exception {
        try (LoopbackServer upstream = bombServer();
             SseClient client = SseClient.builder().threads(1).waterMarks(1024, 256).build()) {
            SseStream stream = client.openQueue(SseRequest.get(upstream.uri("/flood")));
            SseEventQueue queue = stream.queue();
            // The consumer takes nothing: the queue fills to its high water, then reading stops.
            int size = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                Thread.sleep(200);
                if (queue.size() == size && queue.isPaused()) {
                    break;
                }
                size = queue.size();
            }
            int bound = 1024 + EVENTS_PER_STEP;
            assertTrue(queue.isPaused(), "the queue paused the stream");
            assertTrue(queue.peakBacklog() <= bound, "the queue held " + queue.peakBacklog()
                    + " events, over its high water plus one step of inflated events = " + bound);

            long taken = 0;
            for (OwnedSseEvent event; (event = queue.take(10, TimeUnit.SECONDS)) != null; ) {
                assertEquals(92, event.dataLength());
                event.release();
                taken++;
            }
            assertNull(queue.failure(), "a clean end");
            assertEquals(FLOOD_EVENTS, taken, "every event, once the consumer takes them");
            assertTrue(queue.peakBacklog() <= bound, "and never more than " + bound + " at a time: " + queue.peakBacklog());
        }
    }

    /** A relay on the one-thread group, each request to the same path upstream. */
    private Channel relay(SseClient relayClient, LoopbackServer upstream, Queue<Channel> downstreams,
                          Queue<SseRelay.Outcome> outcomes) {
        SseRelay handler = SseRelay.builder(relayClient, request -> SseRequest.get(upstream.uri(request.uri())))
                .heartbeat(Duration.ZERO)
                .onDone(outcomes::add)
                .build();
        return new ServerBootstrap()
                .group(relayGroup)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.SO_SNDBUF, 16 * 1024)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        downstreams.add(ch);
                        ch.pipeline().addLast(new HttpServerCodec(), handler);
                    }
                })
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    @Test
    void aGzipFloodRelayedToAClientThatReadsNothingHoldsLittleLeavesTheLoopToOthersAndEndsWithTheClient()
            throws Exception {
        Queue<Channel> downstreams = new ConcurrentLinkedQueue<>();
        Queue<SseRelay.Outcome> outcomes = new ConcurrentLinkedQueue<>();
        // One upstream path is the bomb; the other ticks an event every 10 ms, relayed on the same loop.
        LoopbackServer upstream = LoopbackServer.start(upstreamGroup, (ch, request) -> {
            if (request.uri().startsWith("/ticks")) {
                LoopbackServer.write(ch, LoopbackServer.SSE_HEADERS_CHUNKED);
                int[] next = {0};
                ScheduledFuture<?>[] ticks = new ScheduledFuture<?>[1];
                ticks[0] = ch.eventLoop().scheduleAtFixedRate(() -> {
                    if (next[0] == 150) {
                        LoopbackServer.write(ch, "0\r\n\r\n");
                        ticks[0].cancel(false);
                        return;
                    }
                    LoopbackServer.write(ch, LoopbackServer.chunk("data: " + next[0]++ + "\n\n"));
                }, 0, 10, TimeUnit.MILLISECONDS);
                ch.closeFuture().addListener(f -> ticks[0].cancel(false));
                return;
            }
            sendBomb(ch, "text/event-stream");
        });
        SseClient relayClient = SseClient.builder().eventLoopGroup(relayGroup, NioSocketChannel.class).build();
        Channel relay = relay(relayClient, upstream, downstreams, outcomes);
        URI relayUri = URI.create("http://127.0.0.1:" + ((InetSocketAddress) relay.localAddress()).getPort());
        long allocatorBefore = allocatorBytes();
        try (upstream; SseClient tickClient = SseClient.builder().eventLoopGroup(clientGroup, NioSocketChannel.class).build();
             Socket stalled = new Socket()) {
            stalled.setReceiveBufferSize(4096);
            stalled.connect(new InetSocketAddress(relayUri.getHost(), relayUri.getPort()));
            stalled.getOutputStream().write("GET /bomb HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

            // Wait until the flood reached the relay and the client's stall backed it up.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((downstreams.isEmpty() || downstreams.peek().isWritable()) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            Channel downstream = downstreams.peek();
            assertTrue(downstream != null && !downstream.isWritable(), "the stalled client's connection filled up");

            // Meanwhile another stream on the same loop: its events must keep arriving on time.
            AtomicLong worstGapNanos = new AtomicLong();
            AtomicLong ticksSeen = new AtomicLong();
            CompletableFuture<SseException> tickEnd = new CompletableFuture<>();
            long[] last = {System.nanoTime()};
            long allocatorPeak = 0;
            tickClient.open(SseRequest.get(relayUri.resolve("/ticks")), new SseListener() {
                @Override
                public void onEvent(SseEvent event) {
                    long now = System.nanoTime();
                    if (ticksSeen.getAndIncrement() > 0) {
                        worstGapNanos.accumulateAndGet(now - last[0], Math::max);
                    }
                    last[0] = now;
                }

                @Override
                public void onEnd() {
                    tickEnd.complete(null);
                }

                @Override
                public void onError(SseException error) {
                    tickEnd.complete(error);
                }
            });
            long pendingPeak = 0;
            while (!tickEnd.isDone()) {
                allocatorPeak = Math.max(allocatorPeak, allocatorBytes());
                pendingPeak = Math.max(pendingPeak, downstream.eventLoop().submit(() -> {
                    ChannelOutboundBuffer out = downstream.unsafe().outboundBuffer();
                    return out == null ? 0L : out.totalPendingWriteBytes();
                }).get());
                Thread.sleep(5);
            }
            assertNull(tickEnd.get(), "the other stream ended cleanly");
            assertEquals(150, ticksSeen.get());
            assertTrue(worstGapNanos.get() < TimeUnit.MILLISECONDS.toNanos(500), "an event of the other stream waited "
                    + worstGapNanos.get() / 1_000_000 + " ms for the loop (they are 10 ms apart)");
            // The stalled stream holds its downstream's high water plus what the events of the step
            // in flight encode to (three outbound messages an event, each counted with 96 bytes of
            // overhead); and one step more, as the kernel's socket buffers take a few tens of
            // kilobytes after the first stall and writability comes back once.
            long oneStep = (EVENTS_PER_STEP + 2) * (FLOOD_EVENT.length() + 16 + 3 * 96L);
            long bound = downstream.config().getWriteBufferHighWaterMark() + 2 * oneStep;
            assertTrue(pendingPeak <= bound, "the stalled client's outbound buffer reached " + pendingPeak + " bytes, over " + bound);
            assertTrue(allocatorPeak - allocatorBefore < 16L << 20, "buffers in use grew by "
                    + (allocatorPeak - allocatorBefore) + " bytes during the flood");

            // The client leaves: the upstream is cancelled within a second.
            long left = System.nanoTime();
            stalled.setSoLinger(true, 0);
            stalled.close();
            Channel bombConnection = upstream.connections.stream()
                    .filter(ch -> upstream.requests.size() > 0).findFirst().orElseThrow();
            assertTrue(bombConnection.closeFuture().await(1, TimeUnit.SECONDS)
                    || upstream.connections.stream().noneMatch(Channel::isActive), "the upstream still open a second after its client left");
            assertTrue(System.nanoTime() - left < TimeUnit.SECONDS.toNanos(1) + TimeUnit.MILLISECONDS.toNanos(100));
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (outcomes.size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            SseRelay.Outcome flood = outcomes.stream().filter(o -> o.uri().equals("/bomb")).findFirst().orElseThrow();
            assertTrue(flood.clientGone(), flood.toString());
            assertTrue(flood.events() <= 3 * EVENTS_PER_STEP, "of " + FLOOD_EVENTS + " events, " + flood.events()
                    + " went to a client that read nothing: more than three steps of " + EVENTS_PER_STEP);
        } finally {
            relay.close().syncUninterruptibly();
            for (Channel ch : downstreams) {
                ch.close().syncUninterruptibly();
            }
            relayClient.close();
        }
    }

    @Test
    void aGzipFloodThatIsNotAnEventStreamIsPassedOnUnderTheSameBackpressure() throws Exception {
        // The same bomb as JSON: relayed as it came (issue 15), inflated a step at a time, to a client
        // that reads nothing: the relay holds its high water and a step or two, not 100 MB.
        Queue<Channel> downstreams = new ConcurrentLinkedQueue<>();
        Queue<SseRelay.Outcome> outcomes = new ConcurrentLinkedQueue<>();
        LoopbackServer upstream = LoopbackServer.start(upstreamGroup, (ch, request) -> sendBomb(ch, "application/json"));
        SseClient relayClient = SseClient.builder().eventLoopGroup(relayGroup, NioSocketChannel.class).build();
        Channel relay = relay(relayClient, upstream, downstreams, outcomes);
        int port = ((InetSocketAddress) relay.localAddress()).getPort();
        try (upstream; Socket stalled = new Socket()) {
            stalled.setReceiveBufferSize(4096);
            stalled.connect(new InetSocketAddress("127.0.0.1", port));
            stalled.getOutputStream().write("GET /json HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((downstreams.isEmpty() || downstreams.peek().isWritable()) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            Channel downstream = downstreams.peek();
            assertTrue(downstream != null && !downstream.isWritable(), "the stalled client's connection filled up");
            long pendingPeak = 0;
            for (int i = 0; i < 100; i++) { // a second of the stall
                pendingPeak = Math.max(pendingPeak, downstream.eventLoop().submit(() -> {
                    ChannelOutboundBuffer out = downstream.unsafe().outboundBuffer();
                    return out == null ? 0L : out.totalPendingWriteBytes();
                }).get());
                Thread.sleep(10);
            }
            long bound = downstream.config().getWriteBufferHighWaterMark() + 2L * (SseDecompressor.DEFAULT_MAX_STEP + 3 * 96);
            assertTrue(pendingPeak <= bound, "the stalled client's outbound buffer reached " + pendingPeak + " bytes, over " + bound);
            stalled.setSoLinger(true, 0);
            stalled.close();
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (outcomes.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            SseRelay.Outcome outcome = outcomes.peek();
            assertTrue(outcome != null && outcome.clientGone(), String.valueOf(outcome));
            assertEquals(SseRelay.Answer.UPSTREAM_RESPONSE, outcome.answer());
            assertTrue(outcome.bytes() < 8L << 20, "of 100 MB, " + outcome.bytes() + " bytes went to a client that read nothing");
        } finally {
            relay.close().syncUninterruptibly();
            for (Channel ch : downstreams) {
                ch.close().syncUninterruptibly();
            }
            relayClient.close();
        }
    }

    @Test
    void interimAnswersBeforeTheStreamAreSkippedLikeCurlAndNginxDo() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(upstreamGroup, (ch, request) ->
                LoopbackServer.writeAndClose(ch, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n"
                        + LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk("data: one\n\n") + "0\r\n\r\n"));
             SseClient client = SseClient.builder().threads(1).build()) {
            List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
            int[] status = new int[1];
            SseStream stream = client.open(SseRequest.get(upstream.uri("/")), new SseListener() {
                @Override
                public void onOpen(io.netty.handler.codec.http.HttpResponseStatus s, io.netty.handler.codec.http.HttpHeaders h) {
                    status[0] = s.code();
                }

                @Override
                public void onEvent(SseEvent event) {
                    events.add(event.dataAsString());
                }
            });
            stream.done().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals(200, status[0]);
            assertEquals(List.of("one"), events);
        }
    }

    @Test
    void aChunkSizeThatIsNotOneIsAMalformedResponseAndTheRelaysErrorSaysSo() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(upstreamGroup, (ch, request) ->
                LoopbackServer.write(ch, LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk("data: one\n\n")
                        + "ffffffffffffffff\r\ndata: two\n\n\r\n"));
             SseClient client = SseClient.builder().threads(1).build()) {
            SseStream stream = client.open(SseRequest.get(upstream.uri("/")), event -> { });
            Throwable error = failureOf(stream);
            SseMalformedResponseException malformed = assertInstanceOf(SseMalformedResponseException.class, error);
            assertEquals(1, malformed.events());
            assertTrue(SseRelay.errorJson(malformed).contains("\"type\":\"upstream_malformed\""), SseRelay.errorJson(malformed));
        }
    }

    @Test
    void anUpstreamThatAnswersAndThenStallsEndsWithAnIdleTimeoutNotHeartbeatsForever() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(upstreamGroup, (ch, request) ->
                LoopbackServer.write(ch, LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk("data: one\n\n")));
             SseClient client = SseClient.builder().threads(1).idleTimeout(Duration.ofSeconds(1)).build()) {
            long start = System.nanoTime();
            SseStream stream = client.open(SseRequest.get(upstream.uri("/")), event -> { });
            Throwable error = failureOf(stream);
            SseTimeoutException timeout = assertInstanceOf(SseTimeoutException.class, error);
            assertEquals(SseTimeoutException.Kind.IDLE, timeout.kind());
            assertEquals(1, timeout.events());
            assertTrue(System.nanoTime() - start >= TimeUnit.SECONDS.toNanos(1));
            assertTrue(upstream.connections.stream().noneMatch(Channel::isActive) || awaitClosed(upstream), "the stalled connection is closed");
        }
    }

    @Test
    void aPausedStreamIsNotTimedOutForItsOwnSilence() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(upstreamGroup, (ch, request) -> {
            LoopbackServer.write(ch, LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk("data: one\n\n"));
            ch.eventLoop().schedule(() -> LoopbackServer.write(ch, LoopbackServer.chunk("data: two\n\n") + "0\r\n\r\n"),
                    100, TimeUnit.MILLISECONDS);
        }); SseClient client = SseClient.builder().threads(1).idleTimeout(Duration.ofSeconds(1)).build()) {
            List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
            SseStream[] self = new SseStream[1];
            CompletableFuture<Void> first = new CompletableFuture<>();
            self[0] = client.open(SseRequest.get(upstream.uri("/")), event -> {
                events.add(event.dataAsString());
                if (events.size() == 1) {
                    self[0].pause(); // a consumer that falls behind for longer than the idle timeout
                    first.complete(null);
                }
            });
            first.get(10, TimeUnit.SECONDS);
            Thread.sleep(2500); // more than twice the idle timeout, paused
            self[0].resume();
            self[0].done().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals(List.of("one", "two"), events);
        }
    }

    /** How {@code stream} ended: its error, or null for a clean end. */
    private static Throwable failureOf(SseStream stream) throws Exception {
        try {
            stream.done().toCompletableFuture().get(10, TimeUnit.SECONDS);
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        }
    }

    private static boolean awaitClosed(LoopbackServer upstream) throws InterruptedException {
        for (Channel ch : upstream.connections) {
            if (!ch.closeFuture().await(2, TimeUnit.SECONDS)) {
                return false;
            }
        }
        return true;
    }

}

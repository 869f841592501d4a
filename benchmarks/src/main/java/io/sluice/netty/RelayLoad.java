package io.sluice.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * S concurrent relayed streams on loopback, for {@link SseRelayLoadTest} (which asserts on a round)
 * and {@link RelayLoadBenchmark} (which prints rounds): an upstream Netty server on 127.0.0.1 writes
 * E events per stream, an {@link SseRelay} on its own group relays them, and S {@link SseClient}
 * streams read them and check every event.
 *
 * <p>A round has three phases. All S streams open: each upstream answers with its response head
 * and holds, until every upstream has its request and every client its response head. Then the
 * upstreams write each stream's first event, paced ({@value #FIRST_EVENTS_PER_MILLI} a millisecond,
 * so they measure the relay's pass-through, not a queue of a thousand), and hold again until every
 * client has its first event: each first event crosses the relay while its upstream is still open,
 * and a relay that buffered until the end would never release the hold (the round times out).
 * Then every upstream writes the rest as fast as it can and ends: throughput.
 *
 * <p>Protocols: HTTP/1.1 on both sides, or HTTP/2 (h2c by prior knowledge) upstream, downstream or
 * both. Over HTTP/1.1 each stream has a connection of its own at each hop; over HTTP/2 the streams
 * share connections (up to 256 streams each, {@link SseServerProtocols}' default and the client's
 * cap), each stream a child channel with its own flow control.
 *
 * <p>Threads: the upstream server and the clients have one event loop each, the relay (its
 * downstream channels and, on the same loops, its upstream connections) has {@code relayThreads}.
 * Everything runs in this JVM, so the memory figures are the whole loopback system's (upstream
 * server, relay, clients): an upper bound on the relay's own.
 */
final class RelayLoad implements AutoCloseable {
    /** An LLM provider's text delta; with the index and stamp, about the size of those in samples/ (median data line 98 bytes). */
    static final String PAD = "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" the\"}}";
    private static final byte[] PAD_BYTES = PAD.getBytes(StandardCharsets.US_ASCII);
    static final String TYPE = "content_block_delta";
    /** The pace of the first events: one every 100 us, a fraction of what the relay can take. */
    static final int FIRST_EVENTS_PER_MILLI = 10;

    /**
     * The relay's transport, {@code -Dsluice.relayTransport=nio} (the default), {@code epoll} or
     * {@code io_uring} (Netty's native transports: their classes and native jar, of the same Netty
     * version, on the class path); the upstream and the clients stay on NIO.
     */
    static final String RELAY_TRANSPORT = System.getProperty("sluice.relayTransport", "nio");

    private final EventLoopGroup upstreamGroup = TestLoops.nio(1);
    private final EventLoopGroup relayGroup;
    private final EventLoopGroup clientGroup = TestLoops.nio(1);
    private final SseClient relayClient;
    private final SseClient readerClient;
    private final int relayThreads;
    private final boolean consolidateFlushes;
    private final boolean upstreamHttp2;
    private final boolean downstreamHttp2;

    /**
     * @param consolidateFlushes the relay's {@link SseRelay.Builder#consolidateFlushes} (its default
     *     is true): the flushes of one event-loop turn (the events of one upstream read) become one
     */
    RelayLoad(int relayThreads, boolean consolidateFlushes) throws ReflectiveOperationException {
        this(relayThreads, consolidateFlushes, false, false, null);
    }

    /**
     * @param upstreamHttp2 the upstream server and the relay's client speak h2c
     * @param downstreamHttp2 the relay and the readers speak h2c
     * @param captureFailures the relay's client records every stream for it (null: nothing recorded)
     */
    RelayLoad(int relayThreads, boolean consolidateFlushes, boolean upstreamHttp2, boolean downstreamHttp2,
              SseFailureCapture captureFailures) throws ReflectiveOperationException {
        this.relayThreads = relayThreads;
        this.consolidateFlushes = consolidateFlushes;
        this.upstreamHttp2 = upstreamHttp2;
        this.downstreamHttp2 = downstreamHttp2;
        this.relayGroup = RELAY_TRANSPORT.equals("nio") ? TestLoops.nio(relayThreads)
                : new MultiThreadIoEventLoopGroup(relayThreads, (IoHandlerFactory) nativeTransport("IoHandler").getMethod("newFactory").invoke(null));
        this.relayClient = SseClient.builder().eventLoopGroup(relayGroup, RELAY_TRANSPORT.equals("nio") ? NioSocketChannel.class
                        : nativeTransport("SocketChannel").asSubclass(SocketChannel.class))
                .captureFailures(captureFailures)
                .protocol(upstreamHttp2 ? SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE : SseClient.Protocol.HTTP_1_1).build();
        this.readerClient = SseClient.builder().eventLoopGroup(clientGroup, NioSocketChannel.class)
                .protocol(downstreamHttp2 ? SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE : SseClient.Protocol.HTTP_1_1).build();
    }

    /** A class of the native transport {@link #RELAY_TRANSPORT} names, e.g. {@code EpollSocketChannel} for "SocketChannel". */
    private static Class<?> nativeTransport(String kind) throws ClassNotFoundException {
        return switch (RELAY_TRANSPORT) {
            case "epoll" -> Class.forName("io.netty.channel.epoll.Epoll" + kind);
            case "io_uring" -> Class.forName("io.netty.channel.uring.IoUring" + kind);
            default -> throw new IllegalArgumentException("sluice.relayTransport: nio, epoll or io_uring, not " + RELAY_TRANSPORT);
        };
    }

    private static Class<? extends ServerSocketChannel> serverChannel() {
        try {
            return RELAY_TRANSPORT.equals("nio") ? NioServerSocketChannel.class
                    : nativeTransport("ServerSocketChannel").asSubclass(ServerSocketChannel.class);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Connections opened by the relay's client to the upstream and by the readers to the relay, over all rounds. */
    long upstreamConnections() {
        return relayClient.connectionsOpened();
    }

    long downstreamConnections() {
        return readerClient.connectionsOpened();
    }

    int relayThreads() {
        return relayThreads;
    }

    /** What one round measured; every duration in nanoseconds. */
    record Round(int streams, int events, List<String> failures, List<SseRelay.Outcome> outcomes,
                 Histogram openToHead, Histogram firstEventPassThrough, Histogram restPassThrough,
                 long restEvents, long restNanos, Memory memory, long relayAllocatedBytes, long relayCpuNanos) {

        double restEventsPerSecond() {
            return restEvents / (restNanos / 1e9);
        }

        /**
         * What the relay's event loops allocated per event while the upstreams wrote the rest: the
         * upstream reads, the parse, the downstream write (buffers from the pooled allocator are
         * not counted, their wrappers are).
         */
        double relayBytesPerEvent() {
            return relayAllocatedBytes / (double) restEvents;
        }

        /**
         * The relay's event loops' CPU time per event while the upstreams wrote the rest: the
         * relay's own cost, which the loopback system's events/s hides when the upstream and the
         * clients take most of the cores.
         */
        double relayCpuNanosPerEvent() {
            return relayCpuNanos / (double) restEvents;
        }
    }

    /**
     * Memory figures of a round, in bytes. The high waters are sampled every millisecond or so;
     * {@code liveHeapAllOpen - liveHeapBefore} is the heap that S open streams hold, both read
     * right after a full collection (so garbage is not counted).
     */
    record Memory(long allocatorDirectHighWater, long allocatorHeapHighWater, long heapUsedHighWater,
                  long liveHeapBefore, long liveHeapAllOpen) {

        long liveHeapPerStream(int streams) {
            return (liveHeapAllOpen - liveHeapBefore) / streams;
        }
    }

    /**
     * Runs S streams of E events each through the relay and waits for every one to end, up to
     * {@code timeout} for each phase (the heads, the first events, the rest).
     *
     * @throws java.util.concurrent.TimeoutException if a phase did not finish in time
     */
    Round run(int streams, int events, Duration timeout) throws Exception {
        if (events < 1) {
            throw new IllegalArgumentException("need at least one event per stream, got " + events);
        }
        Queue<Held> held = new ConcurrentLinkedQueue<>();
        Queue<SseRelay.Outcome> outcomes = new ConcurrentLinkedQueue<>();
        CountDownLatch heads = new CountDownLatch(streams);
        CountDownLatch upstreamRequests = new CountDownLatch(streams);
        CountDownLatch firstEvents = new CountDownLatch(streams);
        CountDownLatch ended = new CountDownLatch(streams);
        Histogram restPassThrough = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(60), 3);
        List<Reader> readers = new ArrayList<>(streams);
        long liveHeapBefore = liveHeap();
        try (Upstream upstream = upstreamHttp2 ? new Http2Upstream(upstreamGroup, held, upstreamRequests)
                : new Http1Upstream(LoopbackServer.start(upstreamGroup, (ch, request) -> {
                    held.add(new Http1Held(ch));
                    upstreamRequests.countDown();
                    LoopbackServer.write(ch, LoopbackServer.SSE_HEADERS_CHUNKED);
                })); Sampler sampler = new Sampler()) {
            Channel relay = relayServer(upstream, outcomes);
            try {
                URI relayUri = URI.create("http://127.0.0.1:" + ((InetSocketAddress) relay.localAddress()).getPort());
                for (int i = 0; i < streams; i++) {
                    Reader reader = new Reader(i, events, heads, firstEvents, ended, restPassThrough);
                    readers.add(reader);
                    readerClient.open(SseRequest.get(relayUri.resolve("/stream/" + i)), reader);
                }
                // The relay answers each client at once, before its upstream does: wait for both.
                await(heads, timeout, "response heads", readers);
                await(upstreamRequests, timeout, "upstream requests", readers);
                long liveHeapAllOpen = liveHeap();

                writeFirstEvents(List.copyOf(held));
                await(firstEvents, timeout, "first events", readers);

                long[] relayThreads = relayThreadIds();
                long relayAllocatedBefore = allocatedBytes(relayThreads);
                long relayCpuBefore = cpuNanos(relayThreads);
                long restStart = System.nanoTime();
                for (Held h : held) {
                    h.channel().eventLoop().execute(() -> writeRest(h, events));
                }
                await(ended, timeout, "ends", readers);
                long restNanos = System.nanoTime() - restStart;
                long relayAllocated = allocatedBytes(relayThreads) - relayAllocatedBefore;
                long relayCpu = cpuNanos(relayThreads) - relayCpuBefore;
                long deadline = System.nanoTime() + timeout.toNanos();
                while (outcomes.size() < streams && System.nanoTime() < deadline) {
                    Thread.sleep(1); // the relay reports a stream just after writing its last chunk
                }

                List<String> failures = new ArrayList<>();
                Histogram openToHead = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
                Histogram firstPass = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
                for (Reader reader : readers) {
                    if (reader.failure != null) {
                        failures.add(reader.failure);
                    } else {
                        openToHead.recordValue(reader.openToHead);
                        firstPass.recordValue(reader.firstPassThrough);
                    }
                }
                return new Round(streams, events, failures, List.copyOf(outcomes), openToHead, firstPass,
                        restPassThrough, (long) streams * (events - 1), restNanos,
                        sampler.stop(liveHeapBefore, liveHeapAllOpen), relayAllocated, relayCpu);
            } finally {
                relay.close().syncUninterruptibly();
            }
        }
    }

    /** The relay's event loop threads, whose allocations {@link Round#relayBytesPerEvent} counts. */
    private long[] relayThreadIds() throws Exception {
        List<Long> ids = new ArrayList<>();
        for (io.netty.util.concurrent.EventExecutor loop : relayGroup) {
            ids.add(loop.submit(() -> Thread.currentThread().getId()).get());
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    private static long allocatedBytes(long[] threads) {
        long sum = 0;
        for (long bytes : ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(threads)) {
            sum += bytes;
        }
        return sum;
    }

    private static long cpuNanos(long[] threads) {
        long sum = 0;
        for (long thread : threads) {
            sum += java.lang.management.ManagementFactory.getThreadMXBean().getThreadCpuTime(thread);
        }
        return sum;
    }

    private Channel relayServer(Upstream upstream, Queue<SseRelay.Outcome> outcomes) {
        SseRelay handler = SseRelay.builder(relayClient, request -> SseRequest.get(upstream.uri(request.uri())))
                .heartbeat(Duration.ZERO)
                .consolidateFlushes(consolidateFlushes)
                .onDone(outcomes::add)
                .build();
        return new ServerBootstrap()
                .group(relayGroup)
                .channel(serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(downstreamHttp2
                        // Every stream a child channel: its request comes whole, as one FullHttpRequest.
                        ? SseServerProtocols.builder(p -> p.addLast(handler)).h2c(true).build()
                        : new ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel ch) {
                                // GET only: no aggregator, the relay releases the request's empty last content.
                                ch.pipeline().addLast(new HttpServerCodec(), handler);
                            }
                        })
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    /** The upstream server of a round. */
    private interface Upstream extends AutoCloseable {
        URI uri(String path);

        @Override
        void close();
    }

    /** An upstream stream, held until the round writes to it: its events, then its end. */
    private interface Held {
        Channel channel();

        void write(String event);

        void end();
    }

    private record Http1Upstream(LoopbackServer server) implements Upstream {
        @Override
        public URI uri(String path) {
            return server.uri(path);
        }

        @Override
        public void close() {
            server.close();
        }
    }

    /** A chunked HTTP/1.1 response, written as raw bytes. */
    private record Http1Held(Channel channel) implements Held {
        @Override
        public void write(String event) {
            LoopbackServer.write(channel, LoopbackServer.chunk(event));
        }

        @Override
        public void end() {
            LoopbackServer.write(channel, "0\r\n\r\n");
        }
    }

    /** An h2c server ({@link SseServerProtocols}): each stream answers its head, then is held. */
    private static final class Http2Upstream implements Upstream {
        private final Channel server;

        Http2Upstream(EventLoopGroup group, Queue<Held> held, CountDownLatch requests) {
            server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childHandler(SseServerProtocols.builder(p -> p.addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                            io.netty.util.ReferenceCountUtil.release(msg);
                            if (!(msg instanceof io.netty.handler.codec.http.HttpRequest)) {
                                return;
                            }
                            io.netty.handler.codec.http.DefaultHttpResponse head = new io.netty.handler.codec.http.DefaultHttpResponse(
                                    io.netty.handler.codec.http.HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                            head.headers().set(io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
                            ctx.writeAndFlush(head);
                            held.add(new Http2Held(ctx.channel()));
                            requests.countDown();
                        }
                    })).h2c(true).build())
                    .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        }

        @Override
        public URI uri(String path) {
            return URI.create("http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort() + path);
        }

        @Override
        public void close() {
            server.close().syncUninterruptibly();
        }
    }

    /** An HTTP/2 stream's response: each event a DATA frame, the end an empty one with END_STREAM. */
    private record Http2Held(Channel channel) implements Held {
        @Override
        public void write(String event) {
            channel.writeAndFlush(new io.netty.handler.codec.http.DefaultHttpContent(
                    io.netty.buffer.Unpooled.copiedBuffer(event, StandardCharsets.US_ASCII)));
        }

        @Override
        public void end() {
            channel.writeAndFlush(io.netty.handler.codec.http.LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    /** Event {@code index}'s data: the index, the upstream's write time, the delta. */
    private static String event(int index) {
        return "event: " + TYPE + "\ndata: " + index + ' ' + System.nanoTime() + ' ' + PAD + "\n\n";
    }

    /** Each stream's first event, {@link #FIRST_EVENTS_PER_MILLI} a millisecond, on the upstream's one loop. */
    private void writeFirstEvents(List<Held> streams) {
        int[] next = {0};
        ScheduledFuture<?>[] ticks = new ScheduledFuture<?>[1];
        ticks[0] = upstreamGroup.next().scheduleAtFixedRate(() -> {
            for (int i = 0; i < FIRST_EVENTS_PER_MILLI && next[0] < streams.size(); i++) {
                streams.get(next[0]++).write(event(0));
            }
            if (next[0] == streams.size()) {
                ticks[0].cancel(false);
            }
        }, 1, 1, TimeUnit.MILLISECONDS); // not 0: the first tick must find ticks[0] set
    }

    /** The rest of a stream, each event flushed as a provider flushes its deltas, then the last chunk. */
    private static void writeRest(Held stream, int events) {
        for (int i = 1; i < events; i++) {
            stream.write(event(i));
        }
        stream.end();
    }

    private static void await(CountDownLatch latch, Duration timeout, String what, List<Reader> readers)
            throws Exception {
        if (!latch.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            long stuck = readers.stream().filter(r -> r.failure == null && !r.done).count();
            String failure = readers.stream().map(r -> r.failure).filter(java.util.Objects::nonNull).findFirst().orElse("none");
            throw new java.util.concurrent.TimeoutException("waited " + timeout + " for " + what + ": "
                    + latch.getCount() + " missing, " + stuck + " streams still open without a failure; first failure: " + failure);
        }
    }

    /** Heap in use right after a full collection: what is live. */
    private static long liveHeap() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    @Override
    public void close() {
        readerClient.close();
        relayClient.close();
        for (EventLoopGroup group : new EventLoopGroup[] {clientGroup, relayGroup, upstreamGroup}) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /**
     * One downstream stream's checks, on the client's event loop: every event is the next index,
     * with the upstream's type and delta byte for byte, and the stream ends cleanly after E events.
     */
    private static final class Reader implements SseListener {
        private final int id;
        private final int events;
        private final CountDownLatch heads;
        private final CountDownLatch firstEvents;
        private final CountDownLatch ended;
        private final Histogram restPassThrough;
        private final long openNanos = System.nanoTime();
        // Client loop only, until the latches hand them to the main thread (their happens-before).
        private int next;
        private boolean countedHead;
        private boolean countedFirst;
        private long openToHead;
        private long firstPassThrough;
        // Volatile: a timeout reads them without a latch, to say what is stuck.
        private volatile String failure;
        private volatile boolean done;

        Reader(int id, int events, CountDownLatch heads, CountDownLatch firstEvents, CountDownLatch ended,
               Histogram restPassThrough) {
            this.id = id;
            this.events = events;
            this.heads = heads;
            this.firstEvents = firstEvents;
            this.ended = ended;
            this.restPassThrough = restPassThrough;
        }

        @Override
        public void onOpen(HttpResponseStatus status, HttpHeaders headers) {
            openToHead = System.nanoTime() - openNanos;
            countHead();
        }

        @Override
        public void onEvent(SseEvent event) {
            long now = System.nanoTime();
            if (failure != null) {
                return;
            }
            ByteBuf data = event.dataBuffer();
            int at = event.dataIndex();
            int end = at + event.dataLength();
            long index = 0;
            long stamp = 0;
            for (; at < end && data.getByte(at) != ' '; at++) {
                index = index * 10 + data.getByte(at) - '0';
            }
            for (at++; at < end && data.getByte(at) != ' '; at++) {
                stamp = stamp * 10 + data.getByte(at) - '0';
            }
            at++;
            if (index != next || !TYPE.equals(event.type()) || end - at != PAD_BYTES.length || !padAt(data, at)) {
                failure = "stream " + id + ", event " + next + ": got " + event.type() + "|" + event.dataAsString();
                countFirst(); // so a failed stream does not hold the others until the timeout
                countHead();
                return;
            }
            long passThrough = Math.max(0, now - stamp);
            if (next++ == 0) {
                firstPassThrough = passThrough;
                countFirst();
            } else {
                restPassThrough.recordValue(passThrough);
            }
        }

        private static boolean padAt(ByteBuf data, int at) {
            for (int i = 0; i < PAD_BYTES.length; i++) {
                if (data.getByte(at + i) != PAD_BYTES[i]) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void onEnd() {
            if (failure == null && next != events) {
                failure = "stream " + id + " ended after " + next + " of " + events + " events";
            }
            end();
        }

        @Override
        public void onError(SseException error) {
            if (failure == null) {
                failure = "stream " + id + " failed after " + next + " events: " + error;
            }
            end();
        }

        private void end() {
            countHead();
            countFirst();
            done = true;
            ended.countDown();
        }

        private void countHead() {
            if (!countedHead) {
                countedHead = true;
                heads.countDown();
            }
        }

        private void countFirst() {
            if (!countedFirst) {
                countedFirst = true;
                firstEvents.countDown();
            }
        }
    }

    /** Samples the memory high waters on a thread of its own until stopped. */
    private static final class Sampler implements AutoCloseable {
        private final ByteBufAllocatorMetric allocator =
                ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        private final MemoryMXBean heap = ManagementFactory.getMemoryMXBean();
        private final Thread thread;
        private volatile boolean running = true;
        private long allocatorDirect;
        private long allocatorHeap;
        private long heapUsed;

        Sampler() {
            thread = new Thread(this::sample, "relay-load-memory");
            thread.setDaemon(true);
            thread.start();
        }

        private void sample() {
            while (running) {
                allocatorDirect = Math.max(allocatorDirect, allocator.usedDirectMemory());
                allocatorHeap = Math.max(allocatorHeap, allocator.usedHeapMemory());
                heapUsed = Math.max(heapUsed, heap.getHeapMemoryUsage().getUsed());
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        Memory stop(long liveHeapBefore, long liveHeapAllOpen) {
            close();
            return new Memory(allocatorDirect, allocatorHeap, heapUsed, liveHeapBefore, liveHeapAllOpen);
        }

        @Override
        public void close() {
            running = false;
            try {
                thread.join(); // its fields are read after this join
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

package io.sluice.benchmarks;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.core.handoff.OwnedSseEvent;
import io.sluice.core.handoff.SseEventQueue;
import io.sluice.netty.SseClient;
import io.sluice.netty.SseRequest;
import io.sluice.netty.SseStream;
import org.HdrHistogram.Histogram;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * End to end through the SPSC hand-off, over loopback: a Netty server (NIO, one event loop,
 * 127.0.0.1) streams one endless chunked SSE response; an {@link SseClient} (one event loop)
 * decodes it and offers each event to the stream's {@link SseEventQueue}; the JMH thread is the
 * consumer thread, draining the queue ({@link SseEventQueue#drain}, parking in
 * {@link SseEventQueue#await} when it is empty). One operation takes {@value #EVENTS_PER_OP}
 * events; the stream lives for the whole trial, so what is measured is the steady state,
 * backpressure (autoRead off at the queue's high water) included.
 *
 * <ul>
 *   <li>{@link #saturated}: the server writes while the socket is writable, 64 events of about
 *       110 bytes (an LLM text delta's size) per HTTP chunk and flush. Read the {@code events}
 *       counter: events/s into the consumer thread. The age percentiles are at saturation (the
 *       queue sits at its high water by design), so they measure queueing, not the path.</li>
 *   <li>{@link #paced}: the server writes {@link #rate} events/s in 1 ms batches, well below
 *       saturation. Its age percentiles are the honest per-event latency: from the server's write
 *       of an event to the consumer's taking it, both on this JVM's {@link System#nanoTime()}.</li>
 * </ul>
 *
 * Ages are recorded in an HdrHistogram during measurement iterations only; at the end of the
 * trial the percentiles are printed and, with {@code -Dsluice.latencyOut=FILE}, appended to FILE
 * as one line that {@code ResultsTable} reads, with the process's CPU time per event over the
 * measurement iterations (all threads: server, client, consumer, GC): on a shared machine, where
 * events/s depends on what else runs, this cost is the steadier figure to compare. Three busy threads (server loop, client loop,
 * consumer) share the machine's cores, so on 2 cores the server's cost per event counts against
 * the figure: it writes pre-encoded events, stamping one time per batch. Every wait is bounded.
 * Netty's leak detector is off in the forks, as in Netty's own microbenchmarks: at its default
 * level it records a stack trace for one buffer in 128, which the profile showed as about a
 * sixth of the client's and the consumer's time at a million buffers a second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class LoopbackQueueBenchmark {
    static final int EVENTS_PER_OP = 1000;
    private static final int EVENTS_PER_CHUNK = 64;
    /** About the size of an LLM provider's text delta event; the stamp goes in front of it. */
    private static final byte[] PAD = (" {\"type\":\"content_block_delta\",\"index\":0,"
            + "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final int STAMP_DIGITS = 19;

    /** Events per second the server writes in {@link #paced}. */
    @Param({"100000"})
    public int rate;

    private EventLoopGroup serverGroup;
    private Channel serverChannel;
    private SseClient client;
    private SseStream stream;
    private SseEventQueue queue;
    private final Consumer consumer = new Consumer();
    private String run;
    private static final com.sun.management.OperatingSystemMXBean PROCESS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private long iterationCpuStart;
    private long iterationEventsStart;
    private long measuredCpuNanos;
    private long measuredEvents;

    /** Per-iteration totals; JMH divides them by the iteration's time. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Throughput {
        public long events;

        @Setup(Level.Iteration)
        public void reset() {
            events = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp(org.openjdk.jmh.infra.BenchmarkParams params) throws InterruptedException {
        boolean paced = params.getBenchmark().endsWith(".paced");
        run = paced ? "paced rate=" + rate : "saturated";
        serverGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        serverChannel = new ServerBootstrap().group(serverGroup).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new EndlessStream(paced ? rate : 0));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        int port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        client = SseClient.builder().threads(1).build();
        stream = client.openQueue(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/stream")));
        queue = stream.queue();
    }

    @Setup(Level.Iteration)
    public void startIteration(IterationParams params) {
        consumer.recording = params.getType() == IterationType.MEASUREMENT;
        iterationCpuStart = PROCESS.getProcessCpuTime();
        iterationEventsStart = consumer.events;
    }

    @TearDown(Level.Iteration)
    public void endIteration() {
        if (consumer.recording) {
            measuredCpuNanos += PROCESS.getProcessCpuTime() - iterationCpuStart;
            measuredEvents += consumer.events - iterationEventsStart;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        stream.close();
        client.close();
        serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        Histogram ages = consumer.ages;
        String line = String.format(Locale.ROOT,
                "run=loopbackQueue:%s events=%d cpu_ns_per_event=%.0f p50_us=%.1f p90_us=%.1f p99_us=%.1f p99.9_us=%.1f max_us=%.1f",
                run.replace(' ', ':'), ages.getTotalCount(),
                measuredEvents == 0 ? 0.0 : (double) measuredCpuNanos / measuredEvents, ages.getValueAtPercentile(50) / 1e3,
                ages.getValueAtPercentile(90) / 1e3, ages.getValueAtPercentile(99) / 1e3,
                ages.getValueAtPercentile(99.9) / 1e3, ages.getMaxValue() / 1e3);
        System.out.println(line);
        String out = System.getProperty(LoopbackBenchmark.LATENCY_OUT_PROPERTY);
        if (out != null) {
            Files.writeString(Path.of(out), line + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    @Benchmark
    public void saturated(Throughput t, Blackhole bh) throws InterruptedException {
        take(t, bh);
    }

    @Benchmark
    public void paced(Throughput t, Blackhole bh) throws InterruptedException {
        take(t, bh);
    }

    /** Takes {@link #EVENTS_PER_OP} events on this (the consumer) thread. */
    private void take(Throughput t, Blackhole bh) throws InterruptedException {
        consumer.blackhole = bh;
        int taken = 0;
        while (taken < EVENTS_PER_OP) {
            int n = queue.drain(consumer, EVENTS_PER_OP - taken);
            if (n == 0 && !queue.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("no event for 30 s: " + queue);
            }
            taken += n;
            if (queue.isDone()) {
                throw new IllegalStateException("the endless stream ended: " + queue.failure(), queue.failure());
            }
        }
        t.events += taken;
    }

    /** What the consumer thread does with each event: its age, and its bytes into the Blackhole. */
    private static final class Consumer implements SseEventQueue.Handler {
        final Histogram ages = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        volatile boolean recording;
        Blackhole blackhole;
        long events;

        @Override
        public void onEvent(OwnedSseEvent event) {
            ByteBuf data = event.dataBuffer();
            int index = event.dataIndex();
            if (recording) {
                ages.recordValue(Math.max(0, System.nanoTime() - stamp(data, index)));
            }
            events++;
            blackhole.consume(event.type());
            blackhole.consume(data.getByte(index + event.dataLength() - 1));
        }

        /** The stamp: the fixed-width decimal digits at the start of the event's data. */
        private static long stamp(ByteBuf data, int index) {
            long value = 0;
            for (int i = index; i < index + STAMP_DIGITS; i++) {
                value = value * 10 + (data.getByte(i) - '0');
            }
            return value;
        }
    }

    /**
     * Answers the request with an endless chunked event stream: {@link #EVENTS_PER_CHUNK} events
     * per chunk while the socket is writable, or {@code rate} events/s in 1 ms chunks.
     */
    private static final class EndlessStream extends ChannelInboundHandlerAdapter {
        private final int rate;
        private final byte[] stamp = new byte[STAMP_DIGITS];
        private ScheduledFuture<?> pacer;
        private boolean streaming;

        EndlessStream(int rate) {
            this.rate = rate;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest && !streaming) {
                streaming = true;
                HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
                        .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
                ctx.writeAndFlush(response);
                if (rate > 0) {
                    int perMilli = Math.max(1, rate / 1000);
                    pacer = ctx.executor().scheduleAtFixedRate(() -> {
                        if (ctx.channel().isWritable()) { // a stalled client must not pile up memory here
                            ctx.writeAndFlush(new DefaultHttpContent(events(ctx, perMilli)));
                        }
                    }, 1, 1, TimeUnit.MILLISECONDS);
                } else {
                    pump(ctx);
                }
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (rate == 0 && streaming) {
                pump(ctx);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (pacer != null) {
                pacer.cancel(false);
            }
            ctx.fireChannelInactive();
        }

        private void pump(ChannelHandlerContext ctx) {
            while (ctx.channel().isActive() && ctx.channel().isWritable()) {
                ctx.writeAndFlush(new DefaultHttpContent(events(ctx, EVENTS_PER_CHUNK)));
            }
        }

        /** {@code count} events stamped now: {@code data: <19 digits> {...}\n\n}. */
        private ByteBuf events(ChannelHandlerContext ctx, int count) {
            ByteBuf buf = ctx.alloc().buffer(count * (DATA.length + STAMP_DIGITS + PAD.length));
            long rest = System.nanoTime();
            for (int d = STAMP_DIGITS - 1; d >= 0; d--) {
                stamp[d] = (byte) ('0' + rest % 10);
                rest /= 10;
            }
            for (int e = 0; e < count; e++) {
                buf.writeBytes(DATA).writeBytes(stamp).writeBytes(PAD);
            }
            return buf;
        }
    }
}

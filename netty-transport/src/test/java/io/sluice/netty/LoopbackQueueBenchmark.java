package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.core.handoff.OwnedSseEvent;
import io.sluice.core.handoff.SseEventQueue;
import org.HdrHistogram.Histogram;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * End to end on loopback: a Netty server writes SSE events stamped with {@link System#nanoTime()};
 * an {@link SseClient} decodes them on its event loop and hands them through the SPSC queue to this
 * thread, which takes them and records each event's age.
 *
 * <ul>
 *   <li>{@code throughput N}: the server writes N events as fast as the socket takes them
 *       (writability-driven); reports events/s and MB/s of SSE body through the queue.</li>
 *   <li>{@code latency RATE SECONDS}: the server writes RATE events/s in 1 ms batches; reports the
 *       age at take() (server write to consumer take, both in this JVM) as HdrHistogram percentiles.</li>
 * </ul>
 *
 * A main class rather than JMH: the figure is a whole pipeline's (two event loops, the kernel's
 * loopback, the queue and a parked consumer), which JMH's per-invocation model does not fit. Run:
 * {@code java -cp ... io.sluice.netty.LoopbackQueueBenchmark throughput 2000000} (docs/transport.md).
 */
public final class LoopbackQueueBenchmark {
    /** About the size of an LLM provider's text delta event. */
    private static final String PAD = "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}";

    private LoopbackQueueBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "throughput";
        EventLoopGroup serverGroup = TestLoops.nio(1);
        System.out.println("# " + System.getProperty("java.vm.name") + " " + Runtime.version() + ", "
                + Runtime.getRuntime().availableProcessors() + " cpus, client transport "
                + (io.netty.channel.epoll.Epoll.isAvailable() ? "epoll" : "nio"));
        try (SseClient client = SseClient.builder().threads(1).build()) {
            if (mode.equals("throughput")) {
                long count = args.length > 1 ? Long.parseLong(args[1]) : 2_000_000;
                for (int round = 1; round <= 3; round++) { // round 1 warms the JIT
                    throughput(serverGroup, client, count, round);
                }
            } else {
                int rate = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
                int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
                latency(serverGroup, client, rate, 2, true);
                latency(serverGroup, client, rate, seconds, false);
            }
        } finally {
            serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static void throughput(EventLoopGroup serverGroup, SseClient client, long count, int round) throws Exception {
        try (LoopbackServer server = LoopbackServer.start(serverGroup, (ch, request) -> {
            LoopbackServer.write(ch, LoopbackServer.SSE_HEADERS_CLOSE);
            ch.pipeline().addLast(new Pump(count));
            ch.pipeline().fireChannelWritabilityChanged();
        })) {
            SseStream stream = client.openQueue(SseRequest.get(server.uri("/throughput")));
            SseEventQueue queue = stream.queue();
            Histogram ages = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
            long events = 0;
            long bytes = 0;
            long start = System.nanoTime();
            OwnedSseEvent event;
            while ((event = queue.take(30, TimeUnit.SECONDS)) != null) {
                ages.recordValue(Math.max(0, System.nanoTime() - stamp(event)));
                bytes += event.dataLength();
                events++;
                event.release();
            }
            long elapsed = System.nanoTime() - start;
            stream.close();
            if (queue.failure() != null) {
                throw queue.failure();
            }
            System.out.printf("throughput round %d: %,d events in %.2f s = %,.0f events/s, %.1f MB/s of event data; "
                            + "age at take p50 %.1f us, p99 %.1f us (queue full by design: backpressure)%n",
                    round, events, elapsed / 1e9, events / (elapsed / 1e9), bytes / (elapsed / 1e3),
                    ages.getValueAtPercentile(50) / 1e3, ages.getValueAtPercentile(99) / 1e3);
        }
    }

    private static void latency(EventLoopGroup serverGroup, SseClient client, int rate, int seconds, boolean warmup)
            throws Exception {
        int perMilli = Math.max(1, rate / 1000);
        long total = (long) rate * seconds;
        try (LoopbackServer server = LoopbackServer.start(serverGroup, (ch, request) -> {
            LoopbackServer.write(ch, LoopbackServer.SSE_HEADERS_CLOSE);
            long[] sent = {0};
            ScheduledFuture<?>[] task = new ScheduledFuture<?>[1];
            task[0] = ch.eventLoop().scheduleAtFixedRate(() -> {
                for (int i = 0; i < perMilli && sent[0] < total; i++, sent[0]++) {
                    ch.write(event(ch));
                }
                ch.flush();
                if (sent[0] >= total) {
                    task[0].cancel(false);
                    ch.close();
                }
            }, 1, 1, TimeUnit.MILLISECONDS);
        })) {
            SseStream stream = client.openQueue(SseRequest.get(server.uri("/latency")));
            SseEventQueue queue = stream.queue();
            Histogram ages = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
            OwnedSseEvent event;
            while ((event = queue.take(30, TimeUnit.SECONDS)) != null) {
                ages.recordValue(Math.max(0, System.nanoTime() - stamp(event)));
                event.release();
            }
            stream.close();
            if (queue.failure() != null) {
                throw queue.failure();
            }
            if (!warmup) {
                System.out.printf("latency at %,d events/s for %d s (%,d events), server write to consumer take: "
                                + "p50 %.1f us, p90 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us%n",
                        rate, seconds, ages.getTotalCount(), ages.getValueAtPercentile(50) / 1e3,
                        ages.getValueAtPercentile(90) / 1e3, ages.getValueAtPercentile(99) / 1e3,
                        ages.getValueAtPercentile(99.9) / 1e3, ages.getMaxValue() / 1e3);
            }
        }
    }

    private static ByteBuf event(Channel ch) {
        ByteBuf buf = ch.alloc().buffer(160);
        buf.writeCharSequence("data: " + System.nanoTime() + " " + PAD + "\n\n", StandardCharsets.US_ASCII);
        return buf;
    }

    /** The stamp: the decimal digits at the start of the event's data, read without a String. */
    private static long stamp(OwnedSseEvent event) {
        ByteBuf data = event.dataBuffer();
        long value = 0;
        for (int i = event.dataIndex(), end = i + event.dataLength(); i < end; i++) {
            byte b = data.getByte(i);
            if (b < '0' || b > '9') {
                break;
            }
            value = value * 10 + (b - '0');
        }
        return value;
    }

    /** Writes events while the socket is writable, so the server never buffers more than the kernel takes. */
    private static final class Pump extends ChannelInboundHandlerAdapter {
        private long left;

        Pump(long count) {
            this.left = count;
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            Channel ch = ctx.channel();
            while (left > 0 && ch.isWritable()) {
                for (int i = 0; i < 64 && left > 0; i++, left--) {
                    ch.write(event(ch));
                }
                ch.flush();
            }
            if (left == 0) {
                left = -1;
                ch.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            ctx.fireChannelWritabilityChanged();
        }
    }
}

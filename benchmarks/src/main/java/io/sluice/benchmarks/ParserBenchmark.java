package io.sluice.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.sluice.core.SseEvent;
import io.sluice.core.SseHandler;
import io.sluice.core.SseParser;
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

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.TimeUnit;

/**
 * End-to-end parser throughput: one operation parses a whole {@link Corpus} with a new
 * {@link SseParser}, fed either as one buffer or as the 1460-byte pieces TCP delivers (one MSS of
 * a 1500-byte MTU), and consumes every event.
 *
 * <p>Read {@code bytes} (MB/s = bytes/s / 1e6) and {@code events} from the secondary metrics. With
 * {@code -prof gc}, {@code gc.alloc.rate.norm} is bytes allocated per corpus: the parser's own
 * objects and buffers (once per corpus, not per event) plus whatever the parser allocates per
 * event. Bytes per event = {@code gc.alloc.rate.norm} / (events/s / ops/s).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ParserBenchmark {

    /** One TCP segment's payload on a 1500-byte MTU Ethernet link. */
    static final int SEGMENT = 1460;

    @Param({"ANTHROPIC", "OPENAI_CHAT", "LARGE_CRLF", "ANTHROPIC_LONG"})
    public Corpus corpus;

    /** {@code whole}: the corpus in one buffer; {@code segments1460}: cut into 1460-byte buffers. */
    @Param({"whole", "segments1460"})
    public String feed;

    /**
     * What the fed buffers are: {@code heap} (unpooled, has an array) or {@code direct}
     * (unpooled). Opt-in: {@code adaptiveHeap} and {@code adaptiveDirect}, buffers of Netty 4.2's
     * default allocator, as a channel's reads are.
     */
    @Param({"heap", "direct"})
    public String buffer;

    /**
     * Where the parser allocates the buffers it keeps between feeds: {@code default} is
     * {@code ByteBufAllocator.DEFAULT} (the adaptive allocator in Netty 4.2), as users get it;
     * {@code pooled} and {@code unpooled} are there to compare its per-copy allocation against.
     */
    @Param({"default"})
    public String parserAllocator;

    private ByteBuf[] pieces;
    private ByteBufAllocator alloc;
    private long bytesPerCorpus;
    private long eventsPerCorpus;
    private final ConsumingHandler handler = new ConsumingHandler();

    /** Per-iteration totals; JMH divides them by the iteration's time. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Throughput {
        public long bytes;
        public long events;
        /**
         * This thread's CPU time, where a benchmark records it: bytes / cpuNanos is MB per
         * CPU-second, which a shared machine's preemption does not bend as it bends MB/s.
         */
        public long cpuNanos;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
            events = 0;
            cpuNanos = 0;
        }
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** This thread's CPU time in nanoseconds (a clock read of about a microsecond: once per corpus). */
    static long cpuNanos() {
        return THREADS.getCurrentThreadCpuTime();
    }

    /** Reads what a real consumer reads of every event, so nothing the parser computes is dead. */
    static final class ConsumingHandler implements SseHandler {
        Blackhole blackhole;
        long incompleteTail = -1;

        @Override
        public void onEvent(SseEvent event) {
            Blackhole bh = blackhole;
            ByteBuf data = event.dataBuffer();
            int index = event.dataIndex();
            int length = event.dataLength();
            bh.consume(event.type());
            bh.consume(data);
            bh.consume(index);
            bh.consume(length);
            if (length > 0) {
                bh.consume(data.getByte(index + length - 1));
            }
        }

        @Override
        public void onEnd(long incompleteTailBytes) {
            incompleteTail = incompleteTailBytes;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        Corpus.Loaded loaded = corpus.load();
        byte[] bytes = loaded.bytes();
        bytesPerCorpus = bytes.length;
        eventsPerCorpus = loaded.events();
        int pieceSize = switch (feed) {
            case "whole" -> bytes.length;
            case "segments1460" -> SEGMENT;
            default -> throw new IllegalArgumentException("feed: " + feed);
        };
        pieces = cut(bytes, pieceSize, buffer);
        alloc = switch (parserAllocator) {
            case "default" -> ByteBufAllocator.DEFAULT;
            case "pooled" -> PooledByteBufAllocator.DEFAULT;
            case "unpooled" -> UnpooledByteBufAllocator.DEFAULT;
            default -> throw new IllegalArgumentException("parserAllocator: " + parserAllocator);
        };
    }

    /**
     * {@code bytes} in buffers of {@code size} bytes (the last one shorter), each its own buffer
     * as a socket read makes it, not a slice of one big buffer. Owned by this state until
     * {@link #tearDown()}.
     */
    static ByteBuf[] cut(byte[] bytes, int size, String buffer) {
        int count = (bytes.length + size - 1) / size;
        ByteBuf[] pieces = new ByteBuf[count];
        for (int i = 0; i < count; i++) {
            int from = i * size;
            int length = Math.min(size, bytes.length - from);
            ByteBuf piece = switch (buffer) {
                case "heap" -> Unpooled.buffer(length, length);
                case "direct" -> Unpooled.directBuffer(length, length);
                case "adaptiveHeap" -> ByteBufAllocator.DEFAULT.heapBuffer(length, length);
                case "adaptiveDirect" -> ByteBufAllocator.DEFAULT.directBuffer(length, length);
                default -> throw new IllegalArgumentException("buffer: " + buffer);
            };
            pieces[i] = piece.writeBytes(bytes, from, length);
        }
        return pieces;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (ByteBuf piece : pieces) {
            piece.release();
        }
        pieces = null;
    }

    @Benchmark
    public void parse(Throughput throughput, Blackhole blackhole) {
        long cpu = cpuNanos();
        handler.blackhole = blackhole;
        // A parser cannot be reused after end(): one per corpus, so its own allocation is per
        // corpus (about 10^3 to 10^4 events), not per event.
        SseParser parser = SseParser.builder().allocator(alloc).build(handler);
        for (ByteBuf piece : pieces) {
            piece.readerIndex(0); // feed() consumed it in the last invocation
            parser.feed(piece);
        }
        long events = parser.eventsDispatched();
        parser.end();
        if (events != eventsPerCorpus || handler.incompleteTail != 0) {
            throw new IllegalStateException(corpus + " fed as " + feed + ": " + events + " events, expected "
                    + eventsPerCorpus + "; incomplete tail " + handler.incompleteTail);
        }
        throughput.bytes += bytesPerCorpus;
        throughput.events += events;
        throughput.cpuNanos += cpuNanos() - cpu;
    }
}

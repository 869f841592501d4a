package io.sluice.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import io.sluice.core.internal.EolScanner;
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

import java.util.concurrent.TimeUnit;

/**
 * Chooses the parser's line-end scan ({@link EolScanner}). One operation finds every CR or LF of
 * the {@link Corpus#ANTHROPIC} corpus (about 1 MB, lines of 20 to 200 bytes, as LLM streams are),
 * from the first byte to the last, restarting after each line end as the parser does. Every
 * method finds the same line ends (checked in setup); read MB/s from the {@code bytes} counter.
 *
 * <ul>
 *   <li>{@link #swar}: {@code EolScanner.indexOfEol}, what the parser uses;</li>
 *   <li>{@link #swarGetLongLE}: the same SWAR test reading {@code ByteBuf.getLongLE} on every
 *       buffer, to price the VarHandle-on-the-array path for heap buffers;</li>
 *   <li>{@link #forEachByteFindCrlf}: Netty's {@code forEachByte(from, length, FIND_CRLF)};</li>
 *   <li>{@link #byteLoop}: one byte at a time, over the array when there is one, else
 *       {@code getByte};</li>
 *   <li>{@link #lfThenCr}: two {@code ByteBuf.indexOf} calls, LF first, then CR up to it.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class EolScanBenchmark {
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final long LFS = 0x0A0A0A0A0A0A0A0AL;
    private static final long CRS = 0x0D0D0D0D0D0D0D0DL;
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    @Param({"heap", "direct"})
    public String buffer;

    private ByteBuf bytes;
    private int end;
    private int lineEnds;

    /** Per-iteration totals; JMH divides them by the iteration's time. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Throughput {
        public long bytes;
        public long lineEnds;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
            lineEnds = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        byte[] corpus = Corpus.ANTHROPIC.load().bytes();
        bytes = ParserBenchmark.cut(corpus, corpus.length, buffer)[0];
        end = bytes.writerIndex();
        lineEnds = 0;
        for (byte b : corpus) {
            if (b == CR || b == LF) {
                lineEnds++;
            }
        }
        int[] found = {scanSwar(), scanSwarGetLongLE(), scanForEachByte(), scanByteLoop(), scanLfThenCr()};
        for (int count : found) {
            if (count != lineEnds) {
                throw new IllegalStateException("a scan found " + count + " line ends, expected " + lineEnds);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        bytes.release();
    }

    @Benchmark
    public int swar(Throughput throughput) {
        return count(throughput, scanSwar());
    }

    @Benchmark
    public int swarGetLongLE(Throughput throughput) {
        return count(throughput, scanSwarGetLongLE());
    }

    @Benchmark
    public int forEachByteFindCrlf(Throughput throughput) {
        return count(throughput, scanForEachByte());
    }

    @Benchmark
    public int byteLoop(Throughput throughput) {
        return count(throughput, scanByteLoop());
    }

    @Benchmark
    public int lfThenCr(Throughput throughput) {
        return count(throughput, scanLfThenCr());
    }

    private int count(Throughput throughput, int found) {
        throughput.bytes += end;
        throughput.lineEnds += found;
        return found;
    }

    private int scanSwar() {
        ByteBuf buf = bytes;
        int n = 0;
        for (int i = 0, eol; (eol = EolScanner.indexOfEol(buf, i, end)) >= 0; i = eol + 1) {
            n++;
        }
        return n;
    }

    private int scanSwarGetLongLE() {
        ByteBuf buf = bytes;
        int n = 0;
        for (int i = 0, eol; (eol = indexOfEolGetLongLE(buf, i, end)) >= 0; i = eol + 1) {
            n++;
        }
        return n;
    }

    private int scanForEachByte() {
        ByteBuf buf = bytes;
        int n = 0;
        for (int i = 0, eol; i < end && (eol = buf.forEachByte(i, end - i, ByteProcessor.FIND_CRLF)) >= 0; i = eol + 1) {
            n++;
        }
        return n;
    }

    private int scanByteLoop() {
        ByteBuf buf = bytes;
        int n = 0;
        for (int i = 0, eol; (eol = indexOfEolByteLoop(buf, i, end)) >= 0; i = eol + 1) {
            n++;
        }
        return n;
    }

    private int scanLfThenCr() {
        ByteBuf buf = bytes;
        int n = 0;
        for (int i = 0; i < end; ) {
            int lf = buf.indexOf(i, end, LF);
            int cr = buf.indexOf(i, lf < 0 ? end : lf, CR);
            int eol = cr >= 0 ? cr : lf;
            if (eol < 0) {
                break;
            }
            n++;
            i = eol + 1;
        }
        return n;
    }

    /** One byte at a time: over the backing array when there is one, else through {@code getByte}. */
    private static int indexOfEolByteLoop(ByteBuf buf, int from, int to) {
        if (buf.hasArray()) {
            byte[] array = buf.array();
            int offset = buf.arrayOffset();
            for (int i = from + offset, last = to + offset; i < last; i++) {
                byte b = array[i];
                if (b == LF || b == CR) {
                    return i - offset;
                }
            }
            return -1;
        }
        for (int i = from; i < to; i++) {
            byte b = buf.getByte(i);
            if (b == LF || b == CR) {
                return i;
            }
        }
        return -1;
    }

    /** {@link EolScanner}'s SWAR test, reading words with {@code getLongLE} whatever the buffer. */
    private static int indexOfEolGetLongLE(ByteBuf buf, int from, int to) {
        int i = from;
        for (; i <= to - Long.BYTES; i += Long.BYTES) {
            long word = buf.getLongLE(i);
            long lf = word ^ LFS;
            long cr = word ^ CRS;
            long mask = ((lf - ONES) & ~lf | (cr - ONES) & ~cr) & HIGHS;
            if (mask != 0) {
                return i + (Long.numberOfTrailingZeros(mask) >>> 3);
            }
        }
        for (; i < to; i++) {
            byte b = buf.getByte(i);
            if (b == LF || b == CR) {
                return i;
            }
        }
        return -1;
    }
}

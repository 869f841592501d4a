package io.sluice.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.core.SseParser;
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

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * House rule 2, "never scan a byte twice", proved: one {@code data} line of {@code lineLength}
 * bytes fed one byte per {@link SseParser#feed(ByteBuf)}. If the parser rescanned the unfinished
 * line on every feed the cost would grow with the square of the length, and bytes/s at 1 MiB would
 * be a sixteenth of bytes/s at 64 KiB; linear cost keeps them level.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LongLineBenchmark {

    /** Bytes of the line, {@code data: } included, its LF not. */
    @Param({"65536", "1048576"})
    public int lineLength;

    /** The whole event, {@code data: xxx...\n\n}; fed through a one-byte window. */
    private ByteBuf event;
    private int eventLength;

    @Setup(Level.Trial)
    public void setUp() {
        byte[] bytes = new byte[lineLength + 2];
        Arrays.fill(bytes, (byte) 'x');
        System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, bytes, 0, 6);
        bytes[lineLength] = '\n';
        bytes[lineLength + 1] = '\n';
        event = Unpooled.wrappedBuffer(bytes);
        eventLength = bytes.length;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        event.release();
    }

    @Benchmark
    public void longLineFedByteByByte(ParserBenchmark.Throughput throughput, Blackhole blackhole) {
        SseParser parser = SseParser.builder()
                .maxLineLength(2 * lineLength)
                .maxEventSize(2 * lineLength)
                .build(e -> blackhole.consume(e.dataBuffer().getByte(e.dataIndex() + e.dataLength() - 1)));
        ByteBuf in = event;
        for (int i = 0; i < eventLength; i++) {
            in.setIndex(i, i + 1); // a one-byte window, no buffer per byte
            parser.feed(in);
        }
        long events = parser.eventsDispatched();
        parser.end();
        if (events != 1) {
            throw new IllegalStateException(events + " events from one line of " + lineLength + " bytes");
        }
        throughput.bytes += eventLength;
        throughput.events += events;
    }
}

package io.sluice.core.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.core.SseParser;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A way of cutting an input into the reads a parser is fed: the feeders of the one conformance
 * suite (whole, byte by byte, fixed sizes, seeded random sizes, explicit cut points), each fed as
 * heap or direct buffers from the leak-tracked default allocator and released after each feed.
 */
public final class Chunking {
    private final String name;
    private final int[] cuts;
    private final boolean direct;

    private Chunking(String name, int[] cuts, boolean direct) {
        this.name = name;
        this.cuts = cuts;
        this.direct = direct;
    }

    /** Cuts at the given offsets (each in 1..length-1, ascending); no cuts is the whole input. */
    public static Chunking at(int... cuts) {
        return new Chunking("cuts" + Arrays.toString(cuts), cuts.clone(), false);
    }

    public static Chunking whole() {
        return new Chunking("whole", new int[0], false);
    }

    public static Chunking fixed(int size, int length) {
        List<Integer> cuts = new ArrayList<>();
        for (int c = size; c < length; c += size) {
            cuts.add(c);
        }
        return new Chunking(Integer.toString(size), toArray(cuts), false);
    }

    /** Sizes 1..64 drawn from {@code seed}, as {@code sluice replay --chunk random:SEED} cuts. */
    public static Chunking random(long seed, int length) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Integer> cuts = new ArrayList<>();
        for (int c = 1 + random.nextInt(64); c < length; c += 1 + random.nextInt(64)) {
            cuts.add(c);
        }
        return new Chunking("random:" + seed, toArray(cuts), false);
    }

    /** The chunkings the conformance runner uses, plus direct buffers, for an input of {@code length} bytes. */
    public static List<Chunking> standard(int length) {
        return List.of(whole(), fixed(1, length), fixed(2, length), fixed(3, length), fixed(7, length),
                random(1, length), random(2, length), random(42, length),
                fixed(5, length).asDirect(), whole().asDirect());
    }

    /** The same cuts, fed as direct buffers (the parser's non-array scan path). */
    public Chunking asDirect() {
        return new Chunking(name + "/direct", cuts, true);
    }

    public int[] cuts() {
        return cuts.clone();
    }

    /** Feeds {@code input} to a parser built around a fresh {@link RecordingHandler}, ends it, and returns the records. */
    public List<SseRecord> parse(byte[] input, SseParser.Builder builder) {
        RecordingHandler handler = new RecordingHandler();
        SseParser parser = builder.build(handler);
        try {
            feed(parser, input);
            parser.end();
        } finally {
            parser.close();
        }
        return handler.records();
    }

    public List<SseRecord> parse(byte[] input) {
        return parse(input, SseParser.builder());
    }

    /** Feeds {@code input} cut as this chunking says; does not end the parser. */
    public void feed(SseParser parser, byte[] input) {
        int from = 0;
        for (int i = 0; i <= cuts.length; i++) {
            int to = i < cuts.length ? cuts[i] : input.length;
            ByteBuf chunk = allocate(to - from);
            try {
                chunk.writeBytes(input, from, to - from);
                parser.feed(chunk);
            } finally {
                chunk.release();
            }
            from = to;
        }
    }

    private ByteBuf allocate(int size) {
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        return direct ? alloc.directBuffer(Math.max(size, 1)) : alloc.heapBuffer(Math.max(size, 1));
    }

    private static int[] toArray(List<Integer> list) {
        return list.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String toString() {
        return name;
    }
}

package io.sluice.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * One Jazzer input read as a parser run: the stream bytes, where they are cut, the bounds, the
 * buffers they arrive in, and (for the leak oracle) how the run ends.
 *
 * <p>The {@link FuzzedDataProvider} takes numbers from the end of the input and the stream from
 * what is left at the front, so a corpus file is the stream's bytes followed by a {@link #TRAILER}
 * ({@link #seed} writes one): the stream stays readable in the file, and the fuzzer mutates cuts
 * and bounds as bytes like any other. Every number takes exactly one byte; a missing byte reads as
 * the range's minimum (whole input, default bounds). Jazzer's provider returns a byte that lies in
 * the range as itself, and reduces one outside it ({@code min + b % (max - min + 1)}), so a chunk
 * size {@code s} is the byte {@code s}.
 */
record FuzzCase(ChunkedInput split, Limits limits, ChunkFeeder feeder, SplitPointProperties.Ending ending, int throwAt,
                int[] chunkSizes) {
    /** The most distinct chunk sizes one case cycles through; 1-byte feeds need only one. */
    static final int MAX_CHUNK_SIZES = 15;
    /** Small bounds are at most this: the interesting edges are a few bytes either side of a line. */
    static final int MAX_SMALL_BOUND = 255;

    static FuzzCase consume(FuzzedDataProvider data) {
        // Consumed in this order; a corpus file holds these bytes in reverse, after the stream.
        boolean small = data.consumeBoolean();
        int maxLine = data.consumeInt(1, MAX_SMALL_BOUND);
        int maxEvent = data.consumeInt(1, MAX_SMALL_BOUND);
        boolean skip = data.consumeBoolean();
        boolean direct = data.consumeBoolean();
        boolean emptyFeeds = data.consumeBoolean();
        SplitPointProperties.Ending ending = SplitPointProperties.Ending.values()[
                data.consumeInt(0, SplitPointProperties.Ending.values().length - 1)];
        int throwAt = data.consumeInt(0, 7);
        int[] sizes = new int[data.consumeInt(0, MAX_CHUNK_SIZES)];
        for (int k = 0; k < sizes.length; k++) {
            sizes[k] = data.consumeInt(1, MAX_SMALL_BOUND);
        }
        byte[] input = data.consumeRemainingAsBytes();
        Limits limits = small ? new Limits(maxLine, maxEvent, skip) : new Limits(Limits.DEFAULT.maxLineLength(),
                Limits.DEFAULT.maxEventSize(), skip);
        return new FuzzCase(new ChunkedInput(input, cuts(input.length, sizes)), limits,
                new ChunkFeeder(direct, emptyFeeds, false), ending, throwAt, sizes);
    }

    /** Cuts where chunks of the given sizes, repeated in turn, end; no sizes means one feed. */
    static int[] cuts(int length, int[] sizes) {
        if (sizes.length == 0) {
            return new int[0];
        }
        int[] cuts = new int[length];
        int n = 0;
        for (int at = sizes[0], k = 0; at < length; at += sizes[++k % sizes.length]) {
            cuts[n++] = at;
        }
        return Arrays.copyOf(cuts, n);
    }

    /** Bytes of the trailer with no chunk sizes: one per number {@link #consume} reads before them. */
    static final int TRAILER = 9;

    /**
     * The corpus file that {@link #consume} reads back as {@code stream} cut into chunks of
     * {@code chunkSizes} in turn (each 1..{@value #MAX_SMALL_BOUND}), at the default bounds, ended
     * by {@code end()}.
     */
    static byte[] seed(byte[] stream, int... chunkSizes) {
        if (chunkSizes.length > MAX_CHUNK_SIZES) {
            throw new IllegalArgumentException("at most " + MAX_CHUNK_SIZES + " chunk sizes");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(stream.length + TRAILER + chunkSizes.length);
        out.writeBytes(stream);
        for (int k = chunkSizes.length - 1; k >= 0; k--) {
            if (chunkSizes[k] < 1 || chunkSizes[k] > MAX_SMALL_BOUND) {
                throw new IllegalArgumentException("chunk size " + chunkSizes[k]);
            }
            out.write(chunkSizes[k]);
        }
        out.write(chunkSizes.length);
        // throwAt, ending, emptyFeeds, direct, skip, maxEvent, maxLine, small: all their minimum.
        out.writeBytes(new byte[TRAILER - 1]);
        return out.toByteArray();
    }

    /** What a failure report prints: enough to rebuild the run in a unit test. */
    String describe() {
        return split.toJava() + "\nchunk sizes " + Arrays.toString(chunkSizes) + ", limits " + limits + ", fed as "
                + feeder + ", " + ending + ", a handler throwing at callback " + throwAt;
    }
}

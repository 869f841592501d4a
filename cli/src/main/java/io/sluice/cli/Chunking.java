package io.sluice.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.SplittableRandom;
import java.util.function.IntSupplier;

/**
 * How the input bytes are cut into the reads fed to the parser ({@code --chunk}): every cut must
 * give the same records, which is what the conformance runner checks by replaying each vector
 * under several of them.
 */
final class Chunking {
    /** Size of one read in {@link Kind#AS_READ} mode, and of each step that grows a whole read. */
    static final int READ_SIZE = 8192;
    /**
     * The largest read fed to the parser: a whole input, or a chunk size, larger than this is fed
     * in reads of this size, so an input of any size is replayed in bounded memory (issue 14). Every
     * cut gives the same records, so only memory tells the difference.
     */
    static final int MAX_READ = 1 << 20;
    /** Random chunks are 1..{@value} bytes, as in core's test {@code Chunking.random}. */
    static final int MAX_RANDOM_SIZE = 64;

    private enum Kind {
        /** The whole input in one read (reads of {@link #MAX_READ} beyond that size). */
        WHOLE,
        /** {@link #value} bytes each (the last one shorter; at most {@link #MAX_READ}). */
        FIXED,
        /** Sizes 1..64 drawn from a {@code SplittableRandom} seeded with {@link #value}. */
        RANDOM,
        /** Whatever each read of the input returns, fed as it arrives (live standard input). */
        AS_READ
    }

    static final Chunking WHOLE = new Chunking(Kind.WHOLE, 0);
    static final Chunking AS_READ = new Chunking(Kind.AS_READ, 0);

    private final Kind kind;
    private final long value;

    private Chunking(Kind kind, long value) {
        this.kind = kind;
        this.value = value;
    }

    static Chunking fixed(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("chunk size must be at least 1: " + size);
        }
        return new Chunking(Kind.FIXED, size);
    }

    static Chunking random(long seed) {
        return new Chunking(Kind.RANDOM, seed);
    }

    /** True when each chunk is whatever one read returns, not a size of its own. */
    boolean asRead() {
        return kind == Kind.AS_READ;
    }

    /**
     * The sizes of the successive chunks, from the first; a fresh sequence on each call, so a
     * random chunking cuts the same input the same way every time. {@link Integer#MAX_VALUE}
     * means "the rest of the input"; not meaningful for {@link #asRead()}.
     */
    IntSupplier sizes() {
        switch (kind) {
            case WHOLE:
            case AS_READ:
                return () -> Integer.MAX_VALUE;
            case FIXED:
                int size = (int) value;
                return () -> size;
            case RANDOM:
                SplittableRandom random = new SplittableRandom(value);
                return () -> 1 + random.nextInt(MAX_RANDOM_SIZE);
            default:
                throw new IllegalStateException("Unhandled chunking " + kind);
        }
    }

    @Override
    public String toString() {
        switch (kind) {
            case WHOLE:
                return "whole";
            case FIXED:
                return Long.toString(value);
            case RANDOM:
                return "random:" + value;
            case AS_READ:
                return "as-read";
            default:
                throw new IllegalStateException("Unhandled chunking " + kind);
        }
    }

    /** Parses {@code whole}, {@code N} (N >= 1) and {@code random:SEED}; anything else is bad usage. */
    static final class Converter implements ITypeConverter<Chunking> {
        @Override
        public Chunking convert(String text) {
            if (text.equals("whole")) {
                return WHOLE;
            }
            try {
                if (text.startsWith("random:")) {
                    return random(Long.parseLong(text.substring("random:".length())));
                }
                int size = Integer.parseInt(text);
                if (size >= 1) {
                    return fixed(size);
                }
            } catch (NumberFormatException e) {
                // falls through to the one message for every bad value
            }
            throw new TypeConversionException("'" + text + "' is not whole, a number of bytes >= 1 or random:SEED");
        }
    }
}

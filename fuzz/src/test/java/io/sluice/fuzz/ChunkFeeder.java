package io.sluice.fuzz;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.sluice.core.SseParser;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Feeds a {@link ChunkedInput} to a parser chunk by chunk, like core's {@code Chunking}, but lets a
 * property look at the parser after every feed (its retained memory), and choose heap or direct
 * buffers, empty feeds between chunks, and whether the chunks are leak-tracked.
 *
 * <p>Why untracked chunks at all: under the PARANOID leak detector every access to a tracked
 * buffer records a stack trace, which made one-byte feeds of 12 KiB inputs three times slower
 * (measured on {@code seededRandomCutsGiveTheWholeInputsRecords}). The parser's own buffers are
 * tracked either way, and a quarter of the tries plus the whole leak property feed tracked chunks,
 * which is what catches a parser that retains a fed buffer and never releases it.
 */
record ChunkFeeder(boolean direct, boolean emptyFeeds, boolean tracked, ByteBufAllocator chunks) {
    static final ChunkFeeder HEAP = new ChunkFeeder(false, false, false);
    static final ChunkFeeder TRACKED = new ChunkFeeder(false, false, true);

    ChunkFeeder(boolean direct, boolean emptyFeeds, boolean tracked) {
        this(direct, emptyFeeds, tracked, null);
    }

    /**
     * Chunks from {@code chunks} instead, untracked: a {@link RecordingAllocator} tells whether the
     * parser kept one without the leak detector's stack trace per chunk, which cut fuzzing to
     * 30 executions a second.
     */
    ChunkFeeder withChunksFrom(ByteBufAllocator chunks) {
        return new ChunkFeeder(direct, emptyFeeds, false, chunks);
    }

    static ChunkFeeder random(SplittableRandom random) {
        return new ChunkFeeder(random.nextInt(4) == 0, random.nextInt(4) == 0, random.nextInt(4) == 0);
    }

    /** Feeds every chunk, calling {@code afterFeed} after each; does not end the parser. */
    void feed(SseParser parser, ChunkedInput in, Consumer<SseParser> afterFeed) {
        int from = 0;
        int[] cuts = in.cuts();
        for (int k = 0; k <= cuts.length; k++) {
            int to = k < cuts.length ? cuts[k] : in.bytes().length;
            feedOne(parser, in.bytes(), from, to);
            afterFeed.accept(parser);
            if (emptyFeeds) {
                feedOne(parser, in.bytes(), to, to); // an empty read must change nothing, not even a pending CR
                afterFeed.accept(parser);
            }
            from = to;
        }
    }

    private void feedOne(SseParser parser, byte[] bytes, int from, int to) {
        ByteBuf chunk = allocate(Math.max(to - from, 1));
        try {
            chunk.writeBytes(bytes, from, to - from);
            parser.feed(chunk);
        } finally {
            chunk.release();
        }
    }

    private ByteBuf allocate(int size) {
        if (chunks != null) {
            return direct ? chunks.directBuffer(size) : chunks.heapBuffer(size);
        }
        if (tracked) {
            ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
            return direct ? alloc.directBuffer(size) : alloc.heapBuffer(size);
        }
        // Wrapping is how Unpooled makes buffers the leak detector does not track.
        ByteBuf chunk = direct ? Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(size)) : Unpooled.wrappedBuffer(new byte[size]);
        return chunk.clear();
    }

    @Override
    public String toString() {
        return (tracked ? "tracked " : chunks != null ? "recorded " : "") + (direct ? "direct" : "heap")
                + (emptyFeeds ? " buffers with empty feeds between chunks" : " buffers");
    }
}

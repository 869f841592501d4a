package io.sluice.cli;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.IntSupplier;

/**
 * Reads an input as the chunks a {@link Chunking} cuts it into, each a heap buffer from
 * {@link ByteBufAllocator#DEFAULT} of at most {@link Chunking#MAX_READ} bytes, so an input of any
 * size is read in bounded memory. Confined to one thread.
 */
final class ChunkReader {
    private final InputStream in;
    private final boolean asRead;
    private final IntSupplier sizes;
    private boolean ended;

    ChunkReader(InputStream in, Chunking chunking) {
        this.in = in;
        this.asRead = chunking.asRead();
        this.sizes = chunking.sizes();
    }

    /**
     * The next chunk, or null at the end of the input. The caller owns the buffer and releases it.
     * Blocks until the chunk is full or the input ends; in as-read mode, only until one read
     * returns, so a live stream is fed as it arrives.
     */
    ByteBuf next() throws IOException {
        if (ended) {
            return null;
        }
        ByteBuf chunk = asRead ? readOnce() : readFull(Math.min(sizes.getAsInt(), Chunking.MAX_READ));
        if (chunk == null || !chunk.isReadable()) {
            ended = true;
            if (chunk != null) {
                chunk.release();
            }
            return null;
        }
        return chunk;
    }

    private ByteBuf readOnce() throws IOException {
        ByteBuf chunk = ByteBufAllocator.DEFAULT.heapBuffer(Chunking.READ_SIZE);
        try {
            if (chunk.writeBytes(in, Chunking.READ_SIZE) < 0) {
                ended = true;
            }
            return chunk;
        } catch (IOException | RuntimeException e) {
            chunk.release();
            throw e;
        }
    }

    /** Up to {@code size} bytes: fewer only at the end of the input. */
    private ByteBuf readFull(int size) throws IOException {
        ByteBuf chunk = ByteBufAllocator.DEFAULT.heapBuffer(Math.min(size, Chunking.READ_SIZE));
        try {
            while (chunk.readableBytes() < size) {
                // A whole read grows the buffer a step at a time: its size is not known up front.
                int want = Math.min(size - chunk.readableBytes(), Chunking.READ_SIZE);
                if (chunk.writeBytes(in, want) < 0) {
                    ended = true;
                    break;
                }
            }
            return chunk;
        } catch (IOException | RuntimeException e) {
            chunk.release();
            throw e;
        }
    }
}

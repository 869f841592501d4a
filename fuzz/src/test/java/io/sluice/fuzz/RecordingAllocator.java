package io.sluice.fuzz;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * An unpooled allocator that keeps every buffer it hands out, so a fuzz run can ask right after
 * the parser stops whether it released them all. Netty's leak detector answers the same question
 * only when the garbage collector finds the buffer, which may be many inputs later; Jazzer needs
 * the input that leaked. The parser's own buffers are still wrapped for the PARANOID detector;
 * {@link #untracked()} ones, for the many chunks a fuzz input is cut into, are not.
 */
class RecordingAllocator extends AbstractByteBufAllocator {
    private final List<ByteBuf> allocated = new ArrayList<>();

    RecordingAllocator() {
        super(false);
    }

    /** Skips the leak detector, whose stack trace per buffer costs more than a parse. */
    static RecordingAllocator untracked() {
        return new RecordingAllocator() {
            @Override
            public ByteBuf heapBuffer(int initialCapacity, int maxCapacity) {
                return newHeapBuffer(initialCapacity, maxCapacity);
            }

            @Override
            public ByteBuf directBuffer(int initialCapacity, int maxCapacity) {
                return newDirectBuffer(initialCapacity, maxCapacity);
            }
        };
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        ByteBuf buf = new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
        allocated.add(buf);
        return buf;
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        ByteBuf buf = new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity);
        allocated.add(buf);
        return buf;
    }

    @Override
    public boolean isDirectBufferPooled() {
        return false;
    }

    /** How many buffers were allocated and are not yet released. */
    int unreleased() {
        int n = 0;
        for (ByteBuf buf : allocated) {
            if (buf.refCnt() != 0) {
                n++;
            }
        }
        return n;
    }

    int allocations() {
        return allocated.size();
    }
}

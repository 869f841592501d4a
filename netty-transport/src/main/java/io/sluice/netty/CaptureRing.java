package io.sluice.netty;

import io.netty.buffer.ByteBuf;

/**
 * The last {@code capacity} bytes of what was appended, and how many came before them. The array
 * grows by doubling from a small start, so a short stream (a refusal, a stream that fails early)
 * holds a few KiB, not the bound; once full it wraps, overwriting the oldest bytes.
 *
 * <p>Event loop only while recording; {@link FailureRecorder#seal()} hands it to the writer thread.
 */
final class CaptureRing {
    private static final int FIRST_SIZE = 4096;

    private final int capacity;
    private byte[] bytes = new byte[0];
    /** Where the oldest byte held is. */
    private int head;
    private int held;
    private long written;

    CaptureRing(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        this.capacity = capacity;
    }

    /** Appends {@code buf}'s readable bytes; its reader index does not move. */
    void append(ByteBuf buf) {
        append(buf, buf.readerIndex(), buf.readableBytes());
    }

    /** Appends {@code length} bytes of {@code buf} from {@code index}. */
    void append(ByteBuf buf, int index, int length) {
        if (length == 0) {
            return;
        }
        written += length;
        if (length >= capacity) {
            // Only the last capacity bytes can stay: they fill the ring from its start.
            if (bytes.length < capacity) {
                bytes = new byte[capacity];
            }
            buf.getBytes(index + length - capacity, bytes, 0, capacity);
            head = 0;
            held = capacity;
            return;
        }
        if (held + length > bytes.length && bytes.length < capacity) {
            grow(held + length);
        }
        int size = bytes.length;
        int at = (head + held) % size;
        int first = Math.min(length, size - at);
        buf.getBytes(index, bytes, at, first);
        buf.getBytes(index + first, bytes, 0, length - first);
        held += length;
        if (held > size) { // full: the oldest bytes were overwritten
            head = (head + held - size) % size;
            held = size;
        }
    }

    /** Grows the array to at least {@code size} bytes (doubling from a small start, at most capacity), keeping what it holds in order. */
    private void grow(int size) {
        long grown = Math.max(bytes.length, Math.min(FIRST_SIZE, capacity));
        while (grown < size) {
            grown *= 2;
        }
        byte[] larger = new byte[(int) Math.min(capacity, grown)];
        copyTo(larger);
        bytes = larger;
        head = 0;
    }

    /** Bytes appended in all. */
    long written() {
        return written;
    }

    /** Bytes appended and no longer held: the oldest, overwritten. */
    long dropped() {
        return written - held;
    }

    /** Bytes held: the last ones appended, at most the capacity. */
    int held() {
        return held;
    }

    /** Bytes of memory the ring holds now: grows with what it holds, never past the capacity. */
    int allocated() {
        return bytes.length;
    }

    /** The bytes held, oldest first. */
    byte[] toByteArray() {
        byte[] out = new byte[held];
        copyTo(out);
        return out;
    }

    private void copyTo(byte[] out) {
        int first = Math.min(held, bytes.length - head);
        System.arraycopy(bytes, head, out, 0, first);
        System.arraycopy(bytes, 0, out, first, held - first);
    }
}

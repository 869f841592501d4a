package io.sluice.core.internal;

import io.netty.buffer.ByteBuf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Finds the next SSE line end: the first CR or LF in a range.
 *
 * <p>Why SWAR: LLM streams are short lines (50 to 500 bytes), so the scan is most of the parser's
 * work. Reading eight bytes at a time and testing them for CR and LF together with the "has zero
 * byte" trick touches each byte once with one branch per word. {@code EolScanBenchmark} sets it
 * beside Netty's {@code forEachByte(ByteProcessor.FIND_CRLF)}, a byte loop and an {@code indexOf}
 * of LF then of CR (figures in benchmarks/RESULTS.md). On a heap buffer the words are read from the backing array
 * through a little-endian {@link VarHandle} view (plain 8-byte loads, no per-load reference-count
 * check); elsewhere through {@link ByteBuf#getLongLE(int)}: on heap buffers the two measure within
 * the benchmark's error of each other.
 */
public final class EolScanner {
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final long LFS = 0x0A0A0A0A0A0A0A0AL;
    private static final long CRS = 0x0D0D0D0D0D0D0D0DL;
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private EolScanner() {
    }

    /** The index of the first CR or LF in {@code buf[from, to)}, or -1. Reads no indices of {@code buf}'s own. */
    public static int indexOfEol(ByteBuf buf, int from, int to) {
        if (buf.hasArray()) {
            int offset = buf.arrayOffset();
            int found = indexOfEol(buf.array(), from + offset, to + offset);
            return found < 0 ? -1 : found - offset;
        }
        int i = from;
        for (; i <= to - Long.BYTES; i += Long.BYTES) {
            long mask = eolMask(buf.getLongLE(i));
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

    /** The index of the first CR or LF in {@code bytes[from, to)}, or -1. */
    public static int indexOfEol(byte[] bytes, int from, int to) {
        int i = from;
        for (; i <= to - Long.BYTES; i += Long.BYTES) {
            long mask = eolMask((long) LONG_LE.get(bytes, i));
            if (mask != 0) {
                return i + (Long.numberOfTrailingZeros(mask) >>> 3);
            }
        }
        for (; i < to; i++) {
            byte b = bytes[i];
            if (b == LF || b == CR) {
                return i;
            }
        }
        return -1;
    }

    /**
     * High bit set in each byte of {@code word} that may be CR or LF. The lowest set bit is exact:
     * the trick's false positives only sit above a true match, and we read words little-endian, so
     * the lowest byte is the first in the stream.
     */
    private static long eolMask(long word) {
        long lf = word ^ LFS;
        long cr = word ^ CRS;
        return ((lf - ONES) & ~lf | (cr - ONES) & ~cr) & HIGHS;
    }
}

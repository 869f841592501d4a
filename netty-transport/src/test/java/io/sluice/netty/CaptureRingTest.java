package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CaptureRingTest {
    private static void append(CaptureRing ring, byte[] bytes) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        ring.append(buf);
        assertEquals(0, buf.readerIndex(), "the reader index stays");
        buf.release();
    }

    private static byte[] counting(int from, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    @Test
    void holdsEverythingBelowItsCapacityInOrder() {
        CaptureRing ring = new CaptureRing(100_000);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < 50; i++) {
            byte[] part = counting(i * 7, 1 + i * 37 % 3000);
            append(ring, part);
            all.writeBytes(part);
        }
        assertArrayEquals(all.toByteArray(), ring.toByteArray());
        assertEquals(0, ring.dropped());
        assertEquals(all.size(), ring.written());
    }

    @Test
    void keepsOnlyTheLastCapacityBytesOnceFullAndCountsTheDropped() {
        for (int capacity : new int[] {1, 7, 4096, 5000, 65536}) {
            CaptureRing ring = new CaptureRing(capacity);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (int i = 0; i < 200; i++) {
                byte[] part = counting(i, 1 + i * 131 % 1999);
                append(ring, part);
                all.writeBytes(part);
                byte[] whole = all.toByteArray();
                byte[] expected = Arrays.copyOfRange(whole, Math.max(0, whole.length - capacity), whole.length);
                assertArrayEquals(expected, ring.toByteArray(), "capacity " + capacity + ", append " + i);
                assertEquals(whole.length - expected.length, ring.dropped());
            }
        }
    }

    @Test
    void oneAppendLargerThanTheCapacityKeepsItsTail() {
        CaptureRing ring = new CaptureRing(10);
        append(ring, "abc".getBytes(StandardCharsets.US_ASCII));
        append(ring, "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII));
        assertEquals("6789ABCDEF", new String(ring.toByteArray(), StandardCharsets.US_ASCII));
        assertEquals(9, ring.dropped());
        append(ring, "xy".getBytes(StandardCharsets.US_ASCII));
        assertEquals("89ABCDEFxy", new String(ring.toByteArray(), StandardCharsets.US_ASCII));
    }

    @Test
    void memoryGrowsWithWhatIsHeldNeverPastTheCapacity() {
        CaptureRing ring = new CaptureRing(64 * 1024);
        assertEquals(0, ring.allocated(), "nothing before the first byte");
        append(ring, new byte[100]);
        assertEquals(4096, ring.allocated(), "a short stream holds a small array");
        for (int i = 0; i < 100; i++) {
            append(ring, new byte[1000]);
        }
        assertEquals(64 * 1024, ring.allocated());
    }

    @Test
    void emptyAppendsChangeNothing() {
        CaptureRing ring = new CaptureRing(8);
        append(ring, new byte[0]);
        assertEquals(0, ring.written());
        assertArrayEquals(new byte[0], ring.toByteArray());
    }

    @Test
    void capacityBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new CaptureRing(0));
    }
}

package io.sluice.fuzz;

import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generator must reach the shapes the properties rely on; a quiet regression here would make them vacuous. */
class StreamGeneratorTest {

    enum Shape { CRLF, LONE_CR, LONE_LF, LEADING_BOM, LATER_BOM, LINE_OVER_1_KIB, BYTE_F5_TO_FF, LONE_CONTINUATION,
        FOUR_BYTE_SEQUENCE, NUL, UNTERMINATED, EMPTY }

    @Test
    void twoHundredSeedsReachEveryShape() {
        Set<Shape> seen = EnumSet.noneOf(Shape.class);
        for (long seed = 0; seed < 200; seed++) {
            byte[] b = StreamGenerator.generate(new SplittableRandom(seed), 4096);
            assertTrue(b.length <= 4096);
            seen.addAll(shapes(b));
        }
        assertEquals(EnumSet.allOf(Shape.class), seen);
    }

    @Test
    void sameSeedSameStream() {
        assertArrayEquals(StreamGenerator.generate(new SplittableRandom(42), 2048),
                StreamGenerator.generate(new SplittableRandom(42), 2048));
    }

    private static Set<Shape> shapes(byte[] b) {
        Set<Shape> s = EnumSet.noneOf(Shape.class);
        if (b.length == 0) {
            s.add(Shape.EMPTY);
            return s;
        }
        int lineLength = 0;
        for (int i = 0; i < b.length; i++) {
            int x = b[i] & 0xFF;
            int next = i + 1 < b.length ? b[i + 1] & 0xFF : -1;
            int previous = i > 0 ? b[i - 1] & 0xFF : -1;
            if (x == '\r') {
                s.add(next == '\n' ? Shape.CRLF : Shape.LONE_CR);
            } else if (x == '\n' && previous != '\r') {
                s.add(Shape.LONE_LF);
            }
            lineLength = x == '\r' || x == '\n' ? 0 : lineLength + 1;
            if (lineLength > 1024) {
                s.add(Shape.LINE_OVER_1_KIB);
            }
            if (x >= 0xF5) {
                s.add(Shape.BYTE_F5_TO_FF);
            }
            if (x >= 0x80 && x <= 0xBF && (previous < 0x80)) {
                s.add(Shape.LONE_CONTINUATION);
            }
            if (x >= 0xF0 && x <= 0xF4 && next >= 0x80 && next <= 0xBF) {
                s.add(Shape.FOUR_BYTE_SEQUENCE);
            }
            if (x == 0) {
                s.add(Shape.NUL);
            }
            if (x == 0xEF && next == 0xBB && i + 2 < b.length && (b[i + 2] & 0xFF) == 0xBF) {
                s.add(i == 0 ? Shape.LEADING_BOM : Shape.LATER_BOM);
            }
        }
        int last = b[b.length - 1] & 0xFF;
        if (last != '\r' && last != '\n') {
            s.add(Shape.UNTERMINATED);
        }
        return s;
    }
}

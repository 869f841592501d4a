package io.sluice.fuzz;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The minimiser must actually shrink: a shrinker that silently does nothing would hide it in every report. */
class MinimiserTest {

    /** The bug shape the parser is most likely to have: a CRLF whose halves arrive in different feeds. */
    private static final Predicate<ChunkedInput> CRLF_SPLIT_AT_A_CUT = in -> {
        for (int cut : in.cuts()) {
            if (in.bytes()[cut - 1] == '\r' && in.bytes()[cut] == '\n') {
                return true;
            }
        }
        return false;
    };

    @Test
    void crLfSplitAtACutShrinksToCrLfCutBetweenThem() {
        SplittableRandom random = new SplittableRandom(7);
        byte[] noise = StreamGenerator.raw(random, 3000);
        byte[] bytes = new byte[noise.length + 2];
        System.arraycopy(noise, 0, bytes, 0, 1500);
        bytes[1500] = '\r';
        bytes[1501] = '\n';
        System.arraycopy(noise, 1500, bytes, 1502, noise.length - 1500);
        List<Integer> cuts = new ArrayList<>();
        for (int c = 1; c < bytes.length; c += 1 + random.nextInt(40)) {
            if (c != 1501) {
                cuts.add(c);
            }
        }
        cuts.add(1501);
        ChunkedInput failing = new ChunkedInput(bytes, cuts.stream().mapToInt(Integer::intValue).sorted().toArray());
        assertTrue(CRLF_SPLIT_AT_A_CUT.test(failing));

        ChunkedInput small = Minimiser.minimise(failing, CRLF_SPLIT_AT_A_CUT);

        assertArrayEquals("\r\n".getBytes(StandardCharsets.US_ASCII), small.bytes(), small.toString());
        assertArrayEquals(new int[] {1}, small.cuts());
    }

    @Test
    void everyCandidateKeepsItsCutsAscendingAndInsideTheInput() {
        List<ChunkedInput> seen = new ArrayList<>();
        ChunkedInput failing = new ChunkedInput(StreamGenerator.raw(new SplittableRandom(3), 500), Chunkings.everyByte(500));
        Minimiser.minimise(failing, in -> {
            seen.add(in);
            return in.bytes().length > 10; // shrinks to 11 bytes, moving every cut on the way
        });
        assertTrue(seen.size() > 50, "the minimiser tried only " + seen.size() + " candidates");
        for (ChunkedInput in : seen) {
            assertTrue(ChunkedInput.validCuts(in.bytes().length, in.cuts()), in.toString());
        }
    }

    @Test
    void bytesThatDoNotMatterBecomeA() {
        byte[] bytes = StreamGenerator.raw(new SplittableRandom(11), 200);
        bytes[120] = (byte) 0xFF;
        Predicate<ChunkedInput> holdsFfAndTwoMore = in -> in.bytes().length >= 3 && contains(in.bytes(), (byte) 0xFF);

        ChunkedInput small = Minimiser.minimise(new ChunkedInput(bytes, new int[] {50, 150}), holdsFfAndTwoMore);

        assertEquals(3, small.bytes().length, small.toString());
        int as = 0;
        for (byte b : small.bytes()) {
            as += b == 'a' ? 1 : 0;
        }
        assertEquals(2, as, small.toString());
        assertArrayEquals(new int[0], small.cuts(), "cuts that do not matter are dropped");
    }

    @Test
    void aCaseWithNothingSmallerFailingComesBackUnchanged() {
        ChunkedInput failing = new ChunkedInput("\r\n".getBytes(StandardCharsets.US_ASCII), new int[] {1});
        assertSame(failing, Minimiser.minimise(failing, CRLF_SPLIT_AT_A_CUT));
    }

    @Test
    void removingBytesMovesTheCutsWithThem() {
        ChunkedInput in = new ChunkedInput("abcdef".getBytes(StandardCharsets.US_ASCII), new int[] {2, 4});
        ChunkedInput removed = Minimiser.remove(in, 1, 3);
        assertArrayEquals("adef".getBytes(StandardCharsets.US_ASCII), removed.bytes());
        assertArrayEquals(new int[] {1, 2}, removed.cuts()); // 2 fell in the gap, 4 moved left by two
    }

    @Test
    void reportsAreValidJavaStringLiterals() {
        byte[] bytes = {'d', ':', '\r', '\n', 0, (byte) 0xEF, '"', '\\'};
        assertEquals("\"d:\\r\\n\\u0000\\u00ef\\\"\\\\\"", ChunkedInput.javaLiteral(bytes));
    }

    private static boolean contains(byte[] bytes, byte b) {
        for (byte x : bytes) {
            if (x == b) {
                return true;
            }
        }
        return false;
    }
}

package io.sluice.fuzz;

import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * The chunkings the properties draw, as cut points (the one word for how input is cut into feeds
 * is a chunking: core's {@code Chunking}, {@code sluice replay --chunk}). Seeded ones for long
 * inputs: a chunk size pattern (single bytes, small reads, large
 * reads) plus cuts forced where a split is hardest on a parser: between CR and LF, inside a UTF-8
 * sequence, inside the leading BOM, right after a colon.
 */
final class Chunkings {
    private Chunkings() {
    }

    static int[] random(SplittableRandom random, byte[] bytes) {
        int length = bytes.length;
        BitSet cuts = new BitSet(length);
        int pattern = random.nextInt(5);
        int maxChunk = pattern == 0 ? 1 : pattern == 1 ? 8 : pattern == 2 ? 64 : Math.max(1, length / 3);
        if (pattern < 4) {
            for (int c = 1 + random.nextInt(maxChunk); c < length; c += 1 + random.nextInt(maxChunk)) {
                cuts.set(c);
            }
        }
        int forcedOneIn = 1 + random.nextInt(3); // force all, half or a third of the hard places
        for (int i = 1; i < length; i++) {
            int before = bytes[i - 1] & 0xFF;
            int at = bytes[i] & 0xFF;
            boolean hard = (before == '\r' && at == '\n')
                    || (at >= 0x80 && at <= 0xBF)  // a continuation byte: inside a sequence
                    || i < 3                        // inside a leading BOM
                    || before == ':';
            if (hard && random.nextInt(forcedOneIn) == 0) {
                cuts.set(i);
            }
        }
        return cuts.stream().filter(c -> c > 0 && c < length).toArray();
    }

    /** Cuts at every offset: one-byte feeds. */
    static int[] everyByte(int length) {
        int[] cuts = new int[Math.max(0, length - 1)];
        Arrays.setAll(cuts, i -> i + 1);
        return cuts;
    }
}

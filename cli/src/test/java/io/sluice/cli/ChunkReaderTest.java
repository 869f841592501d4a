package io.sluice.cli;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code --chunk} cuts the input where the conformance suite and core's feeders cut it. */
class ChunkReaderTest {
    private static final byte[] INPUT = new byte[1000];

    /** The offsets where chunks end, but the last (the input's end). */
    private static int[] cuts(Chunking chunking, byte[] input) throws IOException {
        ChunkReader reader = new ChunkReader(new ByteArrayInputStream(input), chunking);
        List<Integer> cuts = new ArrayList<>();
        int offset = 0;
        ByteBuf chunk;
        while ((chunk = reader.next()) != null) {
            offset += chunk.readableBytes();
            chunk.release();
            cuts.add(offset);
        }
        assertEquals(input.length, offset, "every byte is read once");
        cuts.remove(cuts.size() - 1);
        return cuts.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void randomChunkingCutsWhereCoreTestChunkingCuts() throws IOException {
        for (long seed : new long[] {1, 2, 42}) {
            assertArrayEquals(io.sluice.core.testing.Chunking.random(seed, INPUT.length).cuts(),
                    cuts(new Chunking.Converter().convert("random:" + seed), INPUT));
        }
    }

    @Test
    void fixedChunkingCutsEveryNBytesAndTheLastChunkIsShorter() throws IOException {
        assertArrayEquals(IntStream.iterate(7, c -> c < 1000, c -> c + 7).toArray(), cuts(Chunking.fixed(7), INPUT));
    }

    @Test
    void wholeChunkingIsOneRead() throws IOException {
        assertArrayEquals(new int[0], cuts(Chunking.WHOLE, new byte[100_000]));
    }

    @Test
    void noReadIsLargerThanMaxReadWhateverTheChunking() throws IOException {
        int max = Chunking.MAX_READ;
        byte[] input = new byte[2 * max + 5];
        assertArrayEquals(new int[] {max, 2 * max}, cuts(Chunking.WHOLE, input));
        assertArrayEquals(new int[] {max, 2 * max}, cuts(Chunking.fixed(Integer.MAX_VALUE), input));
    }

    @Test
    void emptyInputHasNoChunks() throws IOException {
        assertEquals(null, new ChunkReader(new ByteArrayInputStream(new byte[0]), Chunking.WHOLE).next());
    }
}

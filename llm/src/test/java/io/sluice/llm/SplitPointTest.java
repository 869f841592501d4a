package io.sluice.llm;

import io.sluice.core.testing.Chunking;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Property: however the bytes of a stream are cut into reads, the final message is the same. Each
 * failure names its cuts, minimised, so it can be replayed with {@code Chunking.at(...)}.
 */
class SplitPointTest {
    private static final int SEEDS = 25;

    static List<String> samples() {
        return Samples.NAMES;
    }

    @ParameterizedTest
    @MethodSource("samples")
    void randomCutsGiveTheSameMessage(String name) {
        byte[] input = Samples.sse(name);
        String whole = Samples.collect(input, Chunking.whole()).toJson();
        for (long seed = 1; seed <= SEEDS; seed++) {
            assertSameMessage(input, whole, Chunking.random(seed, input.length).cuts());
        }
        for (Chunking c : Chunking.standard(input.length)) {
            assertEquals(whole, Samples.collect(input, c).toJson(), name + " cut " + c);
        }
    }

    @ParameterizedTest
    @MethodSource("samples")
    void manyRandomCutPointsGiveTheSameMessage(String name) {
        // a few cuts anywhere (not only the 1..64-byte reads of Chunking.random)
        byte[] input = Samples.sse(name);
        String whole = Samples.collect(input, Chunking.whole()).toJson();
        SplittableRandom random = new SplittableRandom(name.hashCode());
        for (int round = 0; round < 40; round++) {
            int[] cuts = random.ints(1 + random.nextInt(6), 1, input.length).distinct().sorted().toArray();
            assertSameMessage(input, whole, cuts);
        }
    }

    @Test
    void everySingleCutOfAToolUseStreamGivesTheSameMessage() {
        everySingleCut("anthropic-tool-use");
    }

    @Test
    void everySingleCutOfAThinkingStreamGivesTheSameMessage() {
        everySingleCut("anthropic-thinking");
    }

    @Test
    void everySingleCutOfAGeminiStreamWithCrlfGivesTheSameMessage() {
        everySingleCut("gemini-text");
    }

    @Test
    void everySingleCutOfAnErrorStreamGivesTheSameMessage() {
        everySingleCut("anthropic-overloaded");
    }

    private static void everySingleCut(String name) {
        byte[] input = Samples.sse(name);
        String whole = Samples.collect(input, Chunking.whole()).toJson();
        for (int cut = 1; cut < input.length; cut++) {
            assertSameMessage(input, whole, new int[] {cut});
        }
    }

    private static void assertSameMessage(byte[] input, String expected, int[] cuts) {
        String actual = Samples.collect(input, Chunking.at(cuts)).toJson();
        if (!expected.equals(actual)) {
            int[] minimal = minimise(input, expected, cuts);
            assertEquals(expected, Samples.collect(input, Chunking.at(minimal)).toJson(),
                    "message differs with cuts " + Arrays.toString(minimal));
        }
    }

    /** Drops cuts one at a time while the message still differs. */
    private static int[] minimise(byte[] input, String expected, int[] cuts) {
        int[] current = cuts;
        boolean shrunk = true;
        while (shrunk && current.length > 1) {
            shrunk = false;
            for (int i = 0; i < current.length; i++) {
                int[] fewer = new int[current.length - 1];
                System.arraycopy(current, 0, fewer, 0, i);
                System.arraycopy(current, i + 1, fewer, i, current.length - i - 1);
                if (!expected.equals(Samples.collect(input, Chunking.at(fewer)).toJson())) {
                    current = fewer;
                    shrunk = true;
                    break;
                }
            }
        }
        return current;
    }
}

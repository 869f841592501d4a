package io.sluice.fuzz;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The disagreement {@code boundsYieldRecordsOrTheTypedErrorAndMemoryStaysUnderThem} found, pinned
 * so it cannot hide behind a change of seed or tries. A stream that ends inside a BOM prefix
 * ({@code EF BB}) holds a 2-byte unterminated line: with {@code maxLineLength} 1 its second byte
 * is past the bound, and {@code SseParser}'s contract ("reported as soon as the first byte past it
 * arrives", which it honours for every other unterminated line) calls for a line-length error at
 * offset 1. The parser's {@code end()} in its BOM state reports only the tail. The neighbours,
 * where a third byte settles the question before the end, agree.
 */
class BomBoundEdgeCasesTest {

    @Test
    void streamEndingInsideItsBomCrossesAOneByteLineBound() {
        assertAgrees("\u00ef\u00bb", new Limits(1, 64, false));
        assertAgrees("\u00ef\u00bb", new Limits(1, 64, true));
    }

    @Test
    void bomPrefixFollowedByContentCrossesAOneByteLineBound() {
        assertAgrees("\u00ef\u00bb\r", new Limits(1, 64, false));
        assertAgrees("\u00efa", new Limits(1, 64, true));
    }

    @Test
    void completeBomIsNoLineAtAll() {
        assertAgrees("\u00ef\u00bb\u00bf", new Limits(1, 1, false));
        assertAgrees("\u00ef", new Limits(1, 1, false));
    }

    private static void assertAgrees(String iso88591, Limits limits) {
        byte[] bytes = iso88591.getBytes(StandardCharsets.ISO_8859_1);
        for (int cut = 0; cut < bytes.length; cut++) {
            ChunkedInput in = cut == 0 ? ChunkedInput.whole(bytes) : new ChunkedInput(bytes, new int[] {cut});
            assertNull(SplitPointProperties.agreesWithModel(in, limits, ChunkFeeder.TRACKED), in + " under " + limits);
        }
    }
}

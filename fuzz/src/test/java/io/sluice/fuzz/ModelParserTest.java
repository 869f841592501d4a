package io.sluice.fuzz;

import io.sluice.core.testing.SseRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.sluice.core.testing.SseRecord.comment;
import static io.sluice.core.testing.SseRecord.end;
import static io.sluice.core.testing.SseRecord.error;
import static io.sluice.core.testing.SseRecord.event;
import static io.sluice.core.testing.SseRecord.retry;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The oracle is checked against the standards' own examples before it judges the parser: the
 * WHATWG HTML event stream examples and the Unicode/WHATWG maximal-subpart decoding examples.
 */
class ModelParserTest {

    @Test
    void decoderReplacesEachMaximalSubpartOnce() {
        // Unicode 15, section 3.9, table 3-8 (the example the WHATWG Encoding Standard follows).
        assertEquals("a\ufffd\ufffd\ufffdb\ufffdc\ufffd\ufffdd",
                decode(0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62, 0x80, 0x63, 0x80, 0xBF, 0x64));
        assertEquals("\ufffd\ufffd", decode(0xC0, 0xAF), "overlong two-byte form");
        assertEquals("\ufffd\ufffd\ufffd", decode(0xE0, 0x80, 0xAF), "overlong three-byte form");
        assertEquals("\ufffd\ufffd\ufffd", decode(0xED, 0xA0, 0x80), "encoded surrogate");
        assertEquals("\ufffd\ufffd\ufffd\ufffd", decode(0xF4, 0x90, 0x80, 0x80), "past U+10FFFF");
        assertEquals("\ufffd\ufffd", decode(0xF5, 0xFF));
        assertEquals("\ufffd", decode(0xF0, 0x9F, 0x98), "a sequence cut short by the end is one U+FFFD");
        assertEquals("\ufffd\n", decode(0xE2, 0x82, 0x0A), "the byte that cuts a sequence short is read again");
        assertEquals("é€\ud83d\ude00", decode(0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80));
    }

    @Test
    void decoderRecordsWhereEachCodePointStarts() {
        ModelUtf8Decoder.Decoded d = ModelUtf8Decoder.decode(bytes(0x61, 0xE2, 0x82, 0x0A, 0xF0, 0x9F, 0x98, 0x80), 0);
        assertArrayEquals(new int[] {0, 1, 3, 4, 8}, d.offsets());
    }

    @Test
    void whatwgStockExampleJoinsDataLinesWithLf() {
        assertEquals(List.of(event("message", "YHOO\n+2\n10", ""), end(0)),
                parse("data: YHOO\ndata: +2\ndata: 10\n\n"));
    }

    @Test
    void whatwgFourBlocksExample() {
        // The last block has no blank line: not dispatched, and its 19 bytes are the incomplete tail.
        assertEquals(List.of(comment(" test stream"), event("message", "first event", "1"),
                        event("message", "second event", ""), end(19)),
                parse(": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n"));
    }

    @Test
    void whatwgEmptyDataExample() {
        assertEquals(List.of(event("message", "", ""), event("message", "\n", ""), end(5)),
                parse("data\n\ndata\ndata\n\ndata:"));
    }

    @Test
    void oneLeadingBomIsDroppedAndTheTailCountsFromTheLine() {
        assertEquals(List.of(event("message", "\ufeffx", ""), end(4)),
                parse("\ufeff" + "data:\ufeffx\n\ndata"));
    }

    @Test
    void tailStartsAtTheFirstDataOrEventLineOfTheOpenEvent() {
        assertEquals(List.of(end(8)), parse("id: 1\nretry\ndata: a\r"));
        assertEquals(List.of(end(13)), parse("event: x\ndata"));
        assertEquals(List.of(comment(""), end(0)), parse("id: 1\n:\n"));
    }

    @Test
    void retryTakesOnlyAsciiDigitsThatFitALong() {
        assertEquals(List.of(retry(7), retry(Long.MAX_VALUE), end(0)),
                parse("retry: 007\nretry: 9223372036854775808\nretry:\nretry: 1a\nretry: -1\nretry: 9223372036854775807\n"));
    }

    @Test
    void idWithNulIsIgnoredAndEmptyIdResets() {
        assertEquals(List.of(event("message", "", "a"), event("message", "", "a"), event("message", "", ""), end(0)),
                parse("id: a\ndata\n\nid: b\0c\ndata\n\nid\ndata\n\n"));
    }

    @Test
    void lineBoundFailsTheStreamAtItsFirstBytePastTheLimit() {
        assertEquals(List.of(comment("ok"), error("maxLineLength", 8)),
                ModelParser.parse(utf8(":ok\ndata: abcd\n\n"), new Limits(4, 64, false)).recorded());
    }

    @Test
    void eventBoundUnderSkipDropsTheEventUpToTheNextBlankLine() {
        assertEquals(List.of(error("maxEventSize", 9), event("message", "x", ""), end(0)),
                ModelParser.parse(utf8("data: ab\ndata: c\nid: 2\n\ndata: x\n\n"), new Limits(64, 3, true)).recorded());
    }

    private static List<SseRecord> parse(String stream) {
        return ModelParser.parse(utf8(stream)).recorded();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static String decode(int... values) {
        return ModelUtf8Decoder.decodeToString(bytes(values));
    }
}

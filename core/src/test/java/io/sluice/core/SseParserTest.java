package io.sluice.core;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.core.testing.Chunking;
import io.sluice.core.testing.RecordingHandler;
import io.sluice.core.testing.SseRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.sluice.core.testing.SseRecord.end;
import static io.sluice.core.testing.SseRecord.error;
import static io.sluice.core.testing.SseRecord.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SseParserTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static ByteBuf buffer(String s) {
        ByteBuf buf = ByteBufAllocator.DEFAULT.heapBuffer();
        buf.writeBytes(bytes(s));
        return buf;
    }

    private static void feed(SseParser parser, String s) {
        ByteBuf buf = buffer(s);
        try {
            parser.feed(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void crEndingOneFeedAndLfStartingTheNextAreOneLineEnd() {
        assertEquals(List.of(event("message", "a", ""), event("message", "b", ""), end(0)),
                Chunking.at(7, 8).parse(bytes("data: a\r\n\r\ndata: b\r\n\r\n")));
    }

    @Test
    void blankLineEndingInCrDispatchesBeforeTheNextFeed() {
        RecordingHandler handler = new RecordingHandler();
        SseParser parser = SseParser.create(handler);
        feed(parser, "data: x\r\r");
        assertEquals(List.of(event("message", "x", "")), handler.records(), "dispatched at the CR, not at the next byte");
        feed(parser, "\ndata: y\n\n");
        parser.end();
        assertEquals(List.of(event("message", "x", ""), event("message", "y", ""), end(0)), handler.records());
    }

    @Test
    void singleDataLineInsideOneFeedIsTheCallersBuffer() {
        ByteBuf in = buffer("event: ping\ndata: {\"type\": \"ping\"}\n\n");
        List<String> seen = new ArrayList<>();
        SseParser parser = SseParser.create(e -> {
            assertSame(in, e.dataBuffer(), "no copy for a data line inside the fed buffer");
            seen.add(e.dataAsString());
        });
        try {
            parser.feed(in);
            assertEquals(in.writerIndex(), in.readerIndex(), "feed reads every readable byte");
        } finally {
            in.release();
            parser.end();
        }
        assertEquals(List.of("{\"type\": \"ping\"}"), seen);
    }

    @Test
    void knownAndRepeatedEventTypesAreSharedInstances() {
        List<String> types = new ArrayList<>();
        SseParser parser = SseParser.create(e -> types.add(e.type()));
        feed(parser, "event: content_block_delta\ndata: 1\n\nevent: custom\ndata: 2\n\nevent: custom\ndata: 3\n\n");
        parser.end();
        assertSame("content_block_delta", types.get(0));
        assertSame(types.get(1), types.get(2), "a type seen before is not decoded again");
    }

    @Test
    void unchangedLastEventIdIsNotDecodedAgain() {
        List<String> ids = new ArrayList<>();
        SseParser parser = SseParser.create(e -> ids.add(e.lastEventId()));
        feed(parser, "id: 7\ndata: a\n\nid: 7\ndata: b\n\nid: 8\ndata: c\n\n");
        parser.end();
        assertSame(ids.get(0), ids.get(1));
        assertEquals("8", ids.get(2));
    }

    @Test
    void eventOpenAtEndOfStreamIsNotDispatchedAndReportedAsTail() {
        String input = "data: a\n\nid: 1\nevent: x\ndata: cut";
        assertEquals(List.of(event("message", "a", ""), end(input.length() - "data: a\n\nid: 1\n".length())),
                Chunking.whole().parse(bytes(input)));
    }

    @Test
    void commentAfterLastEventIsACleanEnd() {
        assertEquals(List.of(event("message", "a", ""), SseRecord.comment(" bye"), end(0)),
                Chunking.fixed(1, 15).parse(bytes("data: a\n\n: bye\n")));
    }

    @Test
    void unterminatedLastLineIsATail() {
        assertEquals(List.of(end(5)), Chunking.fixed(2, 5).parse(bytes(": bye")));
    }

    @Test
    void lineLongerThanMaxLineLengthFailsWithItsOffsetWhateverTheCuts() {
        byte[] input = bytes("data: ok\n\ndata: 0123456789\n\ndata: after\n\n");
        SseParser.Builder builder = SseParser.builder().maxLineLength(10);
        for (Chunking c : Chunking.standard(input.length)) {
            assertEquals(List.of(event("message", "ok", ""), error("maxLineLength", 10 + 10)),
                    c.parse(input, builder), c.toString());
        }
    }

    @Test
    void skippingOversizedEventsResumesAfterTheNextBlankLine() {
        byte[] input = bytes("data: ok\n\nid: 5\ndata: 0123456789\ndata: more\r\n\r\ndata: after\n\n");
        SseParser.Builder builder = SseParser.builder().maxLineLength(12).skipOversizedEvents(true);
        for (Chunking c : Chunking.standard(input.length)) {
            assertEquals(List.of(event("message", "ok", ""), error("maxLineLength", 16 + 12),
                    event("message", "after", "5"), end(0)), c.parse(input, builder), c.toString());
        }
    }

    @Test
    void eventDataLargerThanMaxEventSizeFailsAtTheLineThatDidNotFit() {
        byte[] input = bytes("data: 12345\ndata: 67890\n\n");
        SseParser.Builder builder = SseParser.builder().maxEventSize(10);
        for (Chunking c : Chunking.standard(input.length)) {
            assertEquals(List.of(error("maxEventSize", 12)), c.parse(input, builder), c.toString());
        }
    }

    @Test
    void dataExactlyAtTheBoundsIsAccepted() {
        byte[] input = bytes("data:12345\ndata:6789\n\n");
        SseParser.Builder builder = SseParser.builder().maxLineLength(10).maxEventSize(10);
        for (Chunking c : Chunking.standard(input.length)) {
            assertEquals(List.of(event("message", "12345\n6789", ""), end(0)), c.parse(input, builder), c.toString());
        }
    }

    @Test
    void failedParserDropsFurtherInputAndMakesNoEndCallback() {
        RecordingHandler handler = new RecordingHandler();
        SseParser parser = SseParser.builder().maxLineLength(4).build(handler);
        feed(parser, "data: too long\n\n");
        feed(parser, "data: x\n\n");
        parser.end();
        assertEquals(List.of(error("maxLineLength", 4)), handler.records());
    }

    @Test
    void defaultErrorHandlingThrowsTheTypedErrorFromFeed() {
        SseParser parser = SseParser.builder().maxLineLength(4).build(e -> { });
        SseBoundExceededException e = assertThrows(SseBoundExceededException.class, () -> feed(parser, "data: x"));
        assertEquals(SseBoundExceededException.Bound.LINE_LENGTH, e.bound());
        assertEquals(4, e.limit());
        assertEquals(4, e.offset());
        assertTrue(e.getMessage().contains("maxLineLength of 4 bytes"), e.getMessage());
        parser.end();
    }

    @Test
    void handlerExceptionPropagatesAndReleasesWhatTheParserHeld() {
        SseParser parser = SseParser.create(e -> {
            throw new IllegalStateException("consumer bug");
        });
        feed(parser, "data: a\ndata: spans");
        assertTrue(parser.retainedBytes() > 0);
        assertThrows(IllegalStateException.class, () -> feed(parser, " feeds\n\n"));
        assertEquals(0, parser.retainedBytes());
        parser.end();
    }

    @Test
    void feedAfterEndIsRejected() {
        SseParser parser = SseParser.create(e -> { });
        parser.end();
        assertThrows(IllegalStateException.class, () -> feed(parser, "data: x\n\n"));
    }

    @Test
    void retainedMemoryStaysUnderTheBoundsForALongLineFedByteByByte() {
        int max = 4096;
        SseParser parser = SseParser.builder().maxLineLength(max).maxEventSize(max).skipOversizedEvents(true)
                .build(new RecordingHandler());
        byte[] line = bytes("data: " + "x".repeat(3 * max));
        int peak = 0;
        for (byte b : line) {
            ByteBuf one = ByteBufAllocator.DEFAULT.heapBuffer(1).writeByte(b);
            parser.feed(one);
            one.release();
            peak = Math.max(peak, parser.retainedBytes());
        }
        parser.end();
        assertTrue(peak <= 2 * max && peak > 0, "held " + peak + " bytes for bounds of " + max);
    }

    @Test
    void bomSplitAcrossFeedsIsDroppedButAPartialBomIsContent() {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] input = new byte[bom.length + 9];
        System.arraycopy(bom, 0, input, 0, 3);
        System.arraycopy(bytes("data:x\n\n\n"), 0, input, 3, 9);
        assertEquals(List.of(event("message", "x", ""), end(0)), Chunking.at(1, 2).parse(input));
        byte[] partial = {(byte) 0xEF, (byte) 0xBB, 'd', 'a', 't', 'a', ':', 'y', '\n', '\n'};
        assertEquals(List.of(end(0)), Chunking.at(1).parse(partial), "EF BB 'data' is an unknown field");
    }

    /** Found by the fuzz module's bounds property: the stream ended while the parser was still matching a BOM. */
    @Test
    void streamEndingInsideABomPrefixIsALineBoundedLikeAnyOther() {
        byte[] input = {(byte) 0xEF, (byte) 0xBB};
        assertEquals(List.of(error("maxLineLength", 1)), Chunking.whole().parse(input, SseParser.builder().maxLineLength(1)));
        assertEquals(List.of(error("maxLineLength", 1), end(2)),
                Chunking.at(1).parse(input, SseParser.builder().maxLineLength(1).skipOversizedEvents(true)));
        assertEquals(List.of(end(2)), Chunking.at(1).parse(input), "within bounds it is an unterminated line");
    }

    @Test
    void incompleteUtf8AtTheEndOfADataLineIsOneReplacementCharacter() {
        byte[] input = {'d', 'a', 't', 'a', ':', (byte) 0xE2, (byte) 0x82, '\n', 'd', 'a', 't', 'a', ':', (byte) 0x82, 'b', '\n', '\n'};
        for (Chunking c : Chunking.standard(input.length)) {
            assertEquals(List.of(event("message", "\ufffd\n\ufffdb", ""), end(0)), c.parse(input), c.toString());
        }
    }

    @Test
    void recordsToStringReadsAsTheReplayContract() {
        assertEquals("{\"type\":\"event\",\"event\":\"message\",\"data\":\"a\\u000ab\",\"id\":\"\"}",
                SseRecord.event("message", "a\nb", "").toString());
    }
}

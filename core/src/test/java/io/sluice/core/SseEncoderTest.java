package io.sluice.core;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.core.testing.Chunking;
import io.sluice.core.testing.SseRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static io.sluice.core.testing.SseRecord.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SseEncoderTest {

    private static String encode(java.util.function.Consumer<ByteBuf> write) {
        ByteBuf out = ByteBufAllocator.DEFAULT.heapBuffer();
        try {
            write.accept(out);
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            out.release();
        }
    }

    @Test
    void dataWithEveryKindOfLineEndBecomesOneDataLineEach() {
        assertEquals("event: delta\nid: 3\ndata: a\ndata: b\ndata: c\ndata: \n\n",
                encode(out -> SseEncoder.writeEvent(out, "delta", "a\nb\r\nc\r", "3")));
    }

    @Test
    void aDataViewWithEveryKindOfLineEndBecomesOneDataLineEachOnlyInsideItsRange() {
        ByteBuf data = io.netty.buffer.Unpooled.copiedBuffer("\nXa\nb\r\nc\rd\r\n\nY", StandardCharsets.UTF_8);
        try {
            assertEquals("event: delta\ndata: a\ndata: b\ndata: c\ndata: d\ndata: \ndata: \n\n",
                    encode(out -> SseEncoder.writeEvent(out, "delta", data, 2, data.readableBytes() - 3, null)));
            assertEquals("data: \n\n", encode(out -> SseEncoder.writeEvent(out, "message", data, 1, 0, null)));
        } finally {
            data.release();
        }
    }

    @Test
    void messageTypeAndNullIdWriteNoLines() {
        assertEquals("data: x\n\n", encode(out -> SseEncoder.writeEvent(out, "message", "x", null)));
    }

    @Test
    void retryAndCommentsAreSingleLines() {
        assertEquals("retry: 1500\n:a\n: b\n", encode(out -> {
            SseEncoder.writeRetry(out, 1500);
            SseEncoder.writeComment(out, "a\n b");
        }));
    }

    @Test
    void typeOrIdThatNoLineCanCarryIsRejected() {
        ByteBuf out = ByteBufAllocator.DEFAULT.heapBuffer();
        try {
            assertThrows(IllegalArgumentException.class, () -> SseEncoder.writeEvent(out, "a\nb", "x", null));
            assertThrows(IllegalArgumentException.class, () -> SseEncoder.writeEvent(out, null, "x", "a\0"));
        } finally {
            out.release();
        }
    }

    @Test
    void parsingWhatItEncodesGivesBackTheSameEvents() {
        String alphabet = "ab \n\r:\u0000é€😀\uFEFF";
        for (long seed = 0; seed < 300; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            List<SseRecord> events = new ArrayList<>();
            ByteBuf out = ByteBufAllocator.DEFAULT.heapBuffer();
            try {
                String id = "";
                int n = 1 + random.nextInt(5);
                for (int i = 0; i < n; i++) {
                    String type = random.nextBoolean() ? "message" : text(random, "xyz.é_", 1 + random.nextInt(6));
                    if (random.nextInt(3) == 0) {
                        id = text(random, "0123é ", random.nextInt(4));
                    }
                    String data = text(random, alphabet, random.nextInt(12));
                    SseEncoder.writeEvent(out, type, data, id);
                    events.add(event(type, data.replace("\r\n", "\n").replace('\r', '\n'), id));
                }
                byte[] bytes = new byte[out.readableBytes()];
                out.getBytes(out.readerIndex(), bytes);
                List<SseRecord> expected = new ArrayList<>(events);
                expected.add(SseRecord.end(0));
                // A leading BOM in the first data line would be eaten as the stream's BOM: not so,
                // the encoder always starts with a field name.
                assertEquals(expected, Chunking.random(seed, bytes.length).parse(bytes), "seed " + seed);
            } finally {
                out.release();
            }
        }
    }

    @Test
    void parsedEventIsWrittenOnFromItsDataViewUnchanged() {
        byte[] input = "event: e\nid: 1\ndata: a\ndata: \u00e9\n\n".getBytes(StandardCharsets.UTF_8);
        ByteBuf out = ByteBufAllocator.DEFAULT.heapBuffer();
        try {
            SseParser parser = SseParser.create(e -> SseEncoder.writeEvent(out, e));
            Chunking.at(3, 20).feed(parser, input);
            parser.end();
            assertEquals("event: e\nid: 1\ndata: a\ndata: \u00e9\n\n", out.toString(StandardCharsets.UTF_8));
        } finally {
            out.release();
        }
    }

    private static String text(SplittableRandom random, String alphabet, int length) {
        StringBuilder b = new StringBuilder();
        int[] cps = alphabet.codePoints().toArray();
        for (int i = 0; i < length; i++) {
            b.appendCodePoint(cps[random.nextInt(cps.length)]);
        }
        return b.toString();
    }
}

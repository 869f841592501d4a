package io.sluice.fuzz;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.sluice.core.SseEncoder;
import io.sluice.core.testing.SseRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random events, retries and comments written with {@link SseEncoder}, and the records a parser
 * must give back: the same text, with every line end in data and comments read as LF (CRLF and a
 * lone CR are line ends the format cannot tell from LF), and the last event ID carried forward.
 */
record EncoderScript(byte[] encoded, List<SseRecord> expected, String written) {
    private static final int[] SPECIALS = {'\r', '\n', ':', ' ', 0, 0xFEFF, 0xFFFD, 0x7F, 0x80, 0x7FF, 0x800,
            0xFFFF, 0x10000, 0x10FFFF};

    static EncoderScript generate(SplittableRandom random) {
        ByteBuf out = Unpooled.buffer();
        List<SseRecord> expected = new ArrayList<>();
        StringBuilder written = new StringBuilder();
        String lastEventId = "";
        int items = random.nextInt(8);
        try {
            for (int i = 0; i < items; i++) {
                int kind = random.nextInt(10);
                if (kind < 7) {
                    String type = choose(random, null, "", "message", text(random, false));
                    String data = text(random, true);
                    String id = choose(random, null, "", text(random, false), text(random, false));
                    SseEncoder.writeEvent(out, type, data, id);
                    if (id != null) {
                        lastEventId = id;
                    }
                    boolean defaultType = type == null || type.isEmpty();
                    expected.add(SseRecord.event(defaultType ? "message" : type, normaliseLineEnds(data), lastEventId));
                    written.append("event(").append(quote(type)).append(", ").append(SseRecord.quote(data))
                            .append(", ").append(quote(id)).append(") ");
                } else if (kind < 8) {
                    long millis = random.nextBoolean() ? random.nextLong(0, 100_000) : random.nextLong(0, Long.MAX_VALUE);
                    SseEncoder.writeRetry(out, millis);
                    expected.add(SseRecord.retry(millis));
                    written.append("retry(").append(millis).append(") ");
                } else {
                    String text = text(random, true);
                    SseEncoder.writeComment(out, text);
                    for (String line : normaliseLineEnds(text).split("\n", -1)) {
                        expected.add(SseRecord.comment(line));
                    }
                    written.append("comment(").append(SseRecord.quote(text)).append(") ");
                }
            }
            expected.add(SseRecord.end(0));
            return new EncoderScript(ByteBufUtil.getBytes(out), expected, written.toString());
        } finally {
            out.release();
        }
    }

    /** CRLF first, so its CR is not read as a line end of its own. */
    static String normaliseLineEnds(String s) {
        return s.replace("\r\n", "\n").replace('\r', '\n');
    }

    /**
     * Valid Unicode text (no unpaired surrogates: the encoder writes those as '?'), from all four
     * UTF-8 lengths. CR, LF, CRLF and NUL only when {@code lineEnds} (data and comments): types
     * and ids get none of them, since no line can carry CR or LF and an id with NUL is ignored.
     */
    private static String text(SplittableRandom random, boolean lineEnds) {
        int length = random.nextInt(4) == 0 ? random.nextInt(400) : random.nextInt(12);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(10);
            int cp;
            if (kind < 4) {
                cp = 0x20 + random.nextInt(0x5F);
            } else if (kind < 6) {
                cp = SPECIALS[random.nextInt(SPECIALS.length)];
            } else if (kind < 7) {
                cp = 0x80 + random.nextInt(0x800 - 0x80);
            } else if (kind < 8) {
                do {
                    cp = 0x800 + random.nextInt(0x10000 - 0x800);
                } while (cp >= 0xD800 && cp <= 0xDFFF);
            } else if (kind < 9) {
                cp = 0x10000 + random.nextInt(0x110000 - 0x10000);
            } else {
                b.append(lineEnds ? "\r\n" : "x");
                continue;
            }
            if (!lineEnds && (cp == '\r' || cp == '\n' || cp == 0)) {
                cp = '_';
            }
            b.appendCodePoint(cp);
        }
        return b.toString();
    }

    @SafeVarargs
    private static <T> T choose(SplittableRandom random, T... options) {
        return options[random.nextInt(options.length)];
    }

    private static String quote(String s) {
        return s == null ? "null" : SseRecord.quote(s);
    }
}

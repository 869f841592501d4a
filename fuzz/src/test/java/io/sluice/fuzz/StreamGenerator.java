package io.sluice.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Seeded event streams for the properties. Most are grammar-aware: lines built from the fields,
 * separators, values and line ends a parser has to get right, with the corner cases weighted far
 * above their share of real traffic (invalid UTF-8, NUL, BOMs, lone CRs, long lines, unterminated
 * endings). The rest are raw bytes drawn from the alphabet that matters to the grammar, so that
 * shapes no grammar rule thought of still turn up.
 */
final class StreamGenerator {
    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    private static final String[] KNOWN = {"data", "event", "id", "retry"};
    private static final String[] UNKNOWN = {"dat", "datas", "Data", "DATA", "ev", "eventt", "Event", "i", "ids",
            "retr", "retry ", " data", "data ", "x", "foo", "dät", "\tdata", "reply", "\u2603"};
    private static final String[] SEPARATORS = {": ", ":", ":  ", "", ": \t", ":\t"};
    private static final String[] WORDS = {"", "a", "hello", "message", "ping", "content_block_delta",
            "{\"type\":\"text_delta\",\"text\":\"Hi\"}", "x:y", " lead", "trail ", "a b c", "0", "123", "message\u0000",
            "-1", "+5", "1e3", "9223372036854775807", "9223372036854775808", "00000000000000000000042",
            "99999999999999999999999", "\ufeff", "data:"};
    /** Ill-formed UTF-8 the standard's decoder must answer with U+FFFD, each of a different kind. */
    private static final int[][] INVALID = {
            {0x80}, {0xBF}, {0x80, 0x80},                       // lone continuation bytes
            {0xC3}, {0xE2, 0x82}, {0xF0, 0x9F, 0x98}, {0xE2},    // sequences cut short
            {0xC0, 0xAF}, {0xC1, 0xBF}, {0xE0, 0x80, 0xAF}, {0xF0, 0x80, 0x80, 0xAF}, // overlong
            {0xED, 0xA0, 0x80}, {0xED, 0xBF, 0xBF},              // encoded surrogates
            {0xF4, 0x90, 0x80, 0x80},                            // past U+10FFFF
            {0xF5}, {0xF8, 0x88, 0x80, 0x80, 0x80}, {0xFE}, {0xFF}, // never valid
            {0xEF, 0xBB}, {0xEF}};                               // BOM prefixes
    /** Well-formed multi-byte UTF-8: 2, 3 and 4 bytes, the boundaries of each length among them. */
    private static final String[] MULTI_BYTE = {"é", "\u0080", "\u07ff", "€", "\u0800", "\uffff", "\ufffd",
            "\ud7ff", "\ue000", "日本", "\ud83d\ude00", "\ud800\udc00", "\udbff\udfff", "ü\ud83c\udf89€"};
    private static final String[] EOLS = {"\n", "\r\n", "\r"};
    private static final byte[] RAW_ALPHABET = {'\r', '\n', ':', ' ', 'd', 'a', 't', 'e', 'i', 'r', 'y', (byte) 0xEF,
            (byte) 0xBB, (byte) 0xBF, 0, (byte) 0xE2, (byte) 0x82, (byte) 0xAC};

    private final SplittableRandom random;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    /** -1 for a mixture of line ends, else the index of the only one this stream uses. */
    private int eolPolicy;

    private StreamGenerator(SplittableRandom random) {
        this.random = random;
    }

    /** A stream of at most {@code maxLength} bytes (shorter is common, empty is possible). */
    static byte[] generate(SplittableRandom random, int maxLength) {
        return new StreamGenerator(random).stream(maxLength);
    }

    /** Raw bytes biased toward CR, LF, ':', ' ', the letters of "data" and the BOM. */
    static byte[] raw(SplittableRandom random, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(10);
            if (kind < 6) {
                bytes[i] = RAW_ALPHABET[random.nextInt(RAW_ALPHABET.length)];
            } else if (kind < 7 && i + 3 <= length) {
                System.arraycopy(BOM, 0, bytes, i, 3);
                i += 2;
            } else {
                bytes[i] = (byte) random.nextInt(256);
            }
        }
        return bytes;
    }

    private byte[] stream(int maxLength) {
        // A quarter of the streams are at most 16 bytes: the empty stream and one-line streams are cases too.
        int target = random.nextInt(maxLength + 1);
        if (random.nextInt(4) == 0) {
            target = Math.min(target, random.nextInt(17));
        }
        if (random.nextInt(5) == 0) {
            return raw(random, target);
        }
        if (random.nextInt(20) == 0) {
            // A stream that ends inside its BOM: is it a BOM, or a line?
            return Arrays.copyOf(BOM, Math.min(target, 1 + random.nextInt(3)));
        }
        eolPolicy = random.nextInt(4) == 0 ? -1 : random.nextInt(EOLS.length);
        switch (random.nextInt(8)) {
            case 0:
                out.writeBytes(BOM);
                break;
            case 1:
                out.writeBytes(BOM);
                out.writeBytes(BOM); // the second is content (docs/parser.md)
                break;
            case 2:
                out.write(0xEF); // a BOM prefix that is not a BOM
                break;
            default:
                break;
        }
        while (out.size() < target) {
            block();
        }
        byte[] bytes = out.toByteArray();
        if (bytes.length > target || random.nextInt(4) == 0) {
            // Truncation cuts lines, line ends and UTF-8 sequences anywhere: unterminated endings.
            return Arrays.copyOf(bytes, Math.min(bytes.length, target));
        }
        return bytes;
    }

    /** One event's worth of lines, usually ended by a blank line. */
    private void block() {
        int lines = random.nextInt(5);
        for (int i = 0; i < lines; i++) {
            line();
        }
        if (random.nextInt(6) != 0) {
            eol(); // the blank line that dispatches
        }
        if (random.nextInt(10) == 0) {
            eol(); // and sometimes an extra one
        }
    }

    private void line() {
        int kind = random.nextInt(20);
        if (kind < 2) {
            write(":");
            value(); // a comment
        } else if (kind < 4) {
            write(UNKNOWN[random.nextInt(UNKNOWN.length)]); // an unknown field, maybe with a value
            if (random.nextBoolean()) {
                write(SEPARATORS[random.nextInt(SEPARATORS.length)]);
                value();
            }
        } else if (kind < 6) {
            write(KNOWN[random.nextInt(KNOWN.length)]); // a naked field name
        } else if (kind < 7) {
            write("retry");
            write(SEPARATORS[random.nextInt(SEPARATORS.length)]);
            write(Long.toString(random.nextLong(0, Long.MAX_VALUE)));
            if (random.nextBoolean()) {
                write(Integer.toString(random.nextInt(10))); // often past Long.MAX_VALUE
            }
        } else {
            write(KNOWN[random.nextInt(KNOWN.length)]);
            write(SEPARATORS[random.nextInt(SEPARATORS.length)]);
            value();
        }
        eol();
    }

    /** A field value: a few pieces of text, bytes and oddities. */
    private void value() {
        int pieces = random.nextInt(4);
        for (int i = 0; i < pieces; i++) {
            int kind = random.nextInt(20);
            if (kind < 7) {
                write(WORDS[random.nextInt(WORDS.length)]);
            } else if (kind < 10) {
                write(MULTI_BYTE[random.nextInt(MULTI_BYTE.length)]);
            } else if (kind < 13) {
                for (int b : INVALID[random.nextInt(INVALID.length)]) {
                    out.write(b);
                }
            } else if (kind < 14) {
                out.write(0); // NUL: content in data, makes an id ignored
            } else if (kind < 15) {
                out.writeBytes(BOM); // a BOM after the start is content
            } else if (kind < 16) {
                int length = random.nextInt(10) == 0 ? 1025 + random.nextInt(3000) : random.nextInt(300);
                for (int j = 0; j < length; j++) {
                    out.write('a' + random.nextInt(26)); // a long line
                }
            } else if (kind < 17) {
                write(" "); // two spaces after the colon, or inner spaces
            } else if (kind < 18) {
                write(":");
            } else {
                write(Integer.toString(random.nextInt(1000)));
            }
        }
    }

    private void eol() {
        write(EOLS[eolPolicy >= 0 ? eolPolicy : random.nextInt(EOLS.length)]);
    }

    private void write(String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    }
}

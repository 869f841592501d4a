package io.sluice.core.testing;

/**
 * One thing a parser reported, as a value: what the split-point, conformance and model tests
 * compare. The string form is the replay command's NDJSON record, so a failure reads like the
 * contract it breaks.
 */
public record SseRecord(Kind kind, String event, String data, String id, long number) {

    public enum Kind { EVENT, RETRY, COMMENT, ERROR, END }

    public static SseRecord event(String event, String data, String id) {
        return new SseRecord(Kind.EVENT, event, data, id, 0);
    }

    public static SseRecord retry(long millis) {
        return new SseRecord(Kind.RETRY, null, null, null, millis);
    }

    public static SseRecord comment(String text) {
        return new SseRecord(Kind.COMMENT, null, text, null, 0);
    }

    /** A bound error: the bound's option name and the stream offset it names. */
    public static SseRecord error(String bound, long offset) {
        return new SseRecord(Kind.ERROR, bound, null, null, offset);
    }

    /** End of stream and its incomplete tail (0 for a clean end). */
    public static SseRecord end(long incompleteTailBytes) {
        return new SseRecord(Kind.END, null, null, null, incompleteTailBytes);
    }

    @Override
    public String toString() {
        switch (kind) {
            case EVENT:
                return "{\"type\":\"event\",\"event\":" + quote(event) + ",\"data\":" + quote(data) + ",\"id\":" + quote(id) + "}";
            case RETRY:
                return "{\"type\":\"retry\",\"ms\":" + number + "}";
            case COMMENT:
                return "{\"type\":\"comment\",\"text\":" + quote(data) + "}";
            case ERROR:
                return "{\"type\":\"error\",\"bound\":" + quote(event) + ",\"offset\":" + number + "}";
            case END:
                return "{\"type\":\"end\",\"incomplete_tail_bytes\":" + number + "}";
            default:
                throw new IllegalStateException("Unhandled kind " + kind);
        }
    }

    /** Java-escaped, so invisible characters show in a failure message. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\ufffd' || Character.isSurrogate(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}

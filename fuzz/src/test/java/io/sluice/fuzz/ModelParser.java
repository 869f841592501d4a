package io.sluice.fuzz;

import io.sluice.core.testing.SseRecord;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * The oracle: WHATWG HTML "Parsing an event stream" and "Interpreting an event stream" (section
 * 9.2.5 and 9.2.6), done the slow and plain way: decode the whole stream, cut it into lines,
 * interpret each line. It shares no code with core; only the record type it answers in is core's
 * test type, so the two answers compare with {@code equals}.
 *
 * <p>Sluice's own choices, where the standard leaves one (docs/parser.md), are modelled too:
 * {@code retry} values past {@link Long#MAX_VALUE} are ignored, comments are reported, an event
 * left open at the end is reported as an incomplete tail, and the size bounds fail the stream or
 * skip to the next blank line.
 *
 * <p>Byte offsets and sizes (the tail, bound offsets, line and event sizes) come from the decoder,
 * which records where each code point's bytes start, so lines are cut in the decoded text as the
 * standard cuts them and still measured in bytes. Why the parser, which works on raw bytes and
 * decodes each value on its own, must agree: CR, LF, ':' and ' ' are ASCII, and the UTF-8 decoder
 * never takes an ASCII byte into a multi-byte sequence (a sequence it cuts short becomes one
 * U+FFFD and the byte is read again), while a sequence cut short by the end of a piece is also one
 * U+FFFD. So decoding the stream whole equals decoding the pieces between those bytes one by one,
 * and the joined data (its values separated by ASCII LF) decodes to the joined decoded values.
 */
final class ModelParser {
    private static final int CR = '\r';
    private static final int LF = '\n';
    private static final int COLON = ':';
    private static final int SPACE = ' ';
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    /**
     * What a parser reports for a stream: the records in order, then either the incomplete tail
     * (an end record) or, when a bound failed the stream, nothing more.
     */
    record Result(List<SseRecord> records, long incompleteTailBytes, boolean failed) {
        /** The records a {@code RecordingHandler} sees when the parser is ended after the last feed. */
        List<SseRecord> recorded() {
            List<SseRecord> all = new ArrayList<>(records);
            if (!failed) {
                all.add(SseRecord.end(incompleteTailBytes));
            }
            return all;
        }
    }

    private final byte[] input;
    private final Limits limits;
    private final ModelUtf8Decoder.Decoded text;
    private final List<SseRecord> records = new ArrayList<>();

    // The standard's buffers.
    private final StringBuilder data = new StringBuilder();
    private String eventType = "";
    private String lastEventId = "";
    /** Bytes of the data buffer as received (values joined by LF): what maxEventSize bounds. */
    private long dataBytes;
    /** Stream offset of the first data or event line since the last dispatch, or -1. */
    private long openEventStart = -1;
    /** After a bound error under the skip policy: ignoring lines up to the next blank one. */
    private boolean skipping;
    private boolean failed;

    private ModelParser(byte[] input, Limits limits) {
        this.input = input;
        this.limits = limits;
        // "UTF-8 decode" drops one leading BOM before decoding; the rest is decoded as a whole.
        this.text = ModelUtf8Decoder.decode(input, startsWithBom(input) ? 3 : 0);
    }

    static Result parse(byte[] input) {
        return parse(input, Limits.DEFAULT);
    }

    static Result parse(byte[] input, Limits limits) {
        return new ModelParser(input, limits).run();
    }

    private static boolean startsWithBom(byte[] input) {
        return input.length >= 3 && (input[0] & 0xFF) == 0xEF && (input[1] & 0xFF) == 0xBB && (input[2] & 0xFF) == 0xBF;
    }

    private Result run() {
        int[] cp = text.codePoints();
        int count = text.count();
        int pos = 0;
        while (pos < count && !failed) {
            int eol = pos;
            while (eol < count && cp[eol] != CR && cp[eol] != LF) {
                eol++;
            }
            if (eol == count) {
                return end(pos); // an unterminated last line is never processed
            }
            line(pos, eol);
            // end-of-line = ( cr lf / cr / lf ): a CR followed by an LF is one line end.
            pos = cp[eol] == CR && eol + 1 < count && cp[eol + 1] == LF ? eol + 2 : eol + 1;
        }
        return failed ? new Result(records, -1, true) : end(count);
    }

    /** The stream ended; code points {@code [lastLine, count)} are an unterminated line (maybe empty). */
    private Result end(int lastLine) {
        long lineStart = text.offsets()[lastLine];
        long length = input.length - lineStart;
        if (!skipping && length > limits.maxLineLength()) {
            // The bound is checked as bytes arrive, so an unterminated line can cross it too.
            boundExceeded("maxLineLength", lineStart + limits.maxLineLength());
            if (failed) {
                return new Result(records, -1, true);
            }
        }
        long tail = openEventStart >= 0 ? input.length - openEventStart : length;
        return new Result(records, tail, false);
    }

    /** One terminated line, code points {@code [from, to)}. */
    private void line(int from, int to) {
        long lineStart = text.offsets()[from];
        long lineBytes = text.offsets()[to] - lineStart;
        if (skipping) {
            skipping = from != to; // the blank line that ends the skipped event ends the skip
            return;
        }
        if (lineBytes > limits.maxLineLength()) {
            boundExceeded("maxLineLength", lineStart + limits.maxLineLength());
            return;
        }
        interpret(from, to, lineStart);
    }

    /** "Interpreting an event stream", one line. */
    private void interpret(int from, int to, long lineStart) {
        int[] cp = text.codePoints();
        if (from == to) {
            dispatch();
            return;
        }
        if (cp[from] == COLON) {
            records.add(SseRecord.comment(string(from + 1, to)));
            return;
        }
        int colon = from;
        while (colon < to && cp[colon] != COLON) {
            colon++;
        }
        String field = string(from, colon);
        int valueFrom = colon;
        if (colon < to) {
            valueFrom = colon + 1;
            if (valueFrom < to && cp[valueFrom] == SPACE) {
                valueFrom++;
            }
        }
        String value = string(valueFrom, to);
        switch (field) {
            case "event":
                open(lineStart);
                eventType = value;
                break;
            case "data":
                long valueBytes = text.offsets()[to] - text.offsets()[valueFrom];
                long size = data.length() == 0 ? valueBytes : dataBytes + 1 + valueBytes;
                if (size > limits.maxEventSize()) {
                    boundExceeded("maxEventSize", lineStart);
                    return;
                }
                open(lineStart);
                data.append(value).append('\n');
                dataBytes = size;
                break;
            case "id":
                if (value.indexOf('\0') < 0) {
                    lastEventId = value;
                }
                break;
            case "retry":
                if (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')
                        && new BigInteger(value).compareTo(LONG_MAX) <= 0) {
                    records.add(SseRecord.retry(Long.parseLong(value)));
                }
                break;
            default:
                break; // "Otherwise: the field is ignored."
        }
    }

    private void open(long lineStart) {
        if (openEventStart < 0) {
            openEventStart = lineStart;
        }
    }

    /** "Dispatch the event". */
    private void dispatch() {
        if (data.length() > 0) {
            data.setLength(data.length() - 1); // the data buffer always ends in the LF its last line added
            records.add(SseRecord.event(eventType.isEmpty() ? "message" : eventType, data.toString(), lastEventId));
        }
        dropEvent();
    }

    private void dropEvent() {
        data.setLength(0);
        dataBytes = 0;
        eventType = "";
        openEventStart = -1;
    }

    private void boundExceeded(String bound, long offset) {
        records.add(SseRecord.error(bound, offset));
        dropEvent();
        if (limits.skipOversizedEvents()) {
            skipping = true;
        } else {
            failed = true;
        }
    }

    private String string(int from, int to) {
        return new String(text.codePoints(), from, to - from);
    }
}

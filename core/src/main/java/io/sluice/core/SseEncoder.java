package io.sluice.core;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.ByteProcessor;

/**
 * Writes events, {@code retry} values and comments as {@code text/event-stream} bytes, so that
 * what a relay parsed can be written on. {@link SseParser} reading what this class writes gives
 * back the same events: that round trip is a property the tests check for any content.
 *
 * <p>Data containing line ends (LF, CR or CRLF) is written as one {@code data} line per line, as
 * the standard requires; a line end at the very end of the data becomes a last, empty
 * {@code data} line. Every method appends to {@code out} (growing it as needed) and neither
 * retains nor releases it. Strings are written as UTF-8; an unpaired surrogate, which UTF-8 cannot
 * carry, is written as {@code '?'}, as {@link String#getBytes} would.
 *
 * <p>Stateless: one class, static methods, any thread.
 */
public final class SseEncoder {
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte[] DATA = {'d', 'a', 't', 'a', ':', ' '};
    private static final byte[] EVENT = {'e', 'v', 'e', 'n', 't', ':', ' '};
    private static final byte[] ID = {'i', 'd', ':', ' '};
    private static final byte[] RETRY = {'r', 'e', 't', 'r', 'y', ':', ' '};

    private SseEncoder() {
    }

    /**
     * Writes one event and the blank line that dispatches it.
     *
     * @param type the event type; null, empty or {@code "message"} writes no {@code event} line
     * @param data the data, any characters; "" is an event with empty data
     * @param id the last event ID to set, or null to write no {@code id} line ("" resets it)
     * @throws IllegalArgumentException if {@code type} or {@code id} holds CR or LF, or {@code id}
     *     holds NUL: no line of the format can carry them
     */
    public static void writeEvent(ByteBuf out, String type, CharSequence data, String id) {
        writeHeader(out, type, id);
        int lineStart = 0;
        int length = data.length();
        for (int i = 0; i < length; i++) {
            char c = data.charAt(i);
            if (c == '\n' || c == '\r') {
                writeDataLine(out, data, lineStart, i);
                if (c == '\r' && i + 1 < length && data.charAt(i + 1) == '\n') {
                    i++;
                }
                lineStart = i + 1;
            }
        }
        writeDataLine(out, data, lineStart, length);
        out.writeByte(LF);
    }

    /**
     * Writes one event whose data is the bytes {@code data[index, index + length)}, copied as they
     * are (no decoding), split into {@code data} lines at LF, CR and CRLF. This is how a relay
     * writes an event's {@link SseEvent#dataBuffer() data view} on without making a String.
     */
    public static void writeEvent(ByteBuf out, String type, ByteBuf data, int index, int length, String id) {
        writeHeader(out, type, id);
        int end = index + length;
        int lineStart = index;
        // forEachByte, not getByte per byte: one bounds check per line, not per byte (a relayed
        // delta is one line; RelayLoadBenchmark).
        for (int i; lineStart < end && (i = data.forEachByte(lineStart, end - lineStart, ByteProcessor.FIND_CRLF)) >= 0; ) {
            out.writeBytes(DATA).writeBytes(data, lineStart, i - lineStart).writeByte(LF);
            lineStart = data.getByte(i) == CR && i + 1 < end && data.getByte(i + 1) == LF ? i + 2 : i + 1;
        }
        out.writeBytes(DATA).writeBytes(data, lineStart, end - lineStart).writeByte(LF);
        out.writeByte(LF);
    }

    /** Writes {@code event} as it was parsed: its type, its data bytes and its last event ID. */
    public static void writeEvent(ByteBuf out, SseEvent event) {
        writeEvent(out, event.type(), event.dataBuffer(), event.dataIndex(), event.dataLength(), event.lastEventId());
    }

    /** Writes a {@code retry} line. */
    public static void writeRetry(ByteBuf out, long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("retry must not be negative: " + millis);
        }
        out.writeBytes(RETRY);
        ByteBufUtil.writeAscii(out, Long.toString(millis));
        out.writeByte(LF);
    }

    /**
     * Writes a comment: {@code ':'} and the text, nothing added. Text with line ends becomes one
     * comment line per line. Comments carry keep-alives and are ignored by EventSource.
     */
    public static void writeComment(ByteBuf out, CharSequence text) {
        int lineStart = 0;
        int length = text.length();
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r') {
                out.writeByte(':');
                writeUtf8(out, text, lineStart, i);
                out.writeByte(LF);
                if (c == '\r' && i + 1 < length && text.charAt(i + 1) == '\n') {
                    i++;
                }
                lineStart = i + 1;
            }
        }
        out.writeByte(':');
        writeUtf8(out, text, lineStart, length);
        out.writeByte(LF);
    }

    private static void writeHeader(ByteBuf out, String type, String id) {
        if (type != null && !type.isEmpty() && !"message".equals(type)) {
            requireSingleLine(type, "event type");
            out.writeBytes(EVENT);
            writeUtf8(out, type, 0, type.length());
            out.writeByte(LF);
        }
        if (id != null) {
            requireSingleLine(id, "id");
            if (id.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("an id holding NUL is ignored by every parser: " + id);
            }
            out.writeBytes(ID);
            writeUtf8(out, id, 0, id.length());
            out.writeByte(LF);
        }
    }

    private static void writeDataLine(ByteBuf out, CharSequence data, int start, int end) {
        out.writeBytes(DATA);
        writeUtf8(out, data, start, end);
        out.writeByte(LF);
    }

    private static void writeUtf8(ByteBuf out, CharSequence text, int start, int end) {
        if (start < end) {
            ByteBufUtil.writeUtf8(out, text, start, end);
        }
    }

    private static void requireSingleLine(String value, String what) {
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("an " + what + " cannot hold CR or LF: " + value);
        }
    }
}

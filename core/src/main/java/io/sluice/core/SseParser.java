package io.sluice.core;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.core.SseBoundExceededException.Bound;
import io.sluice.core.internal.EolScanner;
import io.sluice.core.internal.EventTypeTable;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A push parser of {@code text/event-stream}: it is fed bytes as the network delivers them, split
 * anywhere, and reports events, {@code retry} values and comments to an {@link SseHandler} as soon
 * as the line that completes them arrives. It follows WHATWG HTML, "Parsing an event stream" and
 * "Interpreting an event stream", to the letter:
 *
 * <ul>
 *   <li>bytes are UTF-8, each ill-formed sequence read as U+FFFD; one BOM at the very start of the
 *       stream is dropped, any later one is content;</li>
 *   <li>a line ends at CRLF, LF or a lone CR; a CR at the end of one feed and an LF at the start
 *       of the next are one line end, and the line is processed at the CR, without waiting;</li>
 *   <li>a line is split into field and value at its first colon, and one space after the colon is
 *       removed; a line without a colon is a field with an empty value; a line starting with a
 *       colon is a comment; unknown fields are ignored;</li>
 *   <li>{@code data} appends its value and an LF to the data buffer, {@code event} sets the type,
 *       {@code id} sets the last event ID unless the value holds a NUL (it persists across events;
 *       empty resets it), {@code retry} is reported when its value is only ASCII digits;</li>
 *   <li>a blank line dispatches the event if the data buffer is not empty (less its last LF);</li>
 *   <li>at the end of the stream an unterminated line is not processed and an open event is not
 *       dispatched; {@link SseHandler#onEnd(long)} reports how many bytes that left behind.</li>
 * </ul>
 *
 * <p>A stream on the wire:
 * <pre>
 * event: content_block_delta\n
 * data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n
 * \n
 * : keep-alive\n
 * </pre>
 *
 * <h2>Limits</h2>
 * <table>
 *   <caption>Bounds and their defaults</caption>
 *   <tr><th>bound</th><th>default</th><th>what it bounds</th></tr>
 *   <tr><td>{@link Builder#maxLineLength(int) maxLineLength}</td><td>{@value #DEFAULT_MAX_LINE_LENGTH}</td>
 *       <td>one line, without its terminator; the unfinished line is all the parser buffers</td></tr>
 *   <tr><td>{@link Builder#maxEventSize(int) maxEventSize}</td><td>{@value #DEFAULT_MAX_EVENT_SIZE}</td>
 *       <td>one event's data, its {@code data} values joined by LF</td></tr>
 * </table>
 * Input past a bound is reported as a {@link SseBoundExceededException} as soon as the first byte
 * past it arrives, so memory never grows past the bounds. Then, by default, the parser fails and
 * discards the rest of the stream; with {@link Builder#skipOversizedEvents(boolean)} it discards
 * the event in progress, skips to the next blank line and goes on. (Netty's
 * {@code LineBasedFrameDecoder} offers the same choice as its discarding mode.)
 *
 * <h2>Ownership and threading</h2>
 * Confined to one thread. {@link #feed(ByteBuf)} reads all readable bytes of the buffer it is
 * given and never keeps a reference to it: the caller releases it. What the parser keeps between
 * feeds it copies into buffers of its own allocator, released by {@link #end()}, {@link #close()}
 * or a failure. Events handed to the handler are views, valid during the callback only.
 *
 * <h2>Security</h2>
 * A peer controls every byte. The bounds cap what one stream can make the parser hold; the event
 * type table caps the types it remembers; a line of any length arriving a byte at a time costs
 * linear time, because the scan position is never moved back.
 */
public final class SseParser implements AutoCloseable {

    /** Default bound of one line, without its terminator: 1 MiB. */
    public static final int DEFAULT_MAX_LINE_LENGTH = 1 << 20;
    /** Default bound of one event's data: 1 MiB. */
    public static final int DEFAULT_MAX_EVENT_SIZE = 1 << 20;

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte COLON = ':';
    private static final byte SPACE = ' ';
    private static final int DATA = 0x64617461; // "data", big-endian as ByteBuf.getInt reads it
    private static final int EVEN = 0x6576656E; // "even"
    private static final int RETR = 0x72657472; // "retr"
    private static final short ID = 0x6964;     // "id"
    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    private static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final int INITIAL_BUFFER = 256;

    private enum State {
        /** At the start of the stream, matching a UTF-8 BOM; {@link #bomMatched} bytes so far. */
        BOM,
        /** Reading lines. */
        LINE,
        /** A line crossed {@code maxLineLength}: dropping the rest of it, then {@link #DISCARD_EVENT}. */
        DISCARD_LINE,
        /** After a bound error: dropping lines up to and including the next blank line. */
        DISCARD_EVENT,
        /** A bound error without skipping, or a handler threw: all further input is dropped. */
        FAILED,
        /** {@link #end()} or {@link #close()} was called. */
        ENDED
    }

    private final SseHandler handler;
    private final ByteBufAllocator alloc;
    private final int maxLineLength;
    private final int maxEventSize;
    private final boolean skipOversizedEvents;
    private final EventTypeTable types = new EventTypeTable();
    private final View view = new View();

    private State state = State.BOM;
    private int bomMatched;
    /** A CR ended the last feed: an LF at the start of the next one belongs to it. */
    private boolean skipLf;

    /** Bytes fed before the current {@link #feed(ByteBuf)} call. */
    private long fedBefore;
    /** Stream offset of the line being processed, or of the unfinished line. */
    private long lineStart;
    /** Length of the unfinished line carried over from earlier feeds (in {@link #lineBuf} unless discarding). */
    private long partialLength;
    /** The unfinished line, when a line spans feeds; allocated on first use, reused after. */
    private ByteBuf lineBuf;

    /** Number of {@code data} lines in the open event; 0 means the data buffer is empty. */
    private int dataLines;
    /** Size of the open event's data, LFs between values included. */
    private int dataSize;
    /**
     * The open event's only data value when it lies in the buffer being fed: not copied unless the
     * feed ends before the event does ({@link #materialize()}). Null when the data is in {@link #dataBuf}.
     */
    private ByteBuf dataSlice;
    private int dataSliceIndex;
    /** The open event's data when it spans lines or feeds; allocated on first use, reused after. */
    private ByteBuf dataBuf;
    /** The open event's type, null for the default. */
    private String eventType;
    /** Stream offset of the first line that opened the current event, or -1 when none is open. */
    private long openEventStart = -1;

    private byte[] lastEventId = new byte[0];
    private int lastEventIdLength;
    /** {@link #lastEventId} decoded, or null until asked for since it last changed. */
    private String lastEventIdString = "";

    private long eventsDispatched;

    private SseParser(Builder builder, SseHandler handler) {
        this.handler = handler;
        this.alloc = builder.alloc;
        this.maxLineLength = builder.maxLineLength;
        this.maxEventSize = builder.maxEventSize;
        this.skipOversizedEvents = builder.skipOversizedEvents;
    }

    /** A parser with the default bounds, failing on the first bound error. */
    public static SseParser create(SseHandler handler) {
        return builder().build(handler);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Parses all readable bytes of {@code in} and reports what they complete. Advances
     * {@code in}'s reader index to its writer index; does not retain or release {@code in}.
     *
     * @throws IllegalStateException after {@link #end()} or {@link #close()}
     */
    public void feed(ByteBuf in) {
        if (state == State.ENDED) {
            throw new IllegalStateException("feed after end or close");
        }
        final int start = in.readerIndex();
        final int end = in.writerIndex();
        int i = start;
        try {
            if (state == State.FAILED || i == end) {
                return;
            }
            if (skipLf) {
                skipLf = false;
                if (in.getByte(i) == LF) {
                    i++;
                }
            }
            if (state == State.BOM) {
                i = matchBom(in, i, end);
            }
            // Heap buffers are read through their array, fetched once per feed: every ByteBuf call
            // is a virtual call on a site that sees the fed buffers' classes and the parser's own
            // (Unpooled, adaptive), and past two classes HotSpot stops inlining them. Measured with
            // ParserBenchmark#parse, with and without this and processLine's array path; the
            // figures are in benchmarks/RESULTS.md.
            byte[] array = in.hasArray() ? in.array() : null;
            int offset = array == null ? 0 : in.arrayOffset();
            while (i < end && state != State.FAILED) {
                if (array != null && state == State.LINE && partialLength == 0) {
                    i = heapLines(in, array, offset, start, i, end);
                    continue;
                }
                int eol;
                if (array != null) {
                    int found = EolScanner.indexOfEol(array, i + offset, end + offset);
                    eol = found < 0 ? -1 : found - offset;
                } else {
                    eol = EolScanner.indexOfEol(in, i, end);
                }
                if (eol < 0) {
                    carryOver(in, i, end);
                    break;
                }
                endLine(in, array, offset, i, eol);
                i = eol + 1;
                if ((array != null ? array[eol + offset] : in.getByte(eol)) == CR) {
                    if (i == end) {
                        skipLf = true;
                    } else if ((array != null ? array[i + offset] : in.getByte(i)) == LF) {
                        i++;
                    }
                }
            }
            if (dataSlice == in) {
                materialize();
            }
        } catch (Throwable t) {
            fail();
            throw t;
        } finally {
            fedBefore += end - start;
            in.readerIndex(end);
        }
    }

    /**
     * Ends the stream: reports {@link SseHandler#onEnd(long)} (unless the parser failed) and
     * releases what the parser holds. An unterminated last line is not processed and an open
     * event is not dispatched (WHATWG: "If the file ends in the middle of an event, before the
     * final empty line, the incomplete event is not dispatched"). Idempotent.
     */
    public void end() {
        if (state == State.ENDED) {
            return;
        }
        if (state == State.BOM && bomMatched > 0) {
            try {
                bomPrefixIsContent(); // the stream ended inside what looked like a BOM: a line, bounded like any
            } catch (Throwable t) {
                fail();
                throw t;
            }
        }
        State last = state;
        long tail;
        switch (last) {
            case BOM:
                tail = 0; // nothing at all was fed
                break;
            case LINE:
                tail = openEventStart >= 0 ? fedBefore - openEventStart : partialLength;
                break;
            case DISCARD_LINE:
            case DISCARD_EVENT:
                tail = partialLength;
                break;
            case FAILED:
                tail = -1;
                break;
            default:
                throw new IllegalStateException("Unhandled state " + last);
        }
        close();
        if (last != State.FAILED) {
            handler.onEnd(tail);
        }
    }

    /** Releases what the parser holds without reporting anything. Idempotent. */
    @Override
    public void close() {
        state = State.ENDED;
        releaseBuffers();
    }

    /** Events dispatched so far. */
    public long eventsDispatched() {
        return eventsDispatched;
    }

    /** Bytes fed so far. */
    public long bytesFed() {
        return fedBefore;
    }

    /**
     * Capacity of the buffers the parser holds between feeds (the unfinished line and the open
     * event's data): never more than {@code maxLineLength + maxEventSize}. For tests and metrics.
     */
    public int retainedBytes() {
        return (lineBuf == null ? 0 : lineBuf.capacity()) + (dataBuf == null ? 0 : dataBuf.capacity());
    }

    // ---------------------------------------------------------------------------------------------
    // Lines

    private int matchBom(ByteBuf in, int i, int end) {
        while (i < end && bomMatched < BOM.length) {
            if (in.getByte(i) != BOM[bomMatched]) {
                bomPrefixIsContent();
                return i;
            }
            bomMatched++;
            i++;
        }
        if (bomMatched == BOM.length) {
            state = State.LINE;
        }
        return i;
    }

    /** What looked like the start of a BOM was not one: those bytes start the first line. */
    private void bomPrefixIsContent() {
        state = State.LINE;
        partialLength = bomMatched;
        if (bomMatched > 0 && checkLineLength(bomMatched, 0, State.DISCARD_LINE)) {
            lineBuffer().writeBytes(BOM, 0, bomMatched);
        }
    }

    /**
     * The common case, written out as one loop: a heap buffer, reading lines, nothing carried over
     * (so it runs again after the first line of each feed, which usually finishes one carried
     * over). Complete lines of {@code in[i, end)} are processed straight from the array: an event's
     * first {@code data} line and the blank line that dispatches it in the loop itself, an
     * {@code event} line in {@link #eventLine}; anything else goes through {@link #endLine}. Returns
     * where it stopped: {@code end}, or the start of the next line once the state is no longer
     * {@link State#LINE}.
     *
     * <p>Why: per line, the general path's state switch, stream offset and bound checks, and its
     * dispatch on the field cost as much as the scan on LLM streams' short lines
     * ({@code ParserCompareBenchmark}'s and {@code PeerBenchmark}'s {@code segments1460} runs,
     * figures in benchmarks/RESULTS.md).
     */
    private int heapLines(ByteBuf in, byte[] array, int offset, int start, int i, int end) {
        final int aEnd = end + offset;
        int a = i + offset;
        while (a < aEnd && state == State.LINE) {
            int eol = EolScanner.indexOfEol(array, a, aEnd);
            if (eol < 0) {
                carryOver(in, a - offset, end);
                return end;
            }
            int length = eol - a;
            if (length == 0) {
                dispatch();
            } else if (length >= 6 && length <= maxLineLength && dataLines == 0
                    && (int) INT_BE.get(array, a) == DATA && array[a + 4] == COLON
                    && length - (array[a + 5] == SPACE ? 6 : 5) <= maxEventSize) {
                int value = array[a + 5] == SPACE ? 6 : 5;
                if (openEventStart < 0) {
                    openEventStart = fedBefore + (a - offset - start);
                }
                dataSlice = in;
                dataSliceIndex = a - offset + value;
                dataSize = length - value;
                dataLines = 1;
            } else if (!eventLine(array, a, length, fedBefore + (a - offset - start))) {
                endLine(in, array, offset, a - offset, eol - offset);
            }
            a = eol + 1;
            if (array[eol] == CR) {
                if (a == aEnd) {
                    skipLf = true;
                } else if (array[a] == LF) {
                    a++;
                }
            }
        }
        return a - offset;
    }

    /**
     * An {@code event} line of a heap buffer, {@link #heapLines}' second most common line: sets the
     * type and returns true; false for any other line. A method of its own because written into
     * {@link #heapLines}' loop it made both LLM corpora slower, not faster (the same benchmarks),
     * most likely by taking the loop past what C2 inlines into {@link #feed}.
     */
    private boolean eventLine(byte[] array, int a, int length, long start) {
        if (length < 6 || length > maxLineLength || (int) INT_BE.get(array, a) != EVEN || array[a + 4] != 't'
                || array[a + 5] != COLON) {
            return false;
        }
        int value = length > 6 && array[a + 6] == SPACE ? 7 : 6;
        if (openEventStart < 0) {
            openEventStart = start;
        }
        eventType = length == value ? null : types.resolve(array, a + value, length - value);
        return true;
    }

    /** No line end in {@code in[from, end)}: keep it for the next feed. */
    private void carryOver(ByteBuf in, int from, int end) {
        if (partialLength == 0) {
            lineStart = fedBefore + (from - in.readerIndex());
        }
        long length = partialLength + (end - from);
        if (state == State.LINE && checkLineLength(length, lineStart, State.DISCARD_LINE)) {
            append(lineBuffer(), in, from, end - from);
        }
        partialLength = length;
    }

    /** {@code in[from, eol)} ends a line (with what was carried over). */
    private void endLine(ByteBuf in, byte[] array, int offset, int from, int eol) {
        int length = eol - from;
        switch (state) {
            case LINE:
                if (partialLength == 0) {
                    lineStart = fedBefore + (from - in.readerIndex());
                    if (checkLineLength(length, lineStart, State.DISCARD_EVENT)) {
                        processLine(in, array, offset, from, length, true);
                    }
                } else if (checkLineLength(partialLength + length, lineStart, State.DISCARD_EVENT)) {
                    ByteBuf line = append(lineBuf, in, from, length);
                    boolean heap = line.hasArray();
                    processLine(line, heap ? line.array() : null, heap ? line.arrayOffset() : 0,
                            line.readerIndex(), line.readableBytes(), false);
                    if (lineBuf != null) { // null when the line failed the parser
                        lineBuf.clear();
                    }
                }
                break;
            case DISCARD_LINE:
                state = State.DISCARD_EVENT;
                break;
            case DISCARD_EVENT:
                if (partialLength == 0 && length == 0) {
                    state = State.LINE; // the blank line that ends the skipped event
                }
                break;
            default:
                throw new IllegalStateException("Unhandled state " + state);
        }
        partialLength = 0;
    }

    /**
     * True if a line of {@code length} bytes fits; otherwise reports the bound and returns false,
     * skipping in {@code discardState}: the rest of the line first, or only the lines after it when
     * it has ended. Either way the error names the same offset, however the line was cut into feeds.
     */
    private boolean checkLineLength(long length, long start, State discardState) {
        if (length <= maxLineLength) {
            return true;
        }
        boundExceeded(new SseBoundExceededException(Bound.LINE_LENGTH, maxLineLength, start + maxLineLength),
                discardState);
        return false;
    }

    /** WHATWG "Interpreting an event stream": one line, without its terminator. */
    private void processLine(ByteBuf buf, byte[] array, int offset, int index, int length, boolean inFedBuffer) {
        if (length == 0) {
            dispatch();
            return;
        }
        if (array != null && length >= 6) {
            // The two lines LLM streams are made of, read on the array (see feed); the general
            // split below gives the same answer for them.
            int at = offset + index;
            int first4 = (int) INT_BE.get(array, at);
            if (first4 == DATA && array[at + 4] == COLON) {
                int value = array[at + 5] == SPACE ? 6 : 5;
                appendData(buf, index + value, length - value, inFedBuffer);
                return;
            }
            if (first4 == EVEN && array[at + 4] == 't' && array[at + 5] == COLON) {
                int value = length > 6 && array[at + 6] == SPACE ? 7 : 6;
                openEvent();
                eventType = length == value ? null : types.resolve(array, at + value, length - value);
                return;
            }
        }
        int end = index + length;
        // Fast path for the line LLM streams are made of; the general split below gives the same answer.
        if (length >= 5 && buf.getInt(index) == DATA && buf.getByte(index + 4) == COLON) {
            int value = valueStart(buf, index + 5, end);
            appendData(buf, value, end - value, inFedBuffer);
            return;
        }
        if (buf.getByte(index) == COLON) {
            handler.onComment(buf, index + 1, length - 1);
            return;
        }
        int colon = buf.indexOf(index, end, COLON);
        int nameLength = (colon < 0 ? end : colon) - index;
        int value = colon < 0 ? end : valueStart(buf, colon + 1, end);
        int valueLength = end - value;
        switch (nameLength) {
            case 2:
                if (buf.getShort(index) == ID) {
                    setLastEventId(buf, value, valueLength);
                }
                break;
            case 4:
                if (buf.getInt(index) == DATA) {
                    appendData(buf, value, valueLength, inFedBuffer);
                }
                break;
            case 5:
                int first4 = buf.getInt(index);
                byte last = buf.getByte(index + 4);
                if (first4 == EVEN && last == 't') {
                    openEvent();
                    eventType = valueLength == 0 ? null : types.resolve(buf, value, valueLength);
                } else if (first4 == RETR && last == 'y') {
                    retry(buf, value, valueLength);
                }
                break;
            default:
                break; // an unknown field is ignored
        }
    }

    private static int valueStart(ByteBuf buf, int afterColon, int end) {
        return afterColon < end && buf.getByte(afterColon) == SPACE ? afterColon + 1 : afterColon;
    }

    // ---------------------------------------------------------------------------------------------
    // Fields

    private void appendData(ByteBuf buf, int index, int length, boolean inFedBuffer) {
        long size = dataLines == 0 ? length : dataSize + 1L + length;
        if (size > maxEventSize) {
            boundExceeded(new SseBoundExceededException(Bound.EVENT_SIZE, maxEventSize, lineStart),
                    State.DISCARD_EVENT);
            return;
        }
        openEvent();
        if (dataLines == 0 && inFedBuffer) {
            dataSlice = buf;
            dataSliceIndex = index;
        } else {
            materialize();
            ByteBuf data = dataBuffer();
            if (dataLines > 0) {
                data.writeByte(LF);
            }
            append(data, buf, index, length);
        }
        dataLines++;
        dataSize = (int) size;
    }

    private void openEvent() {
        if (openEventStart < 0) {
            openEventStart = lineStart;
        }
    }

    /** Copies a data value that lies in the fed buffer into the parser's own buffer. */
    private void materialize() {
        if (dataSlice != null) {
            append(dataBuffer(), dataSlice, dataSliceIndex, dataSize);
            dataSlice = null;
        }
    }

    private void setLastEventId(ByteBuf buf, int index, int length) {
        if (length > 0 && buf.indexOf(index, index + length, (byte) 0) >= 0) {
            return; // WHATWG: an id containing U+0000 NULL is ignored
        }
        if (length == lastEventIdLength && sameBytes(buf, index, lastEventId, length)) {
            return; // unchanged: keep the decoded String
        }
        if (length > lastEventId.length) {
            lastEventId = new byte[Math.max(length, 2 * lastEventId.length)];
        }
        buf.getBytes(index, lastEventId, 0, length);
        lastEventIdLength = length;
        lastEventIdString = length == 0 ? "" : null;
    }

    private static boolean sameBytes(ByteBuf buf, int index, byte[] bytes, int length) {
        for (int i = 0; i < length; i++) {
            if (buf.getByte(index + i) != bytes[i]) {
                return false;
            }
        }
        return true;
    }

    /** WHATWG: only ASCII digits, base ten; Sluice ignores values past {@link Long#MAX_VALUE} (docs/parser.md). */
    private void retry(ByteBuf buf, int index, int length) {
        if (length == 0) {
            return;
        }
        long value = 0;
        for (int i = index; i < index + length; i++) {
            int digit = buf.getByte(i) - '0';
            if (digit < 0 || digit > 9 || value > (Long.MAX_VALUE - digit) / 10) {
                return;
            }
            value = value * 10 + digit;
        }
        handler.onRetry(value);
    }

    private void dispatch() {
        if (dataLines > 0) {
            eventsDispatched++;
            handler.onEvent(view);
        }
        // WHATWG: the data and event type buffers are emptied either way; the last event ID stays.
        dataLines = 0;
        dataSize = 0;
        dataSlice = null;
        if (dataBuf != null) {
            dataBuf.clear();
        }
        eventType = null;
        openEventStart = -1;
    }

    // ---------------------------------------------------------------------------------------------
    // Failure and buffers

    private void boundExceeded(SseBoundExceededException error, State discardState) {
        dispatchNothing();
        if (skipOversizedEvents) {
            state = discardState;
        } else {
            fail();
        }
        handler.onError(error);
    }

    /** Drops the open event and the unfinished line, as a failure or a skip does. */
    private void dispatchNothing() {
        dataLines = 0;
        dataSize = 0;
        dataSlice = null;
        eventType = null;
        openEventStart = -1;
        if (dataBuf != null) {
            dataBuf.clear();
        }
        if (lineBuf != null) {
            lineBuf.clear();
        }
    }

    private void fail() {
        state = State.FAILED;
        dataSlice = null;
        releaseBuffers();
    }

    /**
     * Appends {@code src[index, index + length)} to {@code dst}. Why the copy is driven from the
     * source: Netty 4.2's adaptive buffers implement {@code dst.writeBytes(src, ...)} for any source
     * that is not itself adaptive through {@code src.nioBuffer()}, a new ByteBuffer (56 to 64 bytes)
     * per copy (netty/netty#15723), which was most of the parser's allocation on segmented input;
     * {@code src.getBytes(index, dst, length)} copies array to array. Measured with
     * {@code ParserBenchmark}, {@code feed=segments1460} and {@code -prof gc} (benchmarks/RESULTS.md).
     */
    private static ByteBuf append(ByteBuf dst, ByteBuf src, int index, int length) {
        dst.ensureWritable(length);
        src.getBytes(index, dst, length);
        return dst;
    }

    // Each buffer's maximum capacity is its bound, so growing it can never overshoot the bound.
    private ByteBuf lineBuffer() {
        if (lineBuf == null) {
            lineBuf = alloc.heapBuffer(Math.min(INITIAL_BUFFER, maxLineLength), maxLineLength);
        }
        return lineBuf;
    }

    private ByteBuf dataBuffer() {
        if (dataBuf == null) {
            dataBuf = alloc.heapBuffer(Math.min(INITIAL_BUFFER, maxEventSize), maxEventSize);
        }
        return dataBuf;
    }

    private void releaseBuffers() {
        dataSlice = null;
        if (lineBuf != null) {
            lineBuf.release();
            lineBuf = null;
        }
        if (dataBuf != null) {
            dataBuf.release();
            dataBuf = null;
        }
    }

    /** The parser's view of the event being dispatched: reads the parser's fields, valid during onEvent only. */
    private final class View implements SseEvent {
        @Override
        public String type() {
            return eventType == null ? "message" : eventType;
        }

        @Override
        public ByteBuf dataBuffer() {
            return dataSlice != null ? dataSlice : dataBuf;
        }

        @Override
        public int dataIndex() {
            return dataSlice != null ? dataSliceIndex : dataBuf.readerIndex();
        }

        @Override
        public int dataLength() {
            return dataSize;
        }

        @Override
        public String dataAsString() {
            return Utf8Decoder.decode(dataBuffer(), dataIndex(), dataSize);
        }

        @Override
        public String lastEventId() {
            if (lastEventIdString == null) {
                lastEventIdString = Utf8Decoder.decode(lastEventId, 0, lastEventIdLength);
            }
            return lastEventIdString;
        }

        @Override
        public String toString() {
            return "SseEvent{type=" + type() + ", id=" + lastEventId() + ", data=" + dataAsString() + '}';
        }
    }

    /** Options of a parser. */
    public static final class Builder {
        private ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        private int maxLineLength = DEFAULT_MAX_LINE_LENGTH;
        private int maxEventSize = DEFAULT_MAX_EVENT_SIZE;
        private boolean skipOversizedEvents;

        private Builder() {
        }

        /** Where the parser allocates the buffers it keeps between feeds (heap buffers). */
        public Builder allocator(ByteBufAllocator alloc) {
            this.alloc = Objects.requireNonNull(alloc, "alloc");
            return this;
        }

        /** The longest line accepted, in bytes, without its terminator. */
        public Builder maxLineLength(int bytes) {
            this.maxLineLength = positive(bytes, "maxLineLength");
            return this;
        }

        /** The largest event data accepted, in bytes: the {@code data} values joined by LF. */
        public Builder maxEventSize(int bytes) {
            this.maxEventSize = positive(bytes, "maxEventSize");
            return this;
        }

        /**
         * After a bound error: {@code false} (the default) fails the parser, which drops the rest
         * of the stream; {@code true} drops the event in progress, skips to the next blank line and
         * goes on. The error reaches {@link SseHandler#onError(SseException)} either way.
         */
        public Builder skipOversizedEvents(boolean skip) {
            this.skipOversizedEvents = skip;
            return this;
        }

        public SseParser build(SseHandler handler) {
            return new SseParser(this, Objects.requireNonNull(handler, "handler"));
        }

        private static int positive(int value, String name) {
            if (value <= 0) {
                throw new IllegalArgumentException(name + " must be positive: " + value);
            }
            return value;
        }
    }

    @Override
    public String toString() {
        return "SseParser{state=" + state + ", fed=" + fedBefore + ", events=" + eventsDispatched
                + ", lastEventId=" + Utf8Decoder.decode(lastEventId, 0, lastEventIdLength) + '}';
    }
}

package io.sluice.cli;

import io.netty.buffer.ByteBuf;
import io.sluice.core.SseBoundExceededException;
import io.sluice.core.SseEvent;

/**
 * Writes what a replay finds, one record per call, in stream order. Arguments are the parser's
 * views: each method reads what it needs during the call and keeps nothing. Output is buffered
 * until {@link #flush()}. Every method throws {@link OutputFailedException} when the write fails.
 */
interface RecordWriter {

    /** A dispatched event. */
    void event(SseEvent event);

    /** A valid {@code retry} field. */
    void retry(long millis);

    /** A comment line: the bytes after the colon, nothing stripped, at {@code [index, index + length)}. */
    void comment(ByteBuf buffer, int index, int length);

    /** A bound error. */
    void boundExceeded(SseBoundExceededException error);

    /** The end of the stream; {@code incompleteTailBytes} is 0 for a clean end. */
    void end(long events, long bytes, long incompleteTailBytes);

    /** Pushes everything written so far to the output. */
    void flush();
}

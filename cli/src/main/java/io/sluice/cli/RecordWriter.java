package io.sluice.cli;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponse;
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

    /**
     * The records that follow come from a read captured {@code nanos} after the capture's origin
     * (the request, else the connection's first packet). Called only for inputs with timestamps.
     */
    default void time(long nanos) {
    }

    /** The captured HTTP response's status line and headers (HTTP and pcap input). */
    default void httpHead(HttpResponse response) {
    }

    /** A non-2xx HTTP response and its whole (decoded) body, which was not parsed as SSE. */
    default void httpError(int status, byte[] body) {
    }

    /** The transport failed under the stream (a corrupt chunk size, a hole in a capture). */
    default void transportError(String type, String message) {
    }

    /**
     * The replay is over, however it ended (not called when writing itself failed); {@code input}
     * says what was replayed, {@code transport} how the connection ended. Writers that report
     * only at the end write here.
     */
    default void finish(String input, String transport, boolean transportClean) {
    }
}

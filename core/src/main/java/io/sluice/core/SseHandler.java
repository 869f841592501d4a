package io.sluice.core;

import io.netty.buffer.ByteBuf;

/**
 * Receives what an {@link SseParser} finds, in stream order, on the thread that feeds the parser.
 *
 * <p>Every argument is a view, valid only until the method returns (see the package
 * documentation). An exception thrown from any method propagates out of
 * {@link SseParser#feed(ByteBuf)} or {@link SseParser#end()} and leaves the parser failed: it
 * stopped in the middle of its input and cannot go on.
 *
 * <p>Exactly one terminal callback is made: {@link #onEnd(long)} after {@link SseParser#end()}, or
 * {@link #onError(SseException)} when a bound is exceeded and the parser does not skip oversized
 * events. After {@link SseParser#close()} there is none.
 */
@FunctionalInterface
public interface SseHandler {

    /**
     * An event was dispatched (a blank line ended it and it had at least one {@code data} line).
     *
     * @param event a view, valid during this call only; copy what you keep
     */
    void onEvent(SseEvent event);

    /**
     * A {@code retry} field with a valid value was processed (WHATWG: only ASCII digits; Sluice
     * also ignores values that do not fit in a {@code long}).
     */
    default void onRetry(long millis) {
    }

    /**
     * A comment line (one that starts with a colon) was processed. The text is the bytes after the
     * colon, nothing stripped, in {@code buffer} at {@code [index, index + length)}.
     *
     * @param buffer the parser's or the caller's buffer: read it, never release or retain it
     */
    default void onComment(ByteBuf buffer, int index, int length) {
    }

    /**
     * A bound was exceeded. When the parser skips oversized events it discards the event in
     * progress and resumes after the next blank line once this method returns; otherwise the
     * parser has failed and discards all further input. The default rethrows, which fails the
     * parser in either case.
     */
    default void onError(SseException error) {
        throw error;
    }

    /**
     * {@link SseParser#end()} was called.
     *
     * @param incompleteTailBytes 0 when the stream ended on an event boundary (nothing received
     *     was left unprocessed); otherwise the number of bytes at the end of the stream that were
     *     not dispatched: from the first line of the event still open (or the start of the
     *     unterminated last line) to the end. The standard discards them; a gateway uses this to
     *     tell a cut-off stream from a clean end.
     */
    default void onEnd(long incompleteTailBytes) {
    }
}

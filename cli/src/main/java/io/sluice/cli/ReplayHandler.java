package io.sluice.cli;

import io.netty.buffer.ByteBuf;
import io.sluice.core.SseBoundExceededException;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.SseHandler;

/**
 * The parser's handler during a replay: passes each record to a {@link RecordWriter} as it is
 * found, and remembers the bound errors and the end for the exit status. Runs on the replay's
 * thread; every argument is a view, written out before returning.
 */
final class ReplayHandler implements SseHandler {
    private final RecordWriter writer;
    private final boolean comments;

    private SseException firstError;
    private int errors;
    private long incompleteTailBytes = -1;

    ReplayHandler(RecordWriter writer, boolean comments) {
        this.writer = writer;
        this.comments = comments;
    }

    @Override
    public void onEvent(SseEvent event) {
        writer.event(event);
    }

    @Override
    public void onRetry(long millis) {
        writer.retry(millis);
    }

    @Override
    public void onComment(ByteBuf buffer, int index, int length) {
        if (comments) {
            writer.comment(buffer, index, length);
        }
    }

    /**
     * Written as a record and kept, not rethrown: the parser has already failed or is skipping
     * (its policy, not ours), and returning normally lets it do so cleanly.
     */
    @Override
    public void onError(SseException error) {
        if (error instanceof SseBoundExceededException) {
            writer.boundExceeded((SseBoundExceededException) error);
        }
        if (firstError == null) {
            firstError = error;
        }
        errors++;
    }

    @Override
    public void onEnd(long incompleteTailBytes) {
        this.incompleteTailBytes = incompleteTailBytes;
    }

    /** The first error reported, or null. */
    SseException firstError() {
        return firstError;
    }

    int errors() {
        return errors;
    }

    /** True once the parser reported its end (it does not after a failure). */
    boolean ended() {
        return incompleteTailBytes >= 0;
    }

    long incompleteTailBytes() {
        return incompleteTailBytes;
    }
}

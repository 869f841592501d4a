package io.sluice.fuzz;

import io.netty.buffer.ByteBuf;
import io.sluice.core.SseBoundExceededException;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.SseHandler;
import io.sluice.core.testing.RecordingHandler;
import io.sluice.core.testing.SseRecord;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link RecordingHandler} that also checks each error is the typed bound error carrying the
 * configured limit: the record compared with the model names only the bound and the offset.
 */
final class TypedErrorHandler implements SseHandler {
    private final RecordingHandler records = new RecordingHandler();
    private final Limits limits;
    private final List<String> problems = new ArrayList<>();

    TypedErrorHandler(Limits limits) {
        this.limits = limits;
    }

    List<SseRecord> records() {
        return records.records();
    }

    /** Errors that were not what the contract promises. */
    List<String> problems() {
        return problems;
    }

    @Override
    public void onEvent(SseEvent event) {
        records.onEvent(event);
    }

    @Override
    public void onRetry(long millis) {
        records.onRetry(millis);
    }

    @Override
    public void onComment(ByteBuf buffer, int index, int length) {
        records.onComment(buffer, index, length);
    }

    @Override
    public void onError(SseException error) {
        if (!(error instanceof SseBoundExceededException bound)) {
            problems.add("onError got " + error + ", not an SseBoundExceededException");
            return;
        }
        long limit = bound.bound() == SseBoundExceededException.Bound.LINE_LENGTH
                ? limits.maxLineLength() : limits.maxEventSize();
        if (bound.limit() != limit) {
            problems.add(bound.bound() + " error names limit " + bound.limit() + ", configured " + limit);
        }
        records.onError(error);
    }

    @Override
    public void onEnd(long incompleteTailBytes) {
        records.onEnd(incompleteTailBytes);
    }
}

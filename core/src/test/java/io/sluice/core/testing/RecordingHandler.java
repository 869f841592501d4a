package io.sluice.core.testing;

import io.netty.buffer.ByteBuf;
import io.sluice.core.SseBoundExceededException;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.SseHandler;
import io.sluice.core.Utf8Decoder;

import java.util.ArrayList;
import java.util.List;

/** Records everything a parser reports as {@link SseRecord}s, copying each view as it arrives. */
public final class RecordingHandler implements SseHandler {
    private final List<SseRecord> records = new ArrayList<>();

    public List<SseRecord> records() {
        return records;
    }

    @Override
    public void onEvent(SseEvent event) {
        records.add(SseRecord.event(event.type(), event.dataAsString(), event.lastEventId()));
    }

    @Override
    public void onRetry(long millis) {
        records.add(SseRecord.retry(millis));
    }

    @Override
    public void onComment(ByteBuf buffer, int index, int length) {
        records.add(SseRecord.comment(Utf8Decoder.decode(buffer, index, length)));
    }

    /** Records the error and returns, so a parser that skips oversized events goes on. */
    @Override
    public void onError(SseException error) {
        SseBoundExceededException bound = (SseBoundExceededException) error;
        records.add(SseRecord.error(bound.bound().option(), bound.offset()));
    }

    @Override
    public void onEnd(long incompleteTailBytes) {
        records.add(SseRecord.end(incompleteTailBytes));
    }
}

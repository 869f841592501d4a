package io.sluice.netty;

import io.sluice.core.SseEvent;
import io.sluice.core.SseException;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** Records a stream's events as {@code type|data|lastEventId} and its end (null) or error, for the client tests. */
class Recorder implements SseListener {
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<Long> retries = new CopyOnWriteArrayList<>();
    final CompletableFuture<SseException> end = new CompletableFuture<>();

    @Override
    public void onEvent(SseEvent event) {
        events.add(event.type() + "|" + event.dataAsString() + "|" + event.lastEventId());
    }

    @Override
    public void onRetry(long millis) {
        retries.add(millis);
    }

    @Override
    public void onEnd() {
        end.complete(null);
    }

    @Override
    public void onError(SseException error) {
        end.complete(error);
    }

    SseException awaitEnd() throws Exception {
        return end.get(30, TimeUnit.SECONDS);
    }
}

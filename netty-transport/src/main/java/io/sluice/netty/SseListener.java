package io.sluice.netty;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.SseHandler;

/**
 * Receives a stream's events on its channel's event loop: never block in these methods (hand slow
 * work to another thread, or use the queue instead: {@link SseClient#openQueue(SseRequest)}).
 * Exactly one of {@link #onEnd()} and {@link #onError(SseException)} is called, last.
 *
 * <p>A parser's {@link SseHandler} (an {@code llm} {@code MessageCollector}, say) plugs in through
 * {@link #of(SseHandler)}. Why two callback types: a handler hears one parse (its comments, the
 * bytes left in an unfinished event), a listener hears a stream (each connection's status and
 * headers, its reconnects); and an {@code open} overload taking either would make every
 * {@code event -> ...} lambda ambiguous, both being functional interfaces of {@code onEvent}.
 */
@FunctionalInterface
public interface SseListener {

    /**
     * A connection's response was accepted as an event stream (once per connection, so again after
     * a reconnect), before its first event. The headers are valid during this call only.
     */
    default void onOpen(HttpResponseStatus status, HttpHeaders headers) {
    }

    /** An event; valid during this call only (its buffer is released when the call returns). */
    void onEvent(SseEvent event);

    /** The server's {@code retry} field; the client already uses it as its reconnect delay. */
    default void onRetry(long millis) {
    }

    /** A connection dropped and the client will reconnect (GET with a reconnect policy) after {@code delayMillis}. */
    default void onReconnecting(SseException cause, long delayMillis) {
    }

    /** The stream ended cleanly. */
    default void onEnd() {
    }

    /** The stream failed, was cancelled, or gave up reconnecting; a typed error says which. */
    default void onError(SseException error) {
    }

    /**
     * A listener that hands a stream to a parser's handler: its events and {@code retry} values,
     * then its end, {@link SseHandler#onEnd(long) onEnd(0)} for a clean one (the decoder reports a
     * cut-off event as an error, so a clean end leaves nothing undispatched) or
     * {@link SseHandler#onError(SseException)} with the stream's typed error, on the stream's event
     * loop. The handler's default {@code onError} rethrows the error; the stream is over by then
     * and its {@link SseStream#done()} fails with that error, so the rethrow is dropped.
     *
     * <pre>{@code
     * MessageCollector collector = MessageCollector.create();
     * client.open(SseRequest.postJson(uri, body), SseListener.of(collector)).done().toCompletableFuture().join();
     * }</pre>
     */
    static SseListener of(SseHandler handler) {
        return new SseListener() {
            @Override
            public void onEvent(SseEvent event) {
                handler.onEvent(event);
            }

            @Override
            public void onRetry(long millis) {
                handler.onRetry(millis);
            }

            @Override
            public void onEnd() {
                handler.onEnd(0);
            }

            @Override
            public void onError(SseException error) {
                try {
                    handler.onError(error);
                } catch (SseException rethrown) {
                    if (rethrown != error) {
                        throw rethrown;
                    }
                }
            }

            @Override
            public String toString() {
                return "SseListener.of(" + handler + ')';
            }
        };
    }
}

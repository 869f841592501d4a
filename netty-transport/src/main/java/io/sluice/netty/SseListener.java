package io.sluice.netty;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;

/**
 * Receives a stream's events on its channel's event loop: never block in these methods (hand slow
 * work to another thread, or use the queue instead: {@link SseClient#openQueue(SseRequest)}).
 * Exactly one of {@link #onEnd()} and {@link #onError(SseException)} is called, last.
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
}

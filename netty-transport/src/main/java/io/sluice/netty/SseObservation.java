package io.sluice.netty;

import io.sluice.core.SseEvent;
import io.sluice.core.SseException;

/**
 * One stream as its {@link SseObserver} sees it. Every method is called on the stream's event
 * loop, in the stream's order, and does nothing by default, so an implementation overrides what
 * it measures. Must be quick, must not block, must not throw: a client stream treats what its
 * observation throws from {@link #event} as its listener's failure ({@link SseListenerException}),
 * and what it throws at the end is dropped, the stream ending as it would have.
 *
 * <p>The order, for a client stream: {@link #head} for each response head (each reconnect's),
 * {@link #event} for each event delivered, {@link #paused} and {@link #resumed} as reading stops
 * and goes on, then exactly one {@link #ended(String, long, long, SseException)}. For a relayed
 * stream: {@link #head} once, with the status the client is answered with, {@link #event} for
 * each event written downstream, {@link #firstContent} once before the event that is the first
 * content, {@link #paused} and {@link #resumed} as the downstream stops and starts taking bytes,
 * then exactly one {@link #ended(SseRelay.Outcome)}.
 */
public interface SseObservation {
    /** Watches nothing. */
    SseObservation NONE = new SseObservation() {
    };

    /**
     * A response head arrived (client) or went to the client (relay), with this HTTP status. A
     * client stream is told of an event stream's head, and of another answer's only when its
     * listener is an {@link SseResponseListener}; a refusal's status is otherwise on its error
     * ({@link SseResponseException#status()}).
     */
    default void head(int status) {
    }

    /**
     * An event was received (client, before its listener or queue has it) or written downstream
     * (relay, after the write). The view is valid during the call only.
     *
     * @param streamBytes the stream's event-stream body bytes so far: received, after
     *     decompression (client), or written downstream (relay); a delta from the last call is
     *     this event's share, give or take the bytes of one read
     */
    default void event(SseEvent event, long streamBytes) {
    }

    /**
     * Relay only: the next event is the stream's first content, as its {@link SseRelayRetry}'s
     * content predicate tells (its first token, for an LLM stream told by sluice-llm's
     * {@code StreamStart}). A client stream has no such predicate and never calls this: its
     * observation decides from the events.
     */
    default void firstContent() {
    }

    /** Backpressure began: the stream stops reading its upstream (client), or the downstream socket stopped taking bytes (relay). */
    default void paused() {
    }

    /** Backpressure ended: reading goes on. */
    default void resumed() {
    }

    /**
     * A client stream ended, once.
     *
     * @param end {@code ok}, or the error's {@link SseException#errorType()} ({@code cancelled} when
     *     the caller cancelled)
     * @param events the events received in all, across reconnects
     * @param bytes the event-stream body bytes received in all
     * @param error the error; null for a clean end
     */
    default void ended(String end, long events, long bytes, SseException error) {
    }

    /** A relayed stream ended, once: the same {@link SseRelay.Outcome} its {@code onDone} gets, just before it. */
    default void ended(SseRelay.Outcome outcome) {
    }
}

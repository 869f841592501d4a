package io.sluice.core.handoff;

import io.sluice.core.SseException;

import java.util.concurrent.TimeUnit;

/**
 * The consumer's end of a stream's events: taken, polled or drained on one consumer thread, with
 * the end of the stream, or its error, after the last event. What a user gets from a queue stream
 * ({@code SseStream.queue()}); the producer's end (offer, end, fail) stays with the transport, in
 * {@link SseEventHandoff}, so a consumer cannot end or fail the stream it reads.
 *
 * <p>Every method here is the consumer thread's, except {@link #size()}, {@link #peakBacklog()} and
 * {@link #isPaused()}, which any thread may read (approximate while the producer runs). A taken or
 * polled event is the caller's to release; {@link #drain(Handler, int)} releases each event after
 * its handler returns; {@link #close()} releases what is still queued.
 */
public interface SseEventQueue extends AutoCloseable {

    /** Receives what {@link #drain(Handler, int)} takes, on the consumer thread. */
    @FunctionalInterface
    interface Handler {
        /** An event, released when this method returns; retain it to keep it longer. */
        void onEvent(OwnedSseEvent event);

        /** The stream ended cleanly; called once, after the last event. */
        default void onEnd() {
        }

        /** The stream failed; called once, after the last event that arrived before the failure. */
        default void onError(SseException error) {
        }
    }

    /** The next event, now yours to release, or null when none is queued. Never waits. */
    OwnedSseEvent poll();

    /**
     * The next event, now yours to release, waiting up to {@code timeout} for one; null when the
     * timeout passed or the stream is over ({@link #isDone()} tells which).
     */
    OwnedSseEvent take(long timeout, TimeUnit unit) throws InterruptedException;

    /**
     * Hands up to {@code max} queued events to {@code handler}, releasing each after it returns,
     * then, if the stream is over and everything was handed out, reports its end or error once.
     * Never waits.
     *
     * @return the number of events handed out
     */
    int drain(Handler handler, int max);

    /**
     * Waits until an event is queued or the stream is over, spinning only briefly before it parks.
     *
     * @return false if the timeout passed first
     */
    boolean await(long timeout, TimeUnit unit) throws InterruptedException;

    /** True once the stream is over and every event before its end was taken (or the queue was closed). */
    boolean isDone();

    /** The stream's error once {@link #isDone()}, or null (a clean end, or not over). */
    SseException failure();

    /** Events queued now (approximate while the producer runs). */
    int size();

    /**
     * The most events ever queued at once, the producer's overflow included: at most the high
     * water mark plus the events of the one read in progress when the producer paused.
     */
    int peakBacklog();

    /** Whether backpressure has paused the producer right now (approximate from the consumer). */
    boolean isPaused();

    /**
     * Gives up the stream: every event still queued is released, and the producer's further
     * events are released as they come. Call nothing else after.
     */
    @Override
    void close();
}

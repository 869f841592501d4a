package io.sluice.netty;

import io.netty.handler.codec.http.HttpRequest;

/**
 * Watches the streams of an {@link SseClient} ({@link SseClient.Builder#observer}) or an
 * {@link SseRelay} ({@link SseRelay.Builder#observer}), for metrics: told when each stream opens,
 * it hands back that stream's {@link SseObservation}, which hears the stream's head, events,
 * backpressure and end. The shape is OkHttp's {@code EventListener.Factory}: per-stream state
 * (a start time, the last event's time) lives in the observation, with no map keyed by stream.
 *
 * <p>Optional and off by default: without an observer a stream keeps a null observation and
 * checks it once per callback, so an unobserved stream pays one predicted branch per event
 * ({@code docs/metrics.md} has the benchmark). The {@code sluice-micrometer} module's
 * {@code SluiceMetrics} is the implementation that ships; this interface keeps the transport free
 * of any metrics library.
 *
 * <p>Both methods must be quick and must not block; they may be called from many threads at once.
 */
public interface SseObserver {
    /**
     * A client stream opens ({@link SseClient#open} and {@link SseClient#openQueue}), on the thread
     * that opens it. Each reconnect of a GET is the same stream.
     *
     * @return the stream's observation; never null ({@link SseObservation#NONE} to watch nothing)
     */
    SseObservation clientStream(SseRequest request);

    /**
     * A relay took a request ({@link SseRelay}), on the downstream connection's event loop; its
     * upstream attempts are part of it. Valid during the call only: the request is released after.
     *
     * @return the stream's observation; never null ({@link SseObservation#NONE} to watch nothing)
     */
    SseObservation relayedStream(HttpRequest request);
}

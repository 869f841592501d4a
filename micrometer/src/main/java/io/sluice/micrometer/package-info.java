/**
 * Sluice's streams as Micrometer meters: {@link io.sluice.micrometer.SluiceMetrics} is an
 * {@link io.sluice.netty.SseObserver} that records each client and relayed stream (active, ends,
 * first event and content, gaps, duration, events, bytes, backpressure, relay attempts and
 * fallbacks, pooled connections) and, for LLM streams, the OpenTelemetry GenAI client metrics
 * ({@code gen_ai.client.token.usage} and friends). Every meter is listed in {@code docs/metrics.md}.
 *
 * <p>Threads: the observer is called on any thread; each stream's observation on its event loop
 * only, so it keeps plain fields; the meters are Micrometer's, safe from any thread. Nothing here
 * holds a buffer: an event is read during its callback only. No argument or return value is null
 * unless its javadoc says so.
 */
package io.sluice.micrometer;

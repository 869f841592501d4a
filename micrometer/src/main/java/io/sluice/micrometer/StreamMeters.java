package io.sluice.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The meters of one kind of stream ({@code client} or {@code relay}), registered once; those tagged
 * by the stream's end are looked up in the registry at each end, which keeps them by id.
 */
final class StreamMeters {
    /** First event, first content: a provider's first token takes from tens of milliseconds to a reasoning model's minute. */
    static final Duration[] FIRST_BUCKETS = seconds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60);
    /** Between events: a token every few milliseconds, a stall of seconds. */
    static final Duration[] GAP_BUCKETS = seconds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);
    /** A whole stream: a short answer to a ten-minute generation. */
    static final Duration[] DURATION_BUCKETS = seconds(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600);
    /** A backpressure pause: a scheduling hiccup to a reader gone quiet. */
    static final Duration[] PAUSE_BUCKETS = seconds(0.001, 0.01, 0.1, 1, 10, 60);

    final String kind;
    final AtomicLong active = new AtomicLong();
    final Timer firstEvent;
    final Timer firstContent;
    final Timer gap;
    final Timer paused;
    final Counter events;
    final Counter bytes;
    private final MeterRegistry registry;
    private final Tags tags;

    StreamMeters(MeterRegistry registry, String kind) {
        this.registry = registry;
        this.kind = kind;
        this.tags = Tags.of("kind", kind);
        // Held strongly: a gauge holds its object weakly by default, and the count should last as
        // long as the registry, not as the observer (a dropped one would read NaN).
        Gauge.builder(SluiceMetrics.STREAMS_ACTIVE, active, AtomicLong::get).strongReference(true)
                .description("Streams open now").tags(tags).register(registry);
        firstEvent = timer(SluiceMetrics.TIME_TO_FIRST_EVENT, "From the request to the first event", FIRST_BUCKETS);
        firstContent = timer(SluiceMetrics.TIME_TO_FIRST_CONTENT,
                "From the request to the first content event (an LLM stream's first token)", FIRST_BUCKETS);
        gap = timer(SluiceMetrics.EVENT_GAP, "Between one event and the next", GAP_BUCKETS);
        paused = timer(SluiceMetrics.PAUSED, "Each backpressure pause: count is pauses, sum is time paused", PAUSE_BUCKETS);
        events = Counter.builder(SluiceMetrics.EVENTS).description("Events received (client) or written downstream (relay)")
                .tags(tags).register(registry);
        bytes = Counter.builder(SluiceMetrics.BYTES).baseUnit("bytes")
                .description("Event-stream body bytes received (client) or written downstream (relay)").tags(tags).register(registry);
    }

    private Timer timer(String name, String description, Duration[] buckets) {
        return Timer.builder(name).description(description).tags(tags).serviceLevelObjectives(buckets).register(registry);
    }

    /** A stream ended with {@code end}: counted and timed under that tag. */
    void ended(String end, long durationNanos) {
        Counter.builder(SluiceMetrics.STREAMS_ENDED).description("Streams ended, by how")
                .tags(tags).tag("end", end).register(registry).increment();
        Timer.builder(SluiceMetrics.DURATION).description("From the request to the stream's end")
                .tags(tags).tag("end", end).serviceLevelObjectives(DURATION_BUCKETS).register(registry)
                .record(durationNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** A relayed stream's upstream attempt, by how it ended ({@code SseRelay.Attempt#end()}). */
    void attempt(String end) {
        Counter.builder(SluiceMetrics.RELAY_ATTEMPTS).description("Upstream attempts of relayed streams, by how each ended")
                .tags(tags).tag("end", end).register(registry).increment();
    }

    /** An attempt went to another upstream than the attempt before it. */
    void fallback() {
        Counter.builder(SluiceMetrics.RELAY_FALLBACKS).description("Attempts that moved on to the next upstream")
                .tags(tags).register(registry).increment();
    }

    static Duration[] seconds(double... values) {
        Duration[] out = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
        }
        return out;
    }
}

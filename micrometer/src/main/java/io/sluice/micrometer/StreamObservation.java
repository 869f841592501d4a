package io.sluice.micrometer;

import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBufUtil;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.llm.LlmMessage;
import io.sluice.llm.MessageCollector;
import io.sluice.llm.Provider;
import io.sluice.llm.ProviderDetector;
import io.sluice.netty.SseObservation;
import io.sluice.netty.SseRelay;

import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One stream's measurements, on its event loop: its start, its last event, the bytes counted so
 * far, an open pause, and the provider its first events told. At the end, the totals the stream
 * reports settle the counters, so events and bytes add up to the transport's own counts.
 */
final class StreamObservation implements SseObservation {
    /** Events looked at to tell the provider: its first event tells for all four; a plain stream's give up soon. */
    static final int PROVIDER_PROBES = 3;

    private final StreamMeters meters;
    private final GenAiMeters genAi;
    /** A client stream's test for its first content; null for a relayed stream, whose relay tells. */
    private final Predicate<SseEvent> content;
    /** A client stream's own message collector, when the metrics decode client streams; null otherwise. */
    private final MessageCollector collector;
    private final long startNanos = System.nanoTime();
    private long firstEventNanos = -1;
    private long lastEventNanos;
    private long eventsCounted;
    private long bytesCounted;
    private boolean contentSeen;
    private long pausedAtNanos = -1;
    private Provider provider;
    private int probes;
    private Timer perChunk;
    private boolean ended;

    StreamObservation(StreamMeters meters, GenAiMeters genAi, Predicate<SseEvent> content, MessageCollector collector) {
        this.meters = meters;
        this.genAi = genAi;
        this.content = content;
        this.collector = collector;
        meters.active.incrementAndGet();
    }

    @Override
    public void event(SseEvent event, long streamBytes) {
        long now = System.nanoTime();
        if (firstEventNanos < 0) {
            firstEventNanos = now - startNanos;
            meters.firstEvent.record(firstEventNanos, TimeUnit.NANOSECONDS);
        } else {
            long gap = now - lastEventNanos;
            meters.gap.record(gap, TimeUnit.NANOSECONDS);
            if (perChunk != null) {
                perChunk.record(gap, TimeUnit.NANOSECONDS);
            }
        }
        lastEventNanos = now;
        eventsCounted++;
        meters.events.increment();
        if (streamBytes > bytesCounted) {
            meters.bytes.increment(streamBytes - bytesCounted);
            bytesCounted = streamBytes;
        }
        if (content != null && !contentSeen && content.test(event)) {
            firstContent();
        }
        if (provider == null && probes < PROVIDER_PROBES) {
            probes++;
            provider = ProviderDetector.detect(event.type(),
                    ByteBufUtil.getBytes(event.dataBuffer(), event.dataIndex(), event.dataLength(), false), 0, event.dataLength());
            if (provider != null) {
                perChunk = genAi.timePerOutputChunk(provider);
            }
        }
        if (collector != null) {
            collector.onEvent(event);
        }
    }

    @Override
    public void firstContent() {
        if (!contentSeen) {
            contentSeen = true;
            meters.firstContent.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void paused() {
        if (pausedAtNanos < 0) {
            pausedAtNanos = System.nanoTime();
        }
    }

    @Override
    public void resumed() {
        if (pausedAtNanos >= 0) {
            meters.paused.record(System.nanoTime() - pausedAtNanos, TimeUnit.NANOSECONDS);
            pausedAtNanos = -1;
        }
    }

    @Override
    public void ended(String end, long events, long bytes, SseException error) {
        LlmMessage message = null;
        if (collector != null) {
            if (error != null) {
                collector.onError(error);
            } else {
                collector.onEnd(0);
            }
            message = collector.message();
        }
        finish(end, events, bytes, message);
    }

    @Override
    public void ended(SseRelay.Outcome outcome) {
        List<SseRelay.Attempt> attempts = outcome.attempts();
        URI previous = null;
        for (SseRelay.Attempt attempt : attempts) {
            meters.attempt(attempt.end().wireName());
            if (previous != null && !previous.equals(attempt.upstream())) {
                meters.fallback();
            }
            previous = attempt.upstream();
        }
        LlmMessage message = outcome.tap() instanceof MessageCollector mc ? mc.message() : null;
        finish(outcome.end().wireName(), outcome.events(), outcome.bytes(), message);
    }

    private void finish(String end, long events, long bytes, LlmMessage message) {
        if (ended) {
            return;
        }
        ended = true;
        long duration = System.nanoTime() - startNanos;
        resumed(); // a pause the end cut short is a pause all the same
        meters.active.decrementAndGet();
        // What the events did not carry: an error event the relay wrote itself, bytes of a body passed on.
        if (events > eventsCounted) {
            meters.events.increment(events - eventsCounted);
        }
        if (bytes > bytesCounted) {
            meters.bytes.increment(bytes - bytesCounted);
        }
        meters.ended(end, duration);
        Provider p = message != null && message.provider() != null ? message.provider() : provider;
        if (p != null) {
            String errorType = message != null && message.error() != null ? message.error().type()
                    : "ok".equals(end) ? null : end;
            genAi.ended(p, message, duration, firstEventNanos, errorType);
        }
    }
}

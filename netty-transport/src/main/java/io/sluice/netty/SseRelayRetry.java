package io.sluice.netty;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaders;
import io.sluice.core.SseEvent;

import java.time.Duration;
import java.util.Date;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import java.util.function.Predicate;

/**
 * When an {@link SseRelay} tries again before the first token: another attempt at the same
 * upstream after a short {@code retry-after}, or the next upstream of its
 * {@link SseRelay.Builder#fallback list}, as long as nothing has been written to the client.
 *
 * <p>What fails an attempt: no answer (a connect failure, a timeout, a cut before the head), a
 * refusal whose status is {@link Builder#retryableStatus retryable} (408, 409, 429 and every 5xx,
 * Anthropic's 529 among them, by default), or, once an event stream began, an
 * {@link Builder#error error event} before the first {@link Builder#content content event}, as
 * Anthropic's {@code overloaded_error} after {@code message_start}.
 *
 * <p>What comes next: the same upstream again when the refusal's {@code retry-after-ms} or
 * {@code retry-after} (seconds or an HTTP date) is at most {@link Builder#maxRetryAfter}, since
 * the provider said it would be ready by then; else the next upstream at once; else nothing, and
 * the client gets the last real answer: the refusal's own status, headers and body, as without
 * retries, so its SDK's own retry logic sees what the provider said.
 *
 * <p>Holding: a stream that may still fall back keeps its head and its events until the first
 * content event, so the client never sees a byte of a stream that is then abandoned. The hold is
 * bounded in events, in bytes and in time ({@link Builder#window}): past any bound, what is held
 * goes out and the relay stays with that upstream, so a slow-to-start model never leaves a proxy or
 * a browser without a byte. With no next upstream (the last of the list, or none), nothing is held.
 *
 * <p>Defaults ({@link #DEFAULT}): 3 attempts, {@code retry-after} up to 2 s, a 10 s window from
 * the request, 64 events or 64 KiB held, every event but {@code event: error} counting as content.
 * An LLM gateway supplies the provider-aware predicates of sluice-llm's {@code StreamStart}, under
 * which {@code message_start}, {@code ping} and role-only chunks are not content and thinking is.
 */
public final class SseRelayRetry {
    /** The defaults above. */
    public static final SseRelayRetry DEFAULT = builder().build();
    /** One attempt, nothing held: the relay answers with whatever its one upstream does. */
    public static final SseRelayRetry NONE = builder().maxAttempts(1).build();

    private final int maxAttempts;
    private final long maxRetryAfterNanos;
    private final long windowNanos;
    private final int holdEvents;
    private final int holdBytes;
    private final IntPredicate retryableStatus;
    private final Predicate<SseEvent> content;
    private final Predicate<SseEvent> error;

    private SseRelayRetry(Builder b) {
        this.maxAttempts = b.maxAttempts;
        this.maxRetryAfterNanos = b.maxRetryAfter.toNanos();
        this.windowNanos = b.window.toNanos();
        this.holdEvents = b.holdEvents;
        this.holdBytes = b.holdBytes;
        this.retryableStatus = b.retryableStatus;
        this.content = b.content;
        this.error = b.error;
    }

    public static Builder builder() {
        return new Builder();
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    long maxRetryAfterNanos() {
        return maxRetryAfterNanos;
    }

    long windowNanos() {
        return windowNanos;
    }

    int holdEvents() {
        return holdEvents;
    }

    int holdBytes() {
        return holdBytes;
    }

    boolean retryable(int status) {
        return retryableStatus.test(status);
    }

    boolean isContent(SseEvent event) {
        return content.test(event);
    }

    boolean isError(SseEvent event) {
        return error.test(event);
    }

    /**
     * How long the upstream asked to be left alone, in nanoseconds, or -1 when it did not say:
     * OpenAI's {@code retry-after-ms} first (finer), then {@code retry-after} as seconds or as an
     * HTTP date (RFC 9110 section 10.2.3). A date in the past is 0.
     */
    static long retryAfterNanos(HttpHeaders headers) {
        if (headers == null) {
            return -1;
        }
        String millis = headers.get("retry-after-ms");
        if (millis != null) {
            long nanos = decimal(millis, TimeUnit.MILLISECONDS.toNanos(1));
            if (nanos >= 0) {
                return nanos;
            }
        }
        String after = headers.get("retry-after");
        if (after == null) {
            return -1;
        }
        long nanos = decimal(after, TimeUnit.SECONDS.toNanos(1));
        if (nanos >= 0) {
            return nanos;
        }
        Date date = DateFormatter.parseHttpDate(after);
        return date == null ? -1 : Math.max(0, TimeUnit.MILLISECONDS.toNanos(date.getTime() - System.currentTimeMillis()));
    }

    /** A non-negative decimal number of {@code unit}s, in nanoseconds; -1 if {@code s} is not one. */
    private static long decimal(String s, long unit) {
        try {
            double value = Double.parseDouble(s.trim());
            return value >= 0 && value < 1e9 ? (long) (value * unit) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Options of a retry policy; each setter says its default. */
    public static final class Builder {
        private int maxAttempts = 3;
        private Duration maxRetryAfter = Duration.ofSeconds(2);
        private Duration window = Duration.ofSeconds(10);
        private int holdEvents = 64;
        private int holdBytes = 64 * 1024;
        private IntPredicate retryableStatus = status -> status == 408 || status == 409 || status == 429 || status >= 500;
        private Predicate<SseEvent> content = event -> !"error".equals(event.type());
        private Predicate<SseEvent> error = event -> "error".equals(event.type());

        private Builder() {
        }

        /** Attempts in all, the first included, over every upstream (default 3); 1 for none again. */
        public Builder maxAttempts(int attempts) {
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts must be at least 1: " + attempts);
            }
            this.maxAttempts = attempts;
            return this;
        }

        /**
         * The longest {@code retry-after} waited out to try the same upstream again (default 2 s);
         * a longer one moves on to the next upstream. Zero: never wait, always move on.
         */
        public Builder maxRetryAfter(Duration max) {
            this.maxRetryAfter = nonNegative(max, "maxRetryAfter");
            return this;
        }

        /**
         * How long after the request the relay may still start another attempt or hold a stream
         * back (default 10 s). When it passes, what is held goes out and that upstream stays.
         */
        public Builder window(Duration window) {
            this.window = nonNegative(window, "window");
            return this;
        }

        /** The most events and data bytes held before the first content event (default 64 and 64 KiB); past either, they go out. */
        public Builder hold(int events, int bytes) {
            if (events < 0 || bytes < 0) {
                throw new IllegalArgumentException("hold bounds must not be negative: " + events + " events, " + bytes + " bytes");
            }
            this.holdEvents = events;
            this.holdBytes = bytes;
            return this;
        }

        /** Which refusals are worth another attempt (default 408, 409, 429 and 5xx); the others are passed on at once. */
        public Builder retryableStatus(IntPredicate retryable) {
            this.retryableStatus = Objects.requireNonNull(retryable, "retryable");
            return this;
        }

        /**
         * Which events are the model's content: the first one ends the hold (default: every event
         * whose type is not {@code error}). Called on the event loop with the parser's view, only
         * for the events of a held stream; must not block. An exception it throws ends the hold.
         */
        public Builder content(Predicate<SseEvent> content) {
            this.content = Objects.requireNonNull(content, "content");
            return this;
        }

        /**
         * Which events report a failure: one before the first content event fails the attempt
         * (default: {@code event: error}). Asked before {@link #content}; same rules.
         */
        public Builder error(Predicate<SseEvent> error) {
            this.error = Objects.requireNonNull(error, "error");
            return this;
        }

        public SseRelayRetry build() {
            return new SseRelayRetry(this);
        }

        private static Duration nonNegative(Duration d, String name) {
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative: " + d);
            }
            return d;
        }
    }
}

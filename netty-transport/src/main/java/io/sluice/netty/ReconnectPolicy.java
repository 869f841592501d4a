package io.sluice.netty;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * EventSource-style reconnection for GET streams that drop (closed early, an idle timeout, a
 * failed connect). Non-2xx answers, a wrong content type and a bound error are final, as in
 * EventSource; so is a clean end, which for an API stream means the answer is complete.
 *
 * <p>The delay before attempt {@code n} (1, 2, ...) is {@code min(cap, base * 2^(n-1))} with the
 * top {@code jitter} fraction randomised away, where {@code base} is the server's last
 * {@code retry} value or {@code initialDelay}. The count starts again after a connection that
 * delivered an event.
 *
 * @param initialDelay the base delay until the server sends {@code retry}
 * @param maxDelay the cap
 * @param jitter in [0, 1]: 0.5 waits between half and all of the computed delay
 * @param maxAttempts consecutive failed attempts before giving up with the last error
 */
public record ReconnectPolicy(Duration initialDelay, Duration maxDelay, double jitter, int maxAttempts) {
    /** 1 s doubling to 30 s, half jitter, up to 10 attempts in a row. */
    public static final ReconnectPolicy DEFAULT = new ReconnectPolicy(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.5, 10);

    public ReconnectPolicy {
        if (jitter < 0 || jitter > 1) {
            throw new IllegalArgumentException("jitter must be in [0, 1]: " + jitter);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
        }
    }

    /** The delay before attempt {@code attempt} (from 1), given the server's {@code retry} (or -1). */
    long delayMillis(int attempt, long serverRetryMillis) {
        long base = serverRetryMillis >= 0 ? serverRetryMillis : initialDelay.toMillis();
        long cap = maxDelay.toMillis();
        long delay = base << Math.min(attempt - 1, 30);
        if (delay < 0 || delay > cap || (base != 0 && delay >>> Math.min(attempt - 1, 30) != base)) {
            delay = cap; // shifted past the cap or overflowed
        }
        return delay - (long) (delay * jitter * ThreadLocalRandom.current().nextDouble());
    }
}

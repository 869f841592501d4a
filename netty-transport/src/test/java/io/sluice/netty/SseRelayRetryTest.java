package io.sluice.netty;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Date;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SseRelayRetryTest {

    private static long after(String name, String value) {
        HttpHeaders headers = new DefaultHttpHeaders().add(name, value);
        return SseRelayRetry.retryAfterNanos(headers);
    }

    @Test
    void retryAfterIsReadAsSecondsWholeOrDecimal() {
        assertEquals(TimeUnit.SECONDS.toNanos(7), after("retry-after", "7"));
        assertEquals(TimeUnit.MILLISECONDS.toNanos(1500), after("retry-after", "1.5"));
        assertEquals(0, after("retry-after", "0"));
    }

    @Test
    void openAisRetryAfterMsIsPreferredForItsPrecision() {
        HttpHeaders headers = new DefaultHttpHeaders().add("retry-after", "1").add("retry-after-ms", "250");
        assertEquals(TimeUnit.MILLISECONDS.toNanos(250), SseRelayRetry.retryAfterNanos(headers));
    }

    @Test
    void retryAfterAsAnHttpDateIsTheTimeUntilThen() {
        long nanos = after("retry-after", DateFormatter.format(new Date(System.currentTimeMillis() + 60_000)));
        assertTrue(nanos > TimeUnit.SECONDS.toNanos(55) && nanos <= TimeUnit.SECONDS.toNanos(60), String.valueOf(nanos));
        assertEquals(0, after("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT"), "a date past is now");
    }

    @Test
    void anAbsentNegativeOrGarbledRetryAfterIsNotSaid() {
        assertEquals(-1, SseRelayRetry.retryAfterNanos(new DefaultHttpHeaders()));
        assertEquals(-1, SseRelayRetry.retryAfterNanos(null));
        assertEquals(-1, after("retry-after", "-3"));
        assertEquals(-1, after("retry-after", "soon"));
        assertEquals(-1, after("retry-after", "NaN"));
        assertEquals(-1, after("retry-after", "1e300"));
    }

    @Test
    void theDefaultsRetryTheProvidersTransientRefusalsOnly() {
        SseRelayRetry d = SseRelayRetry.DEFAULT;
        for (int status : new int[] {408, 409, 429, 500, 502, 503, 504, 529}) {
            assertTrue(d.retryable(status), String.valueOf(status));
        }
        for (int status : new int[] {200, 400, 401, 403, 404, 413, 422}) {
            assertFalse(d.retryable(status), String.valueOf(status));
        }
        assertEquals(3, d.maxAttempts());
        assertEquals(Duration.ofSeconds(10).toNanos(), d.windowNanos());
        assertEquals(Duration.ofSeconds(2).toNanos(), d.maxRetryAfterNanos());
        assertEquals(1, SseRelayRetry.NONE.maxAttempts());
    }

    @Test
    void badBoundsAreRefusedWhenBuilt() {
        assertThrows(IllegalArgumentException.class, () -> SseRelayRetry.builder().maxAttempts(0));
        assertThrows(IllegalArgumentException.class, () -> SseRelayRetry.builder().window(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> SseRelayRetry.builder().hold(-1, 10));
    }
}

package io.sluice.netty;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link SseRelay.End}: a typed end whose text is the wire name the access log always printed. */
class SseRelayEndTest {
    @Test
    void theTwoEndsThatAreNotErrorsAreConstants() {
        assertSame(SseRelay.End.OK, SseRelay.End.of("ok"));
        assertSame(SseRelay.End.CLIENT_GONE, SseRelay.End.of("client_gone"));
        assertFalse(SseRelay.End.OK.isError());
        assertFalse(SseRelay.End.CLIENT_GONE.isError());
    }

    @Test
    void anErrorEndIsEqualByItsWireNameAndPrintsIt() {
        SseRelay.End timeout = SseRelay.End.of(new SseTimeoutException(SseTimeoutException.Kind.IDLE, 5, 0, 0).errorType());
        assertTrue(timeout.isError());
        assertEquals(SseRelay.End.of("upstream_timeout"), timeout);
        assertEquals(SseRelay.End.of("upstream_timeout").hashCode(), timeout.hashCode());
        assertNotEquals(SseRelay.End.of("upstream_status"), timeout);
        assertEquals("upstream_timeout", timeout.wireName());
        assertEquals("end=upstream_timeout", "end=" + timeout);
    }
}

package io.sluice.netty;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SseRequestTest {
    @Test
    void aPortPastTheTcpRangeIsRefusedWhenTheRequestIsMadeNotLeftToHangTheStream() {
        // java.net.URI takes any number; the socket address built on the event loop would not.
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> SseRequest.get(URI.create("http://127.0.0.1:70000/v1")));
        assertEquals("port 70000 out of range in http://127.0.0.1:70000/v1", refused.getMessage());
        assertEquals(65_535, SseRequest.get(URI.create("http://127.0.0.1:65535/")).port());
        assertEquals(443, SseRequest.get(URI.create("https://example.com/")).port());
    }

    @Test
    void onlyHttpAndHttpsWithAHostAreRequests() {
        assertThrows(IllegalArgumentException.class, () -> SseRequest.get(URI.create("ftp://127.0.0.1/")));
        assertThrows(IllegalArgumentException.class, () -> SseRequest.get(URI.create("http:/no-host")));
    }
}

package io.sluice.netty;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.core.SseParser;
import io.sluice.core.testing.RecordingHandler;
import io.sluice.core.testing.SseRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class SseReplayBufferTest {
    /** Replays into a fresh stream whose request carried {@code lastEventId}; returns what the client parses. */
    private static List<SseRecord> replay(SseReplayBuffer buffer, String lastEventId, boolean expectResumed) {
        boolean[] resumed = new boolean[1];
        EmbeddedChannel ch = new EmbeddedChannel(new SseResponder(Duration.ZERO,
                emitter -> resumed[0] = buffer.replayAfter(emitter.lastEventId(), emitter)));
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        if (lastEventId != null) {
            request.headers().set("last-event-id", lastEventId);
        }
        ch.writeInbound(request);
        assertEquals(expectResumed, resumed[0]);
        RecordingHandler recording = new RecordingHandler();
        try (SseParser parser = SseParser.create(recording)) {
            for (Object o; (o = ch.readOutbound()) != null; ) {
                if (o instanceof HttpContent content) {
                    try {
                        parser.feed(content.content());
                    } finally {
                        content.release();
                    }
                }
            }
        }
        assertFalse(ch.finishAndReleaseAll());
        return recording.records();
    }

    @Test
    void reconnectGetsExactlyTheEventsAfterItsLastId() {
        SseReplayBuffer buffer = new SseReplayBuffer(3);
        for (String s : List.of("a", "b", "c", "d")) {
            buffer.append("delta", s);
        }
        assertEquals(List.of(SseRecord.event("delta", "c", "2"), SseRecord.event("delta", "d", "3")),
                replay(buffer, "1", true));
        assertEquals(List.of(), replay(buffer, "3", true), "up to date: nothing to send");
    }

    @Test
    void firstConnectionGetsEverythingHeld() {
        SseReplayBuffer buffer = new SseReplayBuffer(2);
        buffer.append(null, "x");
        buffer.append(null, "y");
        buffer.append(null, "z");
        assertEquals(List.of(SseRecord.event("message", "y", "1"), SseRecord.event("message", "z", "2")),
                replay(buffer, null, true));
    }

    @Test
    void anIdOlderThanTheBufferOrNotOursResumesNothing() {
        SseReplayBuffer buffer = new SseReplayBuffer(2);
        for (int i = 0; i < 5; i++) {
            buffer.append(null, "e" + i);
        }
        assertEquals(List.of(), replay(buffer, "1", false), "event 2 is gone: the client would miss it");
        assertEquals(List.of(), replay(buffer, "7", false), "an id never given out");
        assertEquals(List.of(), replay(buffer, "abc", false));
        assertEquals(List.of(SseRecord.event("message", "e4", "4")), replay(buffer, "3", true));
        assertEquals(5, buffer.nextId());
    }
}

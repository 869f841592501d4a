package io.sluice.examples.gateway;

import io.sluice.core.handoff.OwnedSseEvent;
import io.sluice.core.handoff.SseEventQueue;
import io.sluice.llm.MessageCollector;
import io.sluice.netty.SseClient;
import io.sluice.netty.SseRequest;
import io.sluice.netty.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's first use (section "Embedding"), verbatim between the markers, against sluice serve. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FirstUseTest {
    @Test
    void firstUseCollectsTheRecordedMessage() throws Exception {
        try (SluiceServe serve = SluiceServe.start("anthropic-text.http")) {
            URI uri = serve.uri();
            String body = "{\"model\":\"claude-sonnet-4-5\",\"stream\":true}";
            MessageCollector collector = MessageCollector.create();
            // readme:first-use
            try (SseClient client = SseClient.builder().build();
                 SseStream stream = client.openQueue(SseRequest.postJson(uri, body))) {
                SseEventQueue queue = stream.queue(); // taken on this thread only
                for (OwnedSseEvent e; (e = queue.take(1, TimeUnit.SECONDS)) != null || !queue.isDone(); ) {
                    if (e == null) continue;           // nothing for a second; take() parks
                    try { collector.onEvent(e); } finally { e.release(); } // taken events are yours
                }
                if (queue.failure() != null) throw queue.failure();
                System.out.println(collector.message().text());
            }
            // end
            assertTrue(collector.message().complete());
            assertTrue(collector.message().text().startsWith("Lyon sits where the Rhône meets the Saône"));
            assertEquals("end_turn", collector.message().stopReason());
        }
    }
}

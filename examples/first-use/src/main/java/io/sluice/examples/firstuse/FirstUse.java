package io.sluice.examples.firstuse;

import io.sluice.core.handoff.OwnedSseEvent;
import io.sluice.core.handoff.SseEventQueue;
import io.sluice.llm.LlmMessage;
import io.sluice.llm.MessageCollector;
import io.sluice.netty.SseClient;
import io.sluice.netty.SseListener;
import io.sluice.netty.SseRequest;
import io.sluice.netty.SseStream;

import java.net.URI;
import java.util.concurrent.TimeUnit;

/**
 * Sluice's first use: stream an LLM response and keep its final message, first with a listener
 * (each event handed to a {@link MessageCollector} on the stream's event loop), then with the
 * queue (each event taken on this thread). Against a recording served on loopback:
 *
 * <pre>
 * java -jar cli/target/sluice.jar serve samples/anthropic-text.sse --port 8080 --loop   # in the Sluice checkout
 * cd examples/first-use
 * mvn -B -q compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
 * java -cp "target/classes:$(cat target/classpath.txt)" io.sluice.examples.firstuse.FirstUse http://127.0.0.1:8080/v1/messages
 * </pre>
 *
 * Prints the reply's text, then the final message as JSON; exits non-zero unless both streams
 * ended with the provider's terminal event.
 */
public final class FirstUse {
    private FirstUse() {
    }

    public static void main(String[] args) throws Exception {
        URI uri = URI.create(args.length > 0 ? args[0] : "http://127.0.0.1:8080/v1/messages");
        String body = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":256,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Where is Lyon?\"}]}";
        try (SseClient client = SseClient.builder().build()) {
            // readme:listener
            MessageCollector collector = MessageCollector.create(); // the provider is detected from the stream
            client.open(SseRequest.postJson(uri, body), SseListener.of(collector)).done().toCompletableFuture().join();
            System.out.println(collector.message().text());
            // end

            // readme:queue
            MessageCollector taken = MessageCollector.create();
            try (SseStream stream = client.openQueue(SseRequest.postJson(uri, body))) {
                SseEventQueue queue = stream.queue(); // taken on this thread only
                for (OwnedSseEvent e; (e = queue.take(1, TimeUnit.SECONDS)) != null || !queue.isDone(); ) {
                    if (e == null) continue;           // nothing for a second; take() parks
                    try { taken.onEvent(e); } finally { e.release(); } // taken events are yours
                }
                if (queue.failure() != null) throw queue.failure();
            }
            System.out.println(taken.message().toJson(true));
            // end

            check(collector.message());
            check(taken.message());
        }
    }

    private static void check(LlmMessage message) {
        if (!message.complete()) {
            throw new IllegalStateException("the stream ended before the provider's terminal event: " + message.toJson());
        }
    }
}

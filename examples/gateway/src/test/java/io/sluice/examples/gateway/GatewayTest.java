package io.sluice.examples.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.core.SseException;
import io.sluice.llm.LlmMessage;
import io.sluice.netty.SseClient;
import io.sluice.netty.SseListener;
import io.sluice.netty.SseRequest;
import io.sluice.netty.SseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The gateway between {@code sluice serve} replaying a recorded Anthropic response and a client:
 * the client sees the recording's events, and the gateway's final message is the recording's.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GatewayTest {
    private static final Path ROOT = SluiceServe.ROOT;
    private static final JsonFactory JSON = new JsonFactory();

    @Test
    void relaysTheRecordedStreamAndPrintsItsFinalMessage() throws Exception {
        CompletableFuture<LlmMessage> message = new CompletableFuture<>();
        List<List<String>> relayed = new CopyOnWriteArrayList<>();
        CompletableFuture<SseException> clientEnd = new CompletableFuture<>();
        try (SluiceServe serve = SluiceServe.start("anthropic-text.http");
             Gateway gateway = Gateway.start("127.0.0.1", 0, serve.uri(), message::complete);
             SseClient client = SseClient.builder().build()) {
            SseStream stream = client.open(
                    SseRequest.postJson(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/messages"),
                            "{\"model\":\"claude-sonnet-4-5\",\"stream\":true}"),
                    new SseListener() {
                        @Override
                        public void onEvent(io.sluice.core.SseEvent event) {
                            relayed.add(List.of(event.type(), event.dataAsString(), event.lastEventId()));
                        }

                        @Override
                        public void onEnd() {
                            clientEnd.complete(null);
                        }

                        @Override
                        public void onError(SseException error) {
                            clientEnd.complete(error);
                        }
                    });
            assertNull(clientEnd.get(30, TimeUnit.SECONDS), "the client's stream ends cleanly");
            stream.close();
            assertEquals(recordedEvents("anthropic-text"), relayed);
            String expected = Files.readString(ROOT.resolve("samples/anthropic-text.expected.json"));
            // the usage keys the file has: it predates those issue 19 added (docs/llm.md)
            Set<String> usageKeys = usageKeys(expected);
            assertEquals(tokens(expected, usageKeys), tokens(message.get(10, TimeUnit.SECONDS).toJson(), usageKeys));
        }
    }

    /** The recording's events as (type, data, id), from its .events.ndjson. */
    private static List<List<String>> recordedEvents(String sample) throws IOException {
        List<List<String>> events = new ArrayList<>();
        for (String line : Files.readAllLines(ROOT.resolve("samples/" + sample + ".events.ndjson"))) {
            String type = null;
            String event = null;
            String data = null;
            String id = null;
            try (JsonParser p = JSON.createParser(line)) {
                p.nextToken();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    p.nextToken();
                    switch (field) {
                        case "type" -> type = p.getText();
                        case "event" -> event = p.getText();
                        case "data" -> data = p.getText();
                        case "id" -> id = p.getText();
                        default -> p.skipChildren();
                    }
                }
            }
            assertEquals("event", type, line);
            events.add(List.of(event, data, id));
        }
        return events;
    }

    /**
     * A JSON text as its tokens and their text, equal for equal documents whatever the layout, with
     * the fields of the top-level {@code usage} object cut to {@code usageKeys}.
     */
    private static List<String> tokens(String json, Set<String> usageKeys) {
        List<String> tokens = new ArrayList<>();
        try (JsonParser p = JSON.createParser(json)) {
            for (JsonToken t; (t = p.nextToken()) != null; ) {
                if (t == JsonToken.FIELD_NAME && inUsage(p) && !usageKeys.contains(p.currentName())) {
                    p.nextToken();
                    p.skipChildren();
                    continue;
                }
                tokens.add(t + " " + p.getText());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return tokens;
    }

    /** The field names of the top-level {@code usage} object. */
    private static Set<String> usageKeys(String json) {
        Set<String> keys = new HashSet<>();
        try (JsonParser p = JSON.createParser(json)) {
            for (JsonToken t; (t = p.nextToken()) != null; ) {
                if (t == JsonToken.FIELD_NAME && inUsage(p)) {
                    keys.add(p.currentName());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return keys;
    }

    /** True when the parser is at a field of the top-level object's {@code usage} object. */
    private static boolean inUsage(JsonParser p) {
        JsonStreamContext parent = p.getParsingContext().getParent();
        return parent != null && parent.getParent() != null && parent.getParent().inRoot()
                && "usage".equals(parent.getCurrentName());
    }
}

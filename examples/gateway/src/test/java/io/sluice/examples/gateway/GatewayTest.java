package io.sluice.examples.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.core.SseException;
import io.sluice.llm.LlmMessage;
import io.sluice.netty.SseClient;
import io.sluice.netty.SseListener;
import io.sluice.netty.SseRequest;
import io.sluice.netty.SseStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway between {@code sluice serve} replaying a recorded Anthropic response and a client:
 * the client sees the recording's events, and the gateway's final message is the recording's.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GatewayTest {
    private static final Path ROOT = Path.of(System.getProperty("sluice.root", "../..")).toAbsolutePath().normalize();
    private static final Pattern LISTENING = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)/");
    private static final JsonFactory JSON = new JsonFactory();

    private Process serve;

    @BeforeEach
    void checkSluiceIsBuilt() {
        assertTrue(Files.isRegularFile(jar()), jar() + " is missing: build Sluice first (mvn -B install -DskipTests)");
    }

    @AfterEach
    void stopServe() throws InterruptedException {
        if (serve != null) {
            serve.destroy();
            serve.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void relaysTheRecordedStreamAndPrintsItsFinalMessage() throws Exception {
        URI upstream = serve("anthropic-text.http");
        CompletableFuture<LlmMessage> message = new CompletableFuture<>();
        List<List<String>> relayed = new CopyOnWriteArrayList<>();
        CompletableFuture<SseException> clientEnd = new CompletableFuture<>();
        try (Gateway gateway = Gateway.start("127.0.0.1", 0, upstream, message::complete);
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
            assertEquals(tokens(Files.readString(ROOT.resolve("samples/anthropic-text.expected.json"))),
                    tokens(message.get(10, TimeUnit.SECONDS).toJson()));
        }
    }

    private static Path jar() {
        return ROOT.resolve("cli/target/sluice.jar");
    }

    /** Starts {@code sluice serve} on a free port and returns its address, read from what it prints. */
    private URI serve(String sample) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        serve = new ProcessBuilder(java, "-jar", jar().toString(), "serve",
                ROOT.resolve("samples").resolve(sample).toString(), "--port", "0")
                .redirectErrorStream(true)
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = out.readLine()) != null; ) {
            seen.append(line).append('\n');
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                return URI.create("http://127.0.0.1:" + m.group(1) + "/v1/messages");
            }
        }
        throw new AssertionError("sluice serve exited without listening:\n" + seen);
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

    /** A JSON text as its tokens and their text: equal for equal documents, whatever the layout. */
    private static List<String> tokens(String json) {
        List<String> tokens = new ArrayList<>();
        try (JsonParser p = JSON.createParser(json)) {
            for (JsonToken t; (t = p.nextToken()) != null; ) {
                tokens.add(t + " " + p.getText());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return tokens;
    }
}

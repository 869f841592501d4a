package io.sluice.cli;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.sun.net.httpserver.HttpServer;
import io.sluice.core.testing.JsonTree;
import io.sluice.netty.SseRelay;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sluice relay --include-usage} with the official OpenAI Java SDK as its client (issue 19,
 * items 2 and 6): the upstream is asked for usage, the SDK sees no chunk it did not ask for, and
 * the access log has the usage all the same. The upstream stand-in answers as OpenAI does: the
 * usage chunk only to a request that says {@code include_usage: true}, and it keeps every request
 * body it got.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IncludeUsageThroughRelayTest {
    private static final String SAMPLE = "openai-chat-reasoning";
    private static final String USAGE_FIELDS = "provider=openai-chat stop=stop input_tokens=1843 output_tokens=626 "
            + "cache_read_input_tokens=1664 cache_creation_input_tokens=- reasoning_tokens=512";
    private static final ChatCompletionCreateParams.Builder CHAT = ChatCompletionCreateParams.builder()
            .model("gpt-5-mini").addUserMessage("hello");

    private final Deque<AutoCloseable> opened = new ArrayDeque<>();
    private final BlockingQueue<String> upstreamBodies = new LinkedBlockingQueue<>();
    private final BlockingQueue<SseRelay.Outcome> outcomes = new LinkedBlockingQueue<>();

    @AfterEach
    void closeEverythingOpened() throws Exception {
        for (AutoCloseable c; (c = opened.pollFirst()) != null; ) {
            c.close();
        }
    }

    /** The sample's events (blank-line separated), and whether each is the usage chunk. */
    private static List<String> sampleEvents() throws IOException {
        String sse = Files.readString(SAMPLES.resolve(SAMPLE + ".sse"), StandardCharsets.UTF_8);
        List<String> events = new ArrayList<>();
        for (String event : sse.split("\n\n")) {
            if (!event.isBlank()) {
                events.add(event + "\n\n");
            }
        }
        return events;
    }

    private static boolean isUsageChunk(String event) {
        return event.contains("\"choices\":[],\"usage\":{");
    }

    /** OpenAI, as far as include_usage goes: the recorded stream, its usage chunk only for a request that asked. */
    private int upstream() throws IOException {
        List<String> events = sampleEvents();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            upstreamBodies.add(exchange.getRequestURI().getPath() + " " + body);
            boolean asked = askedForUsage(body);
            exchange.getResponseHeaders().set("content-type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (String event : events) {
                    if (asked || !isUsageChunk(event)) {
                        out.write(event.getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                }
            }
        });
        server.start();
        opened.push(() -> server.stop(0));
        return server.getAddress().getPort();
    }

    private static boolean askedForUsage(String body) {
        try {
            return JsonTree.of(body) instanceof Map<?, ?> request && request.get("stream_options") instanceof Map<?, ?> options
                    && Boolean.TRUE.equals(options.get("include_usage"));
        } catch (RuntimeException notJson) {
            return false;
        }
    }

    private int relay(int upstreamPort, boolean includeUsage) {
        RelayServer relay = RelayServer.start(new RelayServer.Options("127.0.0.1", 0,
                GetCommand.getRequest("http://127.0.0.1:" + upstreamPort), null, null,
                Duration.ZERO, Duration.ZERO, Duration.ZERO, false, 1 << 20, true, false).withIncludeUsage(includeUsage), outcomes::add);
        opened.push(relay);
        return relay.port();
    }

    private OpenAIClient openAi(int relayPort) {
        OpenAIClient client = OpenAIOkHttpClient.builder()
                .baseUrl("http://127.0.0.1:" + relayPort + "/v1")
                .apiKey("sk-not-a-key")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(20))
                .build();
        opened.push(client::close);
        return client;
    }

    /** Every chunk the SDK's stream gives. */
    private static List<ChatCompletionChunk> chunks(OpenAIClient client, ChatCompletionCreateParams request) {
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(request)) {
            return stream.stream().toList();
        }
    }

    private String accessLogLine() throws InterruptedException {
        SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
        return RelayCommand.accessLogLine(Instant.EPOCH, outcome);
    }

    private static Object streamOptions(String upstreamBody) {
        return ((Map<?, ?>) JsonTree.of(upstreamBody.substring(upstreamBody.indexOf(' ') + 1))).get("stream_options");
    }

    @Test
    void theSdkThatDidNotAskSeesNoUsageChunkWhileTheUpstreamIsAskedAndTheLogHasTheUsage() throws Exception {
        List<ChatCompletionChunk> chunks = chunks(openAi(relay(upstream(), true)), CHAT.build());

        String upstreamBody = upstreamBodies.poll(10, TimeUnit.SECONDS);
        assertTrue(upstreamBody.startsWith("/v1/chat/completions "), upstreamBody);
        assertEquals(Map.of("include_usage", true), streamOptions(upstreamBody));
        long recorded = sampleEvents().stream().filter(e -> !e.contains("[DONE]")).count();
        assertEquals(recorded - 1, chunks.size(), "every chunk but the usage one");
        assertTrue(chunks.stream().noneMatch(c -> c.choices().isEmpty()), "no chunk with empty choices reaches the SDK");
        assertTrue(chunks.stream().allMatch(c -> c.usage().isEmpty()), "no usage reaches the SDK");
        String log = accessLogLine();
        assertTrue(log.contains(" " + USAGE_FIELDS + " "), log);
        assertTrue(log.contains(" events=" + recorded + " "), "the chunks and [DONE], the usage chunk not counted: " + log);
    }

    @Test
    void withoutIncludeUsageTheSameRequestGoesAsSentAndTheLogHasNoUsage() throws Exception {
        List<ChatCompletionChunk> chunks = chunks(openAi(relay(upstream(), false)), CHAT.build());

        assertNull(streamOptions(upstreamBodies.poll(10, TimeUnit.SECONDS)));
        assertTrue(chunks.stream().noneMatch(c -> c.choices().isEmpty()));
        String log = accessLogLine();
        assertTrue(log.contains(" input_tokens=- output_tokens=- "), "what the relay learns without it: " + log);
    }

    @Test
    void anSdkThatAskedGetsTheUsageChunkAndItsRequestGoesAsSent() throws Exception {
        ChatCompletionCreateParams asked = CHAT.build().toBuilder()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        List<ChatCompletionChunk> chunks = chunks(openAi(relay(upstream(), true)), asked);

        String upstreamBody = upstreamBodies.poll(10, TimeUnit.SECONDS);
        assertEquals(Map.of("include_usage", true), streamOptions(upstreamBody));
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertTrue(last.choices().isEmpty());
        assertEquals(1843L, last.usage().orElseThrow().promptTokens());
        assertTrue(accessLogLine().contains(" " + USAGE_FIELDS + " "));
    }

    @Test
    void anSdkThatSaidFalseGetsNoUsageChunkButTheUpstreamIsAskedAnyway() throws Exception {
        ChatCompletionCreateParams declined = CHAT.build().toBuilder()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(false).build()).build();
        List<ChatCompletionChunk> chunks = chunks(openAi(relay(upstream(), true)), declined);

        assertEquals(Map.of("include_usage", true), streamOptions(upstreamBodies.poll(10, TimeUnit.SECONDS)));
        assertTrue(chunks.stream().noneMatch(c -> c.choices().isEmpty()));
        assertTrue(accessLogLine().contains(" " + USAGE_FIELDS + " "));
    }

    @Test
    void otherRequestsPassByteForByte() throws Exception {
        int relay = relay(upstream(), true);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String anthropic = "{ \"model\": \"claude\", \"stream\": true, \"messages\": [] }";
        String notJson = "stream=true&messages=[]";
        for (String[] request : new String[][] {{"/v1/messages", anthropic}, {"/v1/chat/completions", notJson},
                {"/v1/chat/completions", "{\"stream\": false}"}}) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay + request[0]))
                    .POST(HttpRequest.BodyPublishers.ofString(request[1])).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            assertEquals(request[0] + " " + request[1], upstreamBodies.poll(10, TimeUnit.SECONDS));
            assertFalse(response.body().contains("\"choices\":[],\"usage\":{"), "the stand-in sent no usage chunk");
            outcomes.poll(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theRelayCommandsIncludeUsageOptionDoesIt(@TempDir Path dir) throws Exception {
        int upstream = upstream();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = dir.resolve("stdout");
        Path err = dir.resolve("stderr");
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Sluice.class.getName(),
                "relay", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:" + upstream, "--include-usage")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            Matcher port = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/").matcher("");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!port.reset(Files.readString(err)).find()) {
                assertTrue(process.isAlive() && System.nanoTime() < deadline, () -> "no announcement: " + read(err));
                Thread.sleep(50);
            }
            List<ChatCompletionChunk> chunks = chunks(openAi(Integer.parseInt(port.group(1))), CHAT.build());

            assertTrue(chunks.stream().noneMatch(c -> c.choices().isEmpty()));
            assertEquals(Map.of("include_usage", true), streamOptions(upstreamBodies.poll(10, TimeUnit.SECONDS)));
            while (!read(out).contains("\n")) {
                assertTrue(System.nanoTime() < deadline, () -> "no access log line: " + read(err));
                Thread.sleep(50);
            }
            String log = read(out);
            assertTrue(log.contains(" POST /v1/chat/completions ") && log.contains(" " + USAGE_FIELDS + " "), log);
            assertFalse(read(err).contains("Exception"), read(err));
        } finally {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void theDocsExampleIsTheCodeTheRelayRuns() throws IOException {
        String doc = Files.readString(Path.of("../docs/llm.md"), StandardCharsets.UTF_8);
        int marker = doc.indexOf("<!-- include-usage example -->");
        assertTrue(marker >= 0, "docs/llm.md has the marker");
        int start = doc.indexOf("```java\n", marker) + "```java\n".length();
        String shown = normalized(doc.substring(start, doc.indexOf("```", start)));
        String source = normalized(Files.readString(Path.of("src/main/java/io/sluice/cli/RelayServer.java"), StandardCharsets.UTF_8));
        assertTrue(source.contains(shown), "RelayServer.includeUsage is not what docs/llm.md shows:\n" + shown);
    }

    private static String normalized(String code) {
        StringBuilder out = new StringBuilder();
        code.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(l -> out.append(l).append('\n'));
        return out.toString();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }
}

package io.sluice.cli;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.InternalServerException;
import com.anthropic.errors.SseException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.helpers.ResponseAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseOutputItem;
import com.openai.models.responses.ResponseOutputMessage;
import com.openai.models.responses.ResponseStreamEvent;
import io.sluice.core.testing.JsonTree;
import io.sluice.netty.SseRelay;
import io.sluice.netty.SseRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The providers' official Java SDKs (anthropic-java, openai-java, with their OkHttp clients) as
 * the callers of {@code sluice relay} in front of {@code sluice serve} (issue 15, item 6): each
 * SDK's own streaming call and its own accumulator give every recorded sample's final message, a
 * stream the upstream broke surfaces as the SDK's own error, and a refusal before the stream as
 * the SDK's own status exception with the upstream's status and headers.
 *
 * <p>The SDKs never retry ({@code maxRetries(0)}): a retry would hide what the relay answered. Each
 * test closes its clients and servers; everything listens on 127.0.0.1 ephemeral ports.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProviderSdkThroughRelayTest {
    private static final Duration SDK_TIMEOUT = Duration.ofSeconds(20);
    private static final String DUMMY_KEY = "sk-not-a-key"; // the relay forwards no credential it is not configured with

    private static final MessageCreateParams ANTHROPIC_REQUEST = MessageCreateParams.builder()
            .model("claude-sonnet-4-5").maxTokens(1024).addUserMessage("hello").build();
    private static final ChatCompletionCreateParams CHAT_REQUEST = ChatCompletionCreateParams.builder()
            .model("gpt-4o").addUserMessage("hello").build();
    private static final ResponseCreateParams RESPONSES_REQUEST = ResponseCreateParams.builder()
            .model("gpt-4o").input("hello").build();

    /** What each test opened, closed last-opened first after it. */
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();

    @AfterEach
    void closeEverythingOpened() throws Exception {
        Exception failure = null;
        for (AutoCloseable c; (c = opened.pollFirst()) != null; ) {
            try {
                c.close();
            } catch (Exception e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    // ---- recordings

    /**
     * Every recorded form (.sse, .http, .pcap) of the samples named {@code prefix}*, sorted.
     * anthropic-long (2 MB, no {@code .events.ndjson}) is the benchmarks' sample and is left out,
     * as in {@link RelayTest}: the Anthropic SDK's {@code MessageAccumulator} appends each text
     * delta by copying the whole text so far ({@code text() + delta}), so its 16355 deltas cost
     * seconds of SDK time and say nothing more about the relay.
     */
    private static Stream<String> forms(String prefix) throws IOException {
        try (Stream<Path> files = Files.list(SAMPLES)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(prefix))
                    .filter(n -> n.endsWith(".sse") || n.endsWith(".http") || n.endsWith(".pcap"))
                    .filter(n -> Files.exists(SAMPLES.resolve(stem(n) + ".events.ndjson")))
                    .sorted()
                    .toList()
                    .stream();
        }
    }

    /** The forms of {@code prefix}* samples whose stream reached the provider's terminal event. */
    private static Stream<String> completeForms(String prefix) throws IOException {
        return forms(prefix).filter(n -> Boolean.TRUE.equals(expected(n).get("complete")));
    }

    static Stream<String> anthropicComplete() throws IOException {
        return completeForms("anthropic-");
    }

    static Stream<String> openAiChatComplete() throws IOException {
        return completeForms("openai-chat-");
    }

    static Stream<String> openAiResponsesComplete() throws IOException {
        return completeForms("openai-responses-");
    }

    static Stream<String> anthropicTruncated() throws IOException {
        return forms("anthropic-truncated.");
    }

    static Stream<String> anthropicOverloadedMidStream() throws IOException {
        return forms("anthropic-overloaded.");
    }

    private static String stem(String name) {
        return name.substring(0, name.lastIndexOf('.'));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> expected(String recording) {
        try {
            return (Map<String, Object>) JsonTree.of(Files.readString(SAMPLES.resolve(stem(recording) + ".expected.json")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The part of a sample's final message the SDKs also assemble: ids, content, stop reason, usage. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> expectedFinal(String recording) {
        Map<String, Object> e = expected(recording);
        return finalMessage((String) e.get("id"), (String) e.get("model"), (List<Object>) e.get("content"),
                (String) e.get("stop_reason"), (Map<String, Object>) e.get("usage"));
    }

    private static Map<String, Object> finalMessage(String id, String model, List<Object> content, String stopReason,
                                                    Map<String, Object> usage) {
        Map<String, Object> m = new TreeMap<>();
        m.put("id", id);
        m.put("model", model);
        m.put("content", content);
        m.put("stop_reason", stopReason);
        m.put("usage", usage);
        return m;
    }

    /**
     * The SDK's final message is the sample's; usage is compared on the keys both have: an older
     * sample's file has input and output tokens only, and no SDK reads every count Sluice does
     * (issue 19's keys are thus checked against each provider's own SDK where it reads them).
     */
    @SuppressWarnings("unchecked")
    private static void assertSameFinal(Map<String, Object> expected, Map<String, Object> sdk) {
        Map<String, Object> expectedUsage = (Map<String, Object>) expected.get("usage");
        Map<String, Object> sdkUsage = (Map<String, Object>) sdk.get("usage");
        Set<String> both = new TreeSet<>(expectedUsage.keySet());
        both.retainAll(sdkUsage.keySet());
        assertTrue(both.contains("output_tokens"), both::toString);
        Map<String, Object> e = new TreeMap<>(expected);
        Map<String, Object> a = new TreeMap<>(sdk);
        e.put("usage", restricted(expectedUsage, both));
        a.put("usage", restricted(sdkUsage, both));
        assertEquals(e, a);
    }

    private static Map<String, Object> restricted(Map<String, Object> usage, Set<String> keys) {
        Map<String, Object> out = new TreeMap<>();
        for (String k : keys) {
            out.put(k, usage.get(k));
        }
        return out;
    }

    /** A count the SDK may not have, as JsonTree reads one (null when absent). */
    private static Object count(Optional<Long> n) {
        return n.map(ProviderSdkThroughRelayTest::number).orElse(null);
    }

    /** A content entry of the samples' schema: alternating names and values. */
    private static Map<String, Object> entry(Object... namesAndValues) {
        Map<String, Object> m = new TreeMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            m.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return m;
    }

    /** A count as {@link JsonTree} reads one, so the two compare equal. */
    private static BigDecimal number(long n) {
        BigDecimal d = BigDecimal.valueOf(n).stripTrailingZeros();
        return d.signum() == 0 ? BigDecimal.ZERO : d;
    }

    // ---- servers and clients

    private ReplayServer serve(Path recording) throws IOException {
        String name = recording.getFileName().toString();
        InputKind kind = name.endsWith(".pcap") ? InputKind.PCAP : name.endsWith(".http") ? InputKind.HTTP : InputKind.SSE;
        ServeCommand.Served served = ServeCommand.served(kind, Files.readAllBytes(recording), name, null,
                new PrintWriter(new StringWriter()));
        ReplayServer upstream = ReplayServer.start("127.0.0.1", 0, served.writes(), Timing.NONE, true, served.reset());
        opened.push(upstream);
        return upstream;
    }

    /** {@code sluice relay} in front of {@code sluice serve} of {@code recording}: the relay's port. */
    private int relayInFrontOf(Path recording) throws IOException {
        ReplayServer upstream = serve(recording);
        RelayServer relay = RelayServer.start(new RelayServer.Options("127.0.0.1", 0,
                GetCommand.getRequest("http://127.0.0.1:" + upstream.port()), null, null,
                Duration.ZERO, Duration.ZERO, Duration.ZERO, false, 1 << 20, false, false), outcome -> { });
        opened.push(relay);
        return relay.port();
    }

    private int relayInFrontOf(String sample) throws IOException {
        return relayInFrontOf(SAMPLES.resolve(sample));
    }

    private AnthropicClient anthropic(int relayPort) {
        AnthropicClient client = AnthropicOkHttpClient.builder()
                .baseUrl("http://127.0.0.1:" + relayPort)
                .apiKey(DUMMY_KEY)
                .maxRetries(0)
                .timeout(SDK_TIMEOUT)
                .build();
        opened.push(client::close); // the client is no AutoCloseable; close() ends its OkHttp dispatcher and pool
        return client;
    }

    private OpenAIClient openAi(int relayPort) {
        OpenAIClient client = OpenAIOkHttpClient.builder()
                .baseUrl("http://127.0.0.1:" + relayPort + "/v1")
                .apiKey(DUMMY_KEY)
                .maxRetries(0)
                .timeout(SDK_TIMEOUT)
                .build();
        opened.push(client::close);
        return client;
    }

    // ---- the SDKs' own streaming calls and accumulators

    /** The Anthropic SDK's streamed message, accumulated by its own {@link MessageAccumulator}; {@code text} gets every text delta. */
    private static Message anthropicMessage(AnthropicClient client, MessageAccumulator accumulator, StringBuilder text) {
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(ANTHROPIC_REQUEST)) {
            stream.stream().forEach(event -> {
                accumulator.accumulate(event);
                event.contentBlockDelta().flatMap(d -> d.delta().text()).ifPresent(t -> text.append(t.text()));
            });
        }
        return accumulator.message();
    }

    private static Map<String, Object> projected(Message m) {
        List<Object> content = new ArrayList<>();
        for (ContentBlock block : m.content()) {
            if (block.isText()) {
                content.add(entry("type", "text", "text", block.asText().text()));
            } else if (block.isThinking()) {
                content.add(entry("type", "thinking", "thinking", block.asThinking().thinking(),
                        "signature", block.asThinking().signature()));
            } else if (block.isToolUse()) {
                content.add(entry("type", "tool_use", "id", block.asToolUse().id(), "name", block.asToolUse().name(),
                        "input", JsonTree.of(anthropicJson(block.asToolUse()._input()))));
            }
        }
        com.anthropic.models.messages.Usage u = m.usage();
        Map<String, Object> usage = new TreeMap<>();
        usage.put("input_tokens", number(u.inputTokens()));
        usage.put("output_tokens", number(u.outputTokens()));
        usage.put("cache_read_input_tokens", count(u.cacheReadInputTokens()));
        usage.put("cache_creation_input_tokens", count(u.cacheCreationInputTokens()));
        usage.put("cache_creation_5m_input_tokens", count(u.cacheCreation().map(c -> c.ephemeral5mInputTokens())));
        usage.put("cache_creation_1h_input_tokens", count(u.cacheCreation().map(c -> c.ephemeral1hInputTokens())));
        usage.put("server_tool_use", u.serverToolUse()
                .map(t -> (Object) Map.of("web_search_requests", number(t.webSearchRequests()))).orElse(null));
        return finalMessage(m.id(), m.model().asString(), content, m.stopReason().map(r -> r.asString()).orElse(null), usage);
    }

    private static String anthropicJson(Object value) {
        try {
            return com.anthropic.core.ObjectMappers.jsonMapper().writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String openAiJson(Object value) {
        try {
            return com.openai.core.ObjectMappers.jsonMapper().writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The error object ({@code type}, {@code message}) of an Anthropic error body. */
    @SuppressWarnings("unchecked")
    private static Object anthropicError(AnthropicServiceException e) {
        return ((Map<String, Object>) JsonTree.of(anthropicJson(e.body()))).get("error");
    }

    private static void assertHeader(String expected, List<String> values, String name) {
        assertEquals(List.of(expected), values, name);
    }

    // ---- Anthropic

    @ParameterizedTest
    @MethodSource("anthropicComplete")
    void theAnthropicSdksMessageAccumulatorGivesTheSamplesFinalMessage(String sample) throws Exception {
        AnthropicClient client = anthropic(relayInFrontOf(sample));

        Message message = anthropicMessage(client, MessageAccumulator.create(), new StringBuilder());

        assertSameFinal(expectedFinal(sample), projected(message));
    }

    /** The text of the sample's expected final message: its first content block's. */
    private static Object expectedText(String sample) {
        return ((Map<?, ?>) ((List<?>) expected(sample).get("content")).get(0)).get("text");
    }

    @ParameterizedTest
    @MethodSource("anthropicTruncated")
    void aStreamCutMidEventSurfacesAsTheAnthropicSdksSseExceptionNotAFinalMessage(String sample) throws Exception {
        AnthropicClient client = anthropic(relayInFrontOf(sample));
        MessageAccumulator accumulator = MessageAccumulator.create();
        StringBuilder text = new StringBuilder();

        SseException e = assertThrows(SseException.class, () -> anthropicMessage(client, accumulator, text));

        // The cut comes after the head: the status is the stream's, the error the relay's own.
        assertEquals(200, e.statusCode());
        assertEquals("upstream_closed_early", ((Map<?, ?>) anthropicError(e)).get("type"), () -> anthropicJson(e.body()));
        assertEquals(expectedText(sample), text.toString(),
                "the text before the cut reached the caller");
        assertThrows(IllegalStateException.class, accumulator::message, "no message_stop, so no final message");
    }

    @ParameterizedTest
    @MethodSource("anthropicOverloadedMidStream")
    void anOverloadedErrorEventMidStreamSurfacesAsTheAnthropicSdksSseExceptionWithItsBody(String sample) throws Exception {
        AnthropicClient client = anthropic(relayInFrontOf(sample));
        MessageAccumulator accumulator = MessageAccumulator.create();
        StringBuilder text = new StringBuilder();

        SseException e = assertThrows(SseException.class, () -> anthropicMessage(client, accumulator, text));

        assertEquals(200, e.statusCode());
        assertEquals(expected(sample).get("error"), anthropicError(e));
        assertEquals(expectedText(sample), text.toString(),
                "the text before the error reached the caller");
        assertThrows(IllegalStateException.class, accumulator::message, "no message_stop, so no final message");
    }

    /** An HTTP/1.1 response with a JSON body, as a {@code .http} recording in {@code dir}. */
    private static Path refusal(Path dir, String statusLine, String requestId, String body) throws IOException {
        byte[] json = body.getBytes(StandardCharsets.UTF_8);
        String head = statusLine + "\r\n"
                + "content-type: application/json\r\n"
                + "content-length: " + json.length + "\r\n"
                + "request-id: " + requestId + "\r\n"
                + "retry-after: 7\r\n"
                + "\r\n";
        Path file = dir.resolve("refusal.http");
        Files.write(file, (head + body).getBytes(StandardCharsets.UTF_8));
        return file;
    }

    // The recorded anthropic-overloaded is the other overload: 200, some text, then an error
    // event (above). A refusal before the stream is built here, as Anthropic sends it.
    @Test
    void anUpstream529OverloadedSurfacesAsTheAnthropicSdksInternalServerExceptionWithItsHeaders(@TempDir Path dir)
            throws Exception {
        Path upstream = refusal(dir, "HTTP/1.1 529 Overloaded", "req_529",
                "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},\"request_id\":\"req_529\"}");
        AnthropicClient client = anthropic(relayInFrontOf(upstream));

        InternalServerException e = assertThrows(InternalServerException.class,
                () -> anthropicMessage(client, MessageAccumulator.create(), new StringBuilder()));

        assertEquals(529, e.statusCode());
        assertHeader("7", e.headers().values("retry-after"), "retry-after");
        assertHeader("req_529", e.headers().values("request-id"), "request-id");
        assertEquals(entry("type", "overloaded_error", "message", "Overloaded"), anthropicError(e));
    }

    @Test
    void anUpstream429SurfacesAsTheAnthropicSdksRateLimitExceptionWithRetryAfterAndRequestId(@TempDir Path dir)
            throws Exception {
        Path upstream = refusal(dir, "HTTP/1.1 429 Too Many Requests", "req_123",
                "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited\"},\"request_id\":\"req_123\"}");
        AnthropicClient client = anthropic(relayInFrontOf(upstream));

        com.anthropic.errors.RateLimitException e = assertThrows(com.anthropic.errors.RateLimitException.class,
                () -> anthropicMessage(client, MessageAccumulator.create(), new StringBuilder()));

        assertEquals(429, e.statusCode());
        assertHeader("7", e.headers().values("retry-after"), "retry-after");
        assertHeader("req_123", e.headers().values("request-id"), "request-id");
        assertEquals(entry("type", "rate_limit_error", "message", "Rate limited"), anthropicError(e));
    }

    // ---- Fallback before the first token (issue 15, item 5)

    /** {@code sluice relay} with the CLI's own retry policy in front of {@code bases}, in order; each stream's outcome goes to {@code outcomes}. */
    private int relayInFrontOf(List<String> bases, BlockingQueue<SseRelay.Outcome> outcomes) {
        List<SseRequest> upstreams = bases.stream().map(GetCommand::getRequest).toList();
        RelayServer relay = RelayServer.start(new RelayServer.Options("127.0.0.1", 0, upstreams,
                RelayCommand.retryPolicy(3, Duration.ofSeconds(2), Duration.ofSeconds(10)), ProtocolOptions.Protocols.PLAIN, null, null,
                Duration.ZERO, Duration.ZERO, Duration.ZERO, false, 1 << 20, false, false), outcomes::add);
        opened.push(relay);
        return relay.port();
    }

    private String served(Path recording) throws IOException {
        return "http://127.0.0.1:" + serve(recording).port();
    }

    /** A stream that breaks as Anthropic's do when overloaded after accepting: message_start, a ping, then the error. */
    private static Path overloadedAfterMessageStart(Path dir) throws IOException {
        String messageStart = Files.readString(SAMPLES.resolve("anthropic-text.sse")).split("\n\n", 2)[0];
        Path file = dir.resolve("overloaded-early.sse");
        Files.writeString(file, messageStart + "\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n"
                + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n");
        return file;
    }

    /** A port nothing listens on: connecting is refused. */
    private static String refusingPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + s.getLocalPort();
        }
    }

    static Stream<String> firstUpstreamFailures() {
        return Stream.of("529", "refused", "overloaded_error after message_start");
    }

    @ParameterizedTest
    @MethodSource("firstUpstreamFailures")
    void whenTheFirstUpstreamFailsBeforeTheFirstTokenTheSdkGetsTheNextOnesMessageAndNothingOfTheFirst(String failure,
            @TempDir Path dir) throws Exception {
        String a = switch (failure) {
            case "529" -> served(refusal(dir, "HTTP/1.1 529 Overloaded", "req_529",
                    "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"));
            case "refused" -> refusingPort();
            default -> served(overloadedAfterMessageStart(dir));
        };
        BlockingQueue<SseRelay.Outcome> outcomes = new LinkedBlockingQueue<>();
        AnthropicClient client = anthropic(relayInFrontOf(List.of(a, served(SAMPLES.resolve("anthropic-text.sse"))), outcomes));
        StringBuilder text = new StringBuilder();

        Message message = anthropicMessage(client, MessageAccumulator.create(), text);

        assertSameFinal(expectedFinal("anthropic-text.sse"), projected(message)); // B's message, whole and alone
        assertEquals(expectedText("anthropic-text.sse"), text.toString(), "no text of A's");
        SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
        assertEquals(2, outcome.attempts().size(), outcome::toString);
        assertEquals(switch (failure) {
            case "529" -> "upstream_status";
            case "refused" -> "upstream_unreachable";
            default -> "upstream_error_event";
        }, outcome.attempts().get(0).end().wireName());
        assertEquals("ok", outcome.attempts().get(1).end().wireName());
    }

    @Test
    void aCutAfterContentReachesTheSdkAsTheStreamsErrorAndTheNextUpstreamIsNeverCalled() throws Exception {
        try (ServerSocket b = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            BlockingQueue<SseRelay.Outcome> outcomes = new LinkedBlockingQueue<>();
            AnthropicClient client = anthropic(relayInFrontOf(List.of(served(SAMPLES.resolve("anthropic-truncated.sse")),
                    "http://127.0.0.1:" + b.getLocalPort()), outcomes));
            StringBuilder text = new StringBuilder();

            SseException e = assertThrows(SseException.class, () -> anthropicMessage(client, MessageAccumulator.create(), text));

            assertEquals("upstream_closed_early", ((Map<?, ?>) anthropicError(e)).get("type"), () -> anthropicJson(e.body()));
            assertEquals(expectedText("anthropic-truncated.sse"), text.toString());
            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertEquals(1, outcome.attempts().size(), outcome::toString);
            b.setSoTimeout(200);
            assertThrows(SocketTimeoutException.class, b::accept, "once content went out, B is never called");
        }
    }

    // ---- OpenAI Chat Completions

    private static ChatCompletion chatCompletion(OpenAIClient client) {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        try (com.openai.core.http.StreamResponse<ChatCompletionChunk> stream =
                     client.chat().completions().createStreaming(CHAT_REQUEST)) {
            stream.stream().forEach(accumulator::accumulate);
        }
        return accumulator.chatCompletion();
    }

    private static Map<String, Object> projected(ChatCompletion c) {
        ChatCompletion.Choice choice = c.choices().get(0);
        List<Object> content = new ArrayList<>();
        choice.message().content().filter(t -> !t.isEmpty()).ifPresent(t -> content.add(entry("type", "text", "text", t)));
        for (ChatCompletionMessageToolCall call : choice.message().toolCalls().orElse(List.of())) {
            ChatCompletionMessageFunctionToolCall f = call.asFunction();
            content.add(entry("type", "tool_use", "id", f.id(), "name", f.function().name(),
                    "input", JsonTree.of(f.function().arguments())));
        }
        Map<String, Object> usage = new TreeMap<>();
        c.usage().ifPresent(u -> {
            usage.put("input_tokens", number(u.promptTokens()));
            usage.put("output_tokens", number(u.completionTokens()));
            usage.put("cache_read_input_tokens", count(u.promptTokensDetails().flatMap(d -> d.cachedTokens())));
            usage.put("reasoning_tokens", count(u.completionTokensDetails().flatMap(d -> d.reasoningTokens())));
        });
        return finalMessage(c.id(), c.model(), content, choice.finishReason().asString(), usage);
    }

    @ParameterizedTest
    @MethodSource("openAiChatComplete")
    void theOpenAiSdksChatCompletionAccumulatorGivesTheSamplesFinalMessage(String sample) throws Exception {
        OpenAIClient client = openAi(relayInFrontOf(sample));

        assertSameFinal(expectedFinal(sample), projected(chatCompletion(client)));
    }

    static Stream<String> firstOpenAiUpstreamFailures() {
        return Stream.of("503", "error chunk first");
    }

    @ParameterizedTest
    @MethodSource("firstOpenAiUpstreamFailures")
    void whenTheFirstUpstreamFailsBeforeTheFirstTokenTheOpenAiSdkGetsTheNextOnesCompletion(String failure,
            @TempDir Path dir) throws Exception {
        String a;
        if (failure.equals("503")) {
            a = served(refusal(dir, "HTTP/1.1 503 Service Unavailable", "req_503",
                    "{\"error\":{\"message\":\"The engine is currently overloaded\",\"type\":\"server_error\",\"param\":null,\"code\":null}}"));
        } else {
            Path early = dir.resolve("error-first.sse");
            Files.writeString(early, "data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n");
            a = served(early);
        }
        BlockingQueue<SseRelay.Outcome> outcomes = new LinkedBlockingQueue<>();
        OpenAIClient client = openAi(relayInFrontOf(List.of(a, served(SAMPLES.resolve("openai-chat-text.sse"))),
                outcomes));

        assertSameFinal(expectedFinal("openai-chat-text.sse"), projected(chatCompletion(client)));
        assertEquals(List.of(failure.equals("503") ? "upstream_status" : "upstream_error_event", "ok"),
                outcomes.poll(10, TimeUnit.SECONDS).attempts().stream().map(attempt -> attempt.end().wireName()).toList());
    }

    @Test
    void anUpstream429SurfacesAsTheOpenAiSdksRateLimitExceptionWithRetryAfterAndRequestId(@TempDir Path dir)
            throws Exception {
        Path upstream = refusal(dir, "HTTP/1.1 429 Too Many Requests", "req_123",
                "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}");
        OpenAIClient client = openAi(relayInFrontOf(upstream));

        com.openai.errors.RateLimitException e = assertThrows(com.openai.errors.RateLimitException.class,
                () -> chatCompletion(client));

        assertEquals(429, e.statusCode());
        assertHeader("7", e.headers().values("retry-after"), "retry-after");
        assertHeader("req_123", e.headers().values("request-id"), "request-id");
        assertEquals("rate_limit_exceeded", e.code().orElse(null), () -> openAiJson(e.body()));
    }

    // ---- OpenAI Responses

    private static Map<String, Object> projected(Response r) {
        List<Object> content = new ArrayList<>();
        for (ResponseOutputItem item : r.output()) {
            if (item.isMessage()) {
                for (ResponseOutputMessage.Content part : item.asMessage().content()) {
                    if (part.isOutputText()) {
                        content.add(entry("type", "text", "text", part.asOutputText().text()));
                    }
                }
            } else if (item.isFunctionCall()) {
                ResponseFunctionToolCall call = item.asFunctionCall();
                content.add(entry("type", "tool_use", "id", call.callId(), "name", call.name(),
                        "input", JsonTree.of(call.arguments())));
            }
        }
        String stop = r.incompleteDetails().flatMap(d -> d.reason()).map(reason -> reason.asString())
                .orElseGet(() -> r.status().map(s -> s.asString()).orElse(null));
        // The model is a union (any string, a chat model, a Responses-only model): read its JSON.
        String model = (String) JsonTree.of(openAiJson(r._model()));
        Map<String, Object> usage = new TreeMap<>();
        r.usage().ifPresent(u -> {
            usage.put("input_tokens", number(u.inputTokens()));
            usage.put("output_tokens", number(u.outputTokens()));
            usage.put("cache_read_input_tokens", number(u.inputTokensDetails().cachedTokens()));
            usage.put("reasoning_tokens", number(u.outputTokensDetails().reasoningTokens()));
        });
        return finalMessage(r.id(), model, content, stop, usage);
    }

    @ParameterizedTest
    @MethodSource("openAiResponsesComplete")
    void theOpenAiSdksResponseAccumulatorGivesTheSamplesFinalResponse(String sample) throws Exception {
        OpenAIClient client = openAi(relayInFrontOf(sample));
        ResponseAccumulator accumulator = ResponseAccumulator.create();

        try (com.openai.core.http.StreamResponse<ResponseStreamEvent> stream =
                     client.responses().createStreaming(RESPONSES_REQUEST)) {
            stream.stream().forEach(accumulator::accumulate);
        }

        assertSameFinal(expectedFinal(sample), projected(accumulator.response()));
    }
}

package io.sluice.llm;

import io.sluice.core.testing.Chunking;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every shared sample, fed to a collector, gives exactly its {@code .expected.json}. */
class SampleMessagesTest {

    static List<String> samples() {
        return Samples.NAMES;
    }

    @ParameterizedTest
    @MethodSource("samples")
    void finalMessageEqualsExpectedJson(String name) {
        LlmMessage message = Samples.collect(Samples.sse(name), Chunking.whole());
        Samples.assertSameMessage(Samples.expected(name), message.toJson(), name);
    }

    @ParameterizedTest
    @MethodSource("samples")
    void finalMessageFromDirectBuffersEqualsExpectedJson(String name) {
        // direct buffers have no backing array: the decoder copies into its reused array instead
        byte[] input = Samples.sse(name);
        LlmMessage message = Samples.collect(input, Chunking.fixed(5, input.length).asDirect());
        Samples.assertSameMessage(Samples.expected(name), message.toJson(), name);
    }

    @ParameterizedTest
    @MethodSource("samples")
    void providerIsDetectedFromTheStream(String name) {
        MessageCollector collector = Samples.collect(Samples.sse(name), Chunking.whole(), MessageCollector.create());
        String expectedProvider = (String) ((java.util.Map<?, ?>) Samples.canonical(Samples.expected(name))).get("provider");
        assertEquals(Provider.fromId(expectedProvider), collector.provider());
    }

    @Test
    void messageJsonKeepsTheSchemaKeyOrder() {
        String json = Samples.collect(Samples.sse("anthropic-tool-use"), Chunking.whole()).toJson(true);
        assertEquals(List.of("provider", "id", "model", "content", "stop_reason", "usage", "complete", "error", "events"),
                Samples.topLevelKeys(json));
    }

    @Test
    void longAnthropicSampleEqualsExpectedJson() throws IOException {
        Path sse = Samples.largeSample("anthropic-long.sse");
        Path expected = sse.resolveSibling("anthropic-long.expected.json");
        byte[] input = Files.readAllBytes(sse);
        LlmMessage message = Samples.collect(input, Chunking.random(7, input.length));
        Samples.assertSameMessage(Files.readString(expected, StandardCharsets.UTF_8), message.toJson(), "anthropic-long");
    }

    @ParameterizedTest
    @MethodSource("samples")
    void testResourceCopiesAreTheRepositorysSamples(String name) throws IOException {
        for (String file : List.of(name + ".sse", name + ".expected.json")) {
            assertArrayEquals(Files.readAllBytes(Samples.largeSample(file)), Samples.resource(file), file);
        }
    }

    /** The samples written for issue 19 carry every usage key, so the checker compares all of them there. */
    @ParameterizedTest
    @ValueSource(strings = {"anthropic-cache", "openai-chat-reasoning", "openai-responses-reasoning", "gemini-thinking"})
    void usageSamplesCarryEveryUsageKey(String name) {
        assertEquals(Samples.usageKeys(Samples.collect(Samples.sse(name), Chunking.whole()).toJson()),
                Samples.usageKeys(Samples.expected(name)));
    }

    @Test
    void usageKeysFollowTheDesignOrderThenTheAddedOnes() {
        String json = Samples.collect(Samples.sse("openai-chat-text"), Chunking.whole()).toJson(true);
        assertEquals(List.of("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens",
                        "reasoning_tokens", "cache_creation_5m_input_tokens", "cache_creation_1h_input_tokens",
                        "tool_use_prompt_tokens", "server_tool_use"),
                Samples.usageKeys(json));
    }

    @Test
    void streamCutAtMaxTokensIsCompleteAndSaysSo() {
        LlmMessage message = Samples.collect(Samples.sse("anthropic-max-tokens"), Chunking.whole());
        assertTrue(message.complete());
        assertTrue(message.stoppedAtTokenLimit());
        assertEquals("max_tokens", message.stopReason());
    }

    @Test
    void streamResetMidEventIsIncompleteWithoutError() {
        MessageCollector collector = Samples.collect(Samples.sse("anthropic-truncated"), Chunking.whole(), MessageCollector.create());
        assertFalse(collector.complete());
        assertTrue(collector.incompleteTailBytes() > 0);
        assertEquals(null, collector.message().error());
        assertFalse(collector.message().text().isEmpty());
    }
}

package io.sluice.llm;

import io.sluice.core.testing.Chunking;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Billing-grade usage (issue 19): each provider's cache, reasoning and tool counts, null when not said. */
class UsageTest {

    private static Usage usageOf(String sample) {
        return Samples.collect(Samples.sse(sample), Chunking.whole()).usage();
    }

    private static Usage usageOf(Provider provider, String sse) {
        return Samples.collect(sse.getBytes(StandardCharsets.UTF_8), Chunking.whole(), MessageCollector.create(provider))
                .message().usage();
    }

    @Test
    void anthropicCacheSampleGivesCacheReadCreationWithItsSplitAndServerToolCounts() {
        Usage u = usageOf("anthropic-cache");
        assertEquals(6431L, u.inputTokens(), "message_delta's input_tokens replaces message_start's 9");
        assertEquals(287L, u.outputTokens());
        assertEquals(14208L, u.cacheReadInputTokens());
        assertEquals(2590L, u.cacheCreationInputTokens());
        assertEquals(1518L, u.cacheCreation5mInputTokens(), "said in message_start only, kept through message_delta");
        assertEquals(1072L, u.cacheCreation1hInputTokens());
        assertEquals(Map.of("web_search_requests", 1L), u.serverToolUse());
        assertNull(u.reasoningTokens(), "Anthropic counts thinking in output_tokens");
        assertNull(u.toolUsePromptTokens());
    }

    @Test
    void openAiChatReasoningSampleGivesCachedAndReasoningTokensFromTheIncludeUsageChunk() {
        Usage u = usageOf("openai-chat-reasoning");
        assertEquals(1843L, u.inputTokens());
        assertEquals(626L, u.outputTokens());
        assertEquals(1664L, u.cacheReadInputTokens());
        assertEquals(512L, u.reasoningTokens());
        assertNull(u.cacheCreationInputTokens());
        assertNull(u.cacheCreation5mInputTokens());
        assertNull(u.serverToolUse());
    }

    @Test
    void openAiResponsesReasoningSampleGivesTheUsageDetailsOfResponseCompleted() {
        Usage u = usageOf("openai-responses-reasoning");
        assertEquals(2310L, u.inputTokens());
        assertEquals(741L, u.outputTokens());
        assertEquals(2048L, u.cacheReadInputTokens());
        assertEquals(576L, u.reasoningTokens());
        assertNull(u.cacheCreationInputTokens());
        assertNull(u.toolUsePromptTokens());
    }

    @Test
    void geminiThinkingSampleGivesCachedThoughtsAndToolUsePromptTokens() {
        Usage u = usageOf("gemini-thinking");
        assertEquals(4183L, u.inputTokens());
        assertEquals(61L, u.outputTokens());
        assertEquals(3072L, u.cacheReadInputTokens());
        assertEquals(911L, u.reasoningTokens());
        assertEquals(425L, u.toolUsePromptTokens());
        assertNull(u.cacheCreationInputTokens());
        assertNull(u.serverToolUse());
    }

    @Test
    void aZeroTheProviderSaidIsZeroAndACountItDidNotSayIsNull() {
        // openai-chat-text's usage chunk says cached_tokens 0 and reasoning_tokens 0
        Usage said = usageOf("openai-chat-text");
        assertEquals(0L, said.cacheReadInputTokens());
        assertEquals(0L, said.reasoningTokens());
        Usage unsaid = usageOf(Provider.OPENAI_CHAT, """
                data: {"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}

                data: {"id":"c1","model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}

                data: [DONE]

                """);
        assertEquals(3L, unsaid.inputTokens());
        assertNull(unsaid.cacheReadInputTokens());
        assertNull(unsaid.reasoningTokens());
    }

    @Test
    void anthropicMessageDeltaThatOmitsACountKeepsTheOneBeforeAndOneThatSaysItReplacesIt() {
        Usage u = usageOf(Provider.ANTHROPIC, """
                event: message_start
                data: {"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":5,"cache_read_input_tokens":100,"cache_creation_input_tokens":40,"cache_creation":{"ephemeral_5m_input_tokens":30,"ephemeral_1h_input_tokens":10},"output_tokens":1,"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0}}}}

                event: message_delta
                data: {"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":20}}

                event: message_delta
                data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":42,"cache_read_input_tokens":120,"server_tool_use":{"web_search_requests":2}}}

                event: message_stop
                data: {"type":"message_stop"}

                """);
        assertEquals(5L, u.inputTokens());
        assertEquals(42L, u.outputTokens());
        assertEquals(120L, u.cacheReadInputTokens());
        assertEquals(40L, u.cacheCreationInputTokens());
        assertEquals(30L, u.cacheCreation5mInputTokens());
        assertEquals(10L, u.cacheCreation1hInputTokens());
        assertEquals(List.of("web_search_requests", "web_fetch_requests"), new ArrayList<>(u.serverToolUse().keySet()),
                "the order first reported");
        assertEquals(Map.of("web_search_requests", 2L, "web_fetch_requests", 0L), u.serverToolUse(),
                "counts are replaced name by name");
    }

    @Test
    void countsThatAreNotNonNegativeIntegersAreNotReported() {
        Usage u = usageOf(Provider.ANTHROPIC, """
                event: message_start
                data: {"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":-3,"cache_read_input_tokens":"12","cache_creation_input_tokens":null,"output_tokens":1.5,"server_tool_use":{"web_search_requests":-1,"note":"x"}}}}

                """);
        assertNull(u.inputTokens());
        assertNull(u.cacheReadInputTokens());
        assertNull(u.cacheCreationInputTokens());
        assertNull(u.outputTokens());
        assertEquals(Map.of(), u.serverToolUse(), "the object was said, with no count in it");
    }

    @Test
    void serverToolUseThatIsNullIsNotReported() {
        Usage u = usageOf(Provider.ANTHROPIC, """
                event: message_delta
                data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":7,"server_tool_use":null}}

                """);
        assertEquals(7L, u.outputTokens());
        assertNull(u.serverToolUse());
    }

    @Test
    void usageDeltasCarryTheNewCountsAsPrimitivesWithAbsentForUnsaid() {
        List<long[]> seen = new ArrayList<>();
        List<String> tools = new ArrayList<>();
        DeltaDecoder decoder = DeltaDecoder.create(Provider.GEMINI, d -> {
            if (d.kind() == DeltaKind.USAGE) {
                seen.add(new long[] {d.inputTokens(), d.outputTokens(), d.cacheReadInputTokens(), d.cacheCreationInputTokens(),
                        d.reasoningTokens(), d.toolUsePromptTokens(), d.serverToolUseCounts()});
                for (int i = 0; i < d.serverToolUseCounts(); i++) {
                    tools.add(d.serverToolUseName(i) + "=" + d.serverToolUseCount(i));
                }
            }
        });
        byte[] data = "{\"usageMetadata\":{\"promptTokenCount\":9,\"thoughtsTokenCount\":4,\"toolUsePromptTokenCount\":2}}"
                .getBytes(StandardCharsets.UTF_8);
        decoder.decode("message", data, 0, data.length);
        assertEquals(1, seen.size());
        assertEquals(List.of(9L, -1L, -1L, -1L, 4L, 2L, -1L), boxed(seen.get(0)));
        assertEquals(List.of(), tools);
    }

    private static List<Long> boxed(long[] values) {
        List<Long> out = new ArrayList<>();
        for (long v : values) {
            out.add(v);
        }
        return out;
    }

    @Test
    void theConstructorWithoutUsageGivesAUsageOfInputAndOutputOnly() {
        LlmMessage m = new LlmMessage(Provider.ANTHROPIC, "id", "model", List.of(), null, 3L, null, false, null, 0);
        assertEquals(Usage.builder().inputTokens(3L).build(), m.usage());
        assertNull(m.usage().cacheReadInputTokens());
    }

    @Test
    void aUsageThatDisagreesWithTheTokenComponentsIsRejected() {
        Usage usage = Usage.builder().inputTokens(3L).outputTokens(4L).build();
        assertThrows(IllegalArgumentException.class,
                () -> new LlmMessage(null, null, null, List.of(), null, 3L, 5L, false, null, 0, usage));
    }

    @Test
    void aNegativeCountIsRejectedByTheBuilder() {
        assertThrows(IllegalArgumentException.class, () -> Usage.builder().reasoningTokens(-1L));
        assertThrows(IllegalArgumentException.class, () -> Usage.builder().serverToolUse("web_search_requests", -1));
    }
}

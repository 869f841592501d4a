package io.sluice.llm;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The token counts of a message, as its provider reported them: the final message's {@code usage}
 * object ({@code docs/llm.md}: "Final message schema" for the first five keys, "Usage" for the rest).
 * Immutable.
 *
 * <p>Every count is null when the provider did not say it, never 0: a gateway that bills from
 * these must tell "none" from "not reported". Counts are the provider's own, not normalised: an
 * Anthropic {@code input_tokens} excludes the cached input, OpenAI's and Gemini's prompt counts
 * include it; OpenAI's completion count includes the reasoning tokens, Gemini's candidates count
 * does not.
 *
 * <p>A class, not a record, because providers keep adding counts (the schema: more keys may follow
 * inside {@code usage}); build one with {@link #builder()}.
 */
public final class Usage {
    private final Long inputTokens;
    private final Long outputTokens;
    private final Long cacheReadInputTokens;
    private final Long cacheCreationInputTokens;
    private final Long reasoningTokens;
    private final Long cacheCreation5mInputTokens;
    private final Long cacheCreation1hInputTokens;
    private final Long toolUsePromptTokens;
    private final Map<String, Long> serverToolUse;

    private Usage(Builder b) {
        inputTokens = b.inputTokens;
        outputTokens = b.outputTokens;
        cacheReadInputTokens = b.cacheReadInputTokens;
        cacheCreationInputTokens = b.cacheCreationInputTokens;
        reasoningTokens = b.reasoningTokens;
        cacheCreation5mInputTokens = b.cacheCreation5mInputTokens;
        cacheCreation1hInputTokens = b.cacheCreation1hInputTokens;
        toolUsePromptTokens = b.toolUsePromptTokens;
        serverToolUse = b.serverToolUse == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(b.serverToolUse));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Anthropic {@code input_tokens}, OpenAI {@code prompt_tokens} / {@code input_tokens}, Gemini {@code promptTokenCount}. */
    public Long inputTokens() {
        return inputTokens;
    }

    /** Anthropic {@code output_tokens}, OpenAI {@code completion_tokens} / {@code output_tokens}, Gemini {@code candidatesTokenCount}. */
    public Long outputTokens() {
        return outputTokens;
    }

    /**
     * Input read from the provider's prompt cache: Anthropic {@code cache_read_input_tokens}, OpenAI
     * {@code cached_tokens} (Chat: {@code prompt_tokens_details}, Responses: {@code input_tokens_details}),
     * Gemini {@code cachedContentTokenCount}.
     */
    public Long cacheReadInputTokens() {
        return cacheReadInputTokens;
    }

    /** Input written to the prompt cache: Anthropic {@code cache_creation_input_tokens}; the others do not report it. */
    public Long cacheCreationInputTokens() {
        return cacheCreationInputTokens;
    }

    /**
     * Reasoning tokens: OpenAI {@code reasoning_tokens} (Chat: {@code completion_tokens_details},
     * Responses: {@code output_tokens_details}), Gemini {@code thoughtsTokenCount}; Anthropic counts
     * thinking in {@code output_tokens} and does not report it apart.
     */
    public Long reasoningTokens() {
        return reasoningTokens;
    }

    /** Of {@link #cacheCreationInputTokens()}, those cached for five minutes: Anthropic {@code cache_creation.ephemeral_5m_input_tokens}. */
    public Long cacheCreation5mInputTokens() {
        return cacheCreation5mInputTokens;
    }

    /** Of {@link #cacheCreationInputTokens()}, those cached for an hour: Anthropic {@code cache_creation.ephemeral_1h_input_tokens}. */
    public Long cacheCreation1hInputTokens() {
        return cacheCreation1hInputTokens;
    }

    /** Prompt tokens of tool use (a search's results read back): Gemini {@code toolUsePromptTokenCount}. */
    public Long toolUsePromptTokens() {
        return toolUsePromptTokens;
    }

    /**
     * The provider's server-side tool counts by their own names, in the order first reported:
     * Anthropic {@code server_tool_use} ({@code web_search_requests}, {@code web_fetch_requests}, ...).
     * Unmodifiable; null when not reported.
     */
    public Map<String, Long> serverToolUse() {
        return serverToolUse;
    }

    /**
     * Writes the {@code usage} object: {@code input_tokens}, {@code output_tokens},
     * {@code cache_read_input_tokens}, {@code cache_creation_input_tokens}, {@code reasoning_tokens}
     * (the schema's order), then {@code cache_creation_5m_input_tokens},
     * {@code cache_creation_1h_input_tokens}, {@code tool_use_prompt_tokens} and
     * {@code server_tool_use} (an object of counts); null for each count not reported.
     */
    public void writeJson(JsonGenerator g) throws IOException {
        g.writeStartObject();
        writeCount(g, "input_tokens", inputTokens);
        writeCount(g, "output_tokens", outputTokens);
        writeCount(g, "cache_read_input_tokens", cacheReadInputTokens);
        writeCount(g, "cache_creation_input_tokens", cacheCreationInputTokens);
        writeCount(g, "reasoning_tokens", reasoningTokens);
        writeCount(g, "cache_creation_5m_input_tokens", cacheCreation5mInputTokens);
        writeCount(g, "cache_creation_1h_input_tokens", cacheCreation1hInputTokens);
        writeCount(g, "tool_use_prompt_tokens", toolUsePromptTokens);
        if (serverToolUse == null) {
            g.writeNullField("server_tool_use");
        } else {
            g.writeObjectFieldStart("server_tool_use");
            for (Map.Entry<String, Long> e : serverToolUse.entrySet()) {
                g.writeNumberField(e.getKey(), e.getValue().longValue());
            }
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    private static void writeCount(JsonGenerator g, String name, Long value) throws IOException {
        if (value == null) {
            g.writeNullField(name);
        } else {
            g.writeNumberField(name, value.longValue());
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Usage u
                && Objects.equals(inputTokens, u.inputTokens)
                && Objects.equals(outputTokens, u.outputTokens)
                && Objects.equals(cacheReadInputTokens, u.cacheReadInputTokens)
                && Objects.equals(cacheCreationInputTokens, u.cacheCreationInputTokens)
                && Objects.equals(reasoningTokens, u.reasoningTokens)
                && Objects.equals(cacheCreation5mInputTokens, u.cacheCreation5mInputTokens)
                && Objects.equals(cacheCreation1hInputTokens, u.cacheCreation1hInputTokens)
                && Objects.equals(toolUsePromptTokens, u.toolUsePromptTokens)
                && Objects.equals(serverToolUse, u.serverToolUse);
    }

    @Override
    public int hashCode() {
        return Objects.hash(inputTokens, outputTokens, cacheReadInputTokens, cacheCreationInputTokens, reasoningTokens,
                cacheCreation5mInputTokens, cacheCreation1hInputTokens, toolUsePromptTokens, serverToolUse);
    }

    @Override
    public String toString() {
        return "Usage[inputTokens=" + inputTokens + ", outputTokens=" + outputTokens
                + ", cacheReadInputTokens=" + cacheReadInputTokens + ", cacheCreationInputTokens=" + cacheCreationInputTokens
                + ", reasoningTokens=" + reasoningTokens + ", cacheCreation5mInputTokens=" + cacheCreation5mInputTokens
                + ", cacheCreation1hInputTokens=" + cacheCreation1hInputTokens + ", toolUsePromptTokens=" + toolUsePromptTokens
                + ", serverToolUse=" + serverToolUse + "]";
    }

    /** Collects the counts of a {@link Usage}; each setter takes null for "not reported". Not thread-safe. */
    public static final class Builder {
        private Long inputTokens;
        private Long outputTokens;
        private Long cacheReadInputTokens;
        private Long cacheCreationInputTokens;
        private Long reasoningTokens;
        private Long cacheCreation5mInputTokens;
        private Long cacheCreation1hInputTokens;
        private Long toolUsePromptTokens;
        private LinkedHashMap<String, Long> serverToolUse;

        private Builder() {
        }

        public Builder inputTokens(Long count) {
            inputTokens = checked(count, "inputTokens");
            return this;
        }

        public Builder outputTokens(Long count) {
            outputTokens = checked(count, "outputTokens");
            return this;
        }

        public Builder cacheReadInputTokens(Long count) {
            cacheReadInputTokens = checked(count, "cacheReadInputTokens");
            return this;
        }

        public Builder cacheCreationInputTokens(Long count) {
            cacheCreationInputTokens = checked(count, "cacheCreationInputTokens");
            return this;
        }

        public Builder reasoningTokens(Long count) {
            reasoningTokens = checked(count, "reasoningTokens");
            return this;
        }

        public Builder cacheCreation5mInputTokens(Long count) {
            cacheCreation5mInputTokens = checked(count, "cacheCreation5mInputTokens");
            return this;
        }

        public Builder cacheCreation1hInputTokens(Long count) {
            cacheCreation1hInputTokens = checked(count, "cacheCreation1hInputTokens");
            return this;
        }

        public Builder toolUsePromptTokens(Long count) {
            toolUsePromptTokens = checked(count, "toolUsePromptTokens");
            return this;
        }

        /**
         * Marks {@code server_tool_use} as reported (an empty object until counts are added), so a
         * provider that says {@code {}} is told from one that says nothing.
         */
        public Builder serverToolUseReported() {
            if (serverToolUse == null) {
                serverToolUse = new LinkedHashMap<>();
            }
            return this;
        }

        /** One server-side tool count under the provider's name for it; a second call for a name replaces the count. */
        public Builder serverToolUse(String name, long count) {
            Objects.requireNonNull(name, "name");
            checked(count, name);
            serverToolUseReported().serverToolUse.put(name, count);
            return this;
        }

        public Usage build() {
            return new Usage(this);
        }

        private static Long checked(Long count, String name) {
            if (count != null && count < 0) {
                throw new IllegalArgumentException(name + " must not be negative: " + count);
            }
            return count;
        }
    }
}

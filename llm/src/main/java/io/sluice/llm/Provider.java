package io.sluice.llm;

/** The streaming APIs this module decodes, named as the final message's {@code "provider"} field names them. */
public enum Provider {
    /** Anthropic Messages API, {@code stream: true}. */
    ANTHROPIC("anthropic"),
    /** OpenAI Chat Completions, {@code stream: true} (usage with {@code stream_options.include_usage}). */
    OPENAI_CHAT("openai-chat"),
    /** OpenAI Responses API, {@code stream: true}. */
    OPENAI_RESPONSES("openai-responses"),
    /** Gemini {@code streamGenerateContent?alt=sse}. */
    GEMINI("gemini");

    private final String id;

    Provider(String id) {
        this.id = id;
    }

    /** The name used in the final message and on the command line, such as {@code "openai-chat"}. */
    public String id() {
        return id;
    }

    /** The provider with this {@link #id()}; throws {@link IllegalArgumentException} for any other name. */
    public static Provider fromId(String id) {
        for (Provider p : values()) {
            if (p.id.equals(id)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown provider '" + id + "' (expected anthropic, openai-chat, openai-responses or gemini)");
    }
}

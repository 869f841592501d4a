package io.sluice.llm;

/**
 * One typed piece of a provider stream, handed to a {@link DeltaHandler}.
 *
 * <p>Like {@link io.sluice.core.SseEvent}, the deltas a {@link DeltaDecoder} hands out are
 * <em>views</em> that it reuses: valid during the callback only. Text is exposed without a String,
 * as a char array, an offset and a length ({@link #appendText(StringBuilder)} is the cheap way to
 * keep it); {@link #text()} makes a String when one is wanted. Accessors that do not apply to the
 * {@link #kind()} return null, or -1 for numbers.
 */
public interface Delta {

    /** Absent count or index. */
    long ABSENT = -1;

    DeltaKind kind();

    Provider provider();

    /**
     * The content block this delta is about, -1 when none. Blocks sort by this key in content
     * order. It is the provider's {@code index} for anthropic; for openai-chat 0 is the text and
     * {@code 1 + tool_calls[].index} the tools; for openai-responses {@code output_index << 12}
     * plus {@code content_index + 1} for text parts (plus 0 for function calls); for gemini a
     * counter of the blocks seen.
     */
    int index();

    /** {@link DeltaKind#BLOCK_START}: the block's type. */
    BlockType blockType();

    /** The provider's own name for the event, block or delta type ({@link DeltaKind#OTHER}, {@link DeltaKind#BLOCK_START}); may be null. */
    String typeName();

    /** {@link DeltaKind#MESSAGE_START}: the message id; {@link DeltaKind#BLOCK_START} of a tool: the call id. */
    String id();

    /** {@link DeltaKind#MESSAGE_START}: the model. */
    String model();

    /** {@link DeltaKind#BLOCK_START} of a tool: the tool's name. */
    String name();

    /**
     * The array holding the text of {@link DeltaKind#TEXT}, {@link DeltaKind#THINKING},
     * {@link DeltaKind#SIGNATURE} and {@link DeltaKind#TOOL_INPUT}; read, never keep.
     */
    char[] textChars();

    int textOffset();

    /** 0 for kinds without text. */
    int textLength();

    /** The text as a new String (allocates). */
    default String text() {
        return new String(textChars(), textOffset(), textLength());
    }

    /** Appends the text to {@code sb}, without an intermediate String. */
    default void appendText(StringBuilder sb) {
        sb.append(textChars(), textOffset(), textLength());
    }

    /** {@link DeltaKind#MESSAGE_START} and {@link DeltaKind#USAGE}: input tokens, or {@link #ABSENT}. */
    long inputTokens();

    /** {@link DeltaKind#MESSAGE_START} and {@link DeltaKind#USAGE}: output tokens, or {@link #ABSENT}. */
    long outputTokens();

    // The counts below came with issue 19. They are default methods so that a Delta written outside
    // this module (an adapter, a test double) still compiles; the decoders' deltas override them all.

    /**
     * {@link DeltaKind#MESSAGE_START} and {@link DeltaKind#USAGE}: input read from the prompt cache
     * ({@link Usage#cacheReadInputTokens()}), or {@link #ABSENT}.
     */
    default long cacheReadInputTokens() {
        return ABSENT;
    }

    /** As {@link #cacheReadInputTokens()}: input written to the prompt cache ({@link Usage#cacheCreationInputTokens()}). */
    default long cacheCreationInputTokens() {
        return ABSENT;
    }

    /** As {@link #cacheReadInputTokens()}: the five-minute part of the cache write ({@link Usage#cacheCreation5mInputTokens()}). */
    default long cacheCreation5mInputTokens() {
        return ABSENT;
    }

    /** As {@link #cacheReadInputTokens()}: the one-hour part of the cache write ({@link Usage#cacheCreation1hInputTokens()}). */
    default long cacheCreation1hInputTokens() {
        return ABSENT;
    }

    /** As {@link #cacheReadInputTokens()}: reasoning tokens ({@link Usage#reasoningTokens()}). */
    default long reasoningTokens() {
        return ABSENT;
    }

    /** As {@link #cacheReadInputTokens()}: tool-use prompt tokens ({@link Usage#toolUsePromptTokens()}). */
    default long toolUsePromptTokens() {
        return ABSENT;
    }

    /**
     * {@link DeltaKind#MESSAGE_START} and {@link DeltaKind#USAGE}: how many server-side tool counts
     * the event carried ({@link Usage#serverToolUse()}), 0 for an empty object, {@link #ABSENT} when
     * it carried none. Read them with {@link #serverToolUseName(int)} and {@link #serverToolUseCount(int)}:
     * indexed rather than a map, so a delta stays a view that allocates nothing.
     */
    default int serverToolUseCounts() {
        return (int) ABSENT;
    }

    /** The provider's name of server-side tool count {@code i}, such as {@code web_search_requests}. */
    default String serverToolUseName(int i) {
        throw new IndexOutOfBoundsException("no server tool count " + i);
    }

    /** Server-side tool count {@code i}. */
    default long serverToolUseCount(int i) {
        throw new IndexOutOfBoundsException("no server tool count " + i);
    }

    /** {@link DeltaKind#STOP_REASON}: the provider's value. */
    String stopReason();

    /** {@link DeltaKind#ERROR}: the provider's error type; {@link DeltaKind#MALFORMED}: {@code "malformed_event"}. */
    String errorType();

    /** {@link DeltaKind#ERROR} and {@link DeltaKind#MALFORMED}: the message. */
    String errorMessage();
}

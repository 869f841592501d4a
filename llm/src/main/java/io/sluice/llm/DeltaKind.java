package io.sluice.llm;

/**
 * What a {@link Delta} says. Each SSE event becomes one or more deltas, in this order within an
 * event: {@link #MESSAGE_START}, content ({@link #BLOCK_START} ... {@link #BLOCK_STOP}), then
 * {@link #STOP_REASON}, {@link #USAGE}, {@link #ERROR} and {@link #DONE}.
 */
public enum DeltaKind {
    /** The message began: {@link Delta#id()}, {@link Delta#model()}, and the usage known so far (anthropic). */
    MESSAGE_START,
    /** A content block began at {@link Delta#index()}: {@link Delta#blockType()}, and for tools {@link Delta#id()} and {@link Delta#name()}. */
    BLOCK_START,
    /** Text appended to the text block at {@link Delta#index()}. */
    TEXT,
    /** Reasoning appended to the thinking block at {@link Delta#index()}. */
    THINKING,
    /** Signature text appended to the thinking block at {@link Delta#index()}. */
    SIGNATURE,
    /** A fragment of a tool call's JSON arguments (the text is raw, partial JSON). */
    TOOL_INPUT,
    /** The block at {@link Delta#index()} is finished: a tool's arguments are complete and can be parsed. */
    BLOCK_STOP,
    /** The provider's stop reason, its own string ({@code end_turn}, {@code length}, {@code MAX_TOKENS}, ...). */
    STOP_REASON,
    /**
     * Token counts: {@link Delta#inputTokens()}, {@link Delta#outputTokens()}, the cache, reasoning and
     * tool counts after them, each {@code -1} when the event did not carry it.
     */
    USAGE,
    /** The provider reported an error in the stream: {@link Delta#errorType()}, {@link Delta#errorMessage()}. */
    ERROR,
    /** A keep-alive (anthropic {@code ping}). */
    PING,
    /** The provider's terminal event: {@code message_stop}, {@code [DONE]}, {@code response.completed}, a Gemini {@code finishReason}. */
    DONE,
    /** The event's data is not the JSON expected: {@link Delta#errorMessage()} says why. The stream goes on. */
    MALFORMED,
    /**
     * An event, block or delta type that carries nothing for the final message (unknown ones included),
     * passed through: {@link Delta#typeName()} names it, {@link Delta#index()} is its block or -1.
     */
    OTHER
}

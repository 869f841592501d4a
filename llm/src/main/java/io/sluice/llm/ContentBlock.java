package io.sluice.llm;

/** One entry of a message's {@code content}: text, thinking, or a tool call. Immutable. */
public sealed interface ContentBlock permits ContentBlock.Text, ContentBlock.Thinking, ContentBlock.ToolUse {

    BlockType type();

    /** A text block: the text deltas appended. */
    record Text(String text) implements ContentBlock {
        @Override
        public BlockType type() {
            return BlockType.TEXT;
        }
    }

    /** A thinking block: the thinking deltas appended, and the signature, or null when none arrived. */
    record Thinking(String thinking, String signature) implements ContentBlock {
        @Override
        public BlockType type() {
            return BlockType.THINKING;
        }
    }

    /**
     * A tool call.
     *
     * @param id the provider's call id (for openai-responses the {@code call_id}); may be null (gemini)
     * @param input the arguments parsed and re-serialised as compact JSON, once the block stopped and
     *     they parsed ({@code "{}"} when no fragment arrived); null before that, or if they are not JSON
     * @param partialJson the raw argument fragments received so far, concatenated
     * @param complete true once the block stopped
     */
    record ToolUse(String id, String name, String input, String partialJson, boolean complete) implements ContentBlock {
        @Override
        public BlockType type() {
            return BlockType.TOOL_USE;
        }
    }
}

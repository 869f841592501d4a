package io.sluice.llm;

/** The kinds of content block the final message keeps. Other provider block types are passed through as {@link DeltaKind#OTHER}. */
public enum BlockType {
    TEXT,
    THINKING,
    TOOL_USE
}

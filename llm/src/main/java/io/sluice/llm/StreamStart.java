package io.sluice.llm;

import io.sluice.core.SseEvent;

/**
 * Where a provider's stream stands before its first token, told from one event: whether it is the
 * model's content, a report of failure, or neither. What a relay that may still fall back to
 * another upstream needs (sluice-netty-transport's {@code SseRelayRetry}:
 * {@code .content(StreamStart::isContent).error(StreamStart::isError)}).
 *
 * <p>Content is the first output of the model: text or thinking that is not empty, a tool call, a
 * stop reason, the end. Thinking counts, so a reasoning model's stream is not held longer than a
 * plain one. Not content: the message's start ({@code message_start}, {@code response.created},
 * OpenAI's role-only first chunk), pings, usage, and the opening of a text or thinking block that
 * has no text yet. An event whose data is not what the provider sends, and an event no provider
 * sends (a plain stream's), count as content: they are not this class's to hold back.
 *
 * <p>Each event is decoded on its own, its provider told by {@link ProviderDetector}, so the
 * methods are static and hold no state; they allocate, and are meant for a stream's first events only.
 */
public final class StreamStart {
    private StreamStart() {
    }

    /** Whether {@code event} carries the model's first output (or a later one). */
    public static boolean isContent(SseEvent event) {
        return (verdict(event) & CONTENT) != 0;
    }

    /** Whether {@code event} reports a failure: an {@code error} event or object, OpenAI's {@code response.failed}. */
    public static boolean isError(SseEvent event) {
        return (verdict(event) & ERROR) != 0;
    }

    private static final int CONTENT = 1;
    private static final int ERROR = 2;

    private static int verdict(SseEvent event) {
        int[] verdict = {0};
        DeltaDecoder decoder = DeltaDecoder.create(delta -> verdict[0] |= switch (delta.kind()) {
            case TEXT, THINKING -> delta.textLength() > 0 ? CONTENT : 0;
            case BLOCK_START -> delta.blockType() == BlockType.TOOL_USE ? CONTENT : 0;
            case SIGNATURE, TOOL_INPUT, BLOCK_STOP, STOP_REASON, DONE, MALFORMED -> CONTENT;
            case ERROR -> ERROR;
            case MESSAGE_START, USAGE, PING, OTHER -> 0;
        });
        decoder.onEvent(event);
        if ("error".equals(event.type()) || "response.failed".equals(event.type())) {
            verdict[0] |= ERROR;
        } else if (decoder.provider() == null && verdict[0] == 0) {
            verdict[0] = CONTENT; // no provider's: a plain stream's event is its content, never held for one
        }
        return verdict[0];
    }
}

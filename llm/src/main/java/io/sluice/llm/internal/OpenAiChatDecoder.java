package io.sluice.llm.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.llm.BlockType;
import io.sluice.llm.DeltaKind;
import io.sluice.llm.Provider;

import java.io.IOException;
import java.util.Arrays;

/**
 * OpenAI Chat Completions chunks ({@code chat.completion.chunk}) and the closing {@code [DONE]}.
 * Block 0 is the text ({@code delta.content}), block {@code 1 + i} the tool call with
 * {@code tool_calls[].index == i}; fragments are keyed on that index, so calls that interleave
 * (as compatible servers do) come out right. Chat has no block-stop events: every open block
 * stops at {@code finish_reason} (or at {@code [DONE]} if none came). Only the first choice's
 * content is used: {@code n > 1} is not supported.
 */
final class OpenAiChatDecoder extends EventDecoder {
    private static final byte[] DONE = {'[', 'D', 'O', 'N', 'E', ']'};
    private static final byte UNSEEN = 0;
    private static final byte OPEN = 1;
    private static final byte STOPPED = 2;

    // across events
    private boolean messageStarted;
    private byte textState = UNSEEN;
    /** State of each tool call, by {@code tool_calls[].index}. */
    private byte[] toolState = new byte[4];

    // per event
    private String id;
    private String model;
    private int contentOffset;
    private int contentLength;
    private String finishReason;
    private final UsageCounts usage = new UsageCounts();
    private boolean hasUsage;
    private String errorType;
    private String errorMessage;
    private boolean hasError;
    private int tools;
    private int[] toolIndex = new int[4];
    private String[] toolId = new String[4];
    private String[] toolName = new String[4];
    private int[] toolArgsOffset = new int[4];
    private int[] toolArgsLength = new int[4];

    OpenAiChatDecoder() {
        super(Provider.OPENAI_CHAT);
    }

    @Override
    protected boolean decodeRaw(String eventType, byte[] data, int offset, int length) {
        int from = offset;
        int to = offset + length;
        while (from < to && data[from] <= ' ') {
            from++;
        }
        while (to > from && data[to - 1] <= ' ') {
            to--;
        }
        if (!Arrays.equals(data, from, to, DONE, 0, DONE.length)) {
            return false;
        }
        stopOpenBlocks();
        out.add(DeltaKind.DONE);
        return true;
    }

    @Override
    protected void resetEvent() {
        id = null;
        model = null;
        contentOffset = -1;
        contentLength = 0;
        finishReason = null;
        usage.reset();
        hasUsage = false;
        errorType = null;
        errorMessage = null;
        hasError = false;
        tools = 0;
    }

    @Override
    protected void parseObject(String eventType, JsonParser p) throws IOException {
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                // kept from the first chunk only: later chunks repeat them, and skipping makes no String
                case "id" -> {
                    if (messageStarted) {
                        p.skipChildren();
                    } else {
                        id = string(p);
                    }
                }
                case "model" -> {
                    if (messageStarted) {
                        p.skipChildren();
                    } else {
                        model = string(p);
                    }
                }
                case "choices" -> {
                    if (isArray(p)) {
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            parseChoice(p);
                        }
                    }
                }
                case "usage" -> parseUsage(p);
                case "error" -> parseError(p);
                default -> p.skipChildren();
            }
        }
    }

    private void parseChoice(JsonParser p) throws IOException {
        if (!isObject(p)) {
            return;
        }
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "delta" -> parseDelta(p);
                case "finish_reason" -> {
                    String reason = string(p);
                    if (reason != null) {
                        finishReason = reason;
                    }
                }
                default -> p.skipChildren();
            }
        }
    }

    private void parseDelta(JsonParser p) throws IOException {
        if (!isObject(p)) {
            return;
        }
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "content" -> {
                    if (contentOffset < 0) {
                        contentOffset = copyText(p);
                        contentLength = copiedLength;
                    } else {
                        p.skipChildren(); // a second choice's content (n > 1): not supported
                    }
                }
                case "tool_calls" -> {
                    if (isArray(p)) {
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            parseToolCall(p);
                        }
                    }
                }
                default -> p.skipChildren();
            }
        }
    }

    private void parseToolCall(JsonParser p) throws IOException {
        if (!isObject(p)) {
            return;
        }
        if (tools == toolIndex.length) {
            int n = tools * 2;
            toolIndex = Arrays.copyOf(toolIndex, n);
            toolId = Arrays.copyOf(toolId, n);
            toolName = Arrays.copyOf(toolName, n);
            toolArgsOffset = Arrays.copyOf(toolArgsOffset, n);
            toolArgsLength = Arrays.copyOf(toolArgsLength, n);
        }
        int t = tools++;
        toolIndex[t] = 0;
        toolId[t] = null;
        toolName[t] = null;
        toolArgsOffset[t] = 0;
        toolArgsLength[t] = 0;
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "index" -> toolIndex[t] = Math.max(0, smallNumber(p));
                case "id" -> toolId[t] = string(p);
                case "function" -> {
                    if (!isObject(p)) {
                        continue;
                    }
                    for (String g; (g = nextField(p)) != null; ) {
                        switch (g) {
                            case "name" -> toolName[t] = string(p);
                            case "arguments" -> {
                                int at = copyText(p);
                                toolArgsOffset[t] = Math.max(at, 0);
                                toolArgsLength[t] = copiedLength;
                            }
                            default -> p.skipChildren();
                        }
                    }
                }
                default -> p.skipChildren();
            }
        }
    }

    private void parseUsage(JsonParser p) throws IOException {
        if (!isObject(p)) {
            return; // usage: null on every chunk but the last with include_usage
        }
        hasUsage = true;
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "prompt_tokens" -> usage.input = count(p);
                case "completion_tokens" -> usage.output = count(p);
                case "prompt_tokens_details" -> {
                    if (isObject(p)) {
                        for (String g; (g = nextField(p)) != null; ) {
                            if (g.equals("cached_tokens")) {
                                usage.cacheRead = count(p);
                            } else {
                                p.skipChildren();
                            }
                        }
                    }
                }
                case "completion_tokens_details" -> {
                    if (isObject(p)) {
                        for (String g; (g = nextField(p)) != null; ) {
                            if (g.equals("reasoning_tokens")) {
                                usage.reasoning = count(p);
                            } else {
                                p.skipChildren();
                            }
                        }
                    }
                }
                default -> p.skipChildren();
            }
        }
    }

    private void parseError(JsonParser p) throws IOException {
        if (!isObject(p)) {
            return;
        }
        hasError = true;
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "type" -> errorType = string(p);
                case "code" -> {
                    String code = p.currentToken().isScalarValue() ? p.getValueAsString() : null;
                    p.skipChildren();
                    if (errorType == null) {
                        errorType = code;
                    }
                }
                case "message" -> errorMessage = string(p);
                default -> p.skipChildren();
            }
        }
    }

    @Override
    protected void finish(String eventType) {
        if (!messageStarted && (id != null || model != null || contentLength > 0 || tools > 0)) {
            messageStarted = true;
            out.add(DeltaKind.MESSAGE_START).message(id, model);
        }
        if (contentLength > 0) {
            if (textState == UNSEEN) {
                textState = OPEN;
                out.add(DeltaKind.BLOCK_START, 0).block(BlockType.TEXT, "content", null, null);
            }
            out.add(DeltaKind.TEXT, 0).text(contentOffset, contentLength);
        }
        for (int t = 0; t < tools; t++) {
            int i = toolIndex[t];
            if (i >= toolState.length) {
                toolState = Arrays.copyOf(toolState, Math.max(i + 1, toolState.length * 2));
            }
            if (toolState[i] == UNSEEN) {
                toolState[i] = OPEN;
                out.add(DeltaKind.BLOCK_START, 1 + i).block(BlockType.TOOL_USE, "function", toolId[t], toolName[t]);
            }
            if (toolArgsLength[t] > 0) {
                out.add(DeltaKind.TOOL_INPUT, 1 + i).text(toolArgsOffset[t], toolArgsLength[t]);
            }
        }
        if (finishReason != null) {
            stopOpenBlocks();
            out.add(DeltaKind.STOP_REASON).stopReason(finishReason);
        }
        if (hasUsage) {
            out.add(DeltaKind.USAGE).usage(usage);
        }
        if (hasError) {
            out.add(DeltaKind.ERROR).error(errorType, errorMessage);
        }
        if (out.size() == 0) {
            out.add(DeltaKind.OTHER).typeName("chat.completion.chunk");
        }
    }

    private void stopOpenBlocks() {
        if (textState == OPEN) {
            textState = STOPPED;
            out.add(DeltaKind.BLOCK_STOP, 0);
        }
        for (int i = 0; i < toolState.length; i++) {
            if (toolState[i] == OPEN) {
                toolState[i] = STOPPED;
                out.add(DeltaKind.BLOCK_STOP, 1 + i);
            }
        }
    }
}

package io.sluice.llm.internal;

import com.fasterxml.jackson.core.JsonParser;
import io.sluice.llm.BlockType;
import io.sluice.llm.DeltaKind;
import io.sluice.llm.Provider;

import java.io.IOException;

/**
 * Anthropic Messages stream: {@code message_start}, {@code content_block_start / _delta / _stop},
 * {@code message_delta}, {@code message_stop}, {@code ping}, {@code error}. The JSON {@code type}
 * field decides, not the SSE {@code event} line, so a proxy that drops event lines changes nothing.
 * Every field the events use is read in one walk whatever the event, then the type picks the deltas.
 */
final class AnthropicDecoder extends EventDecoder {
    private static final int MESSAGE_START = 0;
    private static final int BLOCK_START = 1;
    private static final int BLOCK_DELTA = 2;
    private static final int BLOCK_STOP = 3;
    private static final int MESSAGE_DELTA = 4;
    private static final int MESSAGE_STOP = 5;
    private static final int PING = 6;
    private static final int ERROR = 7;
    private static final char[][] TYPES = names("message_start", "content_block_start", "content_block_delta",
            "content_block_stop", "message_delta", "message_stop", "ping", "error");

    private static final int TEXT = 0;
    private static final int THINKING = 1;
    private static final int TOOL_USE = 2;
    private static final char[][] BLOCK_TYPES = names("text", "thinking", "tool_use");

    private static final int TEXT_DELTA = 0;
    private static final int THINKING_DELTA = 1;
    private static final int SIGNATURE_DELTA = 2;
    private static final int INPUT_JSON_DELTA = 3;
    private static final char[][] DELTA_TYPES = names("text_delta", "thinking_delta", "signature_delta", "input_json_delta");

    // per event
    private int type;
    private String typeName;
    private int index;
    private String messageId;
    private String model;
    private final UsageCounts usage = new UsageCounts();
    private int blockType;
    private String blockTypeName;
    private String blockId;
    private String blockName;
    private int deltaType;
    private String deltaTypeName;
    private int textOffset;
    private int textLength;
    private boolean hasStopReason;
    private String stopReason;
    private String errorType;
    private String errorMessage;

    AnthropicDecoder() {
        super(Provider.ANTHROPIC);
    }

    @Override
    protected void resetEvent() {
        type = -1;
        typeName = null;
        index = -1;
        messageId = null;
        model = null;
        usage.reset();
        blockType = -1;
        blockTypeName = null;
        blockId = null;
        blockName = null;
        deltaType = -1;
        deltaTypeName = null;
        textOffset = -1;
        textLength = 0;
        hasStopReason = false;
        stopReason = null;
        errorType = null;
        errorMessage = null;
    }

    @Override
    protected void parseObject(String eventType, JsonParser p) throws IOException {
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "type" -> {
                    type = lookup(p, TYPES);
                    if (type < 0) {
                        typeName = string(p); // unknown event type: rare, passed through by name
                    }
                }
                case "index" -> index = smallNumber(p);
                case "message" -> parseMessage(p);
                case "content_block" -> parseBlock(p);
                case "delta" -> parseDelta(p);
                case "usage" -> parseUsage(p);
                case "error" -> parseError(p);
                default -> p.skipChildren();
            }
        }
    }

    private void parseMessage(JsonParser p) throws IOException {
        if (!isObject(p)) {
            return;
        }
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "id" -> messageId = string(p);
                case "model" -> model = string(p);
                case "usage" -> parseUsage(p);
                default -> p.skipChildren();
            }
        }
    }

    private void parseUsage(JsonParser p) throws IOException {
        if (!isObject(p)) {
            return;
        }
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "input_tokens" -> usage.input = count(p);
                case "output_tokens" -> usage.output = count(p);
                case "cache_read_input_tokens" -> usage.cacheRead = count(p);
                case "cache_creation_input_tokens" -> usage.cacheCreation = count(p);
                // message_start only: message_delta repeats the total, never the split
                case "cache_creation" -> {
                    if (isObject(p)) {
                        for (String g; (g = nextField(p)) != null; ) {
                            switch (g) {
                                case "ephemeral_5m_input_tokens" -> usage.cacheCreation5m = count(p);
                                case "ephemeral_1h_input_tokens" -> usage.cacheCreation1h = count(p);
                                default -> p.skipChildren();
                            }
                        }
                    }
                }
                case "server_tool_use" -> parseServerToolUse(p, usage);
                default -> p.skipChildren();
            }
        }
    }

    private void parseBlock(JsonParser p) throws IOException {
        if (!isObject(p)) {
            return;
        }
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "type" -> {
                    blockType = lookup(p, BLOCK_TYPES);
                    if (blockType < 0) {
                        blockTypeName = string(p);
                    }
                }
                case "id" -> blockId = string(p);
                case "name" -> blockName = string(p);
                // a start may carry initial text; it is "" in practice, kept if not
                case "text", "thinking" -> {
                    textOffset = copyText(p);
                    textLength = copiedLength;
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
                case "type" -> {
                    deltaType = lookup(p, DELTA_TYPES);
                    if (deltaType < 0) {
                        deltaTypeName = string(p);
                    }
                }
                case "text", "thinking", "signature", "partial_json" -> {
                    textOffset = copyText(p);
                    textLength = copiedLength;
                }
                case "stop_reason" -> {
                    hasStopReason = true;
                    stopReason = string(p);
                }
                default -> p.skipChildren();
            }
        }
    }

    private void parseError(JsonParser p) throws IOException {
        if (!isObject(p)) {
            return;
        }
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "type" -> errorType = string(p);
                case "message" -> errorMessage = string(p);
                default -> p.skipChildren();
            }
        }
    }

    @Override
    protected void finish(String eventType) {
        switch (type) {
            case MESSAGE_START -> out.add(DeltaKind.MESSAGE_START).message(messageId, model).usage(usage);
            case BLOCK_START -> {
                BlockType bt = switch (blockType) {
                    case TEXT -> BlockType.TEXT;
                    case THINKING -> BlockType.THINKING;
                    case TOOL_USE -> BlockType.TOOL_USE;
                    default -> null;
                };
                if (bt == null) {
                    // server_tool_use, web_search_tool_result, redacted_thinking, ...: passed through
                    out.add(DeltaKind.OTHER, index).typeName(blockTypeName);
                    return;
                }
                out.add(DeltaKind.BLOCK_START, index).block(bt, BLOCK_TYPE_NAMES[blockType], blockId, blockName);
                if (textLength > 0 && bt != BlockType.TOOL_USE) {
                    out.add(bt == BlockType.TEXT ? DeltaKind.TEXT : DeltaKind.THINKING, index).text(textOffset, textLength);
                }
            }
            case BLOCK_DELTA -> {
                DeltaKind kind = switch (deltaType) {
                    case TEXT_DELTA -> DeltaKind.TEXT;
                    case THINKING_DELTA -> DeltaKind.THINKING;
                    case SIGNATURE_DELTA -> DeltaKind.SIGNATURE;
                    case INPUT_JSON_DELTA -> DeltaKind.TOOL_INPUT;
                    default -> null;
                };
                if (kind == null) {
                    out.add(DeltaKind.OTHER, index).typeName(deltaTypeName); // citations_delta, ...
                } else {
                    out.add(kind, index).text(Math.max(textOffset, 0), textLength);
                }
            }
            case BLOCK_STOP -> out.add(DeltaKind.BLOCK_STOP, index);
            case MESSAGE_DELTA -> {
                if (hasStopReason && stopReason != null) {
                    out.add(DeltaKind.STOP_REASON).stopReason(stopReason);
                }
                if (usage.any()) {
                    out.add(DeltaKind.USAGE).usage(usage);
                }
            }
            case MESSAGE_STOP -> out.add(DeltaKind.DONE);
            case PING -> out.add(DeltaKind.PING);
            case ERROR -> out.add(DeltaKind.ERROR).error(errorType, errorMessage);
            default -> out.add(DeltaKind.OTHER).typeName(typeName != null ? typeName : eventType);
        }
    }

    private static final String[] BLOCK_TYPE_NAMES = {"text", "thinking", "tool_use"};
}

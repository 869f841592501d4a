package io.sluice.llm.internal;

import com.fasterxml.jackson.core.JsonParser;
import io.sluice.llm.BlockType;
import io.sluice.llm.DeltaKind;
import io.sluice.llm.Provider;

import java.io.IOException;

/**
 * OpenAI Responses API events ({@code response.*}). Text parts of {@code message} items and
 * {@code function_call} items become blocks keyed {@code output_index << 12 | (content_index + 1)}
 * (function calls: {@code output_index << 12}), so they sort in output order. The tool id is the
 * item's {@code call_id}. Other items ({@code reasoning}, ...) and other parts ({@code refusal})
 * are passed through. {@code response.completed} and {@code response.incomplete} are terminal
 * (the latter with {@code incomplete_details.reason}, such as {@code max_output_tokens}, as the stop
 * reason); {@code response.failed} and {@code error} report an error.
 */
final class OpenAiResponsesDecoder extends EventDecoder {
    private static final int CREATED = 0;
    private static final int ITEM_ADDED = 1;
    private static final int PART_ADDED = 2;
    private static final int TEXT_DELTA = 3;
    private static final int ARGS_DELTA = 4;
    private static final int PART_DONE = 5;
    private static final int ITEM_DONE = 6;
    private static final int COMPLETED = 7;
    private static final int INCOMPLETE = 8;
    private static final int FAILED = 9;
    private static final int ERROR = 10;
    private static final char[][] TYPES = names("response.created", "response.output_item.added",
            "response.content_part.added", "response.output_text.delta", "response.function_call_arguments.delta",
            "response.content_part.done", "response.output_item.done", "response.completed", "response.incomplete",
            "response.failed", "error");

    private static final int FUNCTION_CALL = 0;
    private static final char[][] ITEM_TYPES = names("function_call");
    private static final int OUTPUT_TEXT = 0;
    private static final char[][] PART_TYPES = names("output_text");

    /** Bits of a block key below the output index. */
    private static final int SHIFT = 12;

    // per event
    private int type;
    private String typeName;
    private int outputIndex;
    private int contentIndex;
    private String responseId;
    private String model;
    private String status;
    private String incompleteReason;
    private final UsageCounts usage = new UsageCounts();
    private int itemType;
    private String callId;
    private String name;
    private int partType;
    private int textOffset;
    private int textLength;
    private String errorType;
    private String errorMessage;

    OpenAiResponsesDecoder() {
        super(Provider.OPENAI_RESPONSES);
    }

    @Override
    protected void resetEvent() {
        type = -1;
        typeName = null;
        outputIndex = 0;
        contentIndex = 0;
        responseId = null;
        model = null;
        status = null;
        incompleteReason = null;
        usage.reset();
        itemType = -1;
        callId = null;
        name = null;
        partType = -1;
        textOffset = 0;
        textLength = 0;
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
                        typeName = string(p);
                    }
                }
                case "output_index" -> outputIndex = Math.max(0, smallNumber(p));
                case "content_index" -> contentIndex = Math.max(0, smallNumber(p));
                case "response" -> parseResponse(p);
                case "item" -> parseItem(p);
                case "part" -> parsePart(p);
                case "delta" -> {
                    textOffset = Math.max(0, copyText(p));
                    textLength = copiedLength;
                }
                // the error event: top-level code and message, or (newer) an error object
                case "code" -> errorType = string(p);
                case "message" -> errorMessage = string(p);
                case "error" -> parseError(p);
                default -> p.skipChildren();
            }
        }
    }

    private void parseResponse(JsonParser p) throws IOException {
        if (!isObject(p)) {
            return;
        }
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "id" -> responseId = string(p);
                case "model" -> model = string(p);
                case "status" -> status = string(p);
                case "incomplete_details" -> {
                    if (isObject(p)) {
                        for (String g; (g = nextField(p)) != null; ) {
                            if (g.equals("reason")) {
                                incompleteReason = string(p);
                            } else {
                                p.skipChildren();
                            }
                        }
                    }
                }
                case "usage" -> {
                    if (isObject(p)) {
                        for (String g; (g = nextField(p)) != null; ) {
                            switch (g) {
                                case "input_tokens" -> usage.input = count(p);
                                case "output_tokens" -> usage.output = count(p);
                                case "input_tokens_details" -> parseDetail(p, "cached_tokens", true);
                                case "output_tokens_details" -> parseDetail(p, "reasoning_tokens", false);
                                default -> p.skipChildren();
                            }
                        }
                    }
                }
                case "error" -> parseError(p);
                default -> p.skipChildren(); // output[] repeats what the deltas said
            }
        }
    }

    /** Reads {@code field} of a usage details object: the cached input, or the reasoning tokens. */
    private void parseDetail(JsonParser p, String field, boolean cached) throws IOException {
        if (!isObject(p)) {
            return;
        }
        for (String g; (g = nextField(p)) != null; ) {
            if (!g.equals(field)) {
                p.skipChildren();
            } else if (cached) {
                usage.cacheRead = count(p);
            } else {
                usage.reasoning = count(p);
            }
        }
    }

    private void parseError(JsonParser p) throws IOException {
        if (!isObject(p)) {
            return;
        }
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "type", "code" -> {
                    String s = string(p);
                    if (errorType == null || f.equals("code")) {
                        errorType = s != null ? s : errorType;
                    }
                }
                case "message" -> errorMessage = string(p);
                default -> p.skipChildren();
            }
        }
    }

    private void parseItem(JsonParser p) throws IOException {
        if (!isObject(p)) {
            return;
        }
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "type" -> itemType = lookup(p, ITEM_TYPES);
                case "call_id" -> callId = string(p);
                case "name" -> name = string(p);
                case "arguments" -> {
                    textOffset = Math.max(0, copyText(p));
                    textLength = copiedLength;
                }
                default -> p.skipChildren();
            }
        }
    }

    private void parsePart(JsonParser p) throws IOException {
        if (!isObject(p)) {
            return;
        }
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "type" -> partType = lookup(p, PART_TYPES);
                case "text" -> {
                    textOffset = Math.max(0, copyText(p));
                    textLength = copiedLength;
                }
                default -> p.skipChildren();
            }
        }
    }

    @Override
    protected void finish(String eventType) {
        int toolKey = outputIndex << SHIFT;
        int textKey = toolKey | (contentIndex + 1);
        switch (type) {
            case CREATED -> out.add(DeltaKind.MESSAGE_START).message(responseId, model).usage(usage);
            case ITEM_ADDED -> {
                if (itemType == FUNCTION_CALL) {
                    out.add(DeltaKind.BLOCK_START, toolKey).block(BlockType.TOOL_USE, "function_call", callId, name);
                    if (textLength > 0) {
                        out.add(DeltaKind.TOOL_INPUT, toolKey).text(textOffset, textLength);
                    }
                } else {
                    out.add(DeltaKind.OTHER, toolKey).typeName(eventType);
                }
            }
            case PART_ADDED -> {
                if (partType == OUTPUT_TEXT) {
                    out.add(DeltaKind.BLOCK_START, textKey).block(BlockType.TEXT, "output_text", null, null);
                    if (textLength > 0) {
                        out.add(DeltaKind.TEXT, textKey).text(textOffset, textLength);
                    }
                } else {
                    out.add(DeltaKind.OTHER, textKey).typeName(eventType);
                }
            }
            case TEXT_DELTA -> out.add(DeltaKind.TEXT, textKey).text(textOffset, textLength);
            case ARGS_DELTA -> out.add(DeltaKind.TOOL_INPUT, toolKey).text(textOffset, textLength);
            case PART_DONE -> {
                if (partType == OUTPUT_TEXT) {
                    out.add(DeltaKind.BLOCK_STOP, textKey);
                } else {
                    out.add(DeltaKind.OTHER, textKey).typeName(eventType);
                }
            }
            case ITEM_DONE -> {
                if (itemType == FUNCTION_CALL) {
                    out.add(DeltaKind.BLOCK_STOP, toolKey);
                } else {
                    out.add(DeltaKind.OTHER, toolKey).typeName(eventType);
                }
            }
            case COMPLETED, INCOMPLETE, FAILED -> {
                String reason = "incomplete".equals(status) && incompleteReason != null ? incompleteReason : status;
                if (reason != null) {
                    out.add(DeltaKind.STOP_REASON).stopReason(reason);
                }
                if (usage.any()) {
                    out.add(DeltaKind.USAGE).usage(usage);
                }
                if (type == FAILED) {
                    out.add(DeltaKind.ERROR).error(errorType, errorMessage);
                } else {
                    out.add(DeltaKind.DONE);
                }
            }
            case ERROR -> out.add(DeltaKind.ERROR).error(errorType, errorMessage);
            default -> out.add(DeltaKind.OTHER).typeName(typeName != null ? typeName : eventType);
        }
    }
}

package io.sluice.llm.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.llm.BlockType;
import io.sluice.llm.DeltaKind;
import io.sluice.llm.Provider;

import java.io.IOException;
import java.util.Arrays;

/**
 * Gemini {@code streamGenerateContent?alt=sse}: each event is a whole
 * {@code GenerateContentResponse}. Text parts are appended to one text block until another kind
 * of part intervenes; parts with {@code thought: true} go to a thinking block the same way (with
 * {@code thoughtSignature} as its signature); each {@code functionCall} is a whole tool block (its
 * {@code args} object re-serialised as the tool input). Block indices count blocks in order.
 * Only the first candidate is read. A chunk carrying {@code finishReason} is terminal.
 */
final class GeminiDecoder extends EventDecoder {
    private static final int TEXT = 0;
    private static final int THOUGHT = 1;
    private static final int CALL = 2;
    private static final int OTHER = 3;

    // across events
    private boolean messageStarted;
    private int openIndex = -1;
    private BlockType openType;
    private int nextBlock;

    // per event
    private String responseId;
    private String model;
    private String finishReason;
    private boolean candidateSeen;
    private boolean hasUsage;
    private final UsageCounts usage = new UsageCounts();
    private boolean hasError;
    private String errorType;
    private String errorMessage;
    private int parts;
    private int[] kind = new int[4];
    private int[] textOffset = new int[4];
    private int[] textLength = new int[4];
    private int[] sigOffset = new int[4];
    private int[] sigLength = new int[4];
    private String[] callId = new String[4];
    private String[] callName = new String[4];

    GeminiDecoder() {
        super(Provider.GEMINI);
    }

    @Override
    protected void resetEvent() {
        responseId = null;
        model = null;
        finishReason = null;
        candidateSeen = false;
        hasUsage = false;
        usage.reset();
        hasError = false;
        errorType = null;
        errorMessage = null;
        parts = 0;
    }

    @Override
    protected void parseObject(String eventType, JsonParser p) throws IOException {
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "candidates" -> {
                    if (isArray(p)) {
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            if (candidateSeen) {
                                p.skipChildren();
                            } else {
                                parseCandidate(p);
                            }
                        }
                    }
                }
                case "usageMetadata" -> {
                    if (isObject(p)) {
                        hasUsage = true;
                        for (String g; (g = nextField(p)) != null; ) {
                            switch (g) {
                                case "promptTokenCount" -> usage.input = count(p);
                                case "candidatesTokenCount" -> usage.output = count(p);
                                case "cachedContentTokenCount" -> usage.cacheRead = count(p);
                                case "thoughtsTokenCount" -> usage.reasoning = count(p);
                                case "toolUsePromptTokenCount" -> usage.toolUsePrompt = count(p);
                                default -> p.skipChildren();
                            }
                        }
                    }
                }
                case "modelVersion" -> {
                    if (messageStarted) {
                        p.skipChildren();
                    } else {
                        model = string(p);
                    }
                }
                case "responseId" -> {
                    if (messageStarted) {
                        p.skipChildren();
                    } else {
                        responseId = string(p);
                    }
                }
                case "error" -> parseError(p);
                default -> p.skipChildren();
            }
        }
    }

    private void parseCandidate(JsonParser p) throws IOException {
        if (!isObject(p)) {
            return;
        }
        candidateSeen = true;
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "content" -> {
                    if (!isObject(p)) {
                        continue;
                    }
                    for (String g; (g = nextField(p)) != null; ) {
                        if (g.equals("parts") && isArray(p)) {
                            while (p.nextToken() != JsonToken.END_ARRAY) {
                                parsePart(p);
                            }
                        } else {
                            p.skipChildren();
                        }
                    }
                }
                case "finishReason" -> finishReason = string(p);
                default -> p.skipChildren();
            }
        }
    }

    private void parsePart(JsonParser p) throws IOException {
        if (!isObject(p)) {
            return;
        }
        if (parts == kind.length) {
            int n = parts * 2;
            kind = Arrays.copyOf(kind, n);
            textOffset = Arrays.copyOf(textOffset, n);
            textLength = Arrays.copyOf(textLength, n);
            sigOffset = Arrays.copyOf(sigOffset, n);
            sigLength = Arrays.copyOf(sigLength, n);
            callId = Arrays.copyOf(callId, n);
            callName = Arrays.copyOf(callName, n);
        }
        int i = parts++;
        kind[i] = OTHER;
        textOffset[i] = 0;
        textLength[i] = 0;
        sigOffset[i] = 0;
        sigLength[i] = 0;
        callId[i] = null;
        callName[i] = null;
        boolean thought = false;
        boolean text = false;
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "text" -> {
                    int at = copyText(p);
                    text = at >= 0;
                    textOffset[i] = Math.max(at, 0);
                    textLength[i] = copiedLength;
                }
                case "thought" -> {
                    thought = p.currentToken() == JsonToken.VALUE_TRUE;
                    p.skipChildren();
                }
                case "thoughtSignature" -> {
                    sigOffset[i] = Math.max(copyText(p), 0);
                    sigLength[i] = copiedLength;
                }
                case "functionCall" -> {
                    if (!isObject(p)) {
                        continue;
                    }
                    kind[i] = CALL;
                    for (String g; (g = nextField(p)) != null; ) {
                        switch (g) {
                            case "id" -> callId[i] = string(p);
                            case "name" -> callName[i] = string(p);
                            case "args" -> {
                                // the one place JSON is written per event: args arrive as a value, the
                                // tool input is text; written straight into the slots' char array
                                int start = out.mark();
                                try (JsonGenerator g2 = Json.FACTORY.createGenerator(out.writer())) {
                                    Json.copyValue(p, g2);
                                }
                                textOffset[i] = start;
                                textLength[i] = out.mark() - start;
                            }
                            default -> p.skipChildren();
                        }
                    }
                }
                default -> p.skipChildren();
            }
        }
        if (kind[i] != CALL && text) {
            kind[i] = thought ? THOUGHT : TEXT;
        }
    }

    private void parseError(JsonParser p) throws IOException {
        if (!isObject(p)) {
            return;
        }
        hasError = true;
        String code = null;
        for (String f; (f = nextField(p)) != null; ) {
            switch (f) {
                case "status" -> errorType = string(p);
                case "code" -> {
                    code = p.currentToken().isScalarValue() ? p.getValueAsString() : null;
                    p.skipChildren();
                }
                case "message" -> errorMessage = string(p);
                default -> p.skipChildren();
            }
        }
        if (errorType == null) {
            errorType = code;
        }
    }

    @Override
    protected void finish(String eventType) {
        if (!messageStarted && (responseId != null || model != null || parts > 0)) {
            messageStarted = true;
            out.add(DeltaKind.MESSAGE_START).message(responseId, model);
        }
        for (int i = 0; i < parts; i++) {
            switch (kind[i]) {
                case TEXT -> {
                    if (textLength[i] > 0) {
                        int b = open(BlockType.TEXT);
                        out.add(DeltaKind.TEXT, b).text(textOffset[i], textLength[i]);
                    }
                }
                case THOUGHT -> {
                    int b = open(BlockType.THINKING);
                    if (textLength[i] > 0) {
                        out.add(DeltaKind.THINKING, b).text(textOffset[i], textLength[i]);
                    }
                    if (sigLength[i] > 0) {
                        out.add(DeltaKind.SIGNATURE, b).text(sigOffset[i], sigLength[i]);
                    }
                }
                case CALL -> {
                    stopOpen();
                    int b = nextBlock++;
                    out.add(DeltaKind.BLOCK_START, b).block(BlockType.TOOL_USE, "functionCall", callId[i], callName[i]);
                    if (textLength[i] > 0) {
                        out.add(DeltaKind.TOOL_INPUT, b).text(textOffset[i], textLength[i]);
                    }
                    out.add(DeltaKind.BLOCK_STOP, b);
                }
                default -> {
                    stopOpen();
                    out.add(DeltaKind.OTHER).typeName("part");
                }
            }
        }
        if (finishReason != null) {
            stopOpen();
            out.add(DeltaKind.STOP_REASON).stopReason(finishReason);
        }
        if (hasUsage) {
            out.add(DeltaKind.USAGE).usage(usage);
        }
        if (hasError) {
            out.add(DeltaKind.ERROR).error(errorType, errorMessage);
        }
        if (finishReason != null) {
            out.add(DeltaKind.DONE);
        }
        if (out.size() == 0) {
            out.add(DeltaKind.OTHER).typeName(eventType);
        }
    }

    /** The open block if it has this type, else a new one (stopping the open one). */
    private int open(BlockType type) {
        if (openType == type) {
            return openIndex;
        }
        stopOpen();
        openIndex = nextBlock++;
        openType = type;
        out.add(DeltaKind.BLOCK_START, openIndex).block(type, type == BlockType.TEXT ? "text" : "thought", null, null);
        return openIndex;
    }

    private void stopOpen() {
        if (openType != null) {
            out.add(DeltaKind.BLOCK_STOP, openIndex);
            openType = null;
            openIndex = -1;
        }
    }
}

package io.sluice.llm.internal;

import com.fasterxml.jackson.core.JsonParser;
import io.sluice.llm.DeltaKind;
import io.sluice.llm.Provider;

import java.io.IOException;

/**
 * Reads a provider-neutral error object, for events that arrive before the provider is known and
 * for HTTP error bodies: {@code {"error": {"type"|"status"|"code": ..., "message": ...}}}, the shape
 * Anthropic, OpenAI and Gemini share (Anthropic adds {@code "type":"error"} around it, Gemini names
 * its type {@code status}). Anything else is passed through as {@link DeltaKind#OTHER}.
 */
public final class ErrorBodyDecoder extends EventDecoder {
    private boolean hasError;
    private String errorType;
    private String status;
    private String code;
    private String errorMessage;

    public ErrorBodyDecoder(Provider provider) {
        super(provider);
    }

    @Override
    protected void resetEvent() {
        hasError = false;
        errorType = null;
        status = null;
        code = null;
        errorMessage = null;
    }

    @Override
    protected void parseObject(String eventType, JsonParser p) throws IOException {
        for (String f; (f = nextField(p)) != null; ) {
            if (f.equals("error") && isObject(p)) {
                hasError = true;
                for (String g; (g = nextField(p)) != null; ) {
                    switch (g) {
                        case "type" -> errorType = string(p);
                        case "status" -> status = string(p);
                        case "code" -> {
                            code = p.currentToken().isScalarValue() ? p.getValueAsString() : null;
                            p.skipChildren();
                        }
                        case "message" -> errorMessage = string(p);
                        default -> p.skipChildren();
                    }
                }
            } else {
                p.skipChildren();
            }
        }
    }

    @Override
    protected void finish(String eventType) {
        if (hasError) {
            String type = errorType != null ? errorType : status != null ? status : code;
            out.add(DeltaKind.ERROR).error(type, errorMessage);
        } else {
            out.add(DeltaKind.OTHER).typeName(eventType);
        }
    }
}

package io.sluice.llm;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.llm.internal.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Tells the provider from one event: its SSE type when it has one (Anthropic's and the Responses
 * API's are distinctive), else the top-level shape of its JSON ({@code choices} or
 * {@code chat.completion.chunk}: openai-chat; {@code candidates}, {@code usageMetadata},
 * {@code modelVersion}: gemini; a {@code type} naming an Anthropic or Responses event). Used on the
 * first events of a stream only, so it may allocate.
 */
public final class ProviderDetector {
    private static final Set<String> ANTHROPIC_TYPES = Set.of("message_start", "content_block_start",
            "content_block_delta", "content_block_stop", "message_delta", "message_stop", "ping");
    private static final Set<String> GEMINI_FIELDS = Set.of("candidates", "usageMetadata", "modelVersion",
            "responseId", "promptFeedback");

    private ProviderDetector() {
    }

    /** The provider this event comes from, or null if it does not tell (an error alone, say). */
    public static Provider detect(String eventType, byte[] data, int offset, int length) {
        if (eventType.startsWith("response.")) {
            return Provider.OPENAI_RESPONSES;
        }
        if (ANTHROPIC_TYPES.contains(eventType)) {
            return Provider.ANTHROPIC;
        }
        String text = new String(data, offset, Math.min(length, 16), StandardCharsets.UTF_8).strip();
        if (text.equals("[DONE]")) {
            return Provider.OPENAI_CHAT;
        }
        boolean typeError = false;
        boolean errorObject = false;
        try (JsonParser p = Json.FACTORY.createParser(data, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                JsonToken v = p.nextToken();
                if (GEMINI_FIELDS.contains(f)) {
                    return Provider.GEMINI;
                }
                switch (f) {
                    case "choices" -> {
                        return Provider.OPENAI_CHAT;
                    }
                    case "sequence_number" -> {
                        return Provider.OPENAI_RESPONSES;
                    }
                    case "object" -> {
                        if (v == JsonToken.VALUE_STRING && p.getText().startsWith("chat.completion")) {
                            return Provider.OPENAI_CHAT;
                        }
                    }
                    case "type" -> {
                        if (v == JsonToken.VALUE_STRING) {
                            String type = p.getText();
                            if (type.startsWith("response.")) {
                                return Provider.OPENAI_RESPONSES;
                            }
                            if (ANTHROPIC_TYPES.contains(type)) {
                                return Provider.ANTHROPIC;
                            }
                            typeError = type.equals("error");
                        }
                    }
                    case "error" -> errorObject = v == JsonToken.START_OBJECT;
                    default -> {
                    }
                }
                p.skipChildren();
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        // {"type":"error","error":{...}} is Anthropic's shape; OpenAI's and Gemini's errors lack the "type"
        return typeError && errorObject ? Provider.ANTHROPIC : null;
    }
}

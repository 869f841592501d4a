package io.sluice.llm;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.llm.internal.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Tells the provider from one event: its SSE type when it has one (Anthropic's and the Responses
 * API's are distinctive), else the top-level shape of its JSON ({@code choices} or
 * {@code chat.completion.chunk}: openai-chat; {@code candidates}, {@code usageMetadata},
 * {@code modelVersion}: gemini; a {@code type} naming an Anthropic or Responses event). Used on the
 * first events of a stream only, so it may allocate.
 *
 * <p>A refusal before any event (an HTTP error) is told by {@link #detectHttpError} from its body's
 * shape and its headers instead.
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

    /**
     * The provider that refused a request with an HTTP error (a non-2xx status whose body is not an
     * event stream), or null if nothing tells (issue 19). In order:
     * <ol>
     *   <li>the body's error shape, since it is what a client has to parse:
     *       {@code {"type":"error","error":{...}}} is Anthropic's; an {@code error} object with a
     *       string {@code status} or a numeric {@code code} Gemini's; one with {@code param} or a
     *       string {@code code}, OpenAI's ({@code type} and {@code message} alone tell nothing);</li>
     *   <li>the response headers, for a body that does not tell (an HTML page, an empty body):
     *       {@code anthropic-*} names anthropic; {@code openai-*} OpenAI; {@code x-goog-*}, or a
     *       Google front end's {@code server} ({@code scaffolding on HTTPServer2}, {@code ESF}), gemini;
     *       failing those, a bare {@code request-id} (OpenAI's is {@code x-request-id}) anthropic;</li>
     *   <li>the request path, when the caller knows it: {@code /messages}, {@code /chat/completions},
     *       {@code /responses}, {@code :streamGenerateContent} or {@code :generateContent}.</li>
     * </ol>
     * OpenAI's two APIs refuse alike, so the path picks between them: {@code openai-responses} when
     * it ends in {@code /responses}, else {@code openai-chat}, the API OpenAI-compatible servers share.
     *
     * @param requestPath the request's path (a query is ignored), or null when unknown (a recorded response)
     * @param headers the response's header fields, names in any case (Netty's {@code HttpHeaders} is such an iterable)
     * @param body the response body, {@code body[offset, offset + length)}, perhaps cut short
     */
    public static Provider detectHttpError(String requestPath, Iterable<? extends Map.Entry<String, String>> headers,
                                           byte[] body, int offset, int length) {
        Family family = errorBodyFamily(body, offset, length);
        if (family == null && headers != null) {
            family = headerFamily(headers);
        }
        String path = requestPath == null ? "" : stripQuery(requestPath);
        if (family == null) {
            family = pathFamily(path);
        }
        if (family == null) {
            return null;
        }
        return switch (family) {
            case ANTHROPIC -> Provider.ANTHROPIC;
            case OPENAI -> path.endsWith("/responses") ? Provider.OPENAI_RESPONSES : Provider.OPENAI_CHAT;
            case GEMINI -> Provider.GEMINI;
        };
    }

    /** Who answered, before OpenAI's two APIs are told apart. */
    private enum Family { ANTHROPIC, OPENAI, GEMINI }

    private static Family errorBodyFamily(byte[] body, int offset, int length) {
        if (body == null || length <= 0) {
            return null;
        }
        boolean typeError = false;
        boolean errorObject = false;
        Family errorShape = null;
        try (JsonParser p = Json.FACTORY.createParser(body, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                JsonToken v = p.nextToken();
                if (f.equals("type") && v == JsonToken.VALUE_STRING) {
                    typeError = p.getText().equals("error");
                } else if (f.equals("error") && v == JsonToken.START_OBJECT) {
                    errorObject = true;
                    errorShape = errorObjectFamily(p);
                }
                p.skipChildren();
            }
        } catch (IOException | RuntimeException e) {
            // A body cut at the bound, or not JSON: what was read before the break still counts.
        }
        // The envelope decides for Anthropic: its inner object (type, message) is OpenAI's too.
        return typeError && errorObject ? Family.ANTHROPIC : errorShape;
    }

    /**
     * GEMINI or OPENAI when an {@code error} object's fields say so, else null ({@code type} and
     * {@code message} alone say nothing). The parser is at the object's start and is left at its end.
     */
    private static Family errorObjectFamily(JsonParser p) throws IOException {
        boolean status = false;
        boolean numericCode = false;
        boolean openAi = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken v = p.nextToken();
            switch (f) {
                case "status" -> status = v == JsonToken.VALUE_STRING;
                case "code" -> {
                    numericCode = v == JsonToken.VALUE_NUMBER_INT;
                    openAi |= v == JsonToken.VALUE_STRING;
                }
                case "param" -> openAi = true;
                default -> {
                }
            }
            p.skipChildren();
        }
        if (status || (numericCode && !openAi)) {
            return Family.GEMINI;
        }
        return openAi ? Family.OPENAI : null;
    }

    private static Family headerFamily(Iterable<? extends Map.Entry<String, String>> headers) {
        boolean requestId = false;
        for (Map.Entry<String, String> h : headers) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            if (name.startsWith("anthropic-")) {
                return Family.ANTHROPIC;
            }
            if (name.startsWith("openai-") || name.startsWith("x-openai-")) {
                return Family.OPENAI;
            }
            if (name.startsWith("x-goog-") || (name.equals("server") && googleServer(h.getValue()))) {
                return Family.GEMINI;
            }
            requestId |= name.equals("request-id");
        }
        return requestId ? Family.ANTHROPIC : null;
    }

    private static boolean googleServer(String value) {
        String v = value == null ? "" : value.strip();
        return v.equalsIgnoreCase("scaffolding on HTTPServer2") || v.equalsIgnoreCase("ESF");
    }

    private static Family pathFamily(String path) {
        if (path.endsWith(":streamGenerateContent") || path.endsWith(":generateContent")) {
            return Family.GEMINI;
        }
        if (path.endsWith("/chat/completions") || path.endsWith("/responses")) {
            return Family.OPENAI;
        }
        if (path.endsWith("/messages")) {
            return Family.ANTHROPIC;
        }
        return null;
    }

    private static String stripQuery(String path) {
        int q = path.indexOf('?');
        String p = q >= 0 ? path.substring(0, q) : path;
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }
}

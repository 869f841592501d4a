package io.sluice.cli;

import io.sluice.llm.Provider;

import java.nio.charset.StandardCharsets;

/**
 * The errors {@code sluice serve --fault} answers with, in the shape each provider sends, so a
 * gateway's and an SDK's own error handling meets what the provider would send:
 * <ul>
 *   <li>Anthropic: {@code {"type":"error","error":{"type":T,"message":M}}}, T from the status
 *       ({@code overloaded_error} for 529, {@code rate_limit_error} for 429, {@code api_error}
 *       for other 5xx, ...); mid-stream, the same JSON as {@code event: error};</li>
 *   <li>OpenAI (Chat Completions and Responses refuse alike):
 *       {@code {"error":{"message","type","param","code"}}}; mid-stream, Chat Completions sends
 *       that object as a {@code data:} line, Responses an {@code event: error} with
 *       {@code type}, {@code code}, {@code message}, {@code param} and {@code sequence_number};</li>
 *   <li>Gemini: {@code {"error":{"code","message","status"}}}, status the gRPC name
 *       ({@code RESOURCE_EXHAUSTED} for 429, {@code UNAVAILABLE} for 503 and 529, ...); mid-stream,
 *       that object as a {@code data:} line.</li>
 * </ul>
 * Mid-stream errors are the provider's "overloaded" ({@code overloaded_error}, OpenAI's
 * {@code server_error}, Gemini's 503 {@code UNAVAILABLE}), the failure a stream meets most. The
 * messages are the providers' usual wording; nothing in them says they were injected.
 */
final class ProviderError {
    private ProviderError() {
    }

    /** The JSON body {@code provider} answers a request with when it refuses it with {@code status}. */
    static byte[] body(Provider provider, int status) {
        return utf8(switch (provider) {
            case ANTHROPIC -> anthropic(status);
            case OPENAI_CHAT, OPENAI_RESPONSES -> openAi(status);
            case GEMINI -> gemini(status);
        });
    }

    /**
     * The SSE event, blank line included, by which {@code provider} reports mid-stream that it is
     * overloaded; {@code eventsBefore} is the Responses API's {@code sequence_number} (its events
     * count from 0).
     */
    static byte[] event(Provider provider, int eventsBefore) {
        return utf8(switch (provider) {
            case ANTHROPIC -> "event: error\ndata: " + anthropic(529) + "\n\n";
            case OPENAI_CHAT -> "data: " + openAi(503) + "\n\n";
            case OPENAI_RESPONSES -> "event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\""
                    + OPENAI_OVERLOADED + "\",\"param\":null,\"sequence_number\":" + eventsBefore + "}\n\n";
            case GEMINI -> "data: " + gemini(503) + "\n\n";
        });
    }

    private static final String OPENAI_OVERLOADED = "The server is overloaded or not ready yet.";

    /** One provider's words for one status: its error type (Gemini: status name), message, and OpenAI's code. */
    private record Words(String type, String message, String code) {
        Words(String type, String message) {
            this(type, message, null);
        }
    }

    private static String anthropic(int status) {
        Words w = switch (status) {
            case 400 -> new Words("invalid_request_error", "Invalid request");
            case 401 -> new Words("authentication_error", "invalid x-api-key");
            case 402 -> new Words("billing_error", "Your credit balance is too low");
            case 403 -> new Words("permission_error", "Your API key does not have permission to use the specified resource.");
            case 404 -> new Words("not_found_error", "Not found");
            case 413 -> new Words("request_too_large", "Request exceeds the maximum allowed number of bytes.");
            case 429 -> new Words("rate_limit_error", "Number of requests has exceeded your rate limit");
            case 504 -> new Words("timeout_error", "Request timed out");
            case 529 -> new Words("overloaded_error", "Overloaded");
            default -> status >= 500 ? new Words("api_error", "Internal server error")
                    : new Words("invalid_request_error", "Invalid request");
        };
        return "{\"type\":\"error\",\"error\":{\"type\":\"" + w.type() + "\",\"message\":\"" + w.message() + "\"}}";
    }

    private static String openAi(int status) {
        Words w = switch (status) {
            case 401 -> new Words("invalid_request_error", "Incorrect API key provided.", "invalid_api_key");
            case 404 -> new Words("invalid_request_error", "The model does not exist or you do not have access to it.", "model_not_found");
            case 429 -> new Words("requests", "Rate limit reached for requests. Please try again later.", "rate_limit_exceeded");
            case 500 -> new Words("server_error", "The server had an error while processing your request. Sorry about that!");
            case 503, 529 -> new Words("server_error", OPENAI_OVERLOADED);
            default -> status >= 500 ? new Words("server_error", "The server had an error while processing your request.")
                    : new Words("invalid_request_error", "Invalid request.");
        };
        return "{\"error\":{\"message\":\"" + w.message() + "\",\"type\":\"" + w.type() + "\",\"param\":null,\"code\":"
                + (w.code() == null ? "null" : "\"" + w.code() + "\"") + "}}";
    }

    private static String gemini(int status) {
        Words w = switch (status) {
            case 400 -> new Words("INVALID_ARGUMENT", "Request contains an invalid argument.");
            case 401 -> new Words("UNAUTHENTICATED", "Request had invalid authentication credentials.");
            case 403 -> new Words("PERMISSION_DENIED", "The caller does not have permission");
            case 404 -> new Words("NOT_FOUND", "Requested entity was not found.");
            case 429 -> new Words("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).");
            case 499 -> new Words("CANCELLED", "The operation was cancelled.");
            case 503, 529 -> new Words("UNAVAILABLE", "The model is overloaded. Please try again later.");
            case 504 -> new Words("DEADLINE_EXCEEDED", "Deadline expired before operation could complete.");
            default -> status >= 500 ? new Words("INTERNAL", "An internal error has occurred.")
                    : new Words("FAILED_PRECONDITION", "Precondition check failed.");
        };
        return "{\"error\":{\"code\":" + status + ",\"message\":\"" + w.message() + "\",\"status\":\"" + w.type() + "\"}}";
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

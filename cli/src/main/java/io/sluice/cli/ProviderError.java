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

    private static String anthropic(int status) {
        String type;
        String message;
        switch (status) {
            case 400 -> { type = "invalid_request_error"; message = "Invalid request"; }
            case 401 -> { type = "authentication_error"; message = "invalid x-api-key"; }
            case 402 -> { type = "billing_error"; message = "Your credit balance is too low"; }
            case 403 -> { type = "permission_error"; message = "Your API key does not have permission to use the specified resource."; }
            case 404 -> { type = "not_found_error"; message = "Not found"; }
            case 413 -> { type = "request_too_large"; message = "Request exceeds the maximum allowed number of bytes."; }
            case 429 -> { type = "rate_limit_error"; message = "Number of requests has exceeded your rate limit"; }
            case 504 -> { type = "timeout_error"; message = "Request timed out"; }
            case 529 -> { type = "overloaded_error"; message = "Overloaded"; }
            default -> {
                type = status >= 500 ? "api_error" : "invalid_request_error";
                message = status >= 500 ? "Internal server error" : "Invalid request";
            }
        }
        return "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + message + "\"}}";
    }

    private static String openAi(int status) {
        String message;
        String type;
        String code = null;
        switch (status) {
            case 401 -> { message = "Incorrect API key provided."; type = "invalid_request_error"; code = "invalid_api_key"; }
            case 404 -> { message = "The model does not exist or you do not have access to it."; type = "invalid_request_error"; code = "model_not_found"; }
            case 429 -> { message = "Rate limit reached for requests. Please try again later."; type = "requests"; code = "rate_limit_exceeded"; }
            case 500 -> { message = "The server had an error while processing your request. Sorry about that!"; type = "server_error"; }
            case 503, 529 -> { message = OPENAI_OVERLOADED; type = "server_error"; }
            default -> {
                message = status >= 500 ? "The server had an error while processing your request." : "Invalid request.";
                type = status >= 500 ? "server_error" : "invalid_request_error";
            }
        }
        return "{\"error\":{\"message\":\"" + message + "\",\"type\":\"" + type + "\",\"param\":null,\"code\":"
                + (code == null ? "null" : "\"" + code + "\"") + "}}";
    }

    private static String gemini(int status) {
        String name;
        String message;
        switch (status) {
            case 400 -> { name = "INVALID_ARGUMENT"; message = "Request contains an invalid argument."; }
            case 401 -> { name = "UNAUTHENTICATED"; message = "Request had invalid authentication credentials."; }
            case 403 -> { name = "PERMISSION_DENIED"; message = "The caller does not have permission"; }
            case 404 -> { name = "NOT_FOUND"; message = "Requested entity was not found."; }
            case 429 -> { name = "RESOURCE_EXHAUSTED"; message = "Resource has been exhausted (e.g. check quota)."; }
            case 499 -> { name = "CANCELLED"; message = "The operation was cancelled."; }
            case 503, 529 -> { name = "UNAVAILABLE"; message = "The model is overloaded. Please try again later."; }
            case 504 -> { name = "DEADLINE_EXCEEDED"; message = "Deadline expired before operation could complete."; }
            default -> {
                name = status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
                message = status >= 500 ? "An internal error has occurred." : "Precondition check failed.";
            }
        }
        return "{\"error\":{\"code\":" + status + ",\"message\":\"" + message + "\",\"status\":\"" + name + "\"}}";
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

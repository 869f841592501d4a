package io.sluice.llm;

/**
 * An error recorded with a message: one the provider reported (in the stream or as an HTTP error
 * body), a transport error the caller recorded, or an event that was not valid JSON.
 */
public record LlmError(String type, String message) {
}

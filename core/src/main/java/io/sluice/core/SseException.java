package io.sluice.core;

/**
 * The root of every failure Sluice reports. Subclasses are named after what happened and carry the
 * numbers needed to act on it, and say two things about themselves, so no caller needs a chain of
 * {@code instanceof}: a {@link #errorType() wire name} and whether {@link #retryable() trying
 * again} may help.
 */
public class SseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SseException(String message) {
        super(message);
    }

    public SseException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * What happened, in a word for logs and for the {@code error.type} of a relay's error event
     * ({@code upstream_timeout}, {@code event_too_large}, ...); {@code error} for this base type.
     */
    public String errorType() {
        return "error";
    }

    /**
     * Whether the same request may succeed if sent again (a connection refused, a cut, a timeout):
     * what a reconnecting GET and a relay's retries ask. False unless a subclass says otherwise:
     * a bound crossed, a refusal or a bug would only come again.
     */
    public boolean retryable() {
        return false;
    }
}

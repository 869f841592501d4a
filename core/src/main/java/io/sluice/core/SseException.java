package io.sluice.core;

/**
 * The root of every failure Sluice reports. Subclasses are named after what happened and carry the
 * numbers needed to act on it.
 */
public class SseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SseException(String message) {
        super(message);
    }

    public SseException(String message, Throwable cause) {
        super(message, cause);
    }
}

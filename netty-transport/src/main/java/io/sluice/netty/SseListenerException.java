package io.sluice.netty;

import io.sluice.core.SseException;

/**
 * The stream's listener threw (its cause): the stream ends with this, its connection closed, and
 * is never retried, since what the server sent was fine and the same events would make the
 * listener throw again. The listener hears it in {@code onError} like any other end.
 */
public final class SseListenerException extends SseException {
    private static final long serialVersionUID = 1L;

    SseListenerException(RuntimeException cause) {
        super("the listener threw " + cause, cause);
    }

    /** {@code listener_failed}: the application's code failed, not the server. */
    @Override
    public String errorType() {
        return "listener_failed";
    }
}

package io.sluice.netty;

import io.sluice.core.SseException;

/**
 * No response arrived: the connection could not be made (refused, unresolvable, connect timeout),
 * the TLS handshake failed, or the connection closed before the response's status line. The cause
 * is Netty's or the JDK's own exception.
 */
public final class SseConnectException extends SseException {
    private static final long serialVersionUID = 1L;

    SseConnectException(String message, Throwable cause) {
        super(cause == null || cause.getMessage() == null ? message : message + ": " + cause.getMessage(), cause);
    }

    /** {@code upstream_unreachable}: no connection, or none that answered: refused, unresolvable, a TLS failure, a reset before the response. */
    @Override
    public String errorType() {
        return "upstream_unreachable";
    }

    /** True: the same request may find the server answering. */
    @Override
    public boolean retryable() {
        return true;
    }
}

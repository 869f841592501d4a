package io.sluice.netty;

import io.sluice.core.SseException;

/**
 * No response arrived: the connection could not be made (refused, unresolvable, connect timeout),
 * the TLS handshake failed, or the connection closed before the response's status line. The cause
 * is Netty's or the JDK's own exception. Through a proxy, the proxy's part of that is an
 * {@link SseProxyException}, the one subclass.
 */
public class SseConnectException extends SseException {
    private static final long serialVersionUID = 1L;

    /** {@code message}, then the cause's own message after a colon. */
    SseConnectException(String message, Throwable cause) {
        this(message, cause, true);
    }

    /** {@code appendCauseMessage} false: {@code message} as it is, for a subclass that words the cause itself. */
    SseConnectException(String message, Throwable cause, boolean appendCauseMessage) {
        super(!appendCauseMessage || cause == null || cause.getMessage() == null ? message : message + ": " + cause.getMessage(),
                cause);
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

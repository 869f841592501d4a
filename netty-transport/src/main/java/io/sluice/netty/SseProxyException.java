package io.sluice.netty;

import java.nio.channels.UnresolvedAddressException;

/**
 * The proxy of {@link SseClient.Builder#proxy} did not open a tunnel to the upstream: which way it
 * failed ({@link #kind()}), the proxy and the upstream as {@code host:port}, and the proxy's HTTP
 * status when it answered one. Nothing reached the upstream. The message says it in one line, for
 * example {@code proxy 127.0.0.1:3128 refused the tunnel to api.anthropic.com:443: 407 Proxy
 * Authentication Required}; no credential appears in it.
 *
 * <p>A connect error like any other (a relay reports it as {@code upstream_unreachable}); the cause,
 * when there is one, is Netty's {@code ProxyConnectException} or the JDK's connect error.
 */
public final class SseProxyException extends SseConnectException {
    private static final long serialVersionUID = 1L;

    /** How the tunnel failed. */
    public enum Kind {
        /** The proxy was not reached: its name did not resolve, it refused the connection, or connecting timed out. */
        UNREACHABLE,
        /**
         * The proxy wants credentials it was not given or refused those it was: HTTP {@code 407} (or
         * {@code 401}, which tinyproxy answers to wrong ones), a rejected SOCKS5 username and
         * password, or a SOCKS5 proxy accepting none of the methods offered.
         */
        AUTHENTICATION,
        /** The proxy answered and would not open the tunnel: an HTTP status other than 200, or a SOCKS5 failure reply. */
        REFUSED,
        /** The proxy took the connection but did not open the tunnel within the client's connect timeout. */
        TIMEOUT,
        /** The proxy closed (or reset) the connection before opening the tunnel. */
        CLOSED
    }

    private final Kind kind;
    private final String proxy;
    private final String destination;
    private final int status;

    private SseProxyException(Kind kind, String proxy, String destination, int status, String message, Throwable cause) {
        super(message, cause, false);
        this.kind = kind;
        this.proxy = proxy;
        this.destination = destination;
        this.status = status;
    }

    /** The TCP connection to the proxy failed. */
    static SseProxyException unreachable(SseProxy proxy, String destination, Throwable cause) {
        String why = cause instanceof UnresolvedAddressException ? "cannot resolve " + proxy.host()
                : cause == null || cause.getMessage() == null ? String.valueOf(cause) : cause.getMessage();
        return new SseProxyException(Kind.UNREACHABLE, proxy.address(), destination, 0,
                "cannot reach proxy " + proxy.address() + " for " + destination + ": " + why, cause);
    }

    /** The proxy answered {@code answer} (an HTTP status line's code and reason, or a SOCKS5 reply) instead of opening the tunnel. */
    static SseProxyException refused(Kind kind, SseProxy proxy, String destination, int status, String answer, Throwable cause) {
        return new SseProxyException(kind, proxy.address(), destination, status,
                "proxy " + proxy.address() + " refused the tunnel to " + destination + ": " + answer, cause);
    }

    static SseProxyException timedOut(SseProxy proxy, String destination, long limitMillis, Throwable cause) {
        return new SseProxyException(Kind.TIMEOUT, proxy.address(), destination, 0,
                "proxy " + proxy.address() + " did not open the tunnel to " + destination + " within " + limitMillis + " ms", cause);
    }

    /** Closed, or failed with {@code fault} (a reset), before the tunnel opened. */
    static SseProxyException closed(SseProxy proxy, String destination, Throwable fault, Throwable cause) {
        String why = fault == null || fault.getMessage() == null ? "" : ": " + fault.getMessage();
        return new SseProxyException(Kind.CLOSED, proxy.address(), destination, 0,
                "proxy " + proxy.address() + " closed the connection before opening the tunnel to " + destination + why, cause);
    }

    public Kind kind() {
        return kind;
    }

    /** The proxy, as {@code host:port}. */
    public String proxy() {
        return proxy;
    }

    /** The upstream the tunnel was for, as {@code host:port}. */
    public String destination() {
        return destination;
    }

    /** The HTTP status the proxy answered {@code CONNECT} with ({@code 407}, {@code 403}, ...); 0 when none (SOCKS5, or no answer). */
    public int status() {
        return status;
    }

    /**
     * False when the proxy refused the credentials: the same ones would be refused again, so a
     * reconnecting GET or a relay's retry must not hammer it; a relay may still fall back to an
     * upstream it reaches without the proxy. Otherwise as any connect failure.
     */
    @Override
    public boolean retryable() {
        return kind != Kind.AUTHENTICATION && super.retryable();
    }
}

package io.sluice.netty;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

/** The response status was not 2xx; the body (up to a bound) says why. */
public final class SseStatusException extends SseResponseException {
    private static final long serialVersionUID = 1L;

    SseStatusException(HttpResponseStatus status, HttpHeaders headers, byte[] body, long bodyBytes) {
        super("HTTP " + status, status, headers, body, bodyBytes);
    }

    /**
     * {@code upstream_status}: the server refused the request; whether a status is worth another
     * try is the caller's policy ({@link SseRelayRetry}), not this type's.
     */
    @Override
    public String errorType() {
        return "upstream_status";
    }
}

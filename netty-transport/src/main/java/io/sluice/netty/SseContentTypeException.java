package io.sluice.netty;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

/** A 2xx response whose content type is not {@code text/event-stream}. */
public final class SseContentTypeException extends SseResponseException {
    private static final long serialVersionUID = 1L;

    SseContentTypeException(HttpResponseStatus status, HttpHeaders headers, byte[] body, long bodyBytes) {
        super("HTTP " + status + " with content type " + headers.get(HttpHeaderNames.CONTENT_TYPE, "(none)")
                + ", not text/event-stream", status, headers, body, bodyBytes);
    }

    /** The content type the server sent, or null. */
    public String contentType() {
        return headers().get(HttpHeaderNames.CONTENT_TYPE);
    }
}

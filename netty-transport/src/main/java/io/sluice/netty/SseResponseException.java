package io.sluice.netty;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.core.SseException;

import java.nio.charset.StandardCharsets;

/**
 * The server answered, but not with an event stream: a status other than 2xx
 * ({@link SseStatusException}) or a content type other than {@code text/event-stream}
 * ({@link SseContentTypeException}). Carries the status, the headers and the start of the body,
 * so a provider's JSON error ({@code 429}, {@code 529 overloaded_error}) can be read.
 */
public abstract class SseResponseException extends SseException {
    private static final long serialVersionUID = 1L;

    private final transient HttpResponseStatus status;
    private final transient HttpHeaders headers;
    private final byte[] body;
    private final long bodyBytes;

    SseResponseException(String message, HttpResponseStatus status, HttpHeaders headers, byte[] body, long bodyBytes) {
        super(message);
        this.status = status;
        this.headers = headers;
        this.body = body;
        this.bodyBytes = bodyBytes;
    }

    public HttpResponseStatus status() {
        return status;
    }

    /** The response headers (a copy, safe on any thread). */
    public HttpHeaders headers() {
        return headers;
    }

    /** The body's first bytes, up to the client's {@code maxErrorBody} bound. */
    public byte[] body() {
        return body.clone();
    }

    /** {@link #body()} decoded as UTF-8 (malformed sequences replaced). */
    public String bodyAsString() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** How many body bytes arrived in all; more than {@code body().length} when the bound cut it. */
    public long bodyBytes() {
        return bodyBytes;
    }

    /** Whether the bound cut the body. */
    public boolean bodyTruncated() {
        return bodyBytes > body.length;
    }
}

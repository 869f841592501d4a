package io.sluice.netty;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * A 2xx response that is not an event stream this client can read: its content type is not
 * {@code text/event-stream}, or its body is in a {@code content-encoding} nobody decoded (gzip and
 * deflate are, by {@link SseDecompressor}, and only they are asked for).
 */
public final class SseContentTypeException extends SseResponseException {
    private static final long serialVersionUID = 1L;

    private final boolean undecodedEncoding;

    SseContentTypeException(HttpResponseStatus status, HttpHeaders headers, byte[] body, long bodyBytes,
                            boolean undecodedEncoding) {
        super("HTTP " + status + " with content type " + headers.get(HttpHeaderNames.CONTENT_TYPE, "(none)")
                + (undecodedEncoding
                        ? " in content-encoding " + headers.get(HttpHeaderNames.CONTENT_ENCODING) + ", which is not decoded"
                        : ", not text/event-stream"), status, headers, body, bodyBytes);
        this.undecodedEncoding = undecodedEncoding;
    }

    /**
     * True when the refusal is the body's {@code content-encoding}, which nobody decoded, rather than
     * the content type: a caller that accepts any content type still cannot read this body.
     */
    public boolean undecodedEncoding() {
        return undecodedEncoding;
    }

    /** The content type the server sent, or null. */
    public String contentType() {
        return headers().get(HttpHeaderNames.CONTENT_TYPE);
    }

    /** {@code upstream_not_event_stream}: the answer is not an event stream, and would not be next time. */
    @Override
    public String errorType() {
        return "upstream_not_event_stream";
    }
}

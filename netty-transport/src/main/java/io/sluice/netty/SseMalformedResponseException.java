package io.sluice.netty;

/**
 * The response broke its own framing after the stream began: a chunk size that is not a chunk
 * size, a gzip or deflate body that does not inflate, a compressed body cut before its end. Unlike
 * {@link SseClosedEarlyException} the connection did not simply stop: what came was not HTTP the
 * client can read on. The cause is the codec's own exception.
 */
public final class SseMalformedResponseException extends SseStreamException {
    private static final long serialVersionUID = 1L;

    SseMalformedResponseException(long events, long bytes, Throwable cause) {
        super("malformed response" + (cause == null || cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")"),
                events, bytes, cause);
    }

    /** {@code upstream_malformed}: a broken chunk or compressed body: a fault of that response, not of the request. */
    @Override
    public String errorType() {
        return "upstream_malformed";
    }

    /** True: the same request may find the server answering. */
    @Override
    public boolean retryable() {
        return true;
    }
}

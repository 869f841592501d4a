package io.sluice.netty;

/**
 * A write to an {@link SseEmitter} whose client has gone away (the connection closed, or the
 * stream was ended): carries the events and bytes written before it did.
 */
public final class SseClientGoneException extends SseStreamException {
    private static final long serialVersionUID = 1L;

    SseClientGoneException(long events, long bytes, Throwable cause) {
        super("client gone", events, bytes, cause);
    }

    /** {@code client_gone}: the client this stream was written to left. */
    @Override
    public String errorType() {
        return "client_gone";
    }
}

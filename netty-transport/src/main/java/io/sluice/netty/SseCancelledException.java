package io.sluice.netty;

/** The consumer cancelled the stream; the connection was closed so the server stops sending. */
public final class SseCancelledException extends SseStreamException {
    private static final long serialVersionUID = 1L;

    SseCancelledException(long events, long bytes) {
        super("cancelled", events, bytes, null);
    }

    /** {@code cancelled}: the consumer cancelled the stream. */
    @Override
    public String errorType() {
        return "cancelled";
    }
}

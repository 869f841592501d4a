package io.sluice.netty;

/**
 * The connection closed, or the response ended, before the stream's end: a drop, a reset, or a
 * server that gave up. {@link #tailCut()} tells whether an event was cut in the middle (its bytes
 * arrived but its blank line did not, so the standard discards it).
 */
public final class SseClosedEarlyException extends SseStreamException {
    private static final long serialVersionUID = 1L;

    private final long incompleteTailBytes;

    SseClosedEarlyException(long events, long bytes, long incompleteTailBytes, Throwable cause) {
        super(incompleteTailBytes > 0
                ? "stream cut mid-event (" + incompleteTailBytes + " bytes of an unfinished event lost)"
                : "connection closed before the stream ended", events, bytes, cause);
        this.incompleteTailBytes = incompleteTailBytes;
    }

    /** Bytes of the unfinished last event that were discarded; 0 when the cut fell between events. */
    public long incompleteTailBytes() {
        return incompleteTailBytes;
    }

    public boolean tailCut() {
        return incompleteTailBytes > 0;
    }

    /** {@code upstream_closed_early}: the connection ended before the stream did. */
    @Override
    public String errorType() {
        return "upstream_closed_early";
    }

    /** True: the same request may find the server answering. */
    @Override
    public boolean retryable() {
        return true;
    }
}

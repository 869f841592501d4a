package io.sluice.netty;

/** A timeout fired: which one, its limit, and what had arrived by then. The connection is closed. */
public final class SseTimeoutException extends SseStreamException {
    private static final long serialVersionUID = 1L;

    /** Which timeout fired. */
    public enum Kind {
        /** No response bytes within the first-byte timeout after the request was sent. */
        FIRST_BYTE,
        /** No bytes for the idle timeout once the response had started. */
        IDLE
    }

    private final Kind kind;
    private final long limitMillis;

    SseTimeoutException(Kind kind, long limitMillis, long events, long bytes) {
        super(kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + " timeout of " + limitMillis + " ms",
                events, bytes, null);
        this.kind = kind;
        this.limitMillis = limitMillis;
    }

    public Kind kind() {
        return kind;
    }

    public long limitMillis() {
        return limitMillis;
    }

    /** {@code upstream_timeout}: the server said nothing in time. */
    @Override
    public String errorType() {
        return "upstream_timeout";
    }

    /** True: the same request may find the server answering. */
    @Override
    public boolean retryable() {
        return true;
    }
}

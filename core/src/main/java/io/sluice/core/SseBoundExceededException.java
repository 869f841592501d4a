package io.sluice.core;

/**
 * Input crossed one of the parser's size bounds. The parser never buffers past the bound: it
 * reports this error as soon as the first byte beyond the limit arrives, then follows its
 * {@link SseParser.Builder#skipOversizedEvents(boolean) recovery policy}.
 */
public final class SseBoundExceededException extends SseException {
    private static final long serialVersionUID = 1L;

    /** Which bound was crossed. */
    public enum Bound {
        /** One line (without its terminator) was longer than {@code maxLineLength}. */
        LINE_LENGTH("maxLineLength"),
        /** The data of one event (its {@code data} values joined by LF) was larger than {@code maxEventSize}. */
        EVENT_SIZE("maxEventSize");

        private final String option;

        Bound(String option) {
            this.option = option;
        }

        /** The name of the builder option that sets this bound. */
        public String option() {
            return option;
        }
    }

    private final Bound bound;
    private final long limit;
    private final long offset;

    /** {@code event_too_large}: a line or an event past the parser's bounds. */
    @Override
    public String errorType() {
        return "event_too_large";
    }

    public SseBoundExceededException(Bound bound, long limit, long offset) {
        super(bound.option() + " of " + limit + " bytes exceeded at stream offset " + offset);
        this.bound = bound;
        this.limit = limit;
        this.offset = offset;
    }

    public Bound bound() {
        return bound;
    }

    /** The configured limit, in bytes. */
    public long limit() {
        return limit;
    }

    /**
     * The offset in the stream (counted from its first byte, BOM included) of the line whose
     * length or data crossed the bound: for {@link Bound#LINE_LENGTH} the first byte past the
     * limit, for {@link Bound#EVENT_SIZE} the start of the {@code data} line that did not fit.
     */
    public long offset() {
        return offset;
    }
}

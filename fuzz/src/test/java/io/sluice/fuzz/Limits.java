package io.sluice.fuzz;

import io.sluice.core.SseParser;

/** The bounds and recovery policy a parser and the model are run with. */
record Limits(int maxLineLength, int maxEventSize, boolean skipOversizedEvents) {

    /** The parser's defaults: generated streams never reach them, so no bound error is expected. */
    static final Limits DEFAULT = new Limits(SseParser.DEFAULT_MAX_LINE_LENGTH, SseParser.DEFAULT_MAX_EVENT_SIZE, false);

    SseParser.Builder builder() {
        return SseParser.builder()
                .maxLineLength(maxLineLength)
                .maxEventSize(maxEventSize)
                .skipOversizedEvents(skipOversizedEvents);
    }

    @Override
    public String toString() {
        return "maxLineLength=" + maxLineLength + ", maxEventSize=" + maxEventSize
                + (skipOversizedEvents ? ", skip" : ", fail");
    }
}

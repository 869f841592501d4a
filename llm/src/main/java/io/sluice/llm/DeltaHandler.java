package io.sluice.llm;

/** Receives the deltas of a stream, in order, on the thread that feeds the decoder. */
@FunctionalInterface
public interface DeltaHandler {

    /**
     * @param delta a view, valid during this call only (see {@link Delta})
     */
    void onDelta(Delta delta);

    /** A handler that passes each delta to this one, then to {@code next}. */
    default DeltaHandler andThen(DeltaHandler next) {
        return delta -> {
            onDelta(delta);
            next.onDelta(delta);
        };
    }
}

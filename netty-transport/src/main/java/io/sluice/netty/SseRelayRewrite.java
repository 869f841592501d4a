package io.sluice.netty;

import io.sluice.core.SseEvent;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * What a relay changes in one request it relays, and in that request's stream on the way back
 * ({@link SseRelay.Builder#rewrite}): a new body for the upstream request, and the events the
 * client is not to get. Issue 19's {@code include_usage} is the use it was made for: the body asks
 * the provider for a usage chunk the client did not ask for, and that chunk is hidden from the
 * client while the relay's tap still gets it (sluice-llm's {@code IncludeUsage} has both halves).
 *
 * <p>A hidden event is not written downstream and not counted in {@link SseRelay.Outcome#events()};
 * the tap is told it as any other. The predicate is asked about each event of the rewritten
 * stream only (a stream not rewritten costs nothing per event), on the event loop, with the
 * event's view (valid during the call); it must not block. One that throws hides nothing.
 */
public final class SseRelayRewrite {
    private final byte[] body;
    private final Predicate<SseEvent> hidden;

    private SseRelayRewrite(byte[] body, Predicate<SseEvent> hidden) {
        this.body = body;
        this.hidden = hidden;
    }

    /**
     * The request goes upstream with {@code body} in place of its own (its {@code content-length}
     * follows), to the upstream mapping, every fallback and the tap alike. The array is the
     * relay's from here on: not to be changed.
     */
    public static SseRelayRewrite body(byte[] body) {
        return new SseRelayRewrite(Objects.requireNonNull(body, "body"), null);
    }

    /** The request goes upstream as it came; only the stream's events are filtered. */
    public static SseRelayRewrite sameBody() {
        return new SseRelayRewrite(null, null);
    }

    /** This rewrite, and the stream's events that {@code hidden} accepts are not written downstream. */
    public SseRelayRewrite hiding(Predicate<SseEvent> hidden) {
        return new SseRelayRewrite(body, Objects.requireNonNull(hidden, "hidden"));
    }

    /** The new body; null to keep the request's own. */
    byte[] newBody() {
        return body;
    }

    /** Which events the client does not get; null for none. */
    Predicate<SseEvent> hidden() {
        return hidden;
    }
}

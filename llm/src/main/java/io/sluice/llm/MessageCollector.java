package io.sluice.llm;

import com.fasterxml.jackson.core.JsonGenerator;
import io.sluice.core.SseBoundExceededException;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.SseHandler;

import java.io.IOException;
import java.util.Map;

/**
 * The one-stop entry point: an {@link SseHandler} that decodes a provider stream and builds its
 * final message. Feed it with an {@link io.sluice.core.SseParser}; read {@link #message()} (a live
 * snapshot during the stream, the final message after it) or write it with
 * {@link #writeJson(JsonGenerator)}.
 *
 * <pre>{@code
 * MessageCollector collector = MessageCollector.create();      // provider auto-detected
 * try (SseParser parser = SseParser.create(collector)) {
 *     for (ByteBuf chunk : chunks) { parser.feed(chunk); chunk.release(); }
 *     parser.end();
 * }
 * System.out.println(collector.message().toJson());
 * }</pre>
 *
 * <p>Every dispatched event is counted ({@code events}). A bound error from the parser is recorded
 * as the message's error ({@code bound_exceeded}) instead of being rethrown, so the partial message
 * survives; a cut connection is the caller's to record with {@link #transportError(String, String)}
 * (an incomplete tail alone records nothing: {@code complete} false already says the stream did not
 * finish). Confined to the parser's thread, like the parser.
 */
public final class MessageCollector implements SseHandler {
    private final MessageAccumulator accumulator;
    private final DeltaDecoder decoder;
    private long incompleteTailBytes = -1;

    private MessageCollector(Provider provider, DeltaHandler listener) {
        accumulator = new MessageAccumulator(provider);
        decoder = DeltaDecoder.create(provider, listener == null ? accumulator : accumulator.andThen(listener));
    }

    /** A collector that detects the provider from the stream. */
    public static MessageCollector create() {
        return new MessageCollector(null, null);
    }

    /** A collector for {@code provider}; null detects it. */
    public static MessageCollector create(Provider provider) {
        return new MessageCollector(provider, null);
    }

    /**
     * A collector that also hands every delta to {@code listener}, after the accumulator saw it (so
     * the listener may call {@link #message()} for the snapshot including it).
     */
    public static MessageCollector create(Provider provider, DeltaHandler listener) {
        return new MessageCollector(provider, listener);
    }

    @Override
    public void onEvent(SseEvent event) {
        accumulator.countEvent();
        decoder.onEvent(event);
    }

    /** Decodes one event from outside a parser (data in UTF-8); counts it like {@link #onEvent(SseEvent)}. */
    public void onEvent(String eventType, byte[] data, int offset, int length) {
        accumulator.countEvent();
        decoder.decode(eventType, data, offset, length);
    }

    /** Recorded, not rethrown: the parser then skips or stops as it is configured to. */
    @Override
    public void onError(SseException error) {
        String type = error instanceof SseBoundExceededException ? "bound_exceeded" : "stream_error";
        accumulator.transportError(type, error.getMessage());
    }

    @Override
    public void onEnd(long incompleteTailBytes) {
        this.incompleteTailBytes = incompleteTailBytes;
    }

    /** See {@link MessageAccumulator#transportError(String, String)}. */
    public void transportError(String type, String message) {
        accumulator.transportError(type, message);
    }

    /** See {@link MessageAccumulator#httpError(int, byte[], int, int)}. */
    public void httpError(int status, byte[] body, int offset, int length) {
        accumulator.httpError(status, body, offset, length);
    }

    /** See {@link MessageAccumulator#httpError(int, String, Iterable, byte[], int, int)}: also names the provider that refused. */
    public void httpError(int status, String requestPath, Iterable<? extends Map.Entry<String, String>> headers,
                          byte[] body, int offset, int length) {
        accumulator.httpError(status, requestPath, headers, body, offset, length);
    }

    /** The message so far, or the final message once the stream ended. */
    public LlmMessage message() {
        return accumulator.snapshot();
    }

    public void writeJson(JsonGenerator g) throws IOException {
        accumulator.writeJson(g);
    }

    /** The provider given or detected; null while unknown. */
    public Provider provider() {
        Provider p = decoder.provider();
        return p != null ? p : accumulator.provider();
    }

    /** True once the provider's terminal event arrived. */
    public boolean complete() {
        return accumulator.complete();
    }

    /** True once the parser reported the end of the stream. */
    public boolean ended() {
        return incompleteTailBytes >= 0;
    }

    /** Bytes left undispatched at the end (a cut-off event), 0 for a clean end, -1 before the end. */
    public long incompleteTailBytes() {
        return incompleteTailBytes;
    }

    public MessageAccumulator accumulator() {
        return accumulator;
    }

    public DeltaDecoder decoder() {
        return decoder;
    }
}

package io.sluice.llm;

import io.netty.buffer.ByteBuf;
import io.sluice.core.SseEvent;
import io.sluice.core.SseHandler;
import io.sluice.llm.internal.ErrorBodyDecoder;
import io.sluice.llm.internal.EventDecoder;

/**
 * Turns a provider's SSE events into typed {@link Delta}s. Use it as the {@link SseHandler} of an
 * {@link io.sluice.core.SseParser}, or call {@link #decode(String, byte[], int, int)} with events
 * from elsewhere.
 *
 * <p>The provider is given, or detected from the first events that tell ({@link ProviderDetector});
 * events before that yield {@link DeltaKind#ERROR} if they carry an {@code error} object, else
 * {@link DeltaKind#OTHER}. Bad input never throws: unknown event, block and delta types are passed
 * through as {@link DeltaKind#OTHER}, and data that is not the JSON expected yields one
 * {@link DeltaKind#MALFORMED} delta; the stream goes on.
 *
 * <p>JSON is read straight from the event's bytes: from the buffer's backing array when it has
 * one, else after one copy into an array this decoder reuses. Confined to one thread.
 */
public final class DeltaDecoder implements SseHandler {
    private final DeltaHandler handler;
    /** Given or detected; null while not yet known. */
    private Provider provider;
    private EventDecoder decoder;
    private EventDecoder undetected;
    /** For data in buffers without a backing array (direct buffers); grown, never shrunk. */
    private byte[] scratch = new byte[0];

    private DeltaDecoder(Provider provider, DeltaHandler handler) {
        this.provider = provider;
        this.handler = handler;
        if (provider != null) {
            decoder = EventDecoder.of(provider);
        }
    }

    /** A decoder that detects the provider from the stream. */
    public static DeltaDecoder create(DeltaHandler handler) {
        return new DeltaDecoder(null, handler);
    }

    /** A decoder for {@code provider}, or detecting it when {@code provider} is null. */
    public static DeltaDecoder create(Provider provider, DeltaHandler handler) {
        return new DeltaDecoder(provider, handler);
    }

    /** The provider given or detected, or null while not yet known. */
    public Provider provider() {
        return provider;
    }

    @Override
    public void onEvent(SseEvent event) {
        decode(event.type(), event.dataBuffer(), event.dataIndex(), event.dataLength());
    }

    /** Decodes one event whose data is {@code data[index, index + length)}; reads the buffer, never changes or releases it. */
    public void decode(String eventType, ByteBuf data, int index, int length) {
        if (data.hasArray()) {
            decode(eventType, data.array(), data.arrayOffset() + index, length);
        } else {
            if (scratch.length < length) {
                scratch = new byte[Math.max(length, scratch.length * 2)];
            }
            data.getBytes(index, scratch, 0, length);
            decode(eventType, scratch, 0, length);
        }
    }

    /** Decodes one event whose data (UTF-8) is {@code data[offset, offset + length)}. */
    public void decode(String eventType, byte[] data, int offset, int length) {
        EventDecoder d = decoder;
        if (d == null) {
            Provider p = ProviderDetector.detect(eventType, data, offset, length);
            if (p != null) {
                provider = p;
                d = decoder = EventDecoder.of(p);
            } else {
                if (undetected == null) {
                    undetected = new ErrorBodyDecoder(null);
                }
                d = undetected;
            }
        }
        d.decode(eventType, data, offset, length, handler);
    }
}

package io.sluice.core.handoff;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.DefaultByteBufHolder;
import io.sluice.core.SseEvent;
import io.sluice.core.Utf8Decoder;

/**
 * An event that outlives the parser callback that reported it: its own reference-counted copy of
 * the data, plus the type and last event ID (immutable Strings, shared with the parser's table).
 * Whoever holds it releases it once ({@link #release()}); Netty's pipeline tail does so for an
 * event nobody handled.
 */
public final class OwnedSseEvent extends DefaultByteBufHolder implements SseEvent {
    private final String type;
    private final String lastEventId;

    private OwnedSseEvent(String type, ByteBuf data, String lastEventId) {
        super(data);
        this.type = type;
        this.lastEventId = lastEventId;
    }

    /**
     * Copies a view into a buffer of exactly its data length from {@code alloc}. A copy, not a
     * retained slice: the view's buffer may be the parser's own accumulator, which it overwrites
     * for the next event, or a large network buffer that a slice would pin while the event waits
     * in a queue.
     */
    public static OwnedSseEvent copyOf(SseEvent view, ByteBufAllocator alloc) {
        int length = view.dataLength();
        ByteBuf data = alloc.buffer(length, length);
        data.writeBytes(view.dataBuffer(), view.dataIndex(), length);
        return new OwnedSseEvent(view.type(), data, view.lastEventId());
    }

    /** An event over {@code data}, whose reference passes to the new event. */
    public static OwnedSseEvent of(String type, ByteBuf data, String lastEventId) {
        return new OwnedSseEvent(type, data, lastEventId);
    }

    @Override
    public String type() {
        return type;
    }

    @Override
    public ByteBuf dataBuffer() {
        return content();
    }

    @Override
    public int dataIndex() {
        return content().readerIndex();
    }

    @Override
    public int dataLength() {
        return content().readableBytes();
    }

    @Override
    public String dataAsString() {
        ByteBuf data = content();
        return Utf8Decoder.decode(data, data.readerIndex(), data.readableBytes());
    }

    @Override
    public String lastEventId() {
        return lastEventId;
    }

    @Override
    public OwnedSseEvent replace(ByteBuf content) {
        return new OwnedSseEvent(type, content, lastEventId);
    }

    @Override
    public OwnedSseEvent copy() {
        return replace(content().copy());
    }

    @Override
    public OwnedSseEvent duplicate() {
        return replace(content().duplicate());
    }

    @Override
    public OwnedSseEvent retainedDuplicate() {
        return replace(content().retainedDuplicate());
    }

    @Override
    public OwnedSseEvent retain() {
        super.retain();
        return this;
    }

    @Override
    public OwnedSseEvent retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public OwnedSseEvent touch() {
        super.touch();
        return this;
    }

    @Override
    public OwnedSseEvent touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return "OwnedSseEvent(" + type + ", " + dataLength() + " bytes, id=" + lastEventId + ')';
    }
}

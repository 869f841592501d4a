package io.sluice.core;

import io.netty.buffer.ByteBuf;

/**
 * A dispatched event: its type, its data and the last event ID in effect when it was dispatched
 * (WHATWG HTML, "dispatch the event").
 *
 * <p>The instances an {@link SseParser} hands to {@link SseHandler#onEvent(SseEvent)} are views
 * that the parser reuses: every accessor is valid during the callback only. The data is exposed
 * without a copy, Agrona style, as a buffer, an index and a length; nothing is allocated until a
 * String is asked for.
 */
public interface SseEvent {

    /**
     * The event type: the last {@code event} field's value, or {@code "message"} when there was
     * none or it was empty. Types the parser knows (the LLM providers' types among them) and types
     * it has seen before are shared instances, not a new String per event.
     */
    String type();

    /**
     * The buffer that holds the data, at {@code [dataIndex(), dataIndex() + dataLength())}: the
     * {@code data} values joined by LF, as raw bytes (UTF-8, not yet validated). When the event has
     * a single {@code data} line inside one fed buffer this is the caller's own buffer (no copy).
     * Read it; never release, retain, or change its indices.
     */
    ByteBuf dataBuffer();

    int dataIndex();

    int dataLength();

    /** The data decoded as UTF-8, each ill-formed sequence replaced by U+FFFD (WHATWG "UTF-8 decode"). */
    String dataAsString();

    /** The last event ID in effect at dispatch: the value of the last {@code id} field, or "" when none was set. */
    String lastEventId();
}

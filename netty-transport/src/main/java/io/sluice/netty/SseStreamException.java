package io.sluice.netty;

import io.sluice.core.SseException;

/**
 * The stream failed after it started: it carries how many events and bytes (of the event stream
 * body, after decompression) arrived before it did.
 */
public abstract class SseStreamException extends SseException {
    private static final long serialVersionUID = 1L;

    private final long events;
    private final long bytes;

    SseStreamException(String message, long events, long bytes, Throwable cause) {
        super(message + " after " + events + (events == 1 ? " event, " : " events, ")
                + bytes + (bytes == 1 ? " byte" : " bytes"), cause);
        this.events = events;
        this.bytes = bytes;
    }

    public long events() {
        return events;
    }

    public long bytes() {
        return bytes;
    }
}

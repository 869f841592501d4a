package io.sluice.cli;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponse;
import io.sluice.cli.capture.HttpResponseReader;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.SseParser;
import io.sluice.netty.SseDecoder;

/**
 * Whether a recording {@code sluice serve} is about to serve holds an event, decoded as a client
 * decodes it (issue 17: a file that is no event stream should be named as one when the server
 * starts, not leave a gateway under test waiting for events that never come). It looks no further
 * than the first event, so a real stream costs a few reads. Confined to one thread;
 * {@link #feed(ByteBuf)} takes ownership of each buffer.
 */
final class EventProbe implements AutoCloseable, HttpResponseReader.Listener {
    private final SseParser parser;
    private final HttpResponseReader reader;
    private boolean found;
    private boolean failed;

    /** A probe of an HTTP response when {@code http}, else of an SSE body. */
    EventProbe(boolean http) {
        parser = http ? null : SseParser.builder().build(this);
        reader = http ? new HttpResponseReader(SseDecoder.Settings.DEFAULTS, false, this) : null;
    }

    /** Decodes the next bytes of the recording, unless the answer is known. */
    void feed(ByteBuf bytes) {
        if (done()) {
            bytes.release();
        } else if (reader != null) {
            reader.feed(bytes);
        } else {
            try {
                parser.feed(bytes);
            } finally {
                bytes.release();
            }
        }
    }

    /** True once more bytes cannot change the answer: an event was found, or decoding stopped. */
    boolean done() {
        return found || failed || (reader != null && reader.ended());
    }

    /**
     * The warning for a recording that holds no event (what follows its name), after every byte was
     * fed; null when it holds one.
     */
    String warning() {
        if (found) {
            return null;
        }
        if (reader != null) {
            reader.end();
            if (reader.failure() != null) {
                return "no events: " + reader.failure().getMessage(); // a client refuses it, and says why
            }
        } else {
            parser.end();
        }
        long bytes = reader != null ? reader.bytes() : parser.bytesFed();
        return found ? null : "no events in " + bytes + (bytes == 1 ? " byte" : " bytes") + "; it may not be an event stream";
    }

    @Override
    public void head(HttpResponse response) {
    }

    @Override
    public void onEvent(SseEvent event) {
        found = true;
    }

    /** A bound error: the stream is past reading, as it would be for a client. */
    @Override
    public void onError(SseException error) {
        failed = true;
    }

    @Override
    public void close() {
        if (reader != null) {
            reader.close();
        } else {
            parser.close();
        }
    }
}

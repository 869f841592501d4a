package io.sluice.cli;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.cli.capture.HttpResponseReader;
import io.sluice.cli.capture.TcpStream;
import io.sluice.core.SseEncoder;
import io.sluice.core.SseEvent;
import io.sluice.core.SseHandler;
import io.sluice.core.SseParser;
import io.sluice.llm.Provider;
import io.sluice.llm.ProviderDetector;
import io.sluice.netty.SseDecoder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;

/**
 * A recording decoded once, for {@code sluice serve --fault} (issue 19, item 5): the response's
 * head, and its SSE body as a client's parser reads it (de-chunked by Netty's
 * {@code HttpClientCodec}, gzip and deflate inflated by {@code SseDecompressor}, through
 * {@link HttpResponseReader}), cut after each event {@link SseParser} dispatches. Faults count
 * those events, so a fault lands after the same event whatever the capture's segments and codings.
 *
 * <p>The body is held in memory, at most {@value #MAX_BODY} bytes decoded: unlike the byte-exact
 * replay, which reads the file anew for each connection, a faulted response is re-encoded from it.
 * Immutable once decoded; every connection reads it.
 */
final class DecodedRecording {
    /** The largest decoded body {@code --fault} holds: 64 MiB, 30 times the largest sample's. */
    static final int MAX_BODY = 64 << 20;
    /** Events looked at to tell the provider: its first events say, or none will. */
    private static final int DETECT_EVENTS = 16;

    private final HttpResponse head;
    private final byte[] body;
    private final int[] eventEnds;
    private final long[] eventNanos;
    private final long endNanos;
    private final boolean complete;
    private final boolean reset;
    private final Provider provider;

    private DecodedRecording(HttpResponse head, byte[] body, int[] eventEnds, long[] eventNanos, long endNanos,
                             boolean complete, boolean reset, Provider provider) {
        this.head = head;
        this.body = body;
        this.eventEnds = eventEnds;
        this.eventNanos = eventNanos;
        this.endNanos = endNanos;
        this.complete = complete;
        this.reset = reset;
        this.provider = provider;
    }

    /** The status line and headers recorded (for an SSE file, a {@code 200 text/event-stream} head); not to be changed. */
    HttpResponse head() {
        return head;
    }

    /** Events the body dispatches. */
    int events() {
        return eventEnds.length;
    }

    /**
     * Where event {@code i} (from 0) starts in the body: after the one before it, comments and
     * retry lines included; for {@code i == events()}, where the bytes after the last event start.
     */
    int eventStart(int i) {
        return i == 0 ? 0 : eventEnds[i - 1];
    }

    /** Where event {@code i} ends in the body: after the blank line that dispatched it. */
    int eventEnd(int i) {
        return eventEnds[i];
    }

    /** The decoded body; not to be changed. */
    byte[] body() {
        return body;
    }

    /** Capture time, from the recording's first byte, at which event {@code i} was whole; 0 without times. */
    long eventNanos(int i) {
        return eventNanos[i];
    }

    /** Capture time of the recording's last byte; 0 without times. */
    long endNanos() {
        return endNanos;
    }

    /** Whether the body ended as its framing says (a last chunk, its length, a close); false for a cut one. */
    boolean complete() {
        return complete;
    }

    /** Whether the capture ended in a RST. */
    boolean reset() {
        return reset;
    }

    /** Who sent the stream, told from its first events by {@link ProviderDetector}; null when they do not say. */
    Provider provider() {
        return provider;
    }

    /**
     * Decodes the recording {@code source} holds, of {@code kind}. A capture's problem (a hole, a
     * truncated file) is a warning on {@code err}, and what comes before it is decoded, as the
     * byte-exact replay serves it.
     *
     * @throws InputException when the recording is no event stream (a refusal, a JSON answer), is
     *     corrupt, or decodes to more than {@value #MAX_BODY} bytes
     */
    static DecodedRecording decode(InputKind kind, Recording.Source source, String name, String flow, PrintWriter err)
            throws IOException {
        Body body = new Body(name);
        switch (kind) {
            case PCAP: {
                Recording r = Recording.survey(source, name, flow);
                try (Recording.Pass pass = r.open();
                     HttpResponseReader reader = r.http() ? new HttpResponseReader(SseDecoder.Settings.DEFAULTS, false, body) : null) {
                    long first = -1;
                    boolean any = false;
                    TcpStream.Segment s;
                    while ((s = pass.next()) != null) {
                        first = first < 0 ? s.timeNanos() : first;
                        body.at(s.timeNanos() - first);
                        any = true;
                        feed(reader, body, s.data(), name);
                    }
                    if (pass.problem() != null) {
                        if (!any) {
                            throw new InputException(name + ": " + pass.problem().getMessage() + "; nothing before it to serve");
                        }
                        err.println("sluice serve: warning: " + pass.problem().getMessage() + "; serving what comes before it");
                    }
                    boolean clean = pass.end() != TcpStream.End.RST && pass.problem() == null;
                    return body.decoded(reader, clean, pass.end() == TcpStream.End.RST);
                }
            }
            case HTTP:
                try (InputStream in = source.open(); HttpResponseReader reader = new HttpResponseReader(SseDecoder.Settings.DEFAULTS, false, body)) {
                    for (byte[] read; (read = in.readNBytes(ServeCommand.WRITE_SIZE)).length > 0; ) {
                        feed(reader, body, read, name);
                    }
                    return body.decoded(reader, true, false);
                }
            case SSE:
            case AUTO:
                try (InputStream in = source.open()) {
                    for (byte[] read; (read = in.readNBytes(ServeCommand.WRITE_SIZE)).length > 0; ) {
                        body.body(Unpooled.wrappedBuffer(read));
                    }
                    return body.decoded(null, true, false);
                }
            default:
                throw new IllegalStateException("Unhandled input " + kind);
        }
    }

    /** Feeds one read to the HTTP decoder, or straight to the body when the recording is a bare SSE body. */
    private static void feed(HttpResponseReader reader, Body body, byte[] read, String name) {
        if (reader == null) {
            body.body(Unpooled.wrappedBuffer(read));
            return;
        }
        reader.feed(Unpooled.wrappedBuffer(read)); // takes ownership
        if (reader.failure() != null) {
            Throwable broken = reader.failure();
            throw new InputException(name + ": corrupt HTTP response: "
                    + (broken.getMessage() != null ? broken.getMessage() : broken.toString()), broken);
        }
    }

    /**
     * Collects the decoded body, each stretch stamped with the capture time of the read that
     * brought it, then cuts it into events.
     */
    private static final class Body implements HttpResponseReader.Listener {
        private final String name;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private HttpResponse head;
        /** Body length after each read, and that read's capture time, in order. */
        private int[] markEnds = new int[16];
        private long[] markNanos = new long[16];
        private int marks;
        private long now;
        /** The last event ID the written body holds. */
        private String lastId = "";

        Body(String name) {
            this.name = name;
        }

        /** The reads that follow arrived {@code nanos} after the recording's first. */
        void at(long nanos) {
            now = nanos;
        }

        @Override
        public void head(HttpResponse response) {
            head = response;
            String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE);
            if (response.status().codeClass() != HttpStatusClass.SUCCESS
                    || type == null || !type.toLowerCase(Locale.ROOT).startsWith("text/event-stream")) {
                throw new InputException(name + ": --fault needs an event stream to fault, and the recording is "
                        + response.status() + " " + (type == null ? "without a content type" : type));
            }
        }

        /**
         * An event of the decoded stream, written back as SSE: the reader parses as the client does
         * (one definition of an event stream), so the body served with faults is the stream's
         * events, re-encoded, not the recorded bytes (comments left out, line ends as LF, an id
         * line where the id changes).
         */
        @Override
        public void onEvent(SseEvent event) {
            ByteBuf out = Unpooled.buffer(event.dataLength() + 32);
            try {
                String id = event.lastEventId();
                SseEncoder.writeEvent(out, event.type(), event.dataBuffer(), event.dataIndex(), event.dataLength(),
                        id.equals(lastId) ? null : id);
                lastId = id;
                body(out);
            } finally {
                out.release();
            }
        }

        @Override
        public void onRetry(long millis) {
            ByteBuf out = Unpooled.buffer(16);
            try {
                SseEncoder.writeRetry(out, millis);
                body(out);
            } finally {
                out.release();
            }
        }

        void body(ByteBuf content) {
            int n = content.readableBytes();
            if ((long) bytes.size() + n > MAX_BODY) {
                throw new InputException(name + ": the decoded body is over " + MAX_BODY + " bytes, more than --fault holds in memory");
            }
            bytes.writeBytes(ByteBufUtil.getBytes(content, content.readerIndex(), n));
            if (marks == markEnds.length) {
                markEnds = Arrays.copyOf(markEnds, marks * 2);
                markNanos = Arrays.copyOf(markNanos, marks * 2);
            }
            markEnds[marks] = bytes.size();
            markNanos[marks] = now;
            marks++;
        }

        /** The capture time of the read that brought the body's byte just before {@code end}. */
        private long nanosAt(int end, int[] from) {
            int i = from[0];
            while (i < marks - 1 && markEnds[i] < end) {
                i++;
            }
            from[0] = i;
            return marks == 0 ? 0 : markNanos[i];
        }

        DecodedRecording decoded(HttpResponseReader reader, boolean clean, boolean reset) throws IOException {
            boolean complete = clean;
            if (reader != null) {
                reader.end();
                if (reader.failure() != null) {
                    throw new InputException(name + ": corrupt HTTP response: " + reader.failure().getMessage(), reader.failure());
                }
                if (head == null) {
                    throw new InputException(name + ": no HTTP response to fault");
                }
                complete = reader.complete();
            } else {
                head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
                        .set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
            }
            byte[] body = bytes.toByteArray();
            Events events = new Events();
            // The parser, not a scan of ours, says where each event ends: fed a line at a time, the
            // blank line that dispatches an event is the last one fed when its count goes up.
            try (SseParser parser = SseParser.builder().maxLineLength(MAX_BODY).maxEventSize(MAX_BODY).build(events)) {
                for (int at = 0; at < body.length; ) {
                    int next = lineEnd(body, at);
                    parser.feed(Unpooled.wrappedBuffer(body, at, next - at));
                    if (parser.eventsDispatched() > events.count) {
                        events.ended(next);
                    }
                    at = next;
                }
            }
            int[] ends = Arrays.copyOf(events.ends, events.count);
            long[] nanos = new long[ends.length];
            int[] cursor = {0};
            for (int i = 0; i < ends.length; i++) {
                nanos[i] = nanosAt(ends[i], cursor);
            }
            return new DecodedRecording(head, body, ends, nanos, marks == 0 ? 0 : markNanos[marks - 1], complete, reset,
                    events.provider);
        }
    }

    /**
     * Where the line starting at {@code from} ends, its terminator (CR, LF or CRLF, WHATWG's three)
     * included; the body's end for a last line without one.
     */
    private static int lineEnd(byte[] body, int from) {
        for (int i = from; i < body.length; i++) {
            if (body[i] == '\n') {
                return i + 1;
            }
            if (body[i] == '\r') {
                return i + 1 < body.length && body[i + 1] == '\n' ? i + 2 : i + 1;
            }
        }
        return body.length;
    }

    /** The parser's handler: counts where events end and tells the provider from the first ones. */
    private static final class Events implements SseHandler {
        int[] ends = new int[64];
        int count;
        Provider provider;

        void ended(int at) {
            if (count == ends.length) {
                ends = Arrays.copyOf(ends, count * 2);
            }
            ends[count++] = at;
        }

        @Override
        public void onEvent(SseEvent event) {
            if (provider == null && count < DETECT_EVENTS) {
                byte[] data = ByteBufUtil.getBytes(event.dataBuffer(), event.dataIndex(), event.dataLength());
                provider = ProviderDetector.detect(event.type(), data, 0, data.length);
            }
        }
    }
}

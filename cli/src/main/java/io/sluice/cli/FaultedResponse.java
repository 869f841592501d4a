package io.sluice.cli;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.llm.Provider;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What {@code sluice serve --fault} sends each connection, or each HTTP/2 stream: a response
 * synthesised from a {@link DecodedRecording} with a {@link FaultPlan} applied, the same way every
 * time. The recorded head is kept but for its framing ({@code content-length},
 * {@code transfer-encoding}, {@code content-encoding} and the hop-by-hop headers go, and
 * {@code transfer-encoding: chunked} and {@code connection: close} come), and the decoded body is
 * sent again chunked, one chunk per event. Chunked on purpose: a FIN before the last chunk is a cut
 * every client can see, where in a body delimited by the close it would be a clean end. Over
 * HTTP/2, {@link ReplayServer} turns the head into HEADERS and each chunk into a DATA frame.
 *
 * <p>Timing: each event goes out at the capture time it was whole (a capture's; 0 for an
 * {@code .http} or {@code .sse} file), scaled by {@code --timing}, later by every stall before it,
 * and no sooner than the drip allows. The writes carry wall-clock delays, so the server runs them
 * at {@link Timing#ORIGINAL}.
 */
final class FaultedResponse implements ReplayServer.Recorded {
    /** Headers of the recorded head that do not describe the re-encoded response (RFC 9110 section 7.6.1, and the codings undone). */
    private static final Set<String> FRAMING = Set.of("content-length", "transfer-encoding", "content-encoding", "connection",
            "keep-alive", "proxy-connection", "te", "trailer", "upgrade");
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NOTHING = new byte[0];
    /** A drip sends about this many writes a second: small enough to look like a trickle, not a burst a second. */
    private static final int DRIP_WRITES_PER_SECOND = 10;

    private final DecodedRecording recording;
    private final FaultPlan plan;
    private final Provider provider;
    private final Timing timing;
    private final byte[] head;

    private FaultedResponse(DecodedRecording recording, FaultPlan plan, Provider provider, Timing timing) {
        this.recording = recording;
        this.plan = plan;
        this.provider = provider;
        this.timing = timing;
        this.head = plan.status() != null ? null : streamHead(recording.head());
    }

    /**
     * The response for {@code recording} under {@code plan}; {@code provider} shapes the errors
     * (null: the recording's own, as {@link DecodedRecording#provider()} tells it).
     *
     * @throws InputException when a fault names more events than the recording has, or needs a
     *     provider's error shape that neither the recording nor {@code provider} gives
     */
    static FaultedResponse of(DecodedRecording recording, FaultPlan plan, Provider provider, Timing timing) {
        Map.Entry<Integer, Fault> furthest = plan.furthest();
        if (furthest != null && furthest.getKey() > recording.events()) {
            throw new InputException("--fault " + furthest.getValue() + ": the recording has " + recording.events()
                    + " events");
        }
        Provider shape = provider != null ? provider : recording.provider();
        if (plan.needsProvider() && shape == null) {
            throw new InputException("--fault " + plan + ": the recording's events do not say which provider sent them, "
                    + "so whose error to send is unknown; say it with --fault-provider");
        }
        return new FaultedResponse(recording, plan, shape, timing);
    }

    /** Whose error shape {@code status} and {@code error} faults take; null when none needs one and none was told. */
    Provider provider() {
        return provider;
    }

    @Override
    public ReplayServer.Writes open() {
        return plan.status() != null ? new Answer(plan.status()) : new Stream();
    }

    /** The recorded status line and headers, framed for a chunked body on a connection that closes after it. */
    private static byte[] streamHead(HttpResponse recorded) {
        Set<String> dropped = new HashSet<>(FRAMING);
        for (String named : recorded.headers().getAll(HttpHeaderNames.CONNECTION)) {
            for (String name : named.split(",")) {
                dropped.add(name.strip().toLowerCase(Locale.ROOT)); // hop-by-hop by the recording's own say
            }
        }
        StringBuilder s = new StringBuilder("HTTP/1.1 ").append(recorded.status().code()).append(' ')
                .append(recorded.status().reasonPhrase()).append("\r\n");
        for (Map.Entry<String, String> h : recorded.headers()) {
            if (!dropped.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                s.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
            }
        }
        s.append("transfer-encoding: chunked\r\nconnection: close\r\n\r\n");
        return s.toString().getBytes(StandardCharsets.ISO_8859_1); // header bytes as the codec read them, one char a byte
    }

    /** {@code status:CODE}: the status, the provider's error body, and the connection's end. One write. */
    private final class Answer implements ReplayServer.Writes {
        private final Fault.Status status;
        private boolean sent;

        Answer(Fault.Status status) {
            this.status = status;
        }

        @Override
        public ReplayServer.Write next() {
            if (sent) {
                return null;
            }
            sent = true;
            byte[] body = ProviderError.body(provider, status.code());
            String reason = status.code() == 529 ? "Overloaded" : HttpResponseStatus.valueOf(status.code()).reasonPhrase();
            String head = "HTTP/1.1 " + status.code() + " " + reason + "\r\ncontent-type: application/json\r\n"
                    + "content-length: " + body.length + "\r\n"
                    + (status.hasRetryAfter() ? "retry-after: " + status.retryAfterSeconds() + "\r\n" : "")
                    + "connection: close\r\n\r\n";
            ByteArrayOutputStream out = new ByteArrayOutputStream(head.length() + body.length);
            out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(body);
            return new ReplayServer.Write(0, out.toByteArray());
        }

        @Override
        public ReplayServer.Ending ending() {
            return ReplayServer.Ending.FIN;
        }

        @Override
        public void close() {
        }
    }

    /**
     * The recorded stream with the plan's faults, a write at a time. At each event boundary (after
     * 0 events, after 1, ...) the plan is asked, in this order: a stall, then a cut, then the error
     * event; past the last event come the bytes after it (comments, an event the recording cut) and,
     * if the recorded body ended whole, the last chunk.
     */
    private final class Stream implements ReplayServer.Writes {
        private enum State { HEAD, EVENTS, LAST_CHUNK, DONE }

        private final int drip = plan.dripBytesPerSecond();
        private final int dripStep = Math.max(1, drip / DRIP_WRITES_PER_SECOND);
        private State state = State.HEAD;
        /** Events whose bytes are all handed out. */
        private int events;
        /** The body bytes being handed out: {@code span[spanAt, spanEnd)}, whole at {@code spanNanos} capture time. */
        private byte[] span;
        private int spanAt;
        private int spanEnd;
        private long spanNanos;
        /** Every stall so far. */
        private long stalledNanos;
        /** Silence the next write must keep after the last, whatever its schedule: a stall's. */
        private long pauseNanos;
        /** The earliest the next write may go, in nanoseconds from the first: the drip's clock, and the stalls'. */
        private long clock;
        private ReplayServer.Ending ending = ReplayServer.Ending.AS_RECORDED;

        @Override
        public ReplayServer.Write next() {
            while (true) {
                if (spanAt < spanEnd) {
                    return bodyWrite();
                }
                switch (state) {
                    case HEAD:
                        state = State.EVENTS;
                        return write(head, 0, 0);
                    case EVENTS:
                        boundary(); // a span to write, or the stream's end from here
                        break;
                    case LAST_CHUNK:
                        state = State.DONE;
                        return write(LAST_CHUNK, recording.endNanos(), 0);
                    case DONE:
                        if (pauseNanos > 0) {
                            return write(NOTHING, recording.endNanos(), 0); // a stall before the end: a write that only waits
                        }
                        return null;
                    default:
                        throw new IllegalStateException("Unhandled state " + state);
                }
            }
        }

        /**
         * After {@code events} events: applies the stall the plan has there, then sets the next
         * span: the next event, or the error event, or the bytes after the last event; or moves
         * {@code state} on to the stream's end.
         */
        private void boundary() {
            long stall = plan.stallNanosAfter(events);
            stalledNanos += stall;
            clock += stall;
            pauseNanos += stall;
            Fault.Cut cut = plan.cutAfter(events);
            if (cut != null) {
                ending = cut.reset() ? ReplayServer.Ending.RST : ReplayServer.Ending.FIN;
                state = State.DONE;
            } else if (plan.errorAfter(events)) {
                byte[] error = ProviderError.event(provider, events);
                span(error, 0, error.length, events == 0 ? 0 : recording.eventNanos(events - 1));
                ending = ReplayServer.Ending.FIN;
                state = State.LAST_CHUNK;
            } else if (events == recording.events()) {
                span(recording.body(), recording.eventStart(events), recording.body().length, recording.endNanos());
                state = recording.complete() ? State.LAST_CHUNK : State.DONE; // a cut recording stays cut
            } else {
                span(recording.body(), recording.eventStart(events), recording.eventEnd(events), recording.eventNanos(events));
                events++;
            }
        }

        private void span(byte[] bytes, int from, int to, long nanos) {
            span = bytes;
            spanAt = from;
            spanEnd = to;
            spanNanos = nanos;
        }

        /** The next chunk of the span: all of it, or with a drip, a step's worth. */
        private ReplayServer.Write bodyWrite() {
            int n = drip > 0 ? Math.min(dripStep, spanEnd - spanAt) : spanEnd - spanAt;
            byte[] size = (Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] chunk = new byte[size.length + n + CRLF.length];
            System.arraycopy(size, 0, chunk, 0, size.length);
            System.arraycopy(span, spanAt, chunk, size.length, n);
            System.arraycopy(CRLF, 0, chunk, size.length + n, CRLF.length);
            spanAt += n;
            return write(chunk, spanNanos, n);
        }

        /**
         * A write of {@code bodyBytes} body bytes framed in {@code data}, due at its capture time
         * scaled, plus the stalls so far, and no sooner than the clock; a drip then moves the clock
         * by the time those bytes take at its rate, so by any moment no more than rate x time went out.
         */
        private ReplayServer.Write write(byte[] data, long captureNanos, int bodyBytes) {
            long due = Math.max(timing.delayNanos(captureNanos) + stalledNanos,
                    drip > 0 ? clock + bodyBytes * TimeUnit.SECONDS.toNanos(1) / drip : clock);
            clock = due;
            ReplayServer.Write w = new ReplayServer.Write(due, data, pauseNanos);
            pauseNanos = 0;
            return w;
        }

        @Override
        public ReplayServer.Ending ending() {
            return ending;
        }

        @Override
        public void close() {
        }
    }
}

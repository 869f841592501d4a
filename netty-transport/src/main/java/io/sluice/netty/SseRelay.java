package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.ReferenceCountUtil;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.SseHandler;
import io.sluice.core.handoff.OwnedSseEvent;

import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A gateway's relay: every request it reads (after {@code HttpServerCodec} and, for request bodies,
 * an {@code HttpObjectAggregator}) opens one upstream stream with the {@link SseClient}, and that
 * stream's events are written to the requesting client the moment they are parsed, each flushed.
 *
 * <p>Nothing buffers on the way, and nothing grows:
 * <ul>
 *   <li>The upstream stream runs on the downstream channel's event loop, so an event goes from the
 *       upstream's parser to the downstream socket on one thread: its data bytes are copied once,
 *       into the downstream's pooled buffer (no String is made, no event is queued).</li>
 *   <li>When the downstream socket stops taking bytes (not writable: its outbound buffer passed the
 *       channel's write high water mark) the upstream stops reading, and reads again when it drains.
 *       A slow reader holds at most the high water mark plus an upstream read or two, and a
 *       client that reads nothing for {@link Builder#writeStallTimeout} (60 s) is dropped.</li>
 *   <li>When the downstream goes away, the upstream request is cancelled (its connection closed),
 *       so the provider stops generating.</li>
 *   <li>An upstream failure after the stream began (a cut, a timeout, an oversize event) becomes a
 *       last event, {@code event: error} with a JSON body a browser can read, and the response
 *       ends.</li>
 * </ul>
 *
 * <p>The downstream head waits for the upstream's, so a client (a provider's SDK) sees what it
 * would see from the provider: a stream's head carries the upstream's headers under the relay's
 * framing ({@link SseHeaderPolicy}); a refusal is relayed with its own status, headers and body;
 * no answer at all is a {@code 502}, or a {@code 504} after a timeout, with the error JSON as body.
 * One stream at a time per connection, as {@link SseResponder}: a connection kept alive takes its
 * next request when a stream's answer has ended whole, and over HTTP/2 each stream is its own.
 *
 * <p>Before the first token it may try again ({@link SseRelayRetry}): a refused, unreachable or
 * failing upstream is left for another attempt, at the same upstream after a short
 * {@code retry-after} or at the next {@link Builder#fallback fallback}, while nothing has been
 * written downstream. Once a byte has gone to the client, the stream stays with its upstream.
 *
 * <p>The client must run on the server's event loop group ({@link SseClient.Builder#eventLoopGroup}).
 * Sharable: one relay serves every connection; each gets its own {@code Leg} in its pipeline.
 */
@ChannelHandler.Sharable
public final class SseRelay extends ChannelInboundHandlerAdapter {
    /** The most of a refusal's body kept while another attempt is made: the providers' error bodies are a few hundred bytes. */
    private static final int MAX_KEPT_BODY = 64 * 1024;
    /** The most of a passed-on refusal's body its {@link Outcome} keeps: enough for a provider's error JSON. */
    private static final int MAX_OUTCOME_BODY = 8 * 1024;
    private final SseClient client;
    private final Function<FullHttpRequest, SseRequest> upstream;
    /** How long a client may read nothing before the relay drops it: {@link Builder#writeStallTimeout}'s default. */
    public static final Duration DEFAULT_WRITE_STALL_TIMEOUT = Duration.ofSeconds(60);

    private final long heartbeatNanos;
    private final long writeStallNanos;
    private final Consumer<Outcome> onDone;
    private final Function<FullHttpRequest, SseHandler> tapFactory;
    private final boolean consolidateFlushes;
    private final SseHeaderPolicy headers;
    private final List<Function<FullHttpRequest, SseRequest>> fallbacks;
    private final SseRelayRetry retry;
    private final Function<FullHttpRequest, SseRelayRewrite> rewrite;
    /** Null when none: each stream then checks a null observation, not a no-op call. */
    private final SseObserver observer;

    /**
     * What happened to one relayed stream, for an access log. A class, not a record, so that what
     * it says can grow without breaking its users.
     */
    public static final class Outcome {
        private final SocketAddress client;
        private final String method;
        private final String uri;
        private final int upstreamStatus;
        private final long events;
        private final long bytes;
        private final long firstEventNanos;
        private final long totalNanos;
        private final SseException error;
        private final boolean clientGone;
        private final SseHandler tap;
        private final RuntimeException tapFailure;
        private final Answer answer;
        private final List<Attempt> attempts;
        private final HttpHeaders refusalHeaders;
        private final byte[] refusalBody;

        Outcome(SocketAddress client, String method, String uri, int upstreamStatus, long events, long bytes,
                long firstEventNanos, long totalNanos, SseException error, boolean clientGone,
                SseHandler tap, RuntimeException tapFailure, Answer answer, List<Attempt> attempts,
                HttpHeaders refusalHeaders, byte[] refusalBody) {
            this.client = client;
            this.method = method;
            this.uri = uri;
            this.upstreamStatus = upstreamStatus;
            this.events = events;
            this.bytes = bytes;
            this.firstEventNanos = firstEventNanos;
            this.totalNanos = totalNanos;
            this.error = error;
            this.clientGone = clientGone;
            this.tap = tap;
            this.tapFailure = tapFailure;
            this.answer = answer;
            this.attempts = List.copyOf(attempts);
            this.refusalHeaders = refusalHeaders;
            this.refusalBody = refusalBody;
        }

        /**
         * The headers of the upstream's refusal (status 400 and up) the client got as its
         * {@link Answer#UPSTREAM_RESPONSE}, as the client got them; null for any other answer. With
         * {@link #refusalBody()}, what tells who refused and why (sluice-llm's
         * {@code MessageCollector.httpError}), since no event did.
         */
        public HttpHeaders refusalHeaders() {
            return refusalHeaders;
        }

        /**
         * The start of that refusal's body as the client got it (still encoded if the upstream
         * encoded it), at most 8 KiB: a provider's error JSON whole;
         * null for any other answer.
         */
        public byte[] refusalBody() {
            return refusalBody == null ? null : refusalBody.clone();
        }

        /** The downstream client's address. */
        public SocketAddress client() {
            return client;
        }

        /** The downstream request's method. */
        public String method() {
            return method;
        }

        /** The downstream request's URI, as it was sent. */
        public String uri() {
            return uri;
        }

        /** The HTTP status of the upstream answer the client got (of the last attempt otherwise); 0 when none answered. */
        public int upstreamStatus() {
            return upstreamStatus;
        }

        /** Events written downstream, the error event included. */
        public long events() {
            return events;
        }

        /** Body bytes written downstream. */
        public long bytes() {
            return bytes;
        }

        /** From the request to the first event (or body byte) written downstream; -1 if none. */
        public long firstEventNanos() {
            return firstEventNanos;
        }

        /** From the request to the stream's end. */
        public long totalNanos() {
            return totalNanos;
        }

        /** Why the upstream failed; null when it ended cleanly or the client left first. */
        public SseException error() {
            return error;
        }

        /** The downstream client went away before the upstream ended. */
        public boolean clientGone() {
            return clientGone;
        }

        /** The stream's {@link Builder#tap tap}, its end already told; null without one. */
        public SseHandler tap() {
            return tap;
        }

        /** What the tap threw, after which it was told nothing more; null if nothing. */
        public RuntimeException tapFailure() {
            return tapFailure;
        }

        /** What the client was answered with. */
        public Answer answer() {
            return answer;
        }

        /** Every upstream attempt, in order: one unless the relay {@link SseRelayRetry retried} or fell back. */
        public List<Attempt> attempts() {
            return attempts;
        }

        /**
         * The capture files of this stream's failed upstream attempts, in order (usually one: the
         * attempt whose failure the client got); empty when none left one.
         */
        public List<Path> captures() {
            List<Path> files = new ArrayList<>(1);
            for (Attempt a : attempts) {
                if (a.capture() != null) {
                    files.add(a.capture());
                }
            }
            return files;
        }

        /** How it ended: {@link End#OK}, {@link End#CLIENT_GONE}, or the error event's {@code error.type}. */
        public End end() {
            return error != null ? End.of(errorType(error)) : clientGone ? End.CLIENT_GONE : End.OK;
        }

        @Override
        public String toString() {
            return "Outcome(" + method + ' ' + uri + ", upstream " + upstreamStatus + ", " + events + " events, "
                    + bytes + " bytes, " + answer + ", end " + end() + ", attempts " + attempts + ')';
        }
    }

    /** One upstream attempt of a relayed stream. */
    public static final class Attempt {
        private final URI upstream;
        private final int status;
        private final String end;
        private final long nanos;
        private final Path capture;

        Attempt(URI upstream, int status, String end, long nanos, Path capture) {
            this.upstream = upstream;
            this.status = status;
            this.end = end;
            this.nanos = nanos;
            this.capture = capture;
        }

        /** The upstream request's URI. */
        public URI upstream() {
            return upstream;
        }

        /** Its HTTP status; 0 when no head came. */
        public int status() {
            return status;
        }

        /**
         * How it ended, in {@link Outcome#end()}'s words: for the attempt the client got, the
         * stream's own end; for one left behind, why: {@code upstream_status} (a retryable
         * refusal), {@code upstream_error_event} (an error event before the first content), or
         * the failure's error type ({@code upstream_unreachable}, {@code upstream_timeout}, ...).
         */
        public End end() {
            return End.of(end);
        }

        /** From the attempt's start to its end. */
        public long nanos() {
            return nanos;
        }

        /**
         * The file this attempt's failure was captured to, when the relay's client captures
         * failures ({@link SseClient.Builder#captureFailures}); null when it left none.
         */
        public Path capture() {
            return capture;
        }

        @Override
        public String toString() {
            return upstream + " " + status + " " + end + " " + TimeUnit.NANOSECONDS.toMillis(nanos) + " ms"
                    + (capture == null ? "" : " " + capture);
        }
    }

    /**
     * How a relayed stream or one of its attempts ended, by its wire name: {@code ok},
     * {@code client_gone}, or an error type ({@link SseException#errorType()}, {@code relay_failed},
     * {@code upstream_error_event}). A class, not an enum: an {@link SseException} subclass brings
     * its own error type. Equal when the wire names are; {@link #toString()} is the wire name, so a
     * log line prints it as it always did.
     */
    public static final class End {
        /** The upstream ended cleanly and the client got all of it. */
        public static final End OK = new End("ok");
        /** The downstream client went away before the upstream ended. */
        public static final End CLIENT_GONE = new End("client_gone");

        private final String wireName;

        private End(String wireName) {
            this.wireName = wireName;
        }

        static End of(String wireName) {
            return switch (wireName) {
                case "ok" -> OK;
                case "client_gone" -> CLIENT_GONE;
                default -> new End(wireName);
            };
        }

        /** The name the access log and the error event's {@code error.type} use. */
        public String wireName() {
            return wireName;
        }

        /** Neither {@link #OK} nor {@link #CLIENT_GONE}: the upstream or the relay failed. */
        public boolean isError() {
            return this != OK && this != CLIENT_GONE;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof End other && wireName.equals(other.wireName);
        }

        @Override
        public int hashCode() {
            return wireName.hashCode();
        }

        @Override
        public String toString() {
            return wireName;
        }
    }

    /** What a relayed request was answered with (issue 15). */
    public enum Answer {
        /** The upstream's event stream, relayed event by event. */
        EVENT_STREAM,
        /** The upstream's own response, not an event stream (a refusal, a JSON answer), passed on as it came. */
        UPSTREAM_RESPONSE,
        /** The relay's own {@code 502} or {@code 504}: no upstream answer came. */
        RELAY_ERROR,
        /** Nothing: the client left before an answer. */
        NONE
    }

    private SseRelay(Builder b) {
        this.client = b.client;
        this.upstream = b.upstream;
        this.heartbeatNanos = b.heartbeat.toNanos();
        this.writeStallNanos = b.writeStallTimeout.toNanos();
        this.onDone = b.onDone;
        this.tapFactory = b.tap;
        this.consolidateFlushes = b.consolidateFlushes;
        this.headers = b.headers;
        this.fallbacks = List.copyOf(b.fallbacks);
        this.retry = b.retry;
        this.rewrite = b.rewrite;
        this.observer = b.observer;
    }

    /**
     * @param client runs the upstream streams; built on the server's event loop group
     * @param upstream the upstream request for a downstream one (its body, if any, aggregated);
     *     called on the event loop, must not block. An exception it throws is answered with an error event.
     */
    public static Builder builder(SseClient client, Function<FullHttpRequest, SseRequest> upstream) {
        return new Builder(client, upstream);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpRequest)) {
            ReferenceCountUtil.release(msg); // a body part without an aggregator: a GET relay never needs it
            return;
        }
        if (((HttpRequest) msg).decoderResult().isFailure()) {
            // Malformed, or cut short by the client's close (the codec fires what it had): not a
            // request to open an upstream for. A client still there hears why.
            ReferenceCountUtil.release(msg);
            FullHttpResponse badRequest = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST);
            HttpUtil.setContentLength(badRequest, 0);
            ctx.writeAndFlush(badRequest).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        Leg leg = new Leg(System.nanoTime(), (HttpRequest) msg, ctx.name(), observe((HttpRequest) msg));
        ctx.pipeline().replace(this, "sse-relay-leg", leg);
        if (consolidateFlushes && ctx.pipeline().get("sse-relay-flush") == null) {
            // The events of one upstream read arrive in one event-loop turn; flushing each costs a
            // syscall apiece, flushing once at the turn's end costs one. RelayLoadBenchmark sets
            // the two side by side (figures in benchmarks/RESULTS.md).
            ctx.pipeline().addBefore("sse-relay-leg", "sse-relay-flush",
                    new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        }
        leg.start(msg);
    }

    /** The new stream's observation, or null without an observer (or when it watches nothing). */
    private SseObservation observe(HttpRequest request) {
        if (observer == null) {
            return null;
        }
        SseObservation observation = observer.relayedStream(request);
        return observation == SseObservation.NONE ? null : observation;
    }

    /**
     * A client that resets before its request is whole (a vanished client, a port probe): nothing
     * to relay, so close, as a leg does, instead of letting Netty log it as unhandled.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    /**
     * The JSON body of the error event for {@code error}, shaped as the providers shape theirs
     * ({@code {"type":"error","error":{"type":...,"message":...}}}) so one browser handler reads
     * both; a status error adds {@code status} and the upstream's body as text.
     */
    static String errorJson(Throwable error) {
        StringBuilder json = new StringBuilder(128).append("{\"type\":\"error\",\"error\":{\"type\":\"")
                .append(errorType(error)).append("\",\"message\":");
        appendString(json, String.valueOf(error.getMessage()));
        if (error instanceof SseResponseException response) {
            json.append(",\"status\":").append(response.status().code()).append(",\"body\":");
            appendString(json, response.bodyAsString());
        }
        return json.append("}}").toString();
    }

    /** The error's wire name ({@link SseException#errorType()}); a failure of the relay's own is {@code relay_failed}. */
    private static String errorType(Throwable error) {
        return error instanceof SseException sse ? sse.errorType() : "relay_failed";
    }

    /** The relay itself failed: its upstream mapping threw, or its client runs on another event loop group. */
    private static final class RelayFailure extends SseException {
        private static final long serialVersionUID = 1L;

        RelayFailure(RuntimeException cause) {
            super("cannot open the upstream: " + cause.getMessage(), cause);
        }

        @Override
        public String errorType() {
            return "relay_failed";
        }
    }

    /**
     * A JSON string literal. Written here rather than with jackson-core: the transport depends on
     * Netty alone, and one string per failed stream is all the JSON it writes.
     */
    private static void appendString(StringBuilder json, String s) {
        json.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20 || Character.isSurrogate(c) && !validSurrogateAt(s, i)) {
                        // Control characters must be escaped; a lone surrogate would not survive UTF-8.
                        json.append(String.format("\\u%04x", (int) (c < 0x20 ? c : 0xFFFD)));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        json.append('"');
    }

    private static boolean validSurrogateAt(String s, int i) {
        char c = s.charAt(i);
        return Character.isHighSurrogate(c) ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    /**
     * One relayed stream: the downstream connection's handler, on one loop with its upstream
     * attempts ({@link Try}, one at a time). Its states, written out:
     * <pre>
     * CONNECTING --2xx event stream, a fallback possible--> HOLDING --first content, a bound, the window--> RELAYING
     * CONNECTING --2xx event stream, no fallback possible-----------------------------------------------> RELAYING
     * CONNECTING --retryable refusal, another attempt planned--> KEEPING (its body) --> WAITING --> CONNECTING
     * CONNECTING, HOLDING --no answer, a cut, an error event; another attempt planned--> WAITING --> CONNECTING
     * CONNECTING --any other answer--> PASSING
     * </pre>
     * The client's head and first byte wait until RELAYING or PASSING, or the relay's own answer
     * when no attempt is left: an abandoned attempt leaves no trace downstream.
     */
    private final class Leg extends ChannelInboundHandlerAdapter {
        private final long startNanos;
        private final String method;
        private final String uri;
        /** The relay's name in the pipeline, where it goes back when a kept-alive stream ends. */
        private final String relayName;
        private final List<Attempt> attempts = new ArrayList<>(1);
        private ChannelHandlerContext ctx;
        private SocketAddress peer;
        private SseEmitter emitter;
        private HttpVersion version;
        private List<SseRequest> upstreams;
        private State state = State.CONNECTING;
        private Answer answer = Answer.NONE;
        /** The attempt whose callbacks count: an abandoned one's (its cancel's included) are ignored. */
        private Try current;
        private int upstreamIndex;
        /** The wait before the next attempt, or the end of the hold. */
        private ScheduledFuture<?> timer;
        /** Set while the downstream is not writable: its end drops the client (writeStallTimeout). */
        private ScheduledFuture<?> stallTimer;
        private HttpHeaders heldHead;
        /** Held events (owned copies) and retry values (Longs), in the order they came. */
        private ArrayDeque<Object> held;
        private int heldBytes;
        /** The last refusal an attempt was left behind for: the client's answer if no later attempt answers. */
        private Refusal refusal;
        private int upstreamStatus;
        private long firstEventNanos = -1;
        /** Body bytes of an answer given whole (a 502, a 504, a kept refusal) or passed on as it came. */
        private long answeredBytes;
        /** A request came while this stream ran: the connection closes when it ends. */
        private boolean pipelined;
        private SseHandler tap;
        private RuntimeException tapFailure;
        /** The events the client does not get ({@link SseRelayRewrite#hiding}); null, the common case, for none. */
        private Predicate<SseEvent> hidden;
        /** A refusal passed on to the client, its head and body start kept for the {@link Outcome}; null for other answers. */
        private HttpHeaders refusalHeaders;
        private byte[] refusalBody;
        private int refusalBodyLength;
        /** Null when unobserved. */
        private final SseObservation observation;
        /** The observation was told of the first content: no event is classified after it. */
        private boolean contentObserved;

        Leg(long startNanos, HttpRequest request, String relayName, SseObservation observation) {
            this.startNanos = startNanos;
            this.observation = observation;
            this.method = request.method().name();
            this.uri = request.uri();
            this.relayName = relayName;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            this.peer = ctx.channel().remoteAddress(); // read while open: a closed channel may not know it
        }

        void start(Object msg) {
            HttpRequest request = (HttpRequest) msg;
            version = request.protocolVersion();
            emitter = new SseEmitter(ctx, request, heartbeatNanos, this::answered);
            try {
                FullHttpRequest full = request instanceof FullHttpRequest f ? f : withoutBody(request);
                if (rewrite != null) {
                    full = rewritten(full, rewrite.apply(full));
                }
                if (tapFactory != null) {
                    try {
                        tap = tapFactory.apply(full);
                    } catch (RuntimeException e) {
                        tapFailure = e; // the tap's trouble, never the stream's
                    }
                }
                HttpHeaders passed = headers.toUpstream(full.headers());
                upstreams = new ArrayList<>(1 + fallbacks.size());
                upstreams.add(upstream.apply(full).withDefaultHeaders(passed));
                for (Function<FullHttpRequest, SseRequest> fallback : fallbacks) {
                    upstreams.add(fallback.apply(full).withDefaultHeaders(passed));
                }
            } catch (RuntimeException e) {
                // The application's mapping failed: a relay_failed answer.
                fail(e instanceof SseException sse ? sse : new RelayFailure(e));
                return;
            } finally {
                ReferenceCountUtil.release(msg);
            }
            attempt(0);
        }

        private void attempt(int index) {
            timer = null;
            upstreamIndex = index;
            state = State.CONNECTING;
            Try t = new Try(upstreams.get(index));
            current = t;
            SseStream stream;
            try {
                stream = client.open(t.request, ctx.channel().eventLoop(), t);
            } catch (RuntimeException e) {
                // The client runs on another group: no attempt can succeed.
                fail(e instanceof SseException sse ? sse : new RelayFailure(e));
                return;
            }
            t.stream = stream;
            if (current == t && !ctx.channel().isWritable()) {
                stream.pause();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            // Pipelined behind a stream that may never end: dropped, and the connection closes at
            // the stream's end, so the client asks again on a new one.
            pipelined |= msg instanceof HttpRequest;
            ReferenceCountUtil.release(msg);
        }

        /**
         * The client's answer ended whole and the connection is kept alive: the relay takes the
         * next request in this leg's place, unless one was pipelined. Called before the leg's
         * {@link #finish}, which then only reports.
         */
        private void answered() {
            if (pipelined) {
                ctx.close();
                return;
            }
            if (ctx.pipeline().get("sse-relay-flush") != null) {
                ctx.pipeline().remove("sse-relay-flush");
            }
            ctx.pipeline().replace(this, relayName, SseRelay.this);
        }

        /** Ends an answer given as plain HTTP (passed on, or the relay's own), keeping the connection when it may. */
        private void endAnswer(ChannelFuture lastWritten) {
            if (emitter.keepAlive()) {
                answered();
            } else {
                lastWritten.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (writeStallNanos > 0 && state != State.DONE) {
                if (!ctx.channel().isWritable()) {
                    if (stallTimer == null) {
                        // A client that reads nothing for this long is taken as gone: its close
                        // cancels the upstream (inactive below), which stops paying for a generation
                        // nobody reads; paused, the upstream would otherwise be held for ever.
                        stallTimer = ctx.executor().schedule(() -> {
                            stallTimer = null;
                            ctx.close();
                        }, writeStallNanos, TimeUnit.NANOSECONDS);
                    }
                } else {
                    cancelStallTimer();
                }
            }
            if (observation != null && state != State.DONE) {
                if (ctx.channel().isWritable()) {
                    observation.resumed();
                } else {
                    observation.paused();
                }
            }
            if (current != null && current.stream != null) {
                if (ctx.channel().isWritable()) {
                    current.stream.resume();
                } else {
                    current.stream.pause();
                }
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            emitter.stopHeartbeat();
            if (state != State.DONE) {
                if (current != null && current.stream != null) {
                    // Cancelling ends the stream through onError(SseCancelledException), synchronously
                    // here on the loop, or on a later turn: either way finish() reports once.
                    current.stream.cancel();
                } else {
                    finish(null, new SseCancelledException(0, 0)); // between attempts: nothing to cancel but the wait
                }
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a reset from a vanished client: inactive follows and cancels the upstream
        }

        private void opened(Try t, HttpResponseStatus status, HttpHeaders upstreamHeaders) {
            t.status = upstreamStatus = status.code();
            if (state != State.CONNECTING) {
                return; // a reconnect's head is the same stream's
            }
            HttpHeaders passed = headers.toClient(upstreamHeaders);
            if (canFallBack()) {
                state = State.HOLDING;
                heldHead = passed;
                held = new ArrayDeque<>();
                timer = ctx.executor().schedule(() -> {
                    if (current == t && state == State.HOLDING) {
                        release();
                    }
                }, startNanos + retry.windowNanos() - System.nanoTime(), TimeUnit.NANOSECONDS);
            } else {
                sendHead(passed);
            }
        }

        /** Whether a failure of the stream now opening could still move on to the next upstream. */
        private boolean canFallBack() {
            return upstreamIndex + 1 < upstreams.size() && attempts.size() + 1 < retry.maxAttempts()
                    && System.nanoTime() - startNanos < retry.windowNanos();
        }

        private void sendHead(HttpHeaders passed) {
            state = State.RELAYING;
            answer = Answer.EVENT_STREAM;
            emitter.start(passed);
            if (observation != null) {
                observation.head(upstreamStatus);
            }
        }

        /**
         * An answer that is not an event stream: a retryable refusal is kept (bounded) while
         * another attempt is possible; any other goes to the client as it came, its status, its
         * headers by the policy, and its body as it arrives, under the same backpressure as events.
         */
        private void refused(Try t, HttpResponseStatus status, HttpHeaders upstreamHeaders) {
            t.status = upstreamStatus = status.code();
            if (state != State.CONNECTING) {
                return;
            }
            if (retry.retryable(status.code()) && plan(t, upstreamHeaders)) {
                state = State.KEEPING;
                if (refusal != null) {
                    refusal.body.release();
                }
                refusal = new Refusal(status, headers.toClient(upstreamHeaders), ctx.alloc().heapBuffer(256, MAX_KEPT_BODY));
                return;
            }
            state = State.PASSING;
            answer = Answer.UPSTREAM_RESPONSE;
            HttpResponse head = new DefaultHttpResponse(version, status);
            head.headers().set(headers.toClient(upstreamHeaders));
            if (!version.equals(HttpVersion.HTTP_1_0)) {
                // Chunked, so a client tells the body's end from a cut; an HTTP/1.0 client reads to the close.
                head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
            if (!emitter.keepAlive()) {
                head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            if (status.code() >= 400 && onDone != null) { // only an outcome reads it
                refusalHeaders = head.headers();
                refusalBody = new byte[MAX_OUTCOME_BODY];
            }
            ctx.writeAndFlush(head);
            if (observation != null) {
                observation.head(status.code());
            }
        }

        /** Keeps the start of a passed-on refusal's body for the {@link Outcome}, up to {@link #MAX_OUTCOME_BODY}. */
        private void keepRefusal(ByteBuf content) {
            int n = Math.min(content.readableBytes(), refusalBody.length - refusalBodyLength);
            content.getBytes(content.readerIndex(), refusalBody, refusalBodyLength, n);
            refusalBodyLength += n;
        }

        /** A refusal answered whole: its head and the start of its body, for the {@link Outcome}. */
        private void keepRefusal(FullHttpResponse response) {
            if (onDone == null) {
                return;
            }
            refusalHeaders = response.headers();
            refusalBody = new byte[Math.min(MAX_OUTCOME_BODY, response.content().readableBytes())];
            keepRefusal(response.content());
        }

        private void body(Try t, ByteBuf content) {
            if (state == State.KEEPING) {
                ByteBuf kept = refusal.body;
                if (content.readableBytes() > kept.maxWritableBytes()) {
                    refusal.truncated = true; // no whole answer any more: not worth reading on
                    next(t, "upstream_status");
                } else {
                    kept.writeBytes(content, content.readerIndex(), content.readableBytes());
                }
                return;
            }
            if (firstEventNanos < 0) {
                firstEventNanos = System.nanoTime() - startNanos;
            }
            answeredBytes += content.readableBytes();
            if (refusalBody != null) {
                keepRefusal(content);
            }
            // The upstream's own bytes, not a copy: the duplicate keeps the read's buffer until the
            // write completes, which backpressure bounds to the high water mark and one read.
            ctx.writeAndFlush(new DefaultHttpContent(content.retainedDuplicate()));
        }

        private void event(Try t, SseEvent event) {
            if (state == State.HOLDING) {
                boolean error;
                boolean content;
                try {
                    error = retry.isError(event);
                    content = error || retry.isContent(event);
                } catch (RuntimeException e) {
                    error = false; // a predicate that throws ends the hold, never the stream
                    content = true;
                }
                if (error && plan(t, null)) {
                    next(t, "upstream_error_event");
                    return;
                }
                if (!content) {
                    hold(event);
                    return;
                }
                release();
            }
            write(event);
        }

        private void write(SseEvent event) {
            if (firstEventNanos < 0) {
                firstEventNanos = System.nanoTime() - startNanos;
            }
            if (observation != null && !contentObserved && isContent(event)) {
                contentObserved = true;
                observation.firstContent();
            }
            if (hidden == null || !hides(event)) {
                emitter.forward(event);
            }
            if (observation != null) {
                observation.event(event, emitter.bytes());
            }
            if (tapping()) {
                try {
                    tap.onEvent(event); // after the write: the client never waits for the tap
                } catch (RuntimeException e) {
                    tapFailure = e;
                }
            }
        }

        /** Whether the rewrite hides {@code event} from the client; a predicate that throws hides nothing. */
        private boolean hides(SseEvent event) {
            try {
                return hidden.test(event);
            } catch (RuntimeException e) {
                return false;
            }
        }

        /** The request as its rewrite would have it, and the events it hides kept for {@link #write}. */
        private FullHttpRequest rewritten(FullHttpRequest full, SseRelayRewrite change) {
            if (change == null) {
                return full;
            }
            hidden = change.hidden();
            byte[] body = change.newBody();
            if (body == null) {
                return full;
            }
            // An unpooled wrap: nothing to release, and the caller's finally still releases the original.
            FullHttpRequest replaced = full.replace(Unpooled.wrappedBuffer(body));
            HttpUtil.setContentLength(replaced, body.length);
            return replaced;
        }

        /** The retry policy's verdict, for the observation: a predicate that throws counts as content, as in the hold. */
        private boolean isContent(SseEvent event) {
            try {
                return retry.isContent(event);
            } catch (RuntimeException e) {
                return true;
            }
        }

        private void retryField(long millis) {
            if (state == State.HOLDING) {
                held.add(millis);
                return;
            }
            emitter.retry(millis);
            if (tapping()) {
                try {
                    tap.onRetry(millis);
                } catch (RuntimeException e) {
                    tapFailure = e;
                }
            }
        }

        /** Keeps an event before the first content; past the hold's bounds, all that is held goes out. */
        private void hold(SseEvent event) {
            held.add(OwnedSseEvent.copyOf(event, ctx.alloc()));
            heldBytes += event.dataLength();
            if (held.size() > retry.holdEvents() || heldBytes > retry.holdBytes()) {
                release();
            }
        }

        /** The held head and events go out, and fallback ends: from here on this upstream is the stream. */
        private void release() {
            cancelTimer();
            sendHead(heldHead);
            heldHead = null;
            ArrayDeque<Object> out = held;
            held = null;
            heldBytes = 0;
            for (Object o; (o = out.poll()) != null; ) {
                if (o instanceof OwnedSseEvent event) {
                    try {
                        write(event);
                    } finally {
                        event.release();
                    }
                } else {
                    retryField((Long) o);
                }
            }
        }

        private void dropHeld() {
            heldHead = null;
            if (held != null) {
                for (Object o; (o = held.poll()) != null; ) {
                    ReferenceCountUtil.release(o);
                }
                held = null;
            }
            heldBytes = 0;
        }

        private void ended(Try t) {
            switch (state) {
                case KEEPING -> next(t, "upstream_status");
                case PASSING -> {
                    endAnswer(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
                    finish(null, null);
                }
                default -> {
                    if (state == State.HOLDING) {
                        release(); // a stream that ended before any content is still the upstream's answer
                    }
                    emitter.close();
                    finish(null, null);
                }
            }
        }

        private void failed(Try t, SseException error) {
            if (error instanceof SseCancelledException gone) {
                finish(null, gone);
            } else if (state == State.KEEPING) {
                refusal.truncated = true; // its body was cut: no whole answer to give
                next(t, "upstream_status");
            } else if (error.retryable() && plan(t, null)) {
                next(t, errorType(error));
            } else {
                fail(error);
            }
        }

        /**
         * Whether another attempt may follow {@code t}'s failure, before anything went downstream;
         * if so, plans it on {@code t}: the same upstream after a short {@code retry-after}, else
         * the next upstream at once.
         */
        private boolean plan(Try t, HttpHeaders refusalHeaders) {
            if (state != State.CONNECTING && state != State.HOLDING || attempts.size() + 1 >= retry.maxAttempts()) {
                return false;
            }
            long left = startNanos + retry.windowNanos() - System.nanoTime();
            long wait = SseRelayRetry.retryAfterNanos(refusalHeaders);
            if (left <= 0) {
                return false;
            } else if (wait >= 0 && wait <= retry.maxRetryAfterNanos() && wait < left) {
                t.nextIndex = upstreamIndex;
                t.nextDelayNanos = wait;
            } else if (upstreamIndex + 1 < upstreams.size()) {
                t.nextIndex = upstreamIndex + 1;
                t.nextDelayNanos = 0;
            } else {
                return false;
            }
            return true;
        }

        /** Leaves {@code t} behind, for the attempt planned on it. */
        private void next(Try t, String why) {
            attempts.add(new Attempt(t.request.uri(), t.status, why, System.nanoTime() - t.startNanos, t.capture()));
            current = null;
            if (t.stream != null) {
                t.stream.cancel(); // after its end, a no-op; before, the provider stops generating
            }
            cancelTimer();
            dropHeld();
            state = State.WAITING;
            // Never from within the abandoned stream's callback: the next attempt starts on a turn of its own.
            timer = ctx.executor().schedule(() -> {
                if (state == State.WAITING) {
                    attempt(t.nextIndex);
                }
            }, t.nextDelayNanos, TimeUnit.NANOSECONDS);
        }

        private void cancelTimer() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }

        private void cancelStallTimer() {
            if (stallTimer != null) {
                stallTimer.cancel(false);
                stallTimer = null;
            }
        }

        private boolean tapping() {
            return tap != null && tapFailure == null;
        }

        private void fail(SseException error) {
            if (error instanceof SseResponseException response) {
                upstreamStatus = response.status().code();
            }
            switch (state) {
                case PASSING -> ctx.close(); // no last chunk: the client sees the upstream's answer cut, as it was
                case HOLDING, RELAYING -> {
                    if (state == State.HOLDING) {
                        release();
                    }
                    if (firstEventNanos < 0) {
                        firstEventNanos = System.nanoTime() - startNanos;
                    }
                    emitter.end("error", errorJson(error), null);
                }
                default -> {
                    if (refusal != null && !refusal.truncated) {
                        answerWithRefusal(error);
                        return;
                    }
                    answerInstead(error);
                }
            }
            finish(error, null);
        }

        /**
         * Every attempt failed and an earlier one was a whole refusal: the client gets that, the
         * last real status and body, as it would from the provider, not the relay's 502.
         */
        private void answerWithRefusal(SseException lastError) {
            if (current != null) {
                attempts.add(new Attempt(current.request.uri(), current.status, errorType(lastError),
                        System.nanoTime() - current.startNanos, current.capture()));
                current = null;
            }
            FullHttpResponse response = new DefaultFullHttpResponse(version, refusal.status, refusal.body);
            refusal.body = null; // the response's now
            response.headers().set(refusal.headers);
            upstreamStatus = refusal.status.code();
            keepRefusal(response);
            answer(response, Answer.UPSTREAM_RESPONSE);
            finish(null, null); // the provider's own answer, passed on whole
        }

        /**
         * The upstream never gave a stream's head: the client gets what a client of the provider
         * would, so its SDK sees the status and retries as it would. A refusal reported as an
         * error (kept whole by the decoder's {@code maxErrorBody}) is relayed with its own status,
         * headers and body; no answer at all is {@code 504} after a timeout and {@code 502}
         * otherwise, with the error JSON of the error event.
         */
        private void answerInstead(SseException error) {
            if (error instanceof SseResponseException refused && !refused.bodyTruncated()) {
                FullHttpResponse response = new DefaultFullHttpResponse(version, refused.status(), Unpooled.wrappedBuffer(refused.body()));
                response.headers().set(headers.toClient(refused.headers()));
                if (refused.status().code() >= 400) {
                    keepRefusal(response);
                }
                answer(response, Answer.UPSTREAM_RESPONSE);
            } else {
                FullHttpResponse response = new DefaultFullHttpResponse(version, error instanceof SseTimeoutException
                        ? HttpResponseStatus.GATEWAY_TIMEOUT : HttpResponseStatus.BAD_GATEWAY,
                        Unpooled.copiedBuffer(errorJson(error), StandardCharsets.UTF_8));
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
                answer(response, Answer.RELAY_ERROR);
            }
        }

        private void answer(FullHttpResponse response, Answer kind) {
            answer = kind;
            if (observation != null) {
                observation.head(response.status().code());
            }
            answeredBytes = response.content().readableBytes();
            HttpUtil.setContentLength(response, answeredBytes);
            if (!emitter.keepAlive()) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            endAnswer(ctx.writeAndFlush(response));
        }

        /** The one end: the tap hears it (an upstream error, the cancel of a client gone, or a clean end), then onDone. */
        private void finish(SseException error, SseCancelledException gone) {
            if (state == State.DONE) {
                return;
            }
            state = State.DONE;
            cancelTimer();
            cancelStallTimer();
            dropHeld();
            if (refusal != null && refusal.body != null) {
                refusal.body.release();
                refusal.body = null;
            }
            String end = error != null ? errorType(error) : gone != null ? "client_gone" : "ok";
            if (current != null) {
                attempts.add(new Attempt(current.request.uri(), current.status, end, System.nanoTime() - current.startNanos,
                        current.capture()));
                current = null;
            }
            if (tapping()) {
                try {
                    if (error != null || gone != null) {
                        tap.onError(error != null ? error : gone);
                    } else {
                        tap.onEnd(0);
                    }
                } catch (RuntimeException e) {
                    tapFailure = e;
                }
            }
            if (onDone != null || observation != null) {
                Outcome outcome = new Outcome(peer, method, uri, upstreamStatus, emitter.events(), emitter.bytes() + answeredBytes,
                        firstEventNanos, System.nanoTime() - startNanos, error, gone != null, tap, tapFailure, answer, attempts,
                        refusalHeaders, refusalBody == null ? null : Arrays.copyOf(refusalBody, refusalBodyLength));
                if (observation != null) {
                    try {
                        observation.ended(outcome);
                    } catch (RuntimeException e) {
                        // Dropped: a metrics bug must not cost the access log its line (SseObservation's contract).
                    }
                }
                if (onDone != null) {
                    onDone.accept(outcome);
                }
            }
        }

        /** One upstream attempt; its callbacks count while it is the leg's {@link #current}. */
        private final class Try implements SseResponseListener {
            final SseRequest request;
            final long startNanos = System.nanoTime();
            SseStream stream;
            int status;
            /** The attempt planned to follow this one: its upstream, and the wait before it. */
            int nextIndex;
            long nextDelayNanos;

            Try(SseRequest request) {
                this.request = request;
            }

            /** The file the attempt's failure went to; null when it left none. */
            Path capture() {
                return stream == null ? null : stream.failureCapture();
            }

            @Override
            public void onOpen(HttpResponseStatus status, HttpHeaders headers) {
                if (current == this) {
                    opened(this, status, headers);
                }
            }

            @Override
            public void onOtherResponse(HttpResponseStatus status, HttpHeaders headers) {
                if (current == this) {
                    refused(this, status, headers);
                }
            }

            @Override
            public void onBody(ByteBuf content) {
                if (current == this) {
                    body(this, content);
                }
            }

            @Override
            public void onEvent(SseEvent event) {
                if (current == this) {
                    event(this, event);
                }
            }

            @Override
            public void onRetry(long millis) {
                if (current == this) {
                    retryField(millis);
                }
            }

            @Override
            public void onEnd() {
                if (current == this) {
                    ended(this);
                }
            }

            @Override
            public void onError(SseException error) {
                if (current == this) {
                    failed(this, error);
                }
            }
        }
    }

    /** Where a {@link Leg} stands; see its state diagram. */
    private enum State { CONNECTING, KEEPING, WAITING, HOLDING, RELAYING, PASSING, DONE }

    /** A refusal kept while another attempt is made: status, headers (by the policy) and body, up to {@link #MAX_KEPT_BODY}. */
    private static final class Refusal {
        final HttpResponseStatus status;
        final HttpHeaders headers;
        ByteBuf body;
        boolean truncated;

        Refusal(HttpResponseStatus status, HttpHeaders headers, ByteBuf body) {
            this.status = status;
            this.headers = headers;
            this.body = body;
        }
    }

    private static FullHttpRequest withoutBody(HttpRequest request) {
        return new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                Unpooled.EMPTY_BUFFER, request.headers(), EmptyHttpHeaders.INSTANCE);
    }

    /** Options of a relay. */
    public static final class Builder {
        private final SseClient client;
        private final Function<FullHttpRequest, SseRequest> upstream;
        private Duration heartbeat = Duration.ofSeconds(15);
        private Duration writeStallTimeout = DEFAULT_WRITE_STALL_TIMEOUT;
        private Consumer<Outcome> onDone;
        private Function<FullHttpRequest, SseHandler> tap;
        private boolean consolidateFlushes = true;
        private SseHeaderPolicy headers = SseHeaderPolicy.DEFAULT;
        private final List<Function<FullHttpRequest, SseRequest>> fallbacks = new ArrayList<>();
        private SseRelayRetry retry = SseRelayRetry.DEFAULT;
        private Function<FullHttpRequest, SseRelayRewrite> rewrite;
        private SseObserver observer;

        private Builder(SseClient client, Function<FullHttpRequest, SseRequest> upstream) {
            this.client = Objects.requireNonNull(client, "client");
            this.upstream = Objects.requireNonNull(upstream, "upstream");
        }

        /**
         * How long a client may leave its downstream unwritable (its outbound buffer past the high
         * water: it reads nothing, or too little) before the relay takes it as gone, closes its
         * connection and cancels its upstream: default 60 s, zero for no bound. Reading again
         * before then, even slowly, restarts the clock. Over HTTP/2 it is the stream's window.
         */
        public Builder writeStallTimeout(Duration writeStallTimeout) {
            if (writeStallTimeout.isNegative()) {
                throw new IllegalArgumentException("writeStallTimeout must not be negative: " + writeStallTimeout);
            }
            this.writeStallTimeout = writeStallTimeout;
            return this;
        }

        /** Idle time before a comment keeps the downstream open (default 15 s); zero for none. */
        public Builder heartbeat(Duration heartbeat) {
            if (heartbeat.isNegative()) {
                throw new IllegalArgumentException("heartbeat must not be negative: " + heartbeat);
            }
            this.heartbeat = heartbeat;
            return this;
        }

        /**
         * Whether each stream's flushes within one event-loop turn become one (Netty's
         * {@code FlushConsolidationHandler}, placed just before the relay in the stream's
         * pipeline): default true. Off, every event is flushed as it is written.
         */
        public Builder consolidateFlushes(boolean consolidate) {
            this.consolidateFlushes = consolidate;
            return this;
        }

        /**
         * Also hands each stream's events to a handler of its own, made by {@code tap} for the
         * request: to keep the final message (sluice-llm's {@code MessageCollector} is an
         * {@code SseHandler}), count tokens, log. On the event loop: each event's view (valid during
         * the call) after it is written downstream, {@code retry} values, then exactly one end,
         * {@code onEnd(0)} or {@code onError} (the upstream's error, or {@link SseCancelledException}
         * when the client left), before {@link #onDone}, whose {@link Outcome#tap()} it is. Must
         * not block. What a tap throws stops the tap, never the stream ({@link Outcome#tapFailure()}).
         */
        public Builder tap(Function<FullHttpRequest, SseHandler> tap) {
            this.tap = tap;
            return this;
        }

        /**
         * Which headers cross the relay: the client's request headers go upstream under those the
         * {@code upstream} mapping sets, and the upstream's response headers reach the client
         * under the relay's own framing. Default {@link SseHeaderPolicy#DEFAULT}: all but the
         * hop-by-hop ones and those the relay sets. A relay that requires a credential from its
         * clients drops it here ({@link SseHeaderPolicy#dropping}), or the upstream receives it.
         */
        public Builder headerPolicy(SseHeaderPolicy policy) {
            this.headers = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Adds an upstream to fall back to, after {@code upstream} and the fallbacks added before
         * it, when an attempt fails before the first content ({@link SseRelayRetry}). Mapped as
         * {@code upstream} is, for every request, when its stream opens; the client's headers go
         * under its own in the same way.
         */
        public Builder fallback(Function<FullHttpRequest, SseRequest> next) {
            this.fallbacks.add(Objects.requireNonNull(next, "next"));
            return this;
        }

        /** When to try again before the first token, and what to hold meanwhile (default {@link SseRelayRetry#DEFAULT}). */
        public Builder retry(SseRelayRetry policy) {
            this.retry = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Rewrites requests before they go upstream, and hides events of their streams from the
         * client ({@link SseRelayRewrite}); sluice-llm's {@code IncludeUsage} is one. Called on the
         * event loop once per request, with its aggregated body, before the {@link #tap tap} and
         * the upstream mappings, which see the rewritten request; must not block. Null, its answer
         * for most requests, relays the request and its stream untouched. An exception it throws
         * is answered as one from the upstream mapping.
         */
        public Builder rewrite(Function<FullHttpRequest, SseRelayRewrite> rewrite) {
            this.rewrite = rewrite;
            return this;
        }

        /**
         * Tells {@code observer} of every relayed stream, for metrics (sluice-micrometer's
         * {@code SluiceMetrics}); null (the default) observes nothing, at no cost per event. The
         * client's own observer, if any, sees each upstream attempt as a client stream besides.
         */
        public Builder observer(SseObserver observer) {
            this.observer = observer;
            return this;
        }

        /** Called on the event loop once per stream, when it ends: an access log. Must not block. */
        public Builder onDone(Consumer<Outcome> onDone) {
            this.onDone = onDone;
            return this;
        }

        public SseRelay build() {
            return new SseRelay(this);
        }
    }
}

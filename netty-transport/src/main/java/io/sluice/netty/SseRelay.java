package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
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
import io.sluice.core.SseBoundExceededException;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.SseHandler;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

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
 *       A slow reader holds at most the high water mark plus an upstream read or two.</li>
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
 * One stream per connection, as {@link SseResponder}.
 *
 * <p>The client must run on the server's event loop group ({@link SseClient.Builder#eventLoopGroup}).
 * Sharable: one relay serves every connection; each gets its own {@code Leg} in its pipeline.
 */
@ChannelHandler.Sharable
public final class SseRelay extends ChannelInboundHandlerAdapter {
    private final SseClient client;
    private final Function<FullHttpRequest, SseRequest> upstream;
    private final long heartbeatNanos;
    private final Consumer<Outcome> onDone;
    private final Function<FullHttpRequest, SseHandler> tapFactory;
    private final boolean consolidateFlushes;
    private final SseHeaderPolicy headers;

    /**
     * What happened to one relayed stream, for an access log.
     *
     * @param client the downstream client's address
     * @param upstreamStatus the upstream's HTTP status (of its last connection), 0 when none answered
     * @param events events written downstream, the error event included
     * @param bytes body bytes written downstream
     * @param firstEventNanos from the request to the first event written downstream; -1 if none
     * @param totalNanos from the request to the stream's end
     * @param error why the upstream failed; null when it ended cleanly or the client left first
     * @param clientGone the downstream client went away before the upstream ended
     * @param tap the stream's {@link Builder#tap tap}, its end already told; null without one
     * @param tapFailure what the tap threw, after which it was told nothing more; null if nothing
     * @param answer what the client was answered with
     */
    public record Outcome(SocketAddress client, String method, String uri, int upstreamStatus, long events, long bytes,
                          long firstEventNanos, long totalNanos, SseException error, boolean clientGone,
                          SseHandler tap, RuntimeException tapFailure, Answer answer) {
        /** How it ended, in a word: {@code ok}, {@code client_gone}, or the error event's {@code error.type}. */
        public String end() {
            return error != null ? errorType(error) : clientGone ? "client_gone" : "ok";
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
        this.onDone = b.onDone;
        this.tapFactory = b.tap;
        this.consolidateFlushes = b.consolidateFlushes;
        this.headers = b.headers;
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
        Leg leg = new Leg(System.nanoTime(), (HttpRequest) msg);
        ctx.pipeline().replace(this, "sse-relay-leg", leg);
        if (consolidateFlushes) {
            // The events of one upstream read arrive in one event-loop turn; flushing each costs a
            // syscall apiece, flushing once at the turn's end costs one. RelayLoadBenchmark, 1,000
            // streams x 400 events: 154k-186k events/s consolidated against 122k-138k flushing
            // each, the paced first event's pass-through the same within noise (docs/gateway.md).
            ctx.pipeline().addBefore("sse-relay-leg", "sse-relay-flush",
                    new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        }
        leg.start(msg);
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

    private static String errorType(Throwable error) {
        if (error instanceof SseStatusException) {
            return "upstream_status";
        } else if (error instanceof SseContentTypeException) {
            return "upstream_not_event_stream";
        } else if (error instanceof SseConnectException) {
            return "upstream_unreachable";
        } else if (error instanceof SseTimeoutException) {
            return "upstream_timeout";
        } else if (error instanceof SseClosedEarlyException) {
            return "upstream_closed_early";
        } else if (error instanceof SseMalformedResponseException) {
            return "upstream_malformed";
        } else if (error instanceof SseBoundExceededException) {
            return "event_too_large";
        }
        return "relay_failed";
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

    /** One relayed stream: the downstream connection's handler and the upstream's listener, on one loop. */
    private final class Leg extends ChannelInboundHandlerAdapter implements SseResponseListener {
        private final long startNanos;
        private final String method;
        private final String uri;
        private ChannelHandlerContext ctx;
        private SocketAddress peer;
        private SseEmitter emitter;
        private SseStream stream;
        private int upstreamStatus;
        private long firstEventNanos = -1;
        private boolean done;
        /** The downstream head went out: from then on a failure can only be a last error event. */
        private boolean headSent;
        /** Body bytes of an answer given instead of a stream (a 502 or 504), or of the upstream's own passed on. */
        private long answeredBytes;
        /** The upstream's answer is not an event stream: its body goes to the client as it comes. */
        private boolean passing;
        private HttpVersion version;
        private SseHandler tap;
        private RuntimeException tapFailure;

        Leg(long startNanos, HttpRequest request) {
            this.startNanos = startNanos;
            this.method = request.method().name();
            this.uri = request.uri();
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            this.peer = ctx.channel().remoteAddress(); // read while open: a closed channel may not know it
        }

        void start(Object msg) {
            HttpRequest request = (HttpRequest) msg;
            version = request.protocolVersion();
            // No head yet: it waits for the upstream's, whose status and headers it carries (issue 15).
            emitter = new SseEmitter(ctx, request, heartbeatNanos);
            try {
                FullHttpRequest full = request instanceof FullHttpRequest f ? f : withoutBody(request);
                if (tapFactory != null) {
                    try {
                        tap = tapFactory.apply(full);
                    } catch (RuntimeException e) {
                        tapFailure = e; // the tap's trouble, never the stream's
                    }
                }
                SseRequest up = upstream.apply(full).withDefaultHeaders(headers.toUpstream(full.headers()));
                stream = client.open(up, ctx.channel().eventLoop(), this);
            } catch (RuntimeException e) {
                // The application's mapping failed, or the client runs on another group: a relay_failed event.
                fail(e instanceof SseException sse ? sse : new SseException("cannot open the upstream: " + e.getMessage(), e));
                return;
            } finally {
                ReferenceCountUtil.release(msg);
            }
            if (!ctx.channel().isWritable()) {
                stream.pause();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg); // one stream per connection: later requests go unanswered
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (stream != null) {
                if (ctx.channel().isWritable()) {
                    stream.resume();
                } else {
                    stream.pause();
                }
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            emitter.stopHeartbeat();
            if (!done) {
                // Cancelling ends the stream through onError(SseCancelledException), synchronously
                // here on the loop, or on a later turn: either way finish() reports once.
                stream.cancel();
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a reset from a vanished client: inactive follows and cancels the upstream
        }

        @Override
        public void onOpen(HttpResponseStatus status, HttpHeaders upstreamHeaders) {
            upstreamStatus = status.code();
            if (!headSent) { // once: a reconnect's head is the same stream's
                headSent = true;
                emitter.start(headers.toClient(upstreamHeaders));
            }
        }

        /**
         * An answer that is not an event stream (a refusal, a {@code "stream": false} JSON answer):
         * the client gets it as it came, its status, its headers by the policy, and its body as
         * it arrives, under the same backpressure as events (issue 15).
         */
        @Override
        public void onOtherResponse(HttpResponseStatus status, HttpHeaders upstreamHeaders) {
            upstreamStatus = status.code();
            if (headSent) {
                return;
            }
            headSent = true;
            passing = true;
            HttpResponse head = new DefaultHttpResponse(version, status);
            head.headers().set(headers.toClient(upstreamHeaders));
            if (!version.equals(HttpVersion.HTTP_1_0)) {
                // Chunked, so a client tells the body's end from a cut; an HTTP/1.0 client reads to the close.
                head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            }
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(head);
        }

        @Override
        public void onBody(ByteBuf content) {
            if (firstEventNanos < 0) {
                firstEventNanos = System.nanoTime() - startNanos;
            }
            answeredBytes += content.readableBytes();
            // The upstream's own bytes, not a copy: the duplicate keeps the read's buffer until the
            // write completes, which backpressure bounds to the high water mark and one read.
            ctx.writeAndFlush(new DefaultHttpContent(content.retainedDuplicate()));
        }

        @Override
        public void onEvent(SseEvent event) {
            if (firstEventNanos < 0) {
                firstEventNanos = System.nanoTime() - startNanos;
            }
            emitter.event(event);
            if (tapping()) {
                try {
                    tap.onEvent(event); // after the write: the client never waits for the tap
                } catch (RuntimeException e) {
                    tapFailure = e;
                }
            }
        }

        @Override
        public void onRetry(long millis) {
            emitter.retry(millis);
            if (tapping()) {
                try {
                    tap.onRetry(millis);
                } catch (RuntimeException e) {
                    tapFailure = e;
                }
            }
        }

        @Override
        public void onEnd() {
            if (passing) {
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
            } else {
                emitter.close();
            }
            finish(null, null);
        }

        @Override
        public void onError(SseException error) {
            if (error instanceof SseCancelledException gone) {
                finish(null, gone);
            } else {
                fail(error);
            }
        }

        private Answer answer() {
            return passing ? Answer.UPSTREAM_RESPONSE : headSent ? Answer.EVENT_STREAM
                    : answeredBytes > 0 ? Answer.RELAY_ERROR : Answer.NONE;
        }

        private boolean tapping() {
            return tap != null && tapFailure == null;
        }

        private void fail(SseException error) {
            if (error instanceof SseResponseException response) {
                upstreamStatus = response.status().code();
            }
            if (!headSent) {
                answerInstead(error);
                finish(error, null);
                return;
            }
            if (passing) {
                ctx.close(); // no last chunk: the client sees the upstream's answer cut, as it was
                finish(error, null);
                return;
            }
            if (firstEventNanos < 0) {
                firstEventNanos = System.nanoTime() - startNanos;
            }
            emitter.end("error", errorJson(error), null);
            finish(error, null);
        }

        /**
         * The upstream never gave a stream's head: the client gets what a client of the provider
         * would, so its SDK sees the status and retries as it would. A refusal is relayed with its
         * own status, headers and body, when the decoder kept the whole body (its
         * {@code maxErrorBody}: a larger one is not streamed through yet, and a cut body must not
         * pass for a whole one, so it is a {@code 502} saying so); no answer at all is {@code 504}
         * after a timeout and {@code 502} otherwise, with the error JSON of the error event.
         */
        private void answerInstead(SseException error) {
            FullHttpResponse answer;
            if (error instanceof SseResponseException refusal && !refusal.bodyTruncated()) {
                answer = new DefaultFullHttpResponse(version, refusal.status(), Unpooled.wrappedBuffer(refusal.body()));
                answer.headers().set(headers.toClient(refusal.headers()));
            } else {
                answer = new DefaultFullHttpResponse(version, error instanceof SseTimeoutException
                        ? HttpResponseStatus.GATEWAY_TIMEOUT : HttpResponseStatus.BAD_GATEWAY,
                        Unpooled.copiedBuffer(errorJson(error), StandardCharsets.UTF_8));
                answer.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            }
            answeredBytes = answer.content().readableBytes();
            HttpUtil.setContentLength(answer, answeredBytes);
            answer.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE); // one answer per connection
            ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
        }

        /** The one end: the tap hears it (an upstream error, the cancel of a client gone, or a clean end), then onDone. */
        private void finish(SseException error, SseCancelledException gone) {
            if (done) {
                return;
            }
            done = true;
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
            if (onDone != null) {
                onDone.accept(new Outcome(peer, method, uri, upstreamStatus, emitter.events(), emitter.bytes() + answeredBytes,
                        firstEventNanos, System.nanoTime() - startNanos, error, gone != null, tap, tapFailure, answer()));
            }
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
        private Consumer<Outcome> onDone;
        private Function<FullHttpRequest, SseHandler> tap;
        private boolean consolidateFlushes = true;
        private SseHeaderPolicy headers = SseHeaderPolicy.DEFAULT;

        private Builder(SseClient client, Function<FullHttpRequest, SseRequest> upstream) {
            this.client = Objects.requireNonNull(client, "client");
            this.upstream = Objects.requireNonNull(upstream, "upstream");
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

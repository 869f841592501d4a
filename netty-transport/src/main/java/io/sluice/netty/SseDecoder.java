package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.SseHandler;
import io.sluice.core.SseParser;
import io.sluice.core.Utf8Decoder;
import io.sluice.core.handoff.OwnedSseEvent;

/**
 * Turns an HTTP response into Server-Sent Events. Place it after {@code HttpClientCodec} (and an
 * optional {@link SseDecompressor}); it reads {@link HttpObject}s and fires, in stream order:
 *
 * <ul>
 *   <li>{@code channelRead(OwnedSseEvent)} for each event: owned, so the next handler releases it
 *       (or passes it on; the pipeline's tail releases what nobody took);</li>
 *   <li>{@code userEventTriggered(Retry)} for each valid {@code retry} field;</li>
 *   <li>{@code userEventTriggered(Comment)} for each comment line, when the settings ask for
 *       comments (a tool that shows the stream as it came, as {@code sluice replay --comments}
 *       does; a client has no use for them, so by default none are fired);</li>
 *   <li>built to pass other responses on, for a response that is not a 2xx event stream:
 *       {@code userEventTriggered(OtherResponse)}, then its body as {@code ByteBuf}s (the next
 *       handler's to release) instead of an {@link SseResponseException};</li>
 *   <li>then exactly one end: {@code userEventTriggered(StreamEnd)} when the response ended on an
 *       event boundary, or {@code exceptionCaught} with an {@link SseException}:
 *       {@link SseStatusException} or {@link SseContentTypeException} before the stream,
 *       {@link SseClosedEarlyException} when the connection or the response ended first,
 *       {@link SseMalformedResponseException} when the body's framing or coding broke,
 *       {@link SseTimeoutException} on an {@link IdleStateEvent}, {@link SseConnectException}
 *       when the connection failed before a response, and the parser's
 *       {@link io.sluice.core.SseBoundExceededException} (after which the channel is closed).</li>
 * </ul>
 *
 * <p>A non-2xx or non-event-stream response's body is kept up to {@code maxErrorBody} bytes (the
 * rest is counted and dropped) and reported when the response ends. Other exceptions from the
 * pipeline below (a reset, a TLS failure) are remembered, the channel is closed, and they become
 * the cause of the typed error reported when it goes inactive. One decoder serves one response;
 * messages after its end are released unread.
 */
public final class SseDecoder extends ChannelInboundHandlerAdapter {
    /** Default bound on the error body kept for {@link SseResponseException}: 64 KiB. */
    public static final int DEFAULT_MAX_ERROR_BODY = 64 * 1024;

    private static final AsciiString EVENT_STREAM = AsciiString.cached("text/event-stream");

    /**
     * The response was accepted as an event stream: a 2xx {@code text/event-stream} head (interim
     * 1xx answers before it are skipped), fired before
     * its first event. Its headers are the response's own object, valid while the response is read.
     */
    public record Open(HttpResponseStatus status, HttpHeaders headers) {
    }

    /**
     * A response that is not an event stream, passed through rather than refused (a decoder built
     * to pass other responses): its body follows as {@code ByteBuf} messages, the next handler's
     * to release, then a {@link StreamEnd} (with no events) or the error that cut it. Its headers
     * are the response's own object, valid while the response is read.
     */
    public record OtherResponse(HttpResponseStatus status, HttpHeaders headers) {
    }

    /** The stream ended cleanly: the response ended on an event boundary. */
    public record StreamEnd(long events, long bytes) {
    }

    /** The server's {@code retry} field: its reconnection time. */
    public record Retry(long millis) {
    }

    /**
     * A comment line (one that starts with a colon), fired only when {@link Settings#comments()}
     * asks: the bytes after the colon, nothing stripped, in {@code buffer} at
     * {@code [index, index + length)}. A view, as {@link SseHandler#onComment} gets: valid during
     * {@code userEventTriggered} only; read it, never release or retain it.
     */
    public record Comment(ByteBuf buffer, int index, int length) {
        /** The comment decoded as UTF-8 (malformed sequences replaced), to keep past the call. */
        public String text() {
            return Utf8Decoder.decode(buffer, index, length);
        }
    }

    /**
     * The parser's bounds, its recovery policy, how much of a rejected response's body to keep, and
     * whether to fire comment lines ({@link Comment}). With {@code skipOversizedEvents}, a bound
     * error does not end the stream: it is fired as a user event
     * ({@link io.sluice.core.SseBoundExceededException}) and the stream goes on.
     */
    public record Settings(int maxLineLength, int maxEventSize, boolean skipOversizedEvents, int maxErrorBody,
                           boolean comments) {
        public static final Settings DEFAULTS = new Settings(
                SseParser.DEFAULT_MAX_LINE_LENGTH, SseParser.DEFAULT_MAX_EVENT_SIZE, false, DEFAULT_MAX_ERROR_BODY);

        /** Settings that fire no comments. */
        public Settings(int maxLineLength, int maxEventSize, boolean skipOversizedEvents, int maxErrorBody) {
            this(maxLineLength, maxEventSize, skipOversizedEvents, maxErrorBody, false);
        }
    }

    private enum State {
        AWAIT_RESPONSE,
        STREAMING,
        /** Collecting the body of a response that is not an event stream. */
        REJECTED,
        /** Passing on the body of a response that is not an event stream. */
        PASSING,
        DONE
    }

    private final Settings settings;
    private final long idleTimeoutMillis;
    private final boolean passOtherResponses;
    private long passedBytes;

    private State state = State.AWAIT_RESPONSE;
    private ChannelHandlerContext ctx;
    private ViewSink viewSink;
    private SseParser parser;
    private long incompleteTail = -1;
    /** A bound error the parser reported during the current feed; acted on once feed returns. */
    private SseException parserError;
    private Throwable cause;

    /** The response's framing lets the connection carry another: HTTP/1.1 keep-alive, its body sized or chunked. */
    private boolean persistent;
    /** A final (not 1xx) response head arrived. */
    private boolean headSeen;
    /** The response's body was read to its framed end (not to a close or a cut). */
    private boolean endedWhole;

    private HttpResponse rejected;
    private ByteBuf errorBody;
    private long errorBodyBytes;

    /** A decoder with the parser's default bounds, a 64 KiB error body and no idle timeout reporting. */
    public SseDecoder() {
        this(Settings.DEFAULTS, 0);
    }

    /**
     * @param settings bounds of the parser and of a rejected response's kept body
     * @param idleTimeoutMillis the reader idle time of an {@code IdleStateHandler} earlier in the
     *     pipeline, named in the {@link SseTimeoutException} it causes; 0 if there is none
     */
    public SseDecoder(Settings settings, long idleTimeoutMillis) {
        this(settings, idleTimeoutMillis, false);
    }

    /**
     * @param passOtherResponses a response that is not a 2xx event stream is passed on
     *     ({@link OtherResponse}, then its body) instead of ending the stream with an
     *     {@link SseResponseException}: what a relay that answers with the upstream's own
     *     response wants
     */
    public SseDecoder(Settings settings, long idleTimeoutMillis, boolean passOtherResponses) {
        this.settings = settings;
        this.idleTimeoutMillis = idleTimeoutMillis;
        this.passOtherResponses = passOtherResponses;
    }

    /** Events dispatched so far. */
    public long events() {
        return parser == null ? 0 : parser.eventsDispatched();
    }

    /**
     * Whether the connection may carry another request: the stream ended cleanly at its body's
     * framed end (its last chunk, or its length) and the response kept the connection alive. A
     * body read to the close, a cut, an error, an idle timeout: never.
     */
    boolean reusable() {
        return state == State.DONE && endedWhole && persistent && cause == null;
    }

    /** Whether the response's head has arrived: a failure from here on cuts a response rather than prevents one. */
    boolean opened() {
        return headSeen;
    }

    /** Event-stream body bytes received so far, or the bytes of a passed-on response's body. */
    public long bytes() {
        return parser == null ? passedBytes : parser.bytesFed();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseState();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            read((HttpObject) msg);
        } finally {
            ReferenceCountUtil.release(msg); // the parser never keeps the caller's buffer
        }
    }

    private void read(HttpObject msg) {
        switch (state) {
            case AWAIT_RESPONSE:
                if (msg.decoderResult().isFailure()) {
                    finish(new SseConnectException("malformed HTTP response", msg.decoderResult().cause()));
                    return;
                }
                if (!(msg instanceof HttpResponse)) {
                    return; // stray content of an earlier response on the connection
                }
                HttpResponse response = (HttpResponse) msg;
                if (isInterim(response.status())) {
                    return; // 100 Continue, 103 Early Hints: the answer is still to come (RFC 9110, 15.2)
                }
                headSeen = true;
                persistent = HttpUtil.isKeepAlive(response)
                        && (HttpUtil.isTransferEncodingChunked(response) || HttpUtil.isContentLengthSet(response));
                if ((response.status().codeClass() != HttpStatusClass.SUCCESS || !isEventStream(response.headers())
                        || !isIdentity(response.headers())) && passOtherResponses) {
                    state = State.PASSING;
                    ctx.fireUserEventTriggered(new OtherResponse(response.status(), response.headers()));
                } else if (response.status().codeClass() != HttpStatusClass.SUCCESS || !isEventStream(response.headers())
                        || !isIdentity(response.headers())) {
                    rejected = response;
                    errorBody = ctx.alloc().buffer(Math.min(settings.maxErrorBody(), 1024), settings.maxErrorBody());
                    state = State.REJECTED;
                } else {
                    parser = SseParser.builder()
                            .allocator(ctx.alloc())
                            .maxLineLength(settings.maxLineLength())
                            .maxEventSize(settings.maxEventSize())
                            .skipOversizedEvents(settings.skipOversizedEvents())
                            .build(new Sink());
                    state = State.STREAMING;
                    ctx.fireUserEventTriggered(new Open(response.status(), response.headers()));
                }
                if (msg instanceof HttpContent) {
                    read(msg); // a full response object carries its content too
                }
                return;
            case STREAMING:
                if (!(msg instanceof HttpContent)) {
                    return;
                }
                if (msg.decoderResult().isFailure()) {
                    // A chunk size that is not one, a body that does not inflate: not a drop, a
                    // response that cannot be read on (the codec stops reading it too).
                    finish(new SseMalformedResponseException(events(), bytes(), msg.decoderResult().cause()));
                    ctx.close();
                    return;
                }
                parser.feed(((HttpContent) msg).content());
                if (parserError != null) {
                    failOnBound();
                    return;
                }
                if (msg instanceof LastHttpContent) {
                    endedWhole = true;
                    endStream();
                }
                return;
            case REJECTED:
                if (!(msg instanceof HttpContent)) {
                    return;
                }
                ByteBuf content = ((HttpContent) msg).content();
                errorBodyBytes += content.readableBytes();
                errorBody.writeBytes(content, content.readerIndex(),
                        Math.min(content.readableBytes(), errorBody.maxWritableBytes()));
                if (msg instanceof LastHttpContent || msg.decoderResult().isFailure()) {
                    finishRejected();
                }
                return;
            case PASSING:
                if (!(msg instanceof HttpContent)) {
                    return;
                }
                if (msg.decoderResult().isFailure()) {
                    finish(new SseMalformedResponseException(0, passedBytes, msg.decoderResult().cause()));
                    ctx.close();
                    return;
                }
                ByteBuf body = ((HttpContent) msg).content();
                passedBytes += body.readableBytes();
                if (body.isReadable()) {
                    ctx.fireChannelRead(body.retain()); // the caller releases the message; this is the next handler's
                }
                if (msg instanceof LastHttpContent) {
                    endedWhole = true;
                    state = State.DONE;
                    ctx.fireUserEventTriggered(new StreamEnd(0, passedBytes));
                }
                return;
            case DONE:
                return;
            default:
                throw new IllegalStateException("Unhandled state " + state);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inputEnded();
        ctx.fireChannelInactive();
    }

    /**
     * The connection's input ended: it closed, or (half-closure allowed) the server shut its side.
     * What was not ended by then was cut.
     */
    private void inputEnded() {
        switch (state) {
            case AWAIT_RESPONSE:
                finish(new SseConnectException("connection closed before the response", cause));
                break;
            case STREAMING:
                // HttpClientCodec ends a body that runs to the close with a LastHttpContent, and sends
                // none for a chunked or sized body cut short: reaching here without one is a cut.
                if (cause == null) {
                    cause = new PrematureChannelClosureException("connection closed before the end of the response");
                }
                endStream();
                break;
            case REJECTED:
                finishRejected(); // what arrived of the body is enough to say why
                break;
            case PASSING:
                // A sized or chunked body cut short: the codec sent no LastHttpContent.
                finish(new SseClosedEarlyException(0, passedBytes, 0, cause));
                break;
            case DONE:
                break;
            default:
                throw new IllegalStateException("Unhandled state " + state);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputEnded(); // the codec fired the body's end, if the close made one, before this
            ctx.fireUserEventTriggered(evt);
            return;
        }
        if (evt instanceof IdleStateEvent && (state == State.STREAMING || state == State.AWAIT_RESPONSE
                || state == State.PASSING)) {
            finish(new SseTimeoutException(SseTimeoutException.Kind.IDLE, idleTimeoutMillis, events(), bytes()));
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable error) {
        if (error instanceof SseException) {
            // A typed end raised below us (a first-byte timeout): it is this stream's one end.
            if (state != State.DONE) {
                releaseState();
                state = State.DONE;
            }
            ctx.fireExceptionCaught(error);
            return;
        }
        // A reset, a TLS failure: it becomes the cause of the typed end reported when the channel closes.
        if (cause == null) {
            cause = error;
        }
        ctx.close();
    }

    private void endStream() {
        parser.end(); // reports the tail through Sink.onEnd, or a bound error through Sink.onError
        if (parserError != null) {
            failOnBound();
            return;
        }
        long events = parser.eventsDispatched();
        long bytes = parser.bytesFed();
        if (incompleteTail == 0 && cause == null) {
            releaseState();
            state = State.DONE;
            ctx.fireUserEventTriggered(new StreamEnd(events, bytes));
        } else {
            finish(new SseClosedEarlyException(events, bytes, Math.max(incompleteTail, 0), cause));
        }
    }

    private void failOnBound() {
        finish(parserError);
        ctx.close(); // the parser drops everything after a bound error: the rest is not worth reading
    }

    private void finishRejected() {
        HttpHeaders headers = new DefaultHttpHeaders().set(rejected.headers());
        byte[] body = new byte[errorBody.readableBytes()];
        errorBody.readBytes(body);
        HttpResponseStatus status = rejected.status();
        finish(status.codeClass() != HttpStatusClass.SUCCESS
                ? new SseStatusException(status, headers, body, errorBodyBytes)
                : new SseContentTypeException(status, headers, body, errorBodyBytes, !isIdentity(headers)));
    }

    /** Ends the stream with {@code error}: the one terminal signal this decoder sends. */
    private void finish(SseException error) {
        releaseState();
        state = State.DONE;
        ctx.fireExceptionCaught(error);
    }

    private void releaseState() {
        if (parser != null) {
            parser.close();
        }
        if (errorBody != null) {
            errorBody.release();
            errorBody = null;
        }
        rejected = null;
    }

    /** 1xx but 101: a 101 switches the connection away from HTTP, which no stream asked for. */
    private static boolean isInterim(HttpResponseStatus status) {
        return status.codeClass() == HttpStatusClass.INFORMATIONAL && status.code() != 101;
    }

    /**
     * Whether the body arrives as it is: an {@link SseDecompressor} before this handler decodes gzip
     * and deflate and removes the header; any coding still named is one nobody decodes.
     */
    private static boolean isIdentity(HttpHeaders headers) {
        String encoding = headers.get(HttpHeaderNames.CONTENT_ENCODING);
        return encoding == null || encoding.isBlank() || HttpHeaderValues.IDENTITY.contentEqualsIgnoreCase(encoding.trim());
    }

    private static boolean isEventStream(HttpHeaders headers) {
        String type = headers.get(HttpHeaderNames.CONTENT_TYPE);
        if (type == null) {
            return false;
        }
        int semi = type.indexOf(';');
        return EVENT_STREAM.contentEqualsIgnoreCase(semi < 0 ? type.trim() : type.substring(0, semi).trim());
    }

    /**
     * Hands the parser's views to {@code sink} instead of firing owned copies: for a handler behind
     * this one, on the same loop, that reads each event before the call returns (the client's own
     * stream). The copy an owned event costs is then made only where an event crosses a thread.
     */
    void deliverViewsTo(ViewSink sink) {
        this.viewSink = sink;
    }

    /** Takes an event as the parser's view: valid during the call only. */
    interface ViewSink {
        void onEvent(SseEvent view);
    }

    /** Receives the parser's views on the event loop and passes them on: as views, or as owned copies down the pipeline. */
    private final class Sink implements SseHandler {
        @Override
        public void onEvent(SseEvent event) {
            ViewSink direct = viewSink;
            if (direct != null) {
                direct.onEvent(event);
            } else {
                ctx.fireChannelRead(OwnedSseEvent.copyOf(event, ctx.alloc()));
            }
        }

        @Override
        public void onRetry(long millis) {
            ctx.fireUserEventTriggered(new Retry(millis));
        }

        @Override
        public void onComment(ByteBuf buffer, int index, int length) {
            if (settings.comments()) {
                ctx.fireUserEventTriggered(new Comment(buffer, index, length));
            }
        }

        @Override
        public void onError(SseException error) {
            if (settings.skipOversizedEvents()) {
                ctx.fireUserEventTriggered(error); // the parser goes on after the next blank line
            } else if (parserError == null) {
                parserError = error; // closing the parser inside its own callback is not safe: after feed
            }
        }

        @Override
        public void onEnd(long incompleteTailBytes) {
            incompleteTail = incompleteTailBytes;
        }
    }
}

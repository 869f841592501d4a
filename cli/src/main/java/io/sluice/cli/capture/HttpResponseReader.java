package io.sluice.cli.capture;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.sluice.core.SseBoundExceededException;
import io.sluice.core.SseException;
import io.sluice.core.SseHandler;
import io.sluice.core.handoff.OwnedSseEvent;
import io.sluice.netty.SseClosedEarlyException;
import io.sluice.netty.SseDecoder;
import io.sluice.netty.SseDecompressor;

/**
 * Decodes a captured HTTP/1.1 response the way a live client does: Netty's own
 * {@link HttpClientCodec}, the client's {@link SseDecompressor} and {@link SseDecoder}, in an
 * {@link EmbeddedChannel}. So status line, headers, chunked coding and gzip / deflate are read as a
 * client reads them, a compressed body is inflated a bounded step at a time (each step's events are
 * written before the next is inflated, so a gzip bomb replays in flat memory), and the response is
 * an event stream exactly when the client would take it for one (issue 17: replay used to accept a
 * missing content type and match {@code text/event-stream} by prefix, so one capture had two
 * answers). Interim (1xx) responses are skipped.
 *
 * <p>What the decoder finds reaches the {@link Listener} as an {@link SseHandler} would get it from
 * the parser: events, {@code retry} values, comments (when the settings ask for them), bound errors,
 * and {@link SseHandler#onEnd(long)} once the body ended and the parser with it, cleanly or cut mid-event.
 * Any other end (a status other than 2xx, a content type or coding that is no event stream, a body
 * whose framing broke, no response at all) is {@link #failure()}: the decoder's typed error.
 *
 * <p>With {@code acceptAnyContentType}, a response's content type is taken to be
 * {@code text/event-stream} whatever it says, or when it says nothing: for odd captures, by request
 * ({@code replay --accept-any-content-type}). The listener still sees the head as captured.
 *
 * <p>Confined to the thread that feeds it, like the channel. {@link #feed(ByteBuf)} takes
 * ownership of the wire bytes; events reach the listener as views, released when the call returns.
 */
public final class HttpResponseReader implements AutoCloseable {

    /** Receives the response as it is decoded; every call is made during {@link #feed} or {@link #end}. */
    public interface Listener extends SseHandler {
        /** The final (non-1xx) response's status line and headers, as captured. */
        void head(HttpResponse response);
    }

    private final EmbeddedChannel channel;
    private final SseDecoder decoder;
    private final Listener listener;
    private final boolean acceptAnyContentType;
    private HttpResponse head;
    private boolean complete;
    private Throwable codecFailure;
    private boolean ended;
    private SseException failure;
    /** What the listener threw: the caller's to see (a failed write), not the decoder's failure. */
    private RuntimeException thrown;
    /** Set once the listener threw: it hears nothing more, even while {@link #close()} ends the stream. */
    private boolean listenerFailed;

    /**
     * @param settings the parser's bounds and policy, the error body kept, whether comments are reported
     * @param acceptAnyContentType read a 2xx response as an event stream whatever its content type
     */
    public HttpResponseReader(SseDecoder.Settings settings, boolean acceptAnyContentType, Listener listener) {
        this.listener = listener;
        this.acceptAnyContentType = acceptAnyContentType;
        this.decoder = new SseDecoder(settings, 0);
        this.channel = new EmbeddedChannel(new HttpClientCodec(), new SseDecompressor(), new Tap(), decoder, new Sink());
    }

    /** Decodes {@code wire}, the next bytes of the response as captured; takes ownership of it. */
    public void feed(ByteBuf wire) {
        if (!channel.isOpen()) {
            wire.release(); // the decoder has ended the stream and closed the channel, as a client would
            return;
        }
        channel.writeInbound(wire);
        rethrow();
    }

    /** The input ended, as a connection's close: the decoder decides whether the stream was whole. */
    public void end() {
        channel.finish();
        rethrow();
    }

    private void rethrow() {
        RuntimeException e = thrown;
        if (e != null) {
            thrown = null;
            throw e;
        }
    }

    /** The final response's head as captured, or null before (or without) one. */
    public HttpResponse head() {
        return head;
    }

    /** True once the final response's body ended as its framing says (last chunk, length, close). */
    public boolean complete() {
        return complete;
    }

    /** What the codec or the decompressor reported broken (a corrupt chunk size, a bad gzip stream), or null. */
    public Throwable codecFailure() {
        return codecFailure;
    }

    /** True once the decoder ended the stream, in any way; nothing more is decoded after a failure. */
    public boolean ended() {
        return ended;
    }

    /**
     * How the stream ended when the listener was not told: an {@code SseResponseException} (status,
     * content type), an {@code SseMalformedResponseException} or an {@code SseConnectException}; null
     * for a clean end, a cut ({@link SseHandler#onEnd}) or a bound error ({@link SseHandler#onError}).
     */
    public SseException failure() {
        return failure;
    }

    /** Events dispatched so far. */
    public long events() {
        return decoder.events();
    }

    /** Event-stream body bytes (dechunked, inflated) fed to the parser so far. */
    public long bytes() {
        return decoder.bytes();
    }

    @Override
    public void close() {
        channel.finishAndReleaseAll();
    }

    /**
     * Between the decompressor and the decoder: reports the head as captured, notes the framing's
     * end and what the codec found broken, and, when asked, declares the body an event stream.
     */
    private final class Tap extends ChannelInboundHandlerAdapter {
        private boolean interim;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpResponse) {
                HttpResponse response = (HttpResponse) msg;
                noteFailure(response.decoderResult());
                interim = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
                if (!interim && head == null && response.decoderResult().isSuccess()) {
                    head = response;
                    report(() -> listener.head(response));
                    if (acceptAnyContentType) {
                        msg = declaredEventStream(response);
                    }
                }
            }
            if (msg instanceof HttpContent) {
                DecoderResult result = ((HttpContent) msg).decoderResult();
                noteFailure(result);
                if (msg instanceof LastHttpContent && result.isSuccess() && !interim && head != null) {
                    complete = true;
                }
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (codecFailure == null) {
                codecFailure = cause;
            }
            ctx.fireExceptionCaught(cause);
        }

        private void noteFailure(DecoderResult result) {
            if (result.isFailure() && codecFailure == null) {
                codecFailure = result.cause();
            }
        }

        /** The same head with its content type replaced; the captured one stays as the listener saw it. */
        private HttpResponse declaredEventStream(HttpResponse captured) {
            if (captured instanceof HttpContent) {
                // A head and body in one message (the codec never makes one): replaced in place, as it
                // cannot be copied without its body.
                captured.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_EVENT_STREAM);
                return captured;
            }
            HttpResponse declared = new DefaultHttpResponse(captured.protocolVersion(), captured.status(),
                    captured.headers().copy().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_EVENT_STREAM));
            declared.setDecoderResult(captured.decoderResult());
            return declared;
        }
    }

    /** The last handler: hands what the decoder fires to the listener and releases every message it gets. */
    private final class Sink extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof OwnedSseEvent) {
                    report(() -> listener.onEvent((OwnedSseEvent) msg));
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SseDecoder.Retry) {
                report(() -> listener.onRetry(((SseDecoder.Retry) evt).millis()));
            } else if (evt instanceof SseDecoder.Comment) {
                SseDecoder.Comment comment = (SseDecoder.Comment) evt;
                report(() -> listener.onComment(comment.buffer(), comment.index(), comment.length()));
            } else if (evt instanceof SseBoundExceededException) {
                report(() -> listener.onError((SseBoundExceededException) evt)); // skipped: the stream goes on
            } else if (evt instanceof SseDecoder.StreamEnd) {
                ended = true;
                report(() -> listener.onEnd(0));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ended = true;
            if (cause instanceof SseClosedEarlyException) {
                // The parser reached its end: a cut is the recording's content, not a failure to read it.
                report(() -> listener.onEnd(((SseClosedEarlyException) cause).incompleteTailBytes()));
            } else if (cause instanceof SseBoundExceededException) {
                report(() -> listener.onError((SseBoundExceededException) cause));
            } else if (cause instanceof SseException) {
                failure = (SseException) cause;
            } else if (!listenerFailed) {
                // The decoder types every end it reports; anything else is a bug here, for the caller to see.
                thrown = new IllegalStateException("untyped error after the decoder", cause);
                listenerFailed = true;
            }
        }
    }

    /** Calls the listener, keeping what it throws for the caller; after a throw, the listener hears nothing more. */
    private void report(Runnable call) {
        if (listenerFailed) {
            return;
        }
        try {
            call.run();
        } catch (RuntimeException e) {
            thrown = e;
            listenerFailed = true;
        }
    }
}

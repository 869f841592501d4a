package io.sluice.netty;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * Answers the HTTP request it reads (placed after {@code HttpServerCodec}) with an event stream and
 * hands the application an {@link SseEmitter} for it: the responder owns the connection's
 * lifecycle (response head, heartbeat, close), the emitter is the application's write side. Two
 * types because the handler is a pipeline detail while the emitter crosses threads.
 *
 * <p>Place an {@link SseRequestGuard} between {@code HttpServerCodec} and the responder to bound
 * idle and slow clients and answer malformed requests; a request the codec failed to decode that
 * reaches the responder anyway is answered {@code 400} and the connection closed.
 *
 * <p>One stream at a time per connection: request bodies are released unread. When a stream ends
 * cleanly over HTTP/1.1 keep-alive, the connection takes the client's next request. A request
 * pipelined behind a running stream cannot be answered before that stream ends, which may be
 * never: it is dropped, and the connection closes when the stream ends, so the client asks again
 * on a new one. Over HTTP/2 (see {@link SseServerProtocols}) each stream has a responder of its own.
 */
public final class SseResponder extends ChannelInboundHandlerAdapter {
    private final long heartbeatNanos;
    private final Consumer<SseEmitter> onStream;
    private SseEmitter emitter;
    /** A request came while a stream ran: the connection closes when that stream ends. */
    private boolean pipelined;

    /**
     * @param heartbeat how long the stream may stay idle before a comment is written to keep
     *     proxies and the client from timing it out; {@link Duration#ZERO} for none
     * @param onStream called on the event loop with the stream's emitter, after the response head
     *     is written
     */
    public SseResponder(Duration heartbeat, Consumer<SseEmitter> onStream) {
        if (heartbeat.isNegative()) {
            throw new IllegalArgumentException("heartbeat must not be negative: " + heartbeat);
        }
        this.heartbeatNanos = heartbeat.toNanos();
        this.onStream = onStream;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest && emitter != null) {
                pipelined = true;
            } else if (msg instanceof HttpRequest request) {
                if (request.decoderResult().isFailure()) {
                    // What the codec could not decode is a stand-in, not the client's request:
                    // nothing to stream for (SseRequestGuard answers it before it gets here).
                    FullHttpResponse badRequest = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST);
                    HttpUtil.setContentLength(badRequest, 0);
                    ctx.writeAndFlush(badRequest).addListener(ChannelFutureListener.CLOSE);
                    return;
                }
                emitter = new SseEmitter(ctx, request, heartbeatNanos, () -> ended(ctx));
                emitter.start();
                onStream.accept(emitter);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** A kept-alive stream ended cleanly: the next request starts another, unless one was pipelined. */
    private void ended(ChannelHandlerContext ctx) {
        if (pipelined) {
            ctx.close();
        } else {
            emitter = null;
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (emitter != null) {
            emitter.writabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (emitter != null) {
            emitter.stopHeartbeat();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset from a vanished client: the emitter's writes report it, the channel just closes.
        ctx.close();
    }
}

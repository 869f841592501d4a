package io.sluice.cli.capture;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.sluice.netty.SseDecompressor;

/**
 * Decodes a captured HTTP/1.1 response through Netty's own {@link HttpClientCodec} and the
 * client's {@link SseDecompressor} in an {@link EmbeddedChannel}: the path a live connection takes,
 * so status line, headers, chunked coding and gzip / deflate are read exactly as a client reads
 * them, a compressed body inflated a bounded step at a time (each step's events are written before
 * the next is inflated, so a gzip bomb replays in flat memory). Interim (1xx) responses are skipped. What the codec reports as a failure (a corrupt chunk
 * size, a bad status line, a broken gzip stream) becomes {@link #failure()}; after it, nothing more
 * is decoded.
 *
 * <p>Confined to the thread that feeds it, like the channel. {@link #feed(ByteBuf)} takes
 * ownership of the wire bytes; the body buffers reach the {@link Listener} as views, released
 * when the call returns.
 */
public final class HttpResponseReader implements AutoCloseable {

    /** Receives the response as it is decoded. */
    public interface Listener {
        /** The final (non-1xx) response's status line and headers. */
        void head(HttpResponse response);

        /** Decoded body bytes (dechunked, inflated); a view, valid during the call only. */
        void body(ByteBuf content);
    }

    private final EmbeddedChannel channel;
    private final Listener listener;
    private HttpResponse head;
    private boolean complete;
    private Throwable failure;
    /** What the listener threw: the caller's to see (a failed write), not the codec's failure. */
    private RuntimeException thrown;

    public HttpResponseReader(Listener listener) {
        this.listener = listener;
        this.channel = new EmbeddedChannel(new HttpClientCodec(), new SseDecompressor(), new Sink());
    }

    /** Decodes {@code wire}, the next bytes of the response as captured; takes ownership of it. */
    public void feed(ByteBuf wire) {
        if (failure != null || !channel.isOpen()) {
            wire.release();
            return;
        }
        try {
            channel.writeInbound(wire);
        } catch (RuntimeException e) {
            failure = failure == null ? e : failure; // a handler threw: the codec is no longer usable
        }
        rethrow();
    }

    private void rethrow() {
        RuntimeException e = thrown;
        if (e != null) {
            thrown = null;
            throw e;
        }
    }

    /** The input ended: lets the codec decide whether the body was complete (a close-delimited body is). */
    public void end() {
        try {
            channel.finish();
        } catch (RuntimeException e) {
            failure = failure == null ? e : failure;
        }
        rethrow();
    }

    /** The final response's head, or null before (or without) one. */
    public HttpResponse head() {
        return head;
    }

    /** True once the final response's body ended as its framing says (last chunk, length, close). */
    public boolean complete() {
        return complete;
    }

    /** What the codec reported as broken, or null. */
    public Throwable failure() {
        return failure;
    }

    @Override
    public void close() {
        channel.finishAndReleaseAll();
    }

    /** The last handler: hands the response to the listener and releases every message it gets. */
    private final class Sink extends ChannelInboundHandlerAdapter {
        private boolean interim;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (failure != null || thrown != null) {
                    return;
                }
                if (msg instanceof HttpResponse) {
                    HttpResponse response = (HttpResponse) msg;
                    if (failed(response.decoderResult())) {
                        return;
                    }
                    interim = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
                    if (!interim) {
                        head = response;
                        listener.head(response);
                    }
                }
                if (msg instanceof HttpContent) {
                    HttpContent content = (HttpContent) msg;
                    if (failed(content.decoderResult())) {
                        return;
                    }
                    if (!interim && content.content().isReadable()) {
                        listener.body(content.content());
                    }
                    if (msg instanceof LastHttpContent && !interim) {
                        complete = true;
                    }
                }
            } catch (RuntimeException e) {
                thrown = e;
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (failure == null) {
                failure = cause;
            }
        }

        private boolean failed(DecoderResult result) {
            if (result.isFailure() && failure == null) {
                failure = result.cause();
            }
            return result.isFailure();
        }
    }
}

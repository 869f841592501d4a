package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.sluice.core.SseException;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * One connection's recent bytes, kept for {@link SseFailureCapture} while one stream runs on it:
 * the request head as sent, the response head as received, and the last
 * {@link SseFailureCapture#maxBodyBytes()} of the body twice, from two handlers:
 * <ul>
 *   <li>{@link #wire()}, just before {@code HttpClientCodec} (after TLS and a pcap capture): the
 *       bytes as on the wire, so a body that fitted replays exactly as the live client decoded it,
 *       chunk framing, gzip and any fault in them included;</li>
 *   <li>{@link #body()}, just before {@code SseDecoder} (after the decompressor): the body as
 *       decoded. A gzip stream cannot be inflated from its middle, nor chunks told from data without
 *       their start, so when the body did not fit this is the copy a replayable file is made of.</li>
 * </ul>
 * The request's body (a prompt) is not kept. Event loop only, until {@link #seal()}, after which
 * both handlers pass everything on untouched and the recorder is the writer thread's (handed over
 * through the writer's executor).
 */
final class FailureRecorder {
    static final String WIRE = "failure-capture-wire";
    static final String BODY = "failure-capture-body";

    final SseFailureCapture options;
    final HeadBytes requestHead = new HeadBytes();
    final HeadBytes responseHead = new HeadBytes();
    final CaptureRing rawBody;
    final CaptureRing decodedBody;
    /** {@code SERVER-CLIENT} addresses, as {@code sluice replay --flow} takes them; null until connected. */
    String flow;
    private boolean sealed;

    FailureRecorder(SseFailureCapture options) {
        this.options = options;
        this.rawBody = new CaptureRing(options.maxBodyBytes());
        this.decodedBody = new CaptureRing(options.maxBodyBytes());
    }

    /**
     * Whether a stream that ended with {@code error} is captured: every failure of the upstream's
     * (a cut, a timeout, a malformed or refused response, an oversized event) once a response byte
     * came. Not the caller's own end (a cancel, a relay's client gone) nor its listener's bug, and
     * not a failure before any response byte (no connection, no TLS, a silent server), which
     * leaves nothing to replay.
     */
    boolean worthCapturing(SseException error) {
        return !(error instanceof SseCancelledException) && !(error instanceof SseListenerException)
                && responseHead.written() > 0;
    }

    /** Stops recording: from now on the recorder belongs to whoever writes it. Event loop. */
    void seal() {
        sealed = true;
    }

    ChannelDuplexHandler wire() {
        return new Wire();
    }

    ChannelInboundHandlerAdapter body() {
        return new Body();
    }

    private void connected(ChannelHandlerContext ctx) {
        SocketAddress local = ctx.channel().localAddress();
        SocketAddress remote = ctx.channel().remoteAddress();
        if (local instanceof InetSocketAddress l && remote instanceof InetSocketAddress r) {
            flow = address(r) + '-' + address(l);
        }
    }

    private static String address(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.indexOf(':') >= 0 ? '[' + host + ']' : host) + ':' + a.getPort();
    }

    /** The wire's bytes, both ways, before the HTTP codec. */
    private final class Wire extends ChannelDuplexHandler {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (ctx.channel().isActive()) {
                connected(ctx); // a kept-alive connection, already open
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            connected(ctx);
            ctx.fireChannelActive();
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (!sealed && msg instanceof ByteBuf buf && !requestHead.complete()) {
                requestHead.append(buf, buf.readerIndex(), buf.readableBytes()); // the head only: the body stays out
            }
            ctx.write(msg, promise);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!sealed && msg instanceof ByteBuf buf) {
                int index = buf.readerIndex();
                int length = buf.readableBytes();
                int head = 0;
                while (!responseHead.complete() && head < length) {
                    head += responseHead.append(buf, index + head, length - head);
                    if (responseHead.ended() && responseHead.interim()) {
                        responseHead.restart(); // a 1xx answer (100 Continue): the final head follows, and is the one replay reads
                    }
                }
                rawBody.append(buf, index + head, length - head);
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** The body as decoded, before the SSE decoder. */
    private final class Body extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!sealed && msg instanceof HttpContent content) {
                decodedBody.append(content.content());
            }
            ctx.fireChannelRead(msg);
        }
    }

    /**
     * A message head's bytes up to and including the blank line that ends it, at most
     * {@link SseFailureCapture#MAX_HEAD_BYTES}. The end is found as {@code HttpObjectDecoder} finds
     * it: a line end (LF, CR LF) right after another.
     */
    static final class HeadBytes {
        /** Grown as the head comes: most heads are a few hundred bytes. */
        private byte[] bytes = new byte[512];
        private int length;
        private long written;
        /** 0: inside a line; 1: just after a line end (LF); 2: after a line end and a CR. */
        private int lineEnds;
        private boolean ended;

        /** Takes bytes from {@code index} until the head ends or is full; returns how many it took. */
        int append(ByteBuf buf, int index, int count) {
            int taken = 0;
            while (taken < count && !complete()) {
                byte b = buf.getByte(index + taken++);
                if (length == bytes.length) {
                    bytes = java.util.Arrays.copyOf(bytes, Math.min(SseFailureCapture.MAX_HEAD_BYTES, length * 2));
                }
                bytes[length++] = b;
                if (b == '\n') {
                    if (lineEnds != 0) {
                        ended = true;
                    }
                    lineEnds = 1;
                } else {
                    lineEnds = b == '\r' && lineEnds == 1 ? 2 : 0;
                }
            }
            written += taken;
            return taken;
        }

        /** The head ended, or filled its bound without an end (a head no codec accepts). */
        boolean complete() {
            return ended || length == SseFailureCapture.MAX_HEAD_BYTES;
        }

        /** The head's end was seen: what is held is the whole head. */
        boolean ended() {
            return ended;
        }

        long written() {
            return written;
        }

        /** The head held is an interim (1xx) response's: {@code HTTP/1.x 1..}. */
        boolean interim() {
            return length > 9 && bytes[0] == 'H' && bytes[8] == ' ' && bytes[9] == '1';
        }

        /** Forgets the head held (not the count of bytes seen), for the next head. */
        void restart() {
            length = 0;
            lineEnds = 0;
            ended = false;
        }

        byte[] toByteArray() {
            return java.util.Arrays.copyOf(bytes, length);
        }
    }
}

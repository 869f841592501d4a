package io.sluice.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.core.SseException;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One upstream connection an {@link SseClient} opened offering HTTP/2 (by ALPN over TLS, or h2c
 * by prior knowledge), and the streams it carries: each stream is a child channel of Netty's
 * {@code Http2MultiplexHandler} with {@code Http2StreamFrameToHttpObjectCodec}, so a stream's
 * handlers (decoder, decompressor, timers) are the same as on HTTP/1.1. This handler sits last in
 * the connection's pipeline and watches the connection: the protocol negotiated, the peer's
 * {@code SETTINGS}, {@code GOAWAY}, the end.
 *
 * <pre>
 * NEGOTIATING --ALPN h2, or h2c; the peer's first SETTINGS--&gt; OPEN --GOAWAY--&gt; DRAINING
 * NEGOTIATING --ALPN http/1.1 (or none)--&gt; HTTP1: the first waiting stream's, as an HTTP/1.1 connection
 * any --connection lost--&gt; CLOSED
 * </pre>
 *
 * <p>Streams: at most the peer's {@code SETTINGS_MAX_CONCURRENT_STREAMS}, and never more than
 * {@value #MAX_STREAMS}; before the peer's settings arrive, {@value #PROVISIONAL_STREAMS} (RFC 9113,
 * section 6.5.2, asks peers to allow no fewer) may wait for the connection. A stream that finds
 * every connection of its upstream full opens another connection: an SSE stream lasts as long as
 * a generation, so queueing behind one could wait minutes. A waiting stream the settings leave
 * out looks again, the same way. A stream counts until its child channel closes, which is never
 * before the peer's end of it, so the peer's limit is never exceeded.
 *
 * <p>Flow control: each stream's window is the protocol's default (64 KiB) and is given back only
 * as the stream's reader takes its data (the child channel reads on demand, as an HTTP/1.1
 * stream's connection does), so a paused stream holds back its own window only. The connection's
 * window is {@value #MAX_STREAMS} streams' worth (16 MiB), so the bytes paused streams hold never
 * starve their siblings.
 *
 * <p>{@code GOAWAY}: no new stream goes on the connection; streams at or below its last stream id
 * go on, and the connection closes after the last; streams above it were not processed by the
 * peer and end with a retryable {@link SseConnectException} ({@link SseStream} sends such a
 * stream, and one refused with {@code REFUSED_STREAM}, once more on another connection, unseen).
 * Everything here runs on the connection's event loop.
 */
final class Http2Upstream extends ChannelInboundHandlerAdapter {
    static final String NAME = "h2-upstream";
    /** The most streams one connection carries, whatever the peer allows. */
    static final int MAX_STREAMS = 256;
    /** The streams that may wait for a connection before its peer's settings say how many it takes. */
    static final int PROVISIONAL_STREAMS = 100;
    /** The connection's receive window: every stream's full window at once, {@link #MAX_STREAMS} of them. */
    static final int CONNECTION_WINDOW = MAX_STREAMS * Http2CodecUtil.DEFAULT_WINDOW_SIZE;

    /** A stream waiting for the connection to say which protocol it speaks. */
    interface Waiter {
        /**
         * The connection speaks HTTP/2 and holds a place for the stream: the handlers of its child
         * channel, or null when the stream is gone (cancelled while it waited).
         */
        ChannelInitializer<Http2StreamChannel> onHttp2(Http2Upstream connection);

        /** The stream's child channel, open: send the request. */
        void onStream(Http2StreamChannel stream);

        /** ALPN chose HTTP/1.1: the connection is this stream's alone. */
        void onHttp1(Channel connection);

        /** The connection has no place for the stream after all: look for another. */
        void retry();

        /** The connection failed before the stream began. */
        void onFailed(SseException error);
    }

    private enum State {
        NEGOTIATING,
        OPEN,
        DRAINING,
        HTTP1,
        CLOSED
    }

    private final SseClient client;
    private final SseConnectionPool pool;
    final SseConnectionPool.Key key;
    private final EventLoop loop;
    /** Listed in the pool, for other streams to join; not while ALPN last chose HTTP/1.1 for this upstream. */
    private boolean shared;
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    private Channel channel;
    private State state = State.NEGOTIATING;
    /** Streams with a place here: waiting, or with an open child channel. */
    private int streams;
    private int limit = PROVISIONAL_STREAMS;
    /** Carried a stream before: a stream sent again unseen does not join it (it may be why it failed). */
    private boolean used;
    private Throwable cause;
    /** The wait for the peer's settings, then, whenever no stream is open, the idle timeout. */
    private ScheduledFuture<?> timer;

    Http2Upstream(SseClient client, SseConnectionPool pool, SseConnectionPool.Key key, EventLoop loop, boolean shared) {
        this.client = client;
        this.pool = pool;
        this.key = key;
        this.loop = loop;
        this.shared = shared;
    }

    EventLoop loop() {
        return loop;
    }

    /** Whether a stream may join now: not closing, and below the limit. */
    boolean hasRoom(boolean fresh) {
        return (state == State.NEGOTIATING || state == State.OPEN && !(fresh && used)) && streams < limit;
    }

    /** Gives {@code waiter} a place: a stream now if the connection is open, else when it is. */
    void admit(Waiter waiter) {
        streams++;
        if (state == State.OPEN) {
            start(waiter);
        } else {
            waiting.add(waiter);
        }
    }

    /**
     * The pipeline of a new connection, after its proxy tunnel, TLS and capture: HTTP/2 at once
     * for h2c, else the ALPN handler, then this handler.
     */
    void initPipeline(ChannelPipeline p, boolean tls) {
        channel = p.channel();
        if (tls) {
            p.addLast("alpn", new Negotiation());
        }
        p.addLast(NAME, this);
        if (!tls) {
            addHttp2(p);
        }
    }

    /** The HTTP/2 codec and the stream multiplexer, before this handler. */
    private void addHttp2(ChannelPipeline p) {
        if (p.channel().isActive()) {
            autoRead(p.channel());
        } // else h2c: at channelActive (Netty 4.1 would read a socket still connecting)
        p.addBefore(NAME, "h2", Http2FrameCodecBuilder.forClient()
                .initialSettings(Http2Settings.defaultSettings().pushEnabled(false))
                // Closed by the pool only when no stream is open, or on a failure: nothing to wait for.
                .gracefulShutdownTimeoutMillis(0)
                .build());
        p.addBefore(NAME, "h2-multiplex", new Http2MultiplexHandler(RefusePeerStreams.INSTANCE));
        timer = loop.schedule(() -> {
            cause = new SseConnectException("no HTTP/2 settings from the server within "
                    + client.connectTimeoutMillis() + " ms", null);
            channel.close();
        }, client.connectTimeoutMillis(), TimeUnit.MILLISECONDS);
    }

    /** The TCP connection failed (or the proxy's): every waiting stream fails with {@code error}. */
    void connectFailed(SseException error) {
        close(error);
    }

    private void start(Waiter waiter) {
        ChannelInitializer<Http2StreamChannel> handlers = waiter.onHttp2(this);
        if (handlers == null) {
            release();
            return;
        }
        Future<Http2StreamChannel> opening = new Http2StreamChannelBootstrap(channel)
                .option(ChannelOption.AUTO_READ, false) // the stream asks for each read: its window goes back only then
                .handler(handlers)
                .open();
        opening.addListener(f -> {
            if (!f.isSuccess()) {
                release();
                waiter.onFailed(new SseConnectException("cannot open an HTTP/2 stream", f.cause()));
                return;
            }
            Http2StreamChannel child = opening.getNow();
            child.closeFuture().addListener((ChannelFutureListener) closed -> release());
            used = true;
            waiter.onStream(child);
        });
    }

    /** A stream's place is free: its child channel closed, or it never opened one. */
    private void release() {
        streams--;
        idleCheck();
    }

    private void idleCheck() {
        if (streams > 0 || state == State.NEGOTIATING || state == State.CLOSED || state == State.HTTP1) {
            return;
        }
        if (state == State.DRAINING || !pool.enabled()) {
            channel.close();
            return;
        }
        if (timer != null) {
            timer.cancel(false); // an earlier idle spell's: this one's timeout starts now
        }
        timer = loop.schedule(() -> {
            if (streams == 0 && state == State.OPEN) {
                pool.evicted.increment();
                channel.close();
            }
        }, pool.idleNanos(), TimeUnit.NANOSECONDS);
    }

    /** The connection reads for every stream, each child channel on demand: its stream's window goes back only then. */
    private static void autoRead(Channel ch) {
        ch.config().setAutoRead(true);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (ctx.pipeline().get("h2") != null) {
            autoRead(ctx.channel());
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof Http2SettingsFrame settings) {
                settings(ctx, settings.settings());
            } else if (msg instanceof Http2GoAwayFrame) {
                goAway();
            }
        } finally {
            ReferenceCountUtil.release(msg); // pings, settings acks, unknown frames: the codec answered what needs it
        }
    }

    private void settings(ChannelHandlerContext ctx, Http2Settings settings) {
        Long max = settings.maxConcurrentStreams();
        if (max != null) {
            limit = (int) Math.min(max, MAX_STREAMS);
        } else if (state == State.NEGOTIATING) {
            limit = MAX_STREAMS; // no limit said: the protocol's is none, ours holds
        }
        if (state != State.NEGOTIATING) {
            return;
        }
        timer.cancel(false);
        state = State.OPEN;
        ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(CONNECTION_WINDOW - Http2CodecUtil.DEFAULT_WINDOW_SIZE));
        if (!shared) {
            shared = true; // the upstream speaks h2 after all: others may join
            pool.addHttp2(this);
        }
        int started = 0;
        for (Waiter w; (w = waiting.poll()) != null; ) {
            if (started < limit) {
                started++;
                start(w);
            } else {
                streams--;
                w.retry();
            }
        }
        idleCheck();
    }

    private void goAway() {
        if (state == State.CLOSED) {
            return;
        }
        boolean negotiating = state == State.NEGOTIATING;
        state = State.DRAINING;
        pool.removeHttp2(this);
        if (negotiating && timer != null) {
            timer.cancel(false);
        }
        for (Waiter w; (w = waiting.poll()) != null; ) {
            streams--;
            w.retry();
        }
        if (streams == 0) {
            channel.close();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            ctx.close(); // half-closure is for HTTP/1.1's close-delimited bodies: HTTP/2 is over
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable error) {
        if (cause == null) {
            cause = error;
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        close(cause instanceof SseException sse ? sse : new SseConnectException("connection closed before the response", cause));
        ctx.fireChannelInactive();
    }

    private void close(SseException error) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        if (timer != null) {
            timer.cancel(false);
        }
        pool.removeHttp2(this);
        for (Waiter w; (w = waiting.poll()) != null; ) {
            streams--;
            w.onFailed(error);
        }
    }

    /** ALPN's answer: HTTP/2, or the connection goes to its first waiting stream as HTTP/1.1. */
    private final class Negotiation extends ApplicationProtocolNegotiationHandler {
        Negotiation() {
            super(ApplicationProtocolNames.HTTP_1_1); // a server that does not do ALPN speaks HTTP/1.1
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            ChannelPipeline p = ctx.pipeline();
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                addHttp2(p);
                return;
            }
            state = State.HTTP1;
            pool.removeHttp2(Http2Upstream.this);
            pool.spokeHttp1(key);
            p.remove(Http2Upstream.this);
            Waiter first = waiting.poll();
            for (Waiter w; (w = waiting.poll()) != null; ) {
                w.retry(); // not ours to share: each finds its own connection
            }
            if (first == null) {
                ctx.close();
                return;
            }
            first.onHttp1(ctx.channel());
        }

        /** The handshake failed: the connection's watch hears why, and each waiting stream from it. */
        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable error) {
            ctx.fireExceptionCaught(error);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable error) {
            ctx.fireExceptionCaught(error); // the default logs a warning too; the stream's error says it
        }
    }

    /** Resets a stream the peer opens: our settings refuse pushes, and a server opens no other. */
    @ChannelHandler.Sharable
    private static final class RefusePeerStreams extends ChannelInboundHandlerAdapter {
        static final RefusePeerStreams INSTANCE = new RefusePeerStreams();

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.close();
        }
    }

    /**
     * After the codec in each stream's child channel: a {@code RST_STREAM} from the peer (which
     * the codec passes on as it is) becomes the cause of the stream's typed end, a {@code GOAWAY}
     * that leaves the stream out marks it unprocessed, and the codec's own {@code x-http2-*}
     * headers leave the response, so a listener (a relay) sees the upstream's headers only.
     */
    static final class StreamWatch extends ChannelInboundHandlerAdapter {
        /** The peer did not process the stream (GOAWAY above it, or REFUSED_STREAM): safe to send again. */
        boolean unprocessed;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpResponse response) {
                for (HttpConversionUtil.ExtensionHeaderNames name : HttpConversionUtil.ExtensionHeaderNames.values()) {
                    response.headers().remove(name.text());
                }
            } else if (msg instanceof Http2ResetFrame reset) {
                Http2Error error = Http2Error.valueOf(reset.errorCode());
                unprocessed |= error == Http2Error.REFUSED_STREAM;
                ctx.fireExceptionCaught(Http2Exception.streamError(reset.stream().id(),
                        error != null ? error : Http2Error.INTERNAL_ERROR,
                        "stream reset by the server: %s (%d)", error, reset.errorCode()));
                return;
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof Http2GoAwayFrame goAway) {
                unprocessed = true;
                ctx.fireExceptionCaught(new SseConnectException("the server's GOAWAY (last stream "
                        + goAway.lastStreamId() + ", " + goAway.errorCode() + ") left this stream out", null));
                goAway.release();
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }
    }
}

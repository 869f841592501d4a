package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The protocols of a Sluice server connection: HTTP/1.1, and HTTP/2 by ALPN over TLS ({@code h2})
 * or by prior knowledge over plain text ({@code h2c}), each request reaching the same handlers
 * (an {@link SseResponder}, an {@link SseRelay}) as {@code HttpRequest}s, whichever protocol
 * carried it. A {@code ChannelInitializer} for a {@code ServerBootstrap}'s {@code childHandler}:
 *
 * <pre>{@code
 * SseServerProtocols protocols = SseServerProtocols.builder(stream -> stream.addLast(
 *                 new HttpObjectAggregator(1 << 20), relay))
 *         .http1(connection -> connection.addLast(guard)) // after HttpServerCodec, HTTP/1.1 only
 *         .tls(SseServerProtocols.alpn(SslContextBuilder.forServer(certificate, key)).build())
 *         .build();
 * }</pre>
 *
 * <p>HTTP/1.1: {@code HttpServerCodec}, then the {@link Builder#http1 connection's handlers}, then
 * the {@link #builder stream's}: one stream at a time, the connection kept alive between them.
 * HTTP/2: Netty's {@code Http2FrameCodec} and {@code Http2MultiplexHandler}; each stream is a child
 * channel with {@code Http2StreamFrameToHttpObjectCodec} and the stream's handlers, so a browser's
 * dozens of {@code EventSource}s share one connection (HTTP/1.1 allows six per origin). Each
 * stream's backpressure is its own: a child channel is not writable while its flow-control window
 * is spent, which pauses that stream's upstream only. A stream the handlers close is reset
 * ({@code RST_STREAM}) if it had not ended. At most {@link Builder#maxConcurrentStreams} streams
 * at once per connection (the {@code SETTINGS_MAX_CONCURRENT_STREAMS} announced; default 256).
 *
 * <p>Not offered: the {@code Upgrade: h2c} dance of HTTP/1.1, deprecated by RFC 9113 (section
 * 3.1) and unused by browsers; such a request is answered over HTTP/1.1 (as {@code curl --http2}
 * on an {@code http://} URL shows), and prior knowledge ({@code curl --http2-prior-knowledge}) or
 * TLS gives HTTP/2. Sharable: one instance serves every connection.
 */
public final class SseServerProtocols extends ChannelInitializer<Channel> {
    /** The streams one HTTP/2 connection may run at once, unless the builder says otherwise. */
    public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 256;

    private final Consumer<ChannelPipeline> stream;
    private final Consumer<ChannelPipeline> http1;
    private final Consumer<ChannelPipeline> connection;
    private final SslContext tls;
    private final boolean h2c;
    private final int maxConcurrentStreams;

    private SseServerProtocols(Builder b) {
        this.stream = b.stream;
        this.http1 = b.http1;
        this.connection = b.connection;
        this.tls = b.tls;
        this.h2c = b.h2c;
        this.maxConcurrentStreams = b.maxConcurrentStreams;
    }

    /**
     * @param stream adds, for each stream (an HTTP/1.1 connection's, or each HTTP/2 stream's child
     *     channel), the handlers that take its {@code HttpRequest}: an aggregator, a relay, a
     *     responder. Called on the event loop; handlers it adds that are not sharable must be new.
     */
    public static Builder builder(Consumer<ChannelPipeline> stream) {
        return new Builder(stream);
    }

    /**
     * {@code server} with the application protocols this class negotiates by ALPN: {@code h2}
     * first, then {@code http/1.1}. The JDK's TLS does ALPN since Java 9; no native library is needed.
     */
    public static SslContextBuilder alpn(SslContextBuilder server) {
        return server.applicationProtocolConfig(new ApplicationProtocolConfig(
                ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        connection.accept(p);
        if (tls != null) {
            p.addLast(tls.newHandler(ch.alloc()));
            p.addLast(new ApplicationProtocolNegotiationHandler(ApplicationProtocolNames.HTTP_1_1) {
                @Override
                protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
                    if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                        http2(ctx.pipeline());
                    } else {
                        http1(ctx.pipeline());
                    }
                }
            });
        } else if (h2c) {
            p.addLast(new PriorKnowledge());
        } else {
            http1(p);
        }
    }

    private void http1(ChannelPipeline p) {
        p.addLast(new HttpServerCodec());
        http1.accept(p);
        stream.accept(p);
    }

    private void http2(ChannelPipeline p) {
        p.addLast(Http2FrameCodecBuilder.forServer()
                .initialSettings(Http2Settings.defaultSettings().maxConcurrentStreams(maxConcurrentStreams))
                .build());
        p.addLast(new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel child) {
                child.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true));
                stream.accept(child.pipeline());
            }
        }));
        p.addLast(ConnectionFailure.INSTANCE);
    }

    /**
     * Last in an HTTP/2 connection's pipeline. An I/O error of the connection itself (a client's
     * reset, say) passes the frame codec and the multiplexer, which handle only HTTP/2 errors and a
     * stream's own; here it closes the connection, and its streams with it, instead of reaching the
     * pipeline's tail, where Netty logs every reset client as an unhandled exception.
     */
    @ChannelHandler.Sharable
    static final class ConnectionFailure extends ChannelInboundHandlerAdapter {
        static final ConnectionFailure INSTANCE = new ConnectionFailure();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /**
     * Tells a plain-text connection's protocol from its first bytes: the HTTP/2 connection preface
     * ({@code PRI * HTTP/2.0...}, RFC 9113 section 3.4) is HTTP/2, anything else HTTP/1.1. It reads
     * no further than the preface's length, then leaves the pipeline, passing on what it read.
     */
    private final class PriorKnowledge extends ByteToMessageDecoder {
        private final ByteBuf preface = Http2CodecUtil.connectionPrefaceBuf();

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            int n = Math.min(in.readableBytes(), preface.readableBytes());
            if (!ByteBufUtil.equals(in, in.readerIndex(), preface, preface.readerIndex(), n)) {
                http1(ctx.pipeline());
            } else if (n == preface.readableBytes()) {
                http2(ctx.pipeline());
            } else {
                return; // a prefix of the preface: wait for more
            }
            ctx.pipeline().remove(this); // hands what it holds to the protocol's first handler
        }

        @Override
        protected void handlerRemoved0(ChannelHandlerContext ctx) {
            preface.release();
        }
    }

    /** Options of a server's protocols. */
    public static final class Builder {
        private final Consumer<ChannelPipeline> stream;
        private Consumer<ChannelPipeline> http1 = p -> { };
        private Consumer<ChannelPipeline> connection = p -> { };
        private SslContext tls;
        private boolean h2c;
        private int maxConcurrentStreams = DEFAULT_MAX_CONCURRENT_STREAMS;

        private Builder(Consumer<ChannelPipeline> stream) {
            this.stream = Objects.requireNonNull(stream, "stream");
        }

        /**
         * Adds the handlers of an HTTP/1.1 connection, right after {@code HttpServerCodec} and
         * before the stream's: an {@link SseRequestGuard}, whose bounds (idle and slow requests,
         * malformed ones) are HTTP/1.1's; HTTP/2 has its own framing and limits.
         */
        public Builder http1(Consumer<ChannelPipeline> http1) {
            this.http1 = Objects.requireNonNull(http1, "http1");
            return this;
        }

        /** Adds handlers first in every connection's pipeline, before TLS: a connection counter, a capture. */
        public Builder connection(Consumer<ChannelPipeline> connection) {
            this.connection = Objects.requireNonNull(connection, "connection");
            return this;
        }

        /** Serves TLS, with ALPN choosing HTTP/2 or HTTP/1.1 (build the context with {@link #alpn}); null for plain text. */
        public Builder tls(SslContext tls) {
            if (tls != null && !tls.isServer()) {
                throw new IllegalArgumentException("not a server SslContext");
            }
            this.tls = tls;
            return this;
        }

        /** Serves HTTP/2 over plain text to a client that starts with its preface (prior knowledge), HTTP/1.1 to the others. Default off. */
        public Builder h2c(boolean h2c) {
            this.h2c = h2c;
            return this;
        }

        /** The most streams one HTTP/2 connection runs at once (default {@value #DEFAULT_MAX_CONCURRENT_STREAMS}). */
        public Builder maxConcurrentStreams(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConcurrentStreams must be at least 1: " + max);
            }
            this.maxConcurrentStreams = max;
            return this;
        }

        public SseServerProtocols build() {
            return new SseServerProtocols(this);
        }
    }
}

package io.sluice.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.pcap.PcapWriteHandler;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.core.SseException;

import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A streaming SSE client on Netty: HTTP/1.1, or HTTP/2 when asked ({@link Builder#protocol}), GET or POST with headers and a body, TLS with the
 * JDK provider, gzip, connect / first-byte / idle timeouts, cancel, EventSource-style reconnect
 * for GET, and an optional HTTP CONNECT or SOCKS5 proxy ({@link Builder#proxy}). Every failure ends
 * the stream with a typed {@link io.sluice.core.SseException}.
 *
 * <p>One client holds one event loop group (its own, epoll where available and NIO otherwise, or
 * the caller's) and serves any number of concurrent streams on it, none with a thread of its own.
 * Thread-safe; {@link #close()} shuts down the group it created.
 *
 * <p>HTTP/1.1 by default, with kept-alive connections ({@link Builder#connectionPool}). With
 * {@link Protocol#HTTP_2}, an {@code https} upstream is offered {@code h2} by ALPN and its streams
 * share one connection per upstream and event loop, each stream with its own flow control, its
 * cancel a {@code RST_STREAM}; {@link Protocol#HTTP_2_PRIOR_KNOWLEDGE} also speaks h2c to
 * {@code http} upstreams (see {@code Http2Upstream} for the limits, {@code GOAWAY} and the
 * connection's flow control). A stream's events, errors, timeouts and reconnects are the same on
 * both.
 *
 * <pre>{@code
 * try (SseClient client = SseClient.builder().idleTimeout(Duration.ofSeconds(30)).build()) {
 *     SseStream stream = client.open(SseRequest.get(URI.create("http://127.0.0.1:8080/events")),
 *             event -> System.out.println(event.type() + ": " + event.dataAsString()));
 *     stream.done().toCompletableFuture().join();
 * }
 * }</pre>
 */
public final class SseClient implements AutoCloseable {
    /** Default {@link Builder#connectTimeout}: 10 s. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Default {@link Builder#firstByteTimeout}: 60 s. */
    public static final Duration DEFAULT_FIRST_BYTE_TIMEOUT = Duration.ofSeconds(60);
    /** Default of {@link Builder#connectionPool}: idle kept-alive connections per upstream and event loop. */
    public static final int DEFAULT_MAX_IDLE_PER_HOST = 8;
    /** Default of {@link Builder#connectionPool}: how long an idle connection is kept. */
    public static final Duration DEFAULT_POOL_IDLE_TIMEOUT = Duration.ofSeconds(60);
    /** Default {@link Builder#idleTimeout}: 10 minutes. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(10);

    /** Which HTTP a client speaks to its upstreams. */
    public enum Protocol {
        /** HTTP/1.1 only (the default): one stream per connection at a time, connections kept alive. */
        HTTP_1_1,
        /**
         * HTTP/2 to {@code https} upstreams that choose it by ALPN ({@code h2}, else
         * {@code http/1.1}: a server that does not speak HTTP/2 gets HTTP/1.1); {@code http}
         * upstreams get HTTP/1.1, as the {@code Upgrade: h2c} dance is not offered.
         */
        HTTP_2,
        /**
         * As {@link #HTTP_2}, and HTTP/2 without asking (prior knowledge, h2c) to {@code http}
         * upstreams: for a server known to speak it; one that does not fails the stream with an
         * {@link SseConnectException}.
         */
        HTTP_2_PRIOR_KNOWLEDGE
    }

    /** The pipeline names of the reader idle timer and the handler it goes before. */
    static final String IDLE = "idle";
    static final String HTTP = "http";

    private final EventLoopGroup group;
    private final boolean ownGroup;
    private final Class<? extends SocketChannel> channelType;
    private final SslContext ssl;
    /** The TLS context offering h2 and http/1.1 by ALPN; null for HTTP/1.1 only. */
    private final SslContext sslAlpn;
    private final Protocol protocol;
    private final boolean gzip;
    private final long connectTimeoutMillis;
    private final long firstByteTimeoutMillis;
    private final long idleTimeoutMillis;
    private final SseDecoder.Settings decoderSettings;
    private final ReconnectPolicy reconnect;
    private final int highWater;
    private final int lowWater;
    private final OutputStream capture;
    private final SseProxy proxy;
    private final SseConnectionPool pool;
    /** Null when none: each stream then checks a null observation, not a no-op call. */
    private final SseObserver observer;
    /** Null when failures are not captured: then no stream records a byte. */
    private final FailureCaptureFolder failures;

    /**
     * Everything that can fail is made before the client's own event loop group, which is made
     * last: a builder that throws leaves no group (its threads, its selectors) behind. Only the
     * capture file is opened before it, and closed again if the group cannot be made.
     */
    private SseClient(Builder b) {
        try {
            SslContextBuilder tls = SslContextBuilder.forClient().sslProvider(SslProvider.JDK);
            if (b.insecure) {
                tls.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
            } else {
                tls.trustManager(b.trust).endpointIdentificationAlgorithm("HTTPS");
            }
            ssl = tls.build();
            sslAlpn = b.protocol == Protocol.HTTP_1_1 ? null : tls.applicationProtocolConfig(new ApplicationProtocolConfig(
                    ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                    ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1)).build();
        } catch (SSLException e) {
            throw new IllegalArgumentException("cannot build the TLS context: " + e.getMessage(), e);
        }
        protocol = b.protocol;
        gzip = b.gzip;
        connectTimeoutMillis = b.connectTimeout.toMillis();
        firstByteTimeoutMillis = b.firstByteTimeout.toMillis();
        idleTimeoutMillis = b.idleTimeout.toMillis();
        decoderSettings = b.decoderSettings;
        reconnect = b.reconnect;
        highWater = b.highWater;
        lowWater = b.lowWater;
        proxy = b.proxy;
        observer = b.observer;
        pool = new SseConnectionPool(b.maxIdlePerHost, b.poolIdleTimeout.toNanos());
        try {
            if (b.capture == null) {
                capture = null;
            } else {
                capture = new BufferedOutputStream(Files.newOutputStream(b.capture));
                // Written once here: each connection's handler shares the stream and writes only packets.
                PcapWriteHandler.writeGlobalHeader(capture);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the capture file " + b.capture, e);
        }
        try {
            failures = b.captureFailures == null ? null : new FailureCaptureFolder(b.captureFailures);
        } catch (UncheckedIOException e) {
            closeCapture(e);
            throw e;
        }
        if (b.group != null) {
            group = b.group;
            channelType = b.channelType;
            ownGroup = false;
        } else {
            boolean epoll = epollAvailable();
            try {
                group = newGroup(b.threads, epoll);
            } catch (RuntimeException | Error e) {
                closeCapture(e);
                if (failures != null) {
                    failures.close();
                }
                throw e;
            }
            channelType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
            ownGroup = true;
        }
    }

    private void closeCapture(Throwable failure) {
        if (capture != null) {
            try {
                capture.close();
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
    }

    /**
     * Epoll when its native library is on the class path. Probing without it would still try to load
     * the library, and JDK 22+ warns about that load on standard error, for nothing.
     */
    private static boolean epollAvailable() {
        String arch = System.getProperty("os.arch", "").replace("amd64", "x86_64").replace("aarch64", "aarch_64");
        return SseClient.class.getClassLoader()
                .getResource("META-INF/native/libnetty_transport_native_epoll_" + arch + ".so") != null
                && Epoll.isAvailable();
    }

    /**
     * The 4.1 group classes: 4.2 still ships them (deprecated, as thin wrappers over its
     * {@code MultiThreadIoEventLoopGroup}), while 4.2's own classes do not exist in 4.1, and the
     * one jar must run on both lines ({@code -Pnetty41}).
     */
    @SuppressWarnings("deprecation")
    private static EventLoopGroup newGroup(int threads, boolean epoll) {
        return epoll ? new EpollEventLoopGroup(threads) : new NioEventLoopGroup(threads);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Opens a stream whose events reach {@code listener} on the stream's event loop. */
    public SseStream open(SseRequest request, SseListener listener) {
        SseStream stream = new SseStream(this, request, loopFor(request), listener, highWater, lowWater, observe(request));
        stream.start();
        return stream;
    }

    /**
     * Opens a stream on {@code loop}, a loop of the group this client runs on (built with
     * {@link Builder#eventLoopGroup}): a relay passes its downstream channel's loop, so the
     * upstream's events and the downstream's writes run on one thread, with no handoff.
     */
    public SseStream open(SseRequest request, EventLoop loop, SseListener listener) {
        if (loop.parent() != group) {
            throw new IllegalArgumentException("the event loop is not one of this client's group");
        }
        SseStream stream = new SseStream(this, request, loop, listener, highWater, lowWater, observe(request));
        stream.start();
        return stream;
    }

    /**
     * Opens a stream whose events go to {@link SseStream#queue()}, for one consumer thread to take;
     * when the consumer falls behind, the connection stops reading (high and low water of the builder).
     */
    public SseStream openQueue(SseRequest request) {
        SseStream stream = new SseStream(this, request, loopFor(request), null, highWater, lowWater, observe(request));
        stream.start();
        return stream;
    }

    /** The new stream's observation, or null without an observer (or when it watches nothing). */
    private SseObservation observe(SseRequest request) {
        if (observer == null) {
            return null;
        }
        SseObservation observation = observer.clientStream(request);
        return observation == SseObservation.NONE ? null : observation;
    }

    /** Shuts down the event loop group the client created (not a caller's) and closes the capture file. */
    @Override
    public void close() {
        shutdownOwnGroup();
        if (failures != null) {
            failures.close(); // after the loops: every stream has ended and queued its capture
        }
        if (capture != null) {
            try {
                synchronized (capture) { // PcapWriteHandler's shared-stream writes lock it too
                    capture.close();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close the capture file", e);
            }
        }
    }

    private void shutdownOwnGroup() {
        if (ownGroup) {
            // A short quiet period: a stream cancelled just before close() closes its connection in
            // a task, and the connection's pipeline (its parser's buffers) is torn down in another.
            group.shutdownGracefully(50, 2000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    boolean gzip() {
        return gzip;
    }

    /** A recorder for one stream's connection when failures are captured; null (nothing recorded) otherwise. */
    FailureRecorder newFailureRecorder() {
        return failures == null ? null : new FailureRecorder(failures.options());
    }

    /**
     * Captures a stream that ended with {@code error}, if worth it ({@link FailureRecorder#worthCapturing}):
     * seals the recorder and returns the file it will be written to; null when not captured. Event loop.
     */
    Path captureFailure(FailureRecorder recorder, SseRequest request, SseException error) {
        if (recorder == null || !recorder.worthCapturing(error)) {
            return null;
        }
        recorder.seal();
        return failures.submit(recorder, request, error);
    }

    long connectTimeoutMillis() {
        return connectTimeoutMillis;
    }

    /** Whether a stream to {@code request} goes on a connection that offers HTTP/2 (ALPN) or speaks it (h2c). */
    boolean http2(SseRequest request) {
        return request.isTls() ? protocol != Protocol.HTTP_1_1 : protocol == Protocol.HTTP_2_PRIOR_KNOWLEDGE;
    }

    ReconnectPolicy reconnectPolicy() {
        return reconnect;
    }

    SseDecoder newDecoder(boolean passOtherResponses) {
        return new SseDecoder(decoderSettings, idleTimeoutMillis, passOtherResponses);
    }

    /**
     * A reader idle timer for a connection's pipeline, under the name {@link #IDLE}; null when there
     * is no idle timeout. A paused stream takes it out, as its silence is its own doing.
     */
    IdleStateHandler newIdleHandler() {
        return idleTimeoutMillis > 0 ? new IdleStateHandler(idleTimeoutMillis, 0, 0, TimeUnit.MILLISECONDS) : null;
    }

    /** The proxy a connection for {@code request} goes through; null when direct (none, or a no-proxy host). */
    SseProxy proxyFor(SseRequest request) {
        return proxy != null && !proxy.bypasses(request.uri().getHost()) ? proxy : null;
    }

    /**
     * A bootstrap for one connection of a stream, on the stream's own event loop; through
     * {@code via} unless null. Through a proxy, the upstream's name is not resolved here (the
     * bootstrap's resolver does nothing): connect to {@link ProxyTunnel#unresolvedDestination}.
     */
    Bootstrap bootstrap(EventLoop loop, SseRequest request, SseProxy via, SseDecoder decoder, ChannelInboundHandlerAdapter last,
                        FailureRecorder recorder) {
        return bootstrap(loop, request, via, ssl, p -> {
            addHttp1(p);
            attachStream(p, decoder, last, recorder);
        });
    }

    /**
     * A bootstrap for a connection that offers HTTP/2 by ALPN over TLS, or speaks h2c: the
     * connection's own handlers, then {@code connection}'s, which watches it and hands it to its streams.
     */
    Bootstrap http2Bootstrap(EventLoop loop, SseRequest request, SseProxy via, Http2Upstream connection) {
        return bootstrap(loop, request, via, sslAlpn, p -> connection.initPipeline(p, request.isTls()));
    }

    /** A new HTTP/2 connection's watch, listed in the pool at once unless ALPN last chose HTTP/1.1 for the upstream. */
    Http2Upstream newHttp2(EventLoop loop, SseRequest request, SseProxy via) {
        SseConnectionPool.Key key = SseConnectionPool.Key.of(request, via);
        boolean shared = !pool.speaksHttp1(key);
        Http2Upstream connection = new Http2Upstream(this, pool, key, loop, shared);
        if (shared) {
            pool.addHttp2(connection);
        }
        return connection;
    }

    /** An HTTP/2 connection to {@code request}'s upstream on {@code loop} with room for a stream, or null. On {@code loop}. */
    Http2Upstream http2Connection(EventLoop loop, SseRequest request, SseProxy via, boolean fresh) {
        Http2Upstream connection = pool.http2(loop, SseConnectionPool.Key.of(request, via), fresh);
        if (connection != null) {
            pool.reused.increment();
        }
        return connection;
    }

    /** The HTTP/1.1 part of a connection's pipeline, after its TLS and capture: the idle timer and the codec. */
    void addHttp1(ChannelPipeline p) {
        if (idleTimeoutMillis > 0) {
            p.addLast(IDLE, newIdleHandler());
        }
        p.addLast(HTTP, new HttpClientCodec());
    }

    /**
     * An HTTP/2 stream's child channel: the idle timer, the codec that turns frames into
     * {@code HttpObject}s, the watch for resets and {@code GOAWAY}, then the stream's handlers as on HTTP/1.1.
     */
    void attachHttp2Stream(ChannelPipeline p, Http2Upstream.StreamWatch watch, SseDecoder decoder, ChannelInboundHandlerAdapter last) {
        if (idleTimeoutMillis > 0) {
            p.addLast(IDLE, newIdleHandler());
        }
        p.addLast(HTTP, new Http2StreamFrameToHttpObjectCodec(false));
        p.addLast("h2-watch", watch);
        attachStream(p, decoder, last, null);
    }

    private Bootstrap bootstrap(EventLoop loop, SseRequest request, SseProxy via, SslContext tlsContext,
                                java.util.function.Consumer<ChannelPipeline> protocolHandlers) {
        Bootstrap bootstrap = new Bootstrap();
        if (via != null) {
            bootstrap.resolver(NoopAddressResolverGroup.INSTANCE);
        }
        return bootstrap
                .group(loop)
                .channel(channelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis))
                .option(ChannelOption.TCP_NODELAY, true)
                // The stream asks for each read itself (SseStream's StreamHandler), so a paused
                // stream reads nothing more and a compressed one inflates a step per read (issue 14).
                // It asks in channelReadComplete, before the transport would drop its read interest,
                // so reading one at a time costs no syscall more: RelayLoadBenchmark's 1,000 streams
                // relay as many events a second as with autoRead on (docs/reliability.md).
                .option(ChannelOption.AUTO_READ, false)
                // The server's close arrives as an end of input, which can wait behind a compressed
                // body still being inflated; a close would tear the pipeline down under it.
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (via != null) {
                            // First: the tunnel's handshake is the first thing on the wire, and TLS runs inside it.
                            ProxyTunnel.addFirst(p, via, request, connectTimeoutMillis);
                        }
                        if (request.isTls()) {
                            p.addLast("tls", tlsContext.newHandler(ch.alloc(), request.uri().getHost(), request.port()));
                        }
                        if (capture != null) {
                            // After TLS: the capture holds the plaintext HTTP that sluice replay reads.
                            // After the proxy's handler too: the tunnel's handshake is not the upstream's
                            // HTTP, so it is left out; the capture's addresses are the proxy's.
                            p.addLast("capture", PcapWriteHandler.builder()
                                    .sharedOutputStream(true)
                                    .writePcapGlobalHeader(false)
                                    .build(capture));
                        }
                        protocolHandlers.accept(p);
                    }
                });
    }

    /**
     * Adds one stream's handlers to a connection's pipeline: its first-byte timer, decompressor,
     * decoder and last handler, after the connection's own (proxy tunnel, TLS, capture, idle
     * timer, HTTP codec), which a kept-alive connection keeps from stream to stream. With a
     * {@code recorder} (failures captured), its two taps: the wire's bytes before the codec, the
     * decoded body before the decoder; each stream has its own, so a kept-alive connection's
     * next stream starts with nothing recorded.
     */
    void attachStream(ChannelPipeline p, SseDecoder decoder, ChannelInboundHandlerAdapter last, FailureRecorder recorder) {
        if (recorder != null) {
            p.addBefore(HTTP, FailureRecorder.WIRE, recorder.wire());
        }
        if (firstByteTimeoutMillis > 0) {
            p.addBefore(HTTP, "first-byte", new FirstByteTimeout(firstByteTimeoutMillis));
        }
        if (p.get(IDLE) != null) {
            p.replace(IDLE, IDLE, newIdleHandler()); // a reused connection's timer starts afresh with its stream
        }
        if (gzip) {
            p.addLast("gunzip", new SseDecompressor());
        }
        if (recorder != null) {
            p.addLast(FailureRecorder.BODY, recorder.body());
        }
        p.addLast("sse", decoder);
        p.addLast("stream", last);
    }

    /** Takes a finished stream's handlers out of its connection's pipeline, before the connection is pooled. */
    private static void detachStream(ChannelPipeline p) {
        for (String name : new String[] {FailureRecorder.WIRE, "first-byte", "gunzip", FailureRecorder.BODY, "sse", "stream"}) {
            if (p.get(name) != null) {
                p.remove(name);
            }
        }
    }

    /**
     * The loop for a stream free to run on any: the one where its upstream's last connection was
     * parked, so the stream can reuse it (pooled connections belong to their loop), else the next.
     */
    private EventLoop loopFor(SseRequest request) {
        EventLoop loop = pool.enabled() ? pool.loopFor(SseConnectionPool.Key.of(request, proxyFor(request))) : null;
        return loop != null ? loop : group.next();
    }

    /** An idle kept-alive connection to {@code request}'s upstream on {@code loop}, or null. On {@code loop}. */
    Channel pooledConnection(EventLoop loop, SseRequest request, SseProxy via) {
        return pool.enabled() ? pool.acquire(loop, SseConnectionPool.Key.of(request, via)) : null;
    }

    /**
     * A stream on {@code ch} ended: a connection whose response was read to its framed end and
     * kept alive goes to the pool, without the stream's handlers; any other is closed. On its loop.
     */
    void streamEnded(Channel ch, SseDecoder decoder, SseRequest request, SseProxy via) {
        if (ch instanceof Http2StreamChannel) {
            ch.close(); // closed already, or a no-op: both sides ended; its place on the connection is free
        } else if (pool.enabled() && decoder.reusable() && ch.isActive()) {
            detachStream(ch.pipeline());
            pool.release(ch, SseConnectionPool.Key.of(request, via));
        } else {
            ch.close();
        }
    }

    void connectionOpened() {
        pool.opened.increment();
    }

    /** Connections this client opened (each a TCP and, for https, a TLS handshake). */
    public long connectionsOpened() {
        return pool.opened.sum();
    }

    /** Streams that went over a kept-alive connection instead of a new one. */
    public long connectionsReused() {
        return pool.reused.sum();
    }

    /** Idle kept-alive connections closed by the pool: idle too long, or closed or spoken on by the server. */
    public long connectionsEvicted() {
        return pool.evicted.sum();
    }

    /** Fails the connection when no response byte arrives in time after it became active. */
    private static final class FirstByteTimeout extends ChannelInboundHandlerAdapter {
        private final long millis;
        private ScheduledFuture<?> timer;

        FirstByteTimeout(long millis) {
            this.millis = millis;
        }

        /** On a kept-alive connection, already active, the stream's request goes now: the timer starts here. */
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (ctx.channel().isActive()) {
                start(ctx);
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            start(ctx);
            ctx.fireChannelActive();
        }

        private void start(ChannelHandlerContext ctx) {
            timer = ctx.executor().schedule(() -> {
                ctx.fireExceptionCaught(new SseTimeoutException(SseTimeoutException.Kind.FIRST_BYTE, millis, 0, 0));
                ctx.close();
            }, millis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.pipeline().remove(this); // cancels the timer
            ctx.fireChannelRead(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            cancel();
            ctx.fireChannelInactive();
        }

        /**
         * Also when the pipeline is torn down: a proxy handler that loses its connection before the
         * tunnel opens reports it as an error and never passes the inactive event on.
         */
        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            cancel();
        }

        private void cancel() {
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }

    /** Options of a client; every one has a default. */
    public static final class Builder {
        private EventLoopGroup group;
        private Class<? extends SocketChannel> channelType;
        private int threads;
        private TrustManagerFactory trust;
        private boolean insecure;
        private boolean gzip = true;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration firstByteTimeout = DEFAULT_FIRST_BYTE_TIMEOUT;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private SseDecoder.Settings decoderSettings = SseDecoder.Settings.DEFAULTS;
        private ReconnectPolicy reconnect;
        private int highWater = 1024;
        private int lowWater = 256;
        private Path capture;
        private SseProxy proxy;
        private int maxIdlePerHost = DEFAULT_MAX_IDLE_PER_HOST;
        private Duration poolIdleTimeout = DEFAULT_POOL_IDLE_TIMEOUT;
        private SseObserver observer;
        private SseFailureCapture captureFailures;
        private Protocol protocol = Protocol.HTTP_1_1;

        private Builder() {
        }

        /**
         * Which HTTP to speak to upstreams (default {@link Protocol#HTTP_1_1}). With HTTP/2, the
         * streams to one upstream share one connection per event loop, up to the server's
         * {@code SETTINGS_MAX_CONCURRENT_STREAMS} (and at most 256); a stream that finds every
         * connection full opens another rather than wait behind streams that may last minutes.
         * A connection with no stream is closed after the {@link #connectionPool} idle timeout
         * (at once when pooling is off). HTTP/1.1 stays the default: one connection's loss or
         * stall then ends one stream, not every stream of an upstream, and the pool already saves
         * the handshakes.
         */
        public Builder protocol(Protocol protocol) {
            this.protocol = java.util.Objects.requireNonNull(protocol, "protocol");
            return this;
        }

        /**
         * Keeps up to {@code maxIdlePerHost} idle HTTP/1.1 connections per upstream (scheme, host,
         * port, proxy) and event loop, each for at most {@code idleTimeout}, so a stream after a
         * clean end reuses its connection and TLS session instead of a new handshake (default
         * {@value #DEFAULT_MAX_IDLE_PER_HOST} for {@link #DEFAULT_POOL_IDLE_TIMEOUT 60 s}); 0 turns
         * pooling off, every stream on a connection of its own. Only a connection whose response
         * was read to its framed end and kept alive is reused; a request that fails on a reused
         * connection before any response byte (the server had closed it) is sent once more on a new
         * one, unseen by the listener.
         */
        public Builder connectionPool(int maxIdlePerHost, Duration idleTimeout) {
            if (maxIdlePerHost < 0 || idleTimeout.isNegative()) {
                throw new IllegalArgumentException("connection pool bounds must not be negative: " + maxIdlePerHost + ", " + idleTimeout);
            }
            this.maxIdlePerHost = maxIdlePerHost;
            this.poolIdleTimeout = idleTimeout;
            return this;
        }

        /** Runs on the caller's group (not shut down by the client), with a matching channel type. */
        public Builder eventLoopGroup(EventLoopGroup group, Class<? extends SocketChannel> channelType) {
            this.group = group;
            this.channelType = channelType;
            return this;
        }

        /** Threads of the client's own group; 0 (the default) lets Netty choose (twice the cores). */
        public Builder threads(int threads) {
            if (threads < 0) {
                throw new IllegalArgumentException("threads must not be negative: " + threads);
            }
            this.threads = threads;
            return this;
        }

        /** Trust these certificates instead of the JDK's default trust store; host names are still verified. */
        public Builder trustManager(TrustManagerFactory trust) {
            this.trust = trust;
            return this;
        }

        /** Trusts any certificate and skips host name verification: for self-signed test servers only. */
        public Builder insecure(boolean insecure) {
            this.insecure = insecure;
            return this;
        }

        /**
         * Asks for gzip or deflate and decodes it under backpressure, a bounded step per read
         * ({@link SseDecompressor}); default on. No other coding is asked for.
         */
        public Builder gzip(boolean gzip) {
            this.gzip = gzip;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = nonNegative(timeout, "connect timeout");
            return this;
        }

        /** From connected (and TLS started) to the first response byte; zero for none. Default 60 s. */
        public Builder firstByteTimeout(Duration timeout) {
            this.firstByteTimeout = nonNegative(timeout, "first-byte timeout");
            return this;
        }

        /**
         * Longest time without a byte read once connected; zero for none. Default 10 minutes: long
         * enough for a reasoning model's silence, and still an end for a server that stalls
         * (issue 14). Time paused by backpressure counts too.
         */
        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = nonNegative(timeout, "idle timeout");
            return this;
        }

        /** The parser's bounds and the kept error body. */
        public Builder decoderSettings(SseDecoder.Settings settings) {
            this.decoderSettings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /** Reconnects GET streams that drop; null (the default) never reconnects. */
        public Builder reconnect(ReconnectPolicy policy) {
            this.reconnect = policy;
            return this;
        }

        /** Queue streams: reading stops at {@code highWater} queued events, and goes on at {@code lowWater}. */
        public Builder waterMarks(int highWater, int lowWater) {
            this.highWater = highWater;
            this.lowWater = lowWater;
            return this;
        }

        /**
         * Records every connection's plaintext traffic to this pcap file (replayable with {@code sluice replay}).
         * Through a proxy, the upstream's HTTP only, not the tunnel's handshake, between the
         * client's address and the proxy's.
         */
        public Builder capture(Path pcapFile) {
            this.capture = pcapFile;
            return this;
        }

        /**
         * Writes a replayable {@code .http} file of each stream that fails, into the capture's
         * folder ({@link SseFailureCapture}); null (the default) records nothing, and costs nothing.
         * Captured: every failure of the upstream's once a response byte came (cut, timeout,
         * malformed response, refusal, oversized event); not a cancel (nor a relay's client gone),
         * a listener's exception, or a failure before any response byte (nothing to replay).
         * {@link SseStream#failureCapture()} names the file; {@link #close()} waits for the files
         * still being written. The folder is made when the client is built.
         */
        public Builder captureFailures(SseFailureCapture capture) {
            this.captureFailures = capture;
            return this;
        }

        /**
         * Connects through {@code proxy} (HTTP {@code CONNECT} or SOCKS5), except to the hosts its
         * no-proxy list names; null (the default) connects directly. Never set implicitly: pass
         * {@link SseProxy#fromEnvironment()} or {@link SseProxy#fromSystemProperties()} to use those.
         * The connect timeout bounds the connection to the proxy and, again, its handshake; a
         * failure there ends the stream with an {@link SseProxyException}.
         */
        public Builder proxy(SseProxy proxy) {
            this.proxy = proxy;
            return this;
        }

        private static Duration nonNegative(Duration timeout, String what) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException(what + " must not be negative: " + timeout);
            }
            return timeout;
        }

        /**
         * Tells {@code observer} of every stream this client opens, for metrics (sluice-micrometer's
         * {@code SluiceMetrics}); null (the default) observes nothing, at no cost per event.
         */
        public Builder observer(SseObserver observer) {
            this.observer = observer;
            return this;
        }

        public SseClient build() {
            if ((group == null) != (channelType == null)) {
                throw new IllegalArgumentException("give the event loop group with its channel type");
            }
            if (lowWater < 0 || lowWater >= highWater) {
                throw new IllegalArgumentException("need 0 <= lowWater < highWater, got " + lowWater + ", " + highWater);
            }
            return new SseClient(this);
        }
    }
}

package io.sluice.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.handoff.OwnedSseEvent;
import io.sluice.core.handoff.SseEventHandoff;
import io.sluice.core.handoff.SseEventQueue;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * One stream opened by an {@link SseClient}: the current connection, the reconnects of a GET, and
 * the one end. Everything here runs on one event loop, chosen when the stream opens, so the queue
 * has one producer thread across reconnects. {@link #cancel()} and {@link #close()} may be called
 * from any thread.
 */
public final class SseStream implements AutoCloseable {
    private final SseClient client;
    private final SseRequest request;
    private final EventLoop loop;
    private final SseListener listener;
    private final SseEventHandoff queue;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    /** Null when unobserved: one predicted branch per event, no call (docs/metrics.md). */
    private final SseObservation observation;

    // Event loop only.
    private Channel channel;
    private SseDecoder decoder;
    private ScheduledFuture<?> reconnectTask;
    // Reading stops while either side asks: the queue above its high water, or the caller (a relay
    // whose downstream is not writable). Two flags, so one side's resume never undoes the other's pause.
    private boolean queuePaused;
    private boolean callerPaused;
    private boolean terminated;
    private String lastEventId = "";
    private long serverRetryMillis = -1;
    private int failedAttempts;
    private boolean connectionDeliveredEvent;
    /** The current connection came from the client's pool: a failure before any response byte is retried once, fresh. */
    private boolean reusedConnection;
    private boolean freshConnection;
    /** The current connection's recent bytes, when the client captures failures; null otherwise. */
    private FailureRecorder recorder;
    /** The current attempt is that one resend: a second failure is told, whatever it is. */
    private boolean freshAttempt;
    /** The current attempt's HTTP/2 stream watch; null on HTTP/1.1. */
    private Http2Upstream.StreamWatch watch;
    private long eventsBefore;
    private long bytesBefore;
    // Written on the event loop before the end is signalled, read by any thread that has seen it.
    private volatile long eventsAtEnd;
    private volatile long bytesAtEnd;
    private volatile Path failureCapture;

    SseStream(SseClient client, SseRequest request, EventLoop loop, SseListener listener, int highWater, int lowWater,
              SseObservation observation) {
        this.client = client;
        this.observation = observation;
        this.request = request;
        this.loop = loop;
        this.listener = listener;
        this.queue = listener != null ? null : new SseEventHandoff(highWater, lowWater, new Flow(), loop);
    }

    /**
     * The events of a stream opened with {@link SseClient#openQueue(SseRequest)}, to be taken by
     * one consumer thread; its end or error comes after the last event. Null for a listener stream.
     * The consumer's end only: the stream keeps the producer's.
     */
    public SseEventQueue queue() {
        return queue;
    }

    /** Completes when the stream ends: normally on a clean end, exceptionally with the typed error. */
    public CompletionStage<Void> done() {
        return done;
    }

    /**
     * The events this stream received in all, across reconnects, counted when it ended: read it
     * once the end is seen (the queue done, the listener's {@code onEnd} or {@code onError},
     * {@link #done()} complete); 0 before. A failed stream's {@code SseStreamException} carries
     * the same counts; this is where a clean end's are.
     */
    public long eventsAtEnd() {
        return eventsAtEnd;
    }

    /** The event-stream body bytes (after decompression) this stream received in all, as {@link #eventsAtEnd()}. */
    public long bytesAtEnd() {
        return bytesAtEnd;
    }

    /**
     * The file this stream's failure is being written to ({@link SseClient.Builder#captureFailures}),
     * named as the stream ended and written soon after, off the event loop; null when the stream
     * ended cleanly, was not captured, or the client captures nothing. Read it once the end is
     * seen, as {@link #eventsAtEnd()}.
     */
    public Path failureCapture() {
        return failureCapture;
    }

    /** The event loop this stream's connections run on. */
    public EventLoop eventLoop() {
        return loop;
    }

    /**
     * Stops the stream: closes the connection (over HTTP/2, resets the stream with
     * {@code RST_STREAM(CANCEL)}, and the connection's other streams go on), so the server sees
     * the client leave and stops generating, and ends the stream with {@link SseCancelledException}.
     * Any thread; idempotent.
     */
    public void cancel() {
        if (loop.isShuttingDown()) {
            return; // the client is closed: its connections are closed and nothing more arrives
        }
        loop.execute(() -> {
            if (terminated) {
                return;
            }
            terminate(new SseCancelledException(events(), bytes()));
            if (reconnectTask != null) {
                reconnectTask.cancel(false);
            }
            if (channel != null) {
                channel.close();
            }
        });
    }

    /**
     * Stops reading from the connection (no more reads are asked for) until {@link #resume()}: what is already read
     * is still delivered, then the server's sends back up in TCP. Holds across reconnects. Any
     * thread; for a listener stream, whose consumer has no queue to signal with.
     */
    public void pause() {
        onLoop(() -> {
            boolean was = paused();
            callerPaused = true;
            applyDemand();
            observeDemand(was);
        });
    }

    /** Reads again after {@link #pause()} (unless the queue, too, is above its high water). Any thread. */
    public void resume() {
        onLoop(() -> {
            boolean was = paused();
            callerPaused = false;
            applyDemand();
            observeDemand(was);
        });
    }

    private void onLoop(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else if (!loop.isShuttingDown()) {
            loop.execute(task);
        }
    }

    private boolean paused() {
        return queuePaused || callerPaused;
    }

    /** Tells the observation when reading stopped or went on: either side's flag may change without the other's. */
    private void observeDemand(boolean wasPaused) {
        if (observation != null && wasPaused != paused() && !terminated) {
            if (wasPaused) {
                observation.resumed();
            } else {
                observation.paused();
            }
        }
    }

    /**
     * Asks for a read when the stream is not paused; the StreamHandler asks for the next after each
     * one completes. Paused, no read is asked for, so at most the read in flight still arrives, and
     * the reader idle timer is taken out: the silence is ours, not the server's.
     */
    private void applyDemand() {
        if (channel == null || !channel.isRegistered()) {
            return;
        }
        ChannelPipeline pipeline = channel.pipeline();
        if (paused()) {
            if (pipeline.get(SseClient.IDLE) != null) {
                pipeline.remove(SseClient.IDLE);
            }
            return;
        }
        IdleStateHandler idle;
        if (pipeline.get(SseClient.IDLE) == null && pipeline.get(SseClient.HTTP) != null
                && (idle = client.newIdleHandler()) != null) {
            pipeline.addBefore(SseClient.HTTP, SseClient.IDLE, idle);
        }
        channel.read();
    }

    /** Cancels the stream (if not over) and releases every queued event. Call from the consumer thread. */
    @Override
    public void close() {
        cancel();
        if (queue != null) {
            queue.close();
        }
    }

    void start() {
        loop.execute(this::connect);
    }

    private long events() {
        return eventsBefore + (decoder == null ? 0 : decoder.events());
    }

    private long bytes() {
        return bytesBefore + (decoder == null ? 0 : decoder.bytes());
    }

    private void connect() {
        if (terminated) {
            return;
        }
        reconnectTask = null;
        connectionDeliveredEvent = false;
        if (decoder != null) {
            eventsBefore += decoder.events();
            bytesBefore += decoder.bytes();
        }
        decoder = client.newDecoder(listener instanceof SseResponseListener);
        recorder = null;
        watch = null;
        SseProxy via = client.proxyFor(request);
        boolean fresh = freshConnection;
        freshAttempt = fresh;
        freshConnection = false;
        if (client.http2(request)) {
            Http2Upstream shared = client.http2Connection(loop, request, via, fresh);
            if (shared != null) {
                // A resend joins only a connection that has carried no stream yet: it counts as new.
                reusedConnection = !fresh;
                channel = null;
                shared.admit(new Http2Attempt(via));
                return;
            }
        }
        recorder = client.newFailureRecorder(); // HTTP/1.1 only: an HTTP/2 stream's frames are no capture's bytes
        Channel pooled = fresh ? null : client.pooledConnection(loop, request, via);
        if (pooled != null) {
            reusedConnection = true;
            channel = pooled;
            client.attachStream(pooled.pipeline(), decoder, newHandler(via), recorder);
            pooled.writeAndFlush(httpRequest());
            if (!paused()) {
                pooled.read();
            }
            return;
        }
        reusedConnection = false;
        client.connectionOpened();
        if (client.http2(request)) {
            recorder = null;
            connectHttp2(via);
            return;
        }
        Bootstrap bootstrap = client.bootstrap(loop, request, via, decoder, newHandler(via), recorder);
        ChannelFuture connecting = via == null
                ? bootstrap.connect(request.uri().getHost(), request.port())
                : bootstrap.connect(ProxyTunnel.unresolvedDestination(request));
        channel = connecting.channel();
        connecting.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                failed(via != null ? SseProxyException.unreachable(via, ProxyTunnel.destination(request), f.cause())
                        : new SseConnectException("cannot connect to " + request.uri().getHost() + ':' + request.port(),
                                f.cause()));
                return;
            }
            if (terminated) {
                f.channel().close();
                return;
            }
            f.channel().writeAndFlush(httpRequest());
            if (!paused()) {
                f.channel().read();
            }
        });
    }

    /**
     * The stream's last handler for the current decoder; a listener's reads the parser's views
     * straight from the decoder, on this loop, before each call returns: no copy per event.
     */
    private StreamHandler newHandler(SseProxy via) {
        StreamHandler handler = new StreamHandler(via);
        if (queue == null) {
            decoder.deliverViewsTo(handler);
        }
        return handler;
    }

    /** A new connection that offers HTTP/2 (or speaks h2c); the stream waits for its protocol. */
    private void connectHttp2(SseProxy via) {
        Http2Upstream connection = client.newHttp2(loop, request, via);
        connection.admit(new Http2Attempt(via));
        Bootstrap bootstrap = client.http2Bootstrap(loop, request, via, connection);
        ChannelFuture connecting = via == null
                ? bootstrap.connect(request.uri().getHost(), request.port())
                : bootstrap.connect(ProxyTunnel.unresolvedDestination(request));
        channel = null; // the stream's channel is known once the protocol is
        connecting.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                connection.connectFailed(via != null ? SseProxyException.unreachable(via, ProxyTunnel.destination(request), f.cause())
                        : new SseConnectException("cannot connect to " + request.uri().getHost() + ':' + request.port(),
                                f.cause()));
                return;
            }
            f.channel().read(); // TLS reads its handshake on demand; h2c reads on its own
        });
    }

    private FullHttpRequest httpRequest() {
        byte[] body = request.bodyView();
        FullHttpRequest http = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, request.method(), request.target(),
                body.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        HttpHeaders headers = http.headers();
        int port = request.port();
        boolean defaultPort = port == (request.isTls() ? 443 : 80);
        headers.set(HttpHeaderNames.HOST, defaultPort ? request.uri().getHost() : request.uri().getHost() + ':' + port);
        headers.set(HttpHeaderNames.ACCEPT, "text/event-stream");
        headers.set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        if (client.gzip()) {
            headers.set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.GZIP_DEFLATE);
        }
        if (body.length > 0 || !request.method().equals(HttpMethod.GET)) {
            HttpUtil.setContentLength(http, body.length);
        }
        if (!lastEventId.isEmpty()) {
            headers.set("Last-Event-ID", lastEventId);
        }
        HttpHeaders own = request.headersView();
        for (String name : own.names()) {
            headers.set(name, own.getAll(name)); // the caller's headers win over ours
        }
        return http;
    }

    /** A connection ended with {@code error}: reconnect if the policy allows, or end the stream. */
    private void failed(SseException error) {
        if (terminated) {
            return;
        }
        if ((reusedConnection || watch != null && watch.unprocessed) && !freshAttempt && !decoder.opened()
                && error.retryable()) {
            // A kept-alive connection the server had closed as the request went out, or an HTTP/2
            // stream the server says it never processed (GOAWAY, REFUSED_STREAM): once more on a
            // new connection, as if the first had never been tried (no attempt counted, nothing told).
            freshConnection = true;
            connect();
            return;
        }
        ReconnectPolicy policy = client.reconnectPolicy();
        if (policy != null && error.retryable() && request.method().equals(HttpMethod.GET)) {
            failedAttempts = connectionDeliveredEvent ? 1 : failedAttempts + 1;
            if (failedAttempts <= policy.maxAttempts()) {
                long delay = policy.delayMillis(failedAttempts, serverRetryMillis);
                if (listener != null) {
                    listener.onReconnecting(error, delay);
                }
                reconnectTask = loop.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
                return;
            }
        }
        terminate(error);
    }

    /** The one end of the stream: null for a clean end. */
    private void terminate(SseException error) {
        terminated = true;
        eventsAtEnd = events();
        bytesAtEnd = bytes();
        if (error != null) {
            failureCapture = client.captureFailure(recorder, request, error); // before the end is told, so its hearers can name it
        }
        recorder = null;
        if (observation != null) {
            try {
                observation.ended(error == null ? "ok" : error.errorType(), eventsAtEnd, bytesAtEnd, error);
            } catch (RuntimeException e) {
                if (error != null) {
                    error.addSuppressed(e); // a metrics bug never changes how the stream ends
                }
            }
        }
        if (queue != null) {
            if (error == null) {
                queue.end();
            } else {
                queue.fail(error);
            }
        } else if (error == null) {
            listener.onEnd();
        } else {
            try {
                listener.onError(error);
            } catch (RuntimeException e) {
                error.addSuppressed(e); // the stream is over either way; the future below still says why
            }
        }
        if (error == null) {
            done.complete(null);
        } else {
            done.completeExceptionally(error);
        }
    }

    /** The last handler of each connection: events to the listener or queue, the decoder's end to the stream. */
    private final class StreamHandler extends ChannelInboundHandlerAdapter implements SseDecoder.ViewSink {
        /** The proxy the connection goes through, part of its pool key; null when direct. */
        private final SseProxy via;
        private ChannelHandlerContext ctx;

        StreamHandler(SseProxy via) {
            this.via = via;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf body) { // a passed-on response's body: only an SseResponseListener asks for one
                try {
                    if (!terminated) {
                        ((SseResponseListener) listener).onBody(body);
                    }
                } catch (RuntimeException e) {
                    listenerFailed(ctx, e);
                } finally {
                    body.release();
                }
                return;
            }
            if (!(msg instanceof OwnedSseEvent)) {
                ctx.fireChannelRead(msg);
                return;
            }
            OwnedSseEvent event = (OwnedSseEvent) msg;
            if (terminated) {
                event.release(); // cancelled: what still arrives is nobody's
                return;
            }
            lastEventId = event.lastEventId();
            connectionDeliveredEvent = true;
            if (observation != null) {
                try {
                    observation.event(event, bytes());
                } catch (RuntimeException e) {
                    event.release();
                    listenerFailed(ctx, e);
                    return;
                }
            }
            queue.offer(event); // owned events come only to a queue: a listener reads the parser's views (onEvent)
        }

        /** A listener's event, straight from the parser: the view is read before this returns. */
        @Override
        public void onEvent(SseEvent view) {
            if (terminated) {
                return; // cancelled: what still arrives is nobody's
            }
            lastEventId = view.lastEventId();
            connectionDeliveredEvent = true;
            try {
                if (observation != null) {
                    observation.event(view, bytes());
                }
                listener.onEvent(view);
            } catch (RuntimeException e) {
                listenerFailed(ctx, e);
            }
        }

        /** The listener threw: the stream ends with {@link SseListenerException}, never retried. */
        private void listenerFailed(ChannelHandlerContext ctx, RuntimeException e) {
            ctx.close();
            failed(new SseListenerException(e));
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (!paused() && !terminated) {
                ctx.read(); // the next read: one at a time, so a pause stops the stream within one
            }
            ctx.fireChannelReadComplete();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            try {
                onDecoderEvent(ctx, evt);
            } catch (RuntimeException e) {
                listenerFailed(ctx, e);
            }
            ctx.fireUserEventTriggered(evt);
        }

        private void onDecoderEvent(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SseDecoder.OtherResponse other) {
                if (observation != null && !terminated) {
                    observation.head(other.status().code());
                }
                if (!terminated) {
                    ((SseResponseListener) listener).onOtherResponse(other.status(), other.headers());
                }
            } else if (evt instanceof SseDecoder.Open) {
                if (observation != null && !terminated) {
                    observation.head(((SseDecoder.Open) evt).status().code());
                }
                if (listener != null && !terminated) {
                    SseDecoder.Open open = (SseDecoder.Open) evt;
                    listener.onOpen(open.status(), open.headers());
                }
            } else if (evt instanceof SseDecoder.Retry) {
                serverRetryMillis = ((SseDecoder.Retry) evt).millis();
                if (listener != null && !terminated) {
                    listener.onRetry(serverRetryMillis);
                }
            } else if (evt instanceof SseDecoder.StreamEnd) {
                // Pooled or closed once this event has passed (the handlers it passes through go
                // with the stream), and only then the end told: a listener that opens its next
                // stream on hearing it finds the connection back in the pool.
                Channel ch = ctx.channel();
                SseDecoder ended = decoder;
                ch.eventLoop().execute(() -> {
                    client.streamEnded(ch, ended, request, via);
                    if (!terminated) {
                        terminate(null);
                    }
                });
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
            failed(typed(cause, decoder.opened(), events(), bytes()));
        }
    }

    /**
     * One attempt's place on a connection that offers HTTP/2: the stream opens as a child channel
     * when the connection speaks HTTP/2, or takes the connection when ALPN chose HTTP/1.1.
     */
    private final class Http2Attempt implements Http2Upstream.Waiter {
        private final SseProxy via;

        Http2Attempt(SseProxy via) {
            this.via = via;
        }

        @Override
        public ChannelInitializer<Http2StreamChannel> onHttp2(Http2Upstream connection) {
            if (terminated) {
                return null;
            }
            Http2Upstream.StreamWatch streamWatch = new Http2Upstream.StreamWatch();
            watch = streamWatch;
            SseDecoder streamDecoder = decoder;
            StreamHandler last = newHandler(via);
            return new ChannelInitializer<Http2StreamChannel>() {
                @Override
                protected void initChannel(Http2StreamChannel ch) {
                    client.attachHttp2Stream(ch.pipeline(), streamWatch, streamDecoder, last);
                }
            };
        }

        @Override
        public void onStream(Http2StreamChannel stream) {
            channel = stream;
            if (terminated) {
                stream.close(); // cancelled as it opened: a reset, if the request went at all
                return;
            }
            // A request the codec refuses (a GOAWAY came first) fails the stream with why.
            stream.writeAndFlush(httpRequest()).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
            if (!paused()) {
                stream.read();
            }
        }

        @Override
        public void onHttp1(Channel connection) {
            channel = connection;
            if (terminated) {
                connection.close();
                return;
            }
            connection.config().setAutoRead(false);
            client.addHttp1(connection.pipeline());
            client.attachStream(connection.pipeline(), decoder, newHandler(via), null);
            connection.writeAndFlush(httpRequest());
            if (!paused()) {
                connection.read();
            }
        }

        @Override
        public void retry() {
            if (!terminated) {
                connect();
            }
        }

        @Override
        public void onFailed(SseException error) {
            failed(error);
        }
    }

    /** Backpressure from the queue to whichever connection is current. */
    private final class Flow implements SseEventHandoff.FlowControl {
        @Override
        public void pause() {
            boolean was = paused();
            queuePaused = true;
            applyDemand();
            observeDemand(was);
        }

        @Override
        public void resume() {
            boolean was = paused();
            queuePaused = false;
            applyDemand();
            observeDemand(was);
        }
    }

    /**
     * What a connection's failure means, as a type: the decoder's and the client's own errors as
     * they are; a socket or TLS failure ({@code IOException}) before the response's head as no
     * connection, after it as a cut; a codec's {@code DecoderException} as a malformed response;
     * anything else is a bug of a handler's, an internal error that no retry would mend.
     */
    static SseException typed(Throwable cause, boolean opened, long events, long bytes) {
        if (cause instanceof SseException sse) {
            return sse;
        } else if (cause instanceof java.io.IOException) {
            return opened ? new SseClosedEarlyException(events, bytes, 0, cause) : new SseConnectException("connection failed", cause);
        } else if (cause instanceof io.netty.handler.codec.DecoderException) {
            return new SseMalformedResponseException(events, bytes, cause);
        }
        return new SseException("internal error: " + cause, cause);
    }
}

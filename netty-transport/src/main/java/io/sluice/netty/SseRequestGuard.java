package io.sluice.netty;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The front door of an HTTP server: bounds what a client may hold before it has asked for
 * anything, and answers the requests no application handler should see. Place it right after
 * {@code HttpServerCodec}, before any {@code HttpObjectAggregator} and before {@link SseResponder}
 * or {@link SseRelay}:
 *
 * <pre>{@code
 * SseRequestGuard guard = SseRequestGuard.builder().maxConnections(10_000).build(); // one per server
 * ...
 * ch.pipeline().addLast(new HttpServerCodec(), guard, new SseResponder(heartbeat, onStream));
 * }</pre>
 *
 * <table>
 * <caption>Bounds (a timeout of zero, or a maximum of zero, is none)</caption>
 * <tr><th>Bound</th><th>Default</th><th>Past it</th></tr>
 * <tr><td>{@link Builder#idleTimeout idle timeout}: from connecting, or from the end of a response,
 *     until the next request's first byte</td>
 *     <td>{@value #DEFAULT_IDLE_TIMEOUT_SECONDS} s</td><td>closed, without an answer (nothing was asked)</td></tr>
 * <tr><td>{@link Builder#requestTimeout request timeout}: from a request's first byte until it is
 *     whole (head and body) or its answer begins</td>
 *     <td>{@value #DEFAULT_REQUEST_TIMEOUT_SECONDS} s</td><td>{@code 408 Request Timeout}, closed</td></tr>
 * <tr><td>{@link Builder#maxConnections max connections} open through this guard</td>
 *     <td>{@value #DEFAULT_MAX_CONNECTIONS} (none)</td>
 *     <td>{@code 503 Service Unavailable} written at once, nothing read, closed</td></tr>
 * </table>
 *
 * <p>Answered here and never passed on, each followed by a close (the connection's framing can no
 * longer be trusted):
 * <ul>
 *   <li>a request the codec could not decode: a line or header past the codec's limits, a bad
 *       header name, {@code Transfer-Encoding} together with {@code Content-Length} (a request
 *       smuggling attempt), a broken chunk: {@code 400 Bad Request};</li>
 *   <li>an HTTP major version other than 1 ({@code HTTP/2.0} or {@code HTTP/9.9} in a request
 *       line): {@code 505 HTTP Version Not Supported}.</li>
 * </ul>
 * When the answer to the request has already begun (an event stream, say) there is nothing left
 * to say, and the connection is only closed.
 *
 * <p>The request timeout closes the slowloris hole (a client that trickles its head a byte at a
 * time holds a connection and its buffers for as long as it likes); the idle timeout closes the
 * connection that sends nothing at all; between them, an idle client holds a descriptor for at
 * most their sum. A response in progress is never timed: an event stream may last for hours.
 * Refusing past the maximum is cheap (one small write, no decoding) and best effort: a client
 * that is still sending may see the connection reset instead of the {@code 503}. Pipelined
 * requests are checked, but timed as one exchange with the request before them.
 *
 * <p>Sharable: one guard serves every connection of a server and counts them; each connection
 * gets its own state in its pipeline, in the guard's place.
 */
@ChannelHandler.Sharable
public final class SseRequestGuard extends ChannelInboundHandlerAdapter {
    /** How long a connection may stay silent before its first request, or between requests. */
    public static final long DEFAULT_IDLE_TIMEOUT_SECONDS = 30;
    /** How long a request may take to arrive whole, from its first byte, before it is answered 408. */
    public static final long DEFAULT_REQUEST_TIMEOUT_SECONDS = 30;
    /** No maximum: every connection is served. */
    public static final int DEFAULT_MAX_CONNECTIONS = 0;

    private final long idleTimeoutNanos;
    private final long requestTimeoutNanos;
    private final int maxConnections;
    /** Connections open through this guard; counted only when there is a maximum. */
    private final AtomicInteger connections = new AtomicInteger();

    private SseRequestGuard(Builder b) {
        this.idleTimeoutNanos = b.idleTimeout.toNanos();
        this.requestTimeoutNanos = b.requestTimeout.toNanos();
        this.maxConnections = b.maxConnections;
    }

    /** A guard with the defaults: a 30 s idle and request timeout, no maximum. */
    public static SseRequestGuard withDefaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Connections open through this guard now; always 0 without a maximum (they are not counted). */
    public int connections() {
        return connections.get();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.pipeline().replace(this, ctx.name(), new Door());
    }

    /** One connection's state: which timer runs, and whether an answer is under way. */
    private final class Door extends ChannelDuplexHandler {
        private State state = State.NEW;
        /** A final response head was written and its last part not yet. */
        private boolean answering;
        private boolean counted;
        /**
         * An answer ended within the current read, so its readComplete says nothing about a next
         * request (the bytes read were this one's).
         */
        private boolean idledWithinRead;
        /** Between a read's first message and its readComplete. */
        private boolean reading;
        private ScheduledFuture<?> timer;
        private ChannelHandlerContext ctx;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            if (ctx.channel().isActive()) {
                open();
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            open();
            ctx.fireChannelActive();
        }

        private void open() {
            if (state != State.NEW) {
                return;
            }
            if (maxConnections > 0) {
                counted = true;
                if (connections.incrementAndGet() > maxConnections) {
                    ctx.channel().config().setAutoRead(false); // refused: not one byte of it is decoded
                    refuse(HttpResponseStatus.SERVICE_UNAVAILABLE);
                    return;
                }
            }
            idle();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            reading = true;
            switch (state) {
                case CLOSED:
                    ReferenceCountUtil.release(msg); // what the codec still had when we gave up
                    return;
                case IDLE:
                    // The whole head came in the connection's first read, before any readComplete.
                    request();
                    // fall-through
                case REQUEST:
                case RESPONSE:
                    HttpResponseStatus refusal = refusal(msg);
                    if (refusal != null) {
                        ReferenceCountUtil.release(msg);
                        refuse(refusal);
                        return;
                    }
                    if (msg instanceof LastHttpContent && state == State.REQUEST) {
                        respond(); // the request is whole: what remains is the application's answer
                    }
                    ctx.fireChannelRead(msg);
                    return;
                case NEW:
                default:
                    throw new IllegalStateException("Unhandled state " + state);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (state == State.IDLE && !idledWithinRead) {
                // Bytes arrived (the codec reads them as they come) without a whole head: a request
                // has begun, and from now on it has the request timeout to finish.
                request();
            }
            idledWithinRead = false;
            reading = false;
            ctx.fireChannelReadComplete();
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof HttpResponse response && response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                ctx.write(msg, promise); // 100 Continue invites the body: the request goes on
                return;
            }
            if (msg instanceof HttpResponse) {
                answering = true;
                if (state == State.REQUEST) {
                    respond(); // answered before the request was whole (a stream after its head, a 413)
                }
            }
            if (msg instanceof LastHttpContent && answering) {
                promise = promise.unvoid();
                promise.addListener(f -> answered());
            }
            ctx.write(msg, promise);
        }

        /** The last part of a response is written: a kept-alive connection waits for its next request. */
        private void answered() {
            answering = false;
            if (state == State.RESPONSE) {
                idle();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            state = State.CLOSED;
            cancelTimer();
            if (counted) {
                counted = false;
                connections.decrementAndGet();
            }
            ctx.fireChannelInactive();
        }

        private void idle() {
            idledWithinRead = reading;
            state = State.IDLE;
            arm(idleTimeoutNanos);
        }

        private void request() {
            state = State.REQUEST;
            arm(requestTimeoutNanos);
        }

        private void respond() {
            state = State.RESPONSE;
            cancelTimer();
        }

        private void timedOut() {
            timer = null;
            switch (state) {
                case IDLE:
                    state = State.CLOSED;
                    ctx.close(); // nothing was asked, so there is nothing to answer
                    return;
                case REQUEST:
                    refuse(HttpResponseStatus.REQUEST_TIMEOUT);
                    return;
                case NEW:
                case RESPONSE:
                case CLOSED:
                    return; // a timer cancelled too late: the state it was for has passed
                default:
                    throw new IllegalStateException("Unhandled state " + state);
            }
        }

        /** Answers {@code status} (unless an answer has begun) and closes; nothing read after is passed on. */
        private void refuse(HttpResponseStatus status) {
            state = State.CLOSED;
            cancelTimer();
            if (answering) {
                ctx.close();
                return;
            }
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
            response.headers()
                    .set(HttpHeaderNames.CONTENT_LENGTH, HttpHeaderValues.ZERO)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }

        private void arm(long nanos) {
            cancelTimer();
            if (nanos > 0) {
                timer = ctx.executor().schedule(this::timedOut, nanos, TimeUnit.NANOSECONDS);
            }
        }

        private void cancelTimer() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }
    }

    /**
     * Why {@code msg} is refused, or null to pass it on: the codec's failure to decode it (it is
     * then a stand-in, not the client's request), or an HTTP version this server does not speak.
     */
    private static HttpResponseStatus refusal(Object msg) {
        if (msg instanceof DecoderResultProvider decoded && decoded.decoderResult().isFailure()) {
            return HttpResponseStatus.BAD_REQUEST;
        }
        if (msg instanceof HttpRequest request && request.protocolVersion().majorVersion() != 1) {
            return HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED;
        }
        return null;
    }

    /** Where a connection is in its exchange, which decides the timer that runs. */
    private enum State {
        /** Added, not yet active. */
        NEW,
        /** Waiting for a request's first byte: the idle timer runs. */
        IDLE,
        /** A request has begun and is neither whole nor answered: the request timer runs. */
        REQUEST,
        /** The request is whole or its answer has begun: no timer until the answer ends. */
        RESPONSE,
        /** Refused, timed out or gone: everything read is dropped. */
        CLOSED
    }

    /** The guard's bounds; each set once, checked when set. */
    public static final class Builder {
        private Duration idleTimeout = Duration.ofSeconds(DEFAULT_IDLE_TIMEOUT_SECONDS);
        private Duration requestTimeout = Duration.ofSeconds(DEFAULT_REQUEST_TIMEOUT_SECONDS);
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;

        private Builder() {
        }

        /**
         * How long a connection may send nothing: after connecting, and after each response ends
         * when it is kept alive. Past it the connection is closed without an answer. Default
         * {@value #DEFAULT_IDLE_TIMEOUT_SECONDS} s; {@link Duration#ZERO} for none.
         */
        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = nonNegative(idleTimeout, "idleTimeout");
            return this;
        }

        /**
         * How long a request may take, from its first byte, to arrive whole (head and body) or to
         * be answered; past it the client gets {@code 408} and the connection is closed. Default
         * {@value #DEFAULT_REQUEST_TIMEOUT_SECONDS} s; {@link Duration#ZERO} for none.
         */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = nonNegative(requestTimeout, "requestTimeout");
            return this;
        }

        /**
         * The most connections open through this guard at once; a connection past it is answered
         * {@code 503} and closed without reading its request. Default
         * {@value #DEFAULT_MAX_CONNECTIONS}: none.
         */
        public Builder maxConnections(int maxConnections) {
            if (maxConnections < 0) {
                throw new IllegalArgumentException("maxConnections must not be negative: " + maxConnections);
            }
            this.maxConnections = maxConnections;
            return this;
        }

        public SseRequestGuard build() {
            return new SseRequestGuard(this);
        }

        private static Duration nonNegative(Duration d, String name) {
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative: " + d);
            }
            return d;
        }
    }
}

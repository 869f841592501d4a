package io.sluice.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * An {@link SseClient}'s idle HTTP/1.1 keep-alive connections, kept per event loop and per
 * upstream ({@link Key}: scheme, host, port, proxy), so a stream reuses a connection of its own
 * loop (a relay's upstream and downstream stay on one thread) and a TLS handshake is paid once per
 * connection, not per request.
 *
 * <p>Only a connection whose stream ended cleanly at its body's framed end, with the response
 * keeping it alive, is given back ({@link SseDecoder#reusable()}); a cut, cancelled, failed or
 * {@code connection: close} stream's connection is closed. A parked connection is read (so a
 * server's close is seen at once) and closed after the idle timeout, when the server sends
 * anything out of turn, or when its upstream already holds {@code maxIdlePerHost} idle
 * connections on that loop. Last in, first out: the most recently used connection is the
 * likeliest to be alive.
 *
 * <p>HTTP/2 connections ({@link Http2Upstream}) are kept here too, per loop and upstream, for as
 * long as they live: each carries many streams at once, and one with room takes the next stream
 * of its upstream on its loop. One with no stream open is closed after the same idle timeout
 * (at once with pooling off); {@code maxIdlePerHost} does not bound them, as they are not idle
 * while they carry a stream. An upstream whose ALPN chose HTTP/1.1 is remembered, so its next
 * streams open connections of their own at once rather than wait in turn to learn the same.
 *
 * <p>Each loop's map is touched only on that loop; the counters are read from any thread.
 */
final class SseConnectionPool {
    static final String PARKED = "parked";

    /** Which connections a request may reuse. */
    record Key(boolean tls, String host, int port, SseProxy proxy) {
        static Key of(SseRequest request, SseProxy via) {
            return new Key(request.isTls(), request.uri().getHost().toLowerCase(java.util.Locale.ROOT), request.port(), via);
        }
    }

    private final int maxIdlePerHost;
    private final long idleNanos;
    private final ConcurrentMap<EventLoop, Map<Key, ArrayDeque<Channel>>> idle = new ConcurrentHashMap<>();
    /** The loop an upstream's connection was last parked on: where a stream free to choose its loop looks first. */
    private final ConcurrentMap<Key, EventLoop> lastParked = new ConcurrentHashMap<>();
    private final ConcurrentMap<EventLoop, Map<Key, ArrayList<Http2Upstream>>> http2 = new ConcurrentHashMap<>();
    /** Upstreams whose last ALPN answer was HTTP/1.1. */
    private final Set<Key> spokeHttp1 = ConcurrentHashMap.newKeySet();
    final LongAdder opened = new LongAdder();
    final LongAdder reused = new LongAdder();
    final LongAdder evicted = new LongAdder();

    SseConnectionPool(int maxIdlePerHost, long idleNanos) {
        this.maxIdlePerHost = maxIdlePerHost;
        this.idleNanos = idleNanos;
    }

    boolean enabled() {
        return maxIdlePerHost > 0;
    }

    long idleNanos() {
        return idleNanos;
    }

    /**
     * An HTTP/2 connection to {@code key} on {@code loop} with room for one more stream, or null;
     * {@code fresh}: only one that has carried no stream yet. On {@code loop}.
     */
    Http2Upstream http2(EventLoop loop, Key key, boolean fresh) {
        Map<Key, ArrayList<Http2Upstream>> byKey = http2.get(loop);
        ArrayList<Http2Upstream> live = byKey == null ? null : byKey.get(key);
        if (live != null) {
            for (Http2Upstream c : live) {
                if (c.hasRoom(fresh)) {
                    return c;
                }
            }
        }
        return null;
    }

    /** Lists {@code c} for the streams of its upstream and loop to join. On its loop. */
    void addHttp2(Http2Upstream c) {
        http2.computeIfAbsent(c.loop(), loop -> new HashMap<>()).computeIfAbsent(c.key, k -> new ArrayList<>()).add(c);
        lastParked.put(c.key, c.loop());
        spokeHttp1.remove(c.key);
    }

    /** Takes {@code c} off the list: it is closing, or spoke HTTP/1.1. On its loop. */
    void removeHttp2(Http2Upstream c) {
        Map<Key, ArrayList<Http2Upstream>> byKey = http2.get(c.loop());
        ArrayList<Http2Upstream> live = byKey == null ? null : byKey.get(c.key);
        if (live != null) {
            live.remove(c);
        }
    }

    void spokeHttp1(Key key) {
        spokeHttp1.add(key);
    }

    /** Whether ALPN last chose HTTP/1.1 for {@code key}: a new connection is then not offered for sharing before it says otherwise. */
    boolean speaksHttp1(Key key) {
        return spokeHttp1.contains(key);
    }

    /** An idle connection to {@code key} on {@code loop}, taken out of the pool, or null. On {@code loop}. */
    Channel acquire(EventLoop loop, Key key) {
        Map<Key, ArrayDeque<Channel>> byKey = idle.get(loop);
        ArrayDeque<Channel> parked = byKey == null ? null : byKey.get(key);
        for (Channel ch; parked != null && (ch = parked.pollLast()) != null; ) {
            ch.pipeline().remove(PARKED);
            if (ch.isActive()) {
                reused.increment();
                return ch;
            }
            ch.close();
        }
        return null;
    }

    /**
     * The loop where {@code key} last had an idle connection, or null: a hint, read from any
     * thread, for a stream that may run on any loop (a relay's may not). Acquiring there may still
     * find none, when another stream took it first.
     */
    EventLoop loopFor(Key key) {
        return lastParked.get(key);
    }

    /** Parks {@code ch}, whose stream ended cleanly, for the next request to {@code key}; or closes it. On its loop. */
    void release(Channel ch, Key key) {
        ArrayDeque<Channel> parked = idle.computeIfAbsent(ch.eventLoop(), loop -> new HashMap<>())
                .computeIfAbsent(key, k -> new ArrayDeque<>());
        if (!ch.isActive() || parked.size() >= maxIdlePerHost) {
            ch.close();
            return;
        }
        parked.addLast(ch);
        lastParked.put(key, ch.eventLoop());
        ch.pipeline().addLast(PARKED, new Parked(parked));
        ch.read(); // a parked connection still reads: the server's close shows at once, not at the next request
    }

    /** A parked connection's watch: closes it, out of the pool, at its idle timeout or at anything the server does. */
    private final class Parked extends ChannelInboundHandlerAdapter {
        private final ArrayDeque<Channel> parked;
        private ScheduledFuture<?> timer;

        Parked(ArrayDeque<Channel> parked) {
            this.parked = parked;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            timer = ctx.executor().schedule(() -> evict(ctx), idleNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            timer.cancel(false);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg); // nothing is asked: whatever the server sends now is out of turn
            evict(ctx);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent || evt instanceof io.netty.handler.timeout.IdleStateEvent) {
                evict(ctx);
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            parked.remove(ctx.channel());
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            evict(ctx);
        }

        private void evict(ChannelHandlerContext ctx) {
            if (parked.remove(ctx.channel())) {
                evicted.increment();
            }
            ctx.close();
        }
    }
}

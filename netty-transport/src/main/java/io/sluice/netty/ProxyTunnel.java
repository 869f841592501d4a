package io.sluice.netty;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5CommandResponse;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5InitialResponse;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthResponse;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthStatus;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.proxy.ProxyConnectException;
import io.netty.handler.proxy.ProxyHandler;
import io.netty.handler.proxy.Socks5ProxyHandler;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One connection's way through an {@link SseProxy}. Netty's {@link HttpProxyHandler} or
 * {@link Socks5ProxyHandler} goes first in the pipeline, before TLS, so the tunnel carries the TLS
 * bytes end to end and everything after it sees only the upstream's bytes. Around it, two small
 * handlers turn its failure into an {@link SseProxyException} that says what the proxy did:
 *
 * <pre>
 *   socket → proxy codec → {@link Answers} → proxy handler → {@link Failures} → tls → capture → http → sse
 * </pre>
 *
 * {@code Answers} sees the proxy's decoded replies (the {@code CONNECT} response's status, the
 * SOCKS5 replies) and whether the connection closed or failed before the tunnel opened, which
 * Netty's {@code ProxyConnectException} tells only inside its message text. {@code Failures} sees
 * that exception and fires the typed error instead, before {@link SseDecoder} could wrap it as a
 * generic connect failure. Both leave the pipeline once the tunnel is open. Event loop only.
 */
final class ProxyTunnel {
    /** The pipeline name of Netty's proxy handler. */
    static final String PROXY = "proxy";

    private final SseProxy proxy;
    private final String destination;
    private final long connectTimeoutMillis;

    // What the proxy did before the tunnel opened; event loop only.
    private long activeNanos;
    private Throwable fault;
    private boolean closed;
    private SseProxyException.Kind refusal;
    private int status;
    private String answer;

    private ProxyTunnel(SseProxy proxy, String destination, long connectTimeoutMillis) {
        this.proxy = proxy;
        this.destination = destination;
        this.connectTimeoutMillis = connectTimeoutMillis;
    }

    /** The address to connect to through {@code proxy}: unresolved, so the proxy resolves the upstream's name. */
    static InetSocketAddress unresolvedDestination(SseRequest request) {
        String host = request.uri().getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1); // Netty brackets an IPv6 literal itself in CONNECT
        }
        return InetSocketAddress.createUnresolved(host, request.port());
    }

    /** {@code host:port} of the upstream, as messages name it. */
    static String destination(SseRequest request) {
        return request.uri().getHost() + ':' + request.port();
    }

    /**
     * Adds the tunnel at the head of {@code pipeline}, which must be empty so far: the proxy
     * handler and its two helpers. Resolves the proxy's name here, on the event loop, as Netty's
     * default resolver does for a direct connection.
     */
    static void addFirst(ChannelPipeline pipeline, SseProxy proxy, SseRequest request, long connectTimeoutMillis) {
        ProxyTunnel tunnel = new ProxyTunnel(proxy, destination(request), connectTimeoutMillis);
        InetSocketAddress at = new InetSocketAddress(proxy.host(), proxy.port());
        ProxyHandler handler;
        if (proxy.protocol() == SseProxy.Protocol.HTTP) {
            handler = proxy.hasCredentials()
                    ? new HttpProxyHandler(at, proxy.username(), proxy.password())
                    : new HttpProxyHandler(at);
        } else {
            handler = new Socks5ProxyHandler(at, proxy.username(), proxy.password());
        }
        // Netty times the handshake from the connection to the proxy on; the TCP connect before it
        // is timed by the bootstrap's CONNECT_TIMEOUT_MILLIS, the same limit. 0 means none in both.
        handler.setConnectTimeoutMillis(connectTimeoutMillis);
        Answers answers = tunnel.new Answers();
        Failures failures = tunnel.new Failures();
        pipeline.addLast(PROXY, handler); // adds its codec before itself
        pipeline.addBefore(PROXY, "proxy-answers", answers);
        pipeline.addAfter(PROXY, "proxy-failures", failures);
        handler.connectFuture().addListener(f -> {
            if (f.isSuccess()) {
                pipeline.remove(answers);
                pipeline.remove(failures);
            }
        });
    }

    /** The typed error for Netty's failure {@code cause}, from what the proxy was seen doing. */
    private SseProxyException error(ProxyConnectException cause) {
        if (refusal != null) {
            return SseProxyException.refused(refusal, proxy, destination, status, answer, cause);
        }
        if (closed || fault != null) {
            return SseProxyException.closed(proxy, destination, fault, cause);
        }
        if (cause.getCause() != null) {
            // The handler's own write to the proxy failed.
            return SseProxyException.closed(proxy, destination, cause.getCause(), cause);
        }
        if (connectTimeoutMillis > 0 && System.nanoTime() - activeNanos >= TimeUnit.MILLISECONDS.toNanos(connectTimeoutMillis)) {
            return SseProxyException.timedOut(proxy, destination, connectTimeoutMillis, cause);
        }
        // An answer Netty's handler could not use (a second response, say): its own words.
        return SseProxyException.refused(SseProxyException.Kind.REFUSED, proxy, destination, 0, cause.getMessage(), cause);
    }

    /** Notes the proxy's replies as they go to its handler, and the connection's end before the tunnel. */
    private final class Answers extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            activeNanos = System.nanoTime();
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpResponse response) {
                status = response.status().code();
                if (status != 200) {
                    // Netty's HttpProxyHandler opens the tunnel on 200 only. A 401 to CONNECT is about
                    // the proxy's credentials too, since nothing reached the upstream: tinyproxy answers
                    // wrong ones so (and 407 to none).
                    refusal = status == 407 || status == 401 ? SseProxyException.Kind.AUTHENTICATION
                            : SseProxyException.Kind.REFUSED;
                    answer = response.status().toString();
                }
            } else if (msg instanceof Socks5InitialResponse initial) {
                Socks5AuthMethod method = initial.authMethod();
                boolean usable = method == Socks5AuthMethod.NO_AUTH
                        || method == Socks5AuthMethod.PASSWORD && proxy.hasCredentials();
                if (!usable) {
                    refusal = SseProxyException.Kind.AUTHENTICATION;
                    answer = proxy.hasCredentials()
                            ? "SOCKS5 proxy accepts none of the authentication methods offered (" + method + ")"
                            : "SOCKS5 proxy requires a username and password";
                }
            } else if (msg instanceof Socks5PasswordAuthResponse auth && auth.status() != Socks5PasswordAuthStatus.SUCCESS) {
                refusal = SseProxyException.Kind.AUTHENTICATION;
                answer = "SOCKS5 username and password rejected";
            } else if (msg instanceof Socks5CommandResponse reply && reply.status() != Socks5CommandStatus.SUCCESS) {
                refusal = SseProxyException.Kind.REFUSED;
                answer = "SOCKS5 reply " + reply.status();
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closed = true;
            ctx.fireChannelInactive();
        }

        /**
         * The client allows half-closure (for SseDecompressor), so the proxy's close arrives as this
         * event, which Netty's proxy handler would pass on as the upstream's end. Closed instead, its
         * handler sees the connection end before the tunnel opened, and fails it.
         */
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                closed = true;
                ctx.close();
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (fault == null) {
                fault = cause;
            }
            ctx.fireExceptionCaught(cause);
        }
    }

    /** Turns the proxy handler's failure into the typed error. */
    private final class Failures extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.fireExceptionCaught(cause instanceof ProxyConnectException pce ? error(pce) : cause);
        }
    }
}

package io.sluice.netty.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5InitialResponse;
import io.netty.handler.codec.socksx.v5.DefaultSocks5PasswordAuthResponse;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequest;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequest;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequest;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthStatus;
import io.netty.handler.codec.socksx.v5.Socks5ServerEncoder;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Proxies on 127.0.0.1 for the client tests, on Netty's server-side codecs: an HTTP proxy that
 * answers {@code CONNECT} ({@link HttpServerCodec}) and a SOCKS5 proxy (the {@code Socks5} server
 * codecs), each requiring credentials when given some. Once a tunnel is open the codecs leave the
 * pipeline and bytes are spliced both ways, unread. A tunnel to an upstream that cannot be reached
 * is answered {@code 502} (HTTP) or {@code CONNECTION_REFUSED} (SOCKS5).
 */
public final class LoopbackProxy implements AutoCloseable {
    private final Channel server;
    /** Each handshake as the proxy saw it: {@code CONNECT 127.0.0.1:1234 auth=Basic ...} or {@code SOCKS5 DOMAIN(3) 127.0.0.1:1234}. */
    private final Queue<String> handshakes = new ConcurrentLinkedQueue<>();
    /** Every accepted connection, closed with the proxy. */
    private final Queue<Channel> connections = new ConcurrentLinkedQueue<>();

    private LoopbackProxy(EventLoopGroup group, ChannelInitializer<Channel> child) {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast(child);
                    }
                })
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    /** An HTTP CONNECT proxy; with a non-null {@code user}, only for {@code Proxy-Authorization: Basic} of these credentials. */
    public static LoopbackProxy http(EventLoopGroup group, String user, String password) {
        String expected = user == null ? null
                : "Basic " + Base64.getEncoder().encodeToString((user + ':' + password).getBytes(StandardCharsets.UTF_8));
        LoopbackProxy[] self = new LoopbackProxy[1];
        self[0] = new LoopbackProxy(group, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast("codec", new HttpServerCodec());
                ch.pipeline().addLast("aggregator", new HttpObjectAggregator(8192));
                ch.pipeline().addLast("connect", new SimpleChannelInboundHandler<FullHttpRequest>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                        String auth = request.headers().get(HttpHeaderNames.PROXY_AUTHORIZATION);
                        self[0].handshakes.add(request.method() + " " + request.uri() + " auth=" + auth);
                        if (!request.method().equals(HttpMethod.CONNECT)) {
                            answerAndClose(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED);
                        } else if (expected != null && !expected.equals(auth)) {
                            FullHttpResponse refusal = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                    HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED);
                            refusal.headers().set(HttpHeaderNames.PROXY_AUTHENTICATE, "Basic realm=\"loopback\"")
                                    .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                            ctx.writeAndFlush(refusal).addListener(ChannelFutureListener.CLOSE);
                        } else {
                            int colon = request.uri().lastIndexOf(':');
                            String host = request.uri().substring(0, colon);
                            int port = Integer.parseInt(request.uri().substring(colon + 1));
                            Channel client = ctx.channel();
                            client.config().setAutoRead(false);
                            splice(client, host, port, upstream -> {
                                client.pipeline().remove("connect");
                                client.pipeline().remove("aggregator");
                                client.pipeline().remove("codec");
                                return client.writeAndFlush(Unpooled.copiedBuffer(
                                        "HTTP/1.1 200 Connection established\r\n\r\n", StandardCharsets.US_ASCII));
                            }, () -> answerAndClose(ctx, HttpResponseStatus.BAD_GATEWAY));
                        }
                    }
                });
            }
        });
        return self[0];
    }

    private static void answerAndClose(ChannelHandlerContext ctx, HttpResponseStatus status) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    /** A SOCKS5 proxy; with a non-null {@code user}, only for RFC 1929 authentication with these credentials. */
    public static LoopbackProxy socks5(EventLoopGroup group, String user, String password) {
        LoopbackProxy[] self = new LoopbackProxy[1];
        self[0] = new LoopbackProxy(group, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast("encoder", Socks5ServerEncoder.DEFAULT);
                ch.pipeline().addLast("decoder", new Socks5InitialRequestDecoder());
                ch.pipeline().addLast("socks", new SimpleChannelInboundHandler<Object>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                        if (msg instanceof Socks5InitialRequest initial) {
                            if (user == null) {
                                ctx.pipeline().replace("decoder", "decoder", new Socks5CommandRequestDecoder());
                                ctx.writeAndFlush(new DefaultSocks5InitialResponse(Socks5AuthMethod.NO_AUTH));
                            } else if (initial.authMethods().contains(Socks5AuthMethod.PASSWORD)) {
                                ctx.pipeline().replace("decoder", "decoder", new Socks5PasswordAuthRequestDecoder());
                                ctx.writeAndFlush(new DefaultSocks5InitialResponse(Socks5AuthMethod.PASSWORD));
                            } else {
                                ctx.writeAndFlush(new DefaultSocks5InitialResponse(Socks5AuthMethod.UNACCEPTED))
                                        .addListener(ChannelFutureListener.CLOSE);
                            }
                        } else if (msg instanceof Socks5PasswordAuthRequest auth) {
                            if (user.equals(auth.username()) && password.equals(auth.password())) {
                                ctx.pipeline().replace("decoder", "decoder", new Socks5CommandRequestDecoder());
                                ctx.writeAndFlush(new DefaultSocks5PasswordAuthResponse(Socks5PasswordAuthStatus.SUCCESS));
                            } else {
                                ctx.writeAndFlush(new DefaultSocks5PasswordAuthResponse(Socks5PasswordAuthStatus.FAILURE))
                                        .addListener(ChannelFutureListener.CLOSE);
                            }
                        } else if (msg instanceof Socks5CommandRequest command && command.type() == Socks5CommandType.CONNECT) {
                            self[0].handshakes.add("SOCKS5 " + command.dstAddrType() + " " + command.dstAddr() + ":" + command.dstPort());
                            Channel client = ctx.channel();
                            client.config().setAutoRead(false);
                            splice(client, command.dstAddr(), command.dstPort(), upstream -> {
                                ChannelFuture replied = client.writeAndFlush(new DefaultSocks5CommandResponse(
                                        Socks5CommandStatus.SUCCESS, Socks5AddressType.IPv4, "127.0.0.1",
                                        ((InetSocketAddress) upstream.localAddress()).getPort()));
                                client.pipeline().remove("socks");
                                client.pipeline().remove("decoder");
                                client.pipeline().remove("encoder");
                                return replied;
                            }, () -> ctx.writeAndFlush(new DefaultSocks5CommandResponse(Socks5CommandStatus.CONNECTION_REFUSED,
                                    Socks5AddressType.IPv4, "0.0.0.0", 0)).addListener(ChannelFutureListener.CLOSE));
                        } else {
                            ctx.close();
                        }
                    }
                });
            }
        });
        return self[0];
    }

    /** What the proxy does once the upstream is connected: answer the client and leave only the splice. */
    private interface Opening {
        ChannelFuture open(Channel upstream);
    }

    /**
     * Connects to {@code host:port}; then {@code opening} answers the client, and bytes flow both
     * ways until either side closes, which closes the other. {@code refused} answers when the
     * upstream cannot be reached.
     */
    private static void splice(Channel client, String host, int port, Opening opening, Runnable refused) {
        new Bootstrap().group(client.eventLoop()).channel(NioSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .handler(new Pipe(client))
                .connect(host, port)
                .addListener((ChannelFuture f) -> {
                    if (!f.isSuccess()) {
                        refused.run();
                        return;
                    }
                    Channel upstream = f.channel();
                    opening.open(upstream).addListener((ChannelFuture answered) -> {
                        if (!answered.isSuccess()) {
                            upstream.close();
                            return;
                        }
                        client.pipeline().addLast(new Pipe(upstream));
                        client.config().setAutoRead(true);
                        upstream.config().setAutoRead(true);
                    });
                });
    }

    /** Writes what it reads to {@code other}, and closes it on close. */
    private static final class Pipe extends ChannelInboundHandlerAdapter {
        private final Channel other;

        Pipe(Channel other) {
            this.other = other;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            other.writeAndFlush(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            other.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Each handshake as the proxy saw it, in order: {@code CONNECT 127.0.0.1:1234 auth=Basic ...} or {@code SOCKS5 DOMAIN(3) 127.0.0.1:1234}. */
    public List<String> handshakes() {
        return List.copyOf(handshakes);
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        for (Channel ch : connections) {
            ch.close().syncUninterruptibly();
        }
    }
}

package io.sluice.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A real HTTP server on 127.0.0.1 for the client tests. It reads one request with Netty's server
 * codec, then removes the codec and lets the test's {@link Responder} write raw bytes: status lines,
 * chunking, cuts and closes exactly as the test wants them on the wire.
 */
final class LoopbackServer implements AutoCloseable {

    /** Answers one request by writing raw bytes to {@code ch}; runs on the server's event loop. */
    @FunctionalInterface
    interface Responder {
        void respond(Channel ch, FullHttpRequest request) throws Exception;
    }

    private final Channel server;
    private final boolean tls;
    /** Every accepted connection, so tests can see when the client closed one. */
    final Queue<Channel> connections = new ConcurrentLinkedQueue<>();
    /** Every request's headers and body, as received. */
    final Queue<String> requests = new ConcurrentLinkedQueue<>();

    private LoopbackServer(EventLoopGroup group, SslContext ssl, Responder responder) {
        this.tls = ssl != null;
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        if (ssl != null) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast("codec", new HttpServerCodec());
                        ch.pipeline().addLast("aggregator", new HttpObjectAggregator(1 << 20));
                        ch.pipeline().addLast("respond", new SimpleChannelInboundHandler<FullHttpRequest>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) throws Exception {
                                requests.add(request.method() + " " + request.uri() + "\n" + request.headers()
                                        + "\n" + request.content().toString(StandardCharsets.UTF_8));
                                ctx.pipeline().remove("respond");
                                ctx.pipeline().remove("aggregator");
                                ctx.pipeline().remove("codec");
                                responder.respond(ctx.channel(), request);
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close(); // the client went away (a cancel, a test's abort)
                            }
                        });
                    }
                });
        this.server = bootstrap.bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    static LoopbackServer start(EventLoopGroup group, Responder responder) {
        return new LoopbackServer(group, null, responder);
    }

    static LoopbackServer startTls(EventLoopGroup group, SslContext ssl, Responder responder) {
        return new LoopbackServer(group, ssl, responder);
    }

    URI uri(String path) {
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        return URI.create((tls ? "https" : "http") + "://127.0.0.1:" + port + path);
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        for (Channel ch : connections) {
            ch.close().syncUninterruptibly();
        }
    }

    // ---------------------------------------------------------------- wire helpers

    static final String SSE_HEADERS_CLOSE = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
    static final String SSE_HEADERS_CHUNKED = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";

    static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    static ChannelFuture write(Channel ch, String s) {
        return ch.writeAndFlush(ascii(s));
    }

    static ChannelFuture write(Channel ch, byte[] bytes) {
        return ch.writeAndFlush(Unpooled.wrappedBuffer(bytes));
    }

    /** One chunk of a chunked body. */
    static String chunk(String data) {
        return Integer.toHexString(data.getBytes(StandardCharsets.UTF_8).length) + "\r\n" + data + "\r\n";
    }

    static void writeAndClose(Channel ch, String s) {
        write(ch, s).addListener(ChannelFutureListener.CLOSE);
    }
}

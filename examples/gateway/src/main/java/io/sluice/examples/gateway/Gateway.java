package io.sluice.examples.gateway;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.sluice.llm.LlmMessage;
import io.sluice.llm.MessageCollector;
import io.sluice.netty.SseClient;
import io.sluice.netty.SseRelay;
import io.sluice.netty.SseRequest;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Relays an upstream LLM stream to each client that asks for it, with {@link SseRelay}: the
 * client's request body goes upstream as a JSON POST (a GET when it has none); every upstream event
 * is written to the client as it is parsed, and a {@link MessageCollector} tapped into the stream
 * assembles the final message, which goes to {@code onMessage} when the stream ends.
 *
 * <pre>{@code java io.sluice.examples.gateway.Gateway http://127.0.0.1:9000/v1/messages 8080}</pre>
 */
public final class Gateway implements AutoCloseable {
    private final EventLoopGroup group;
    private final SseClient upstream;
    private final Channel server;

    private Gateway(String host, int port, URI upstreamUri, Consumer<LlmMessage> onMessage) {
        // One group for the server and the upstream client: each stream's two ends share a loop.
        group = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        upstream = SseClient.builder()
                .eventLoopGroup(group, NioSocketChannel.class)
                .idleTimeout(Duration.ofSeconds(60))
                .build();
        SseRelay relay = SseRelay.builder(upstream, request -> upstreamRequest(upstreamUri, request))
                .tap(request -> MessageCollector.create())
                .onDone(outcome -> onMessage.accept(((MessageCollector) outcome.tap()).message()))
                .build();
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), relay);
                    }
                })
                .bind(host, port).syncUninterruptibly().channel();
    }

    private static SseRequest upstreamRequest(URI upstreamUri, FullHttpRequest request) {
        byte[] body = ByteBufUtil.getBytes(request.content());
        return body.length == 0 ? SseRequest.get(upstreamUri)
                : SseRequest.post(upstreamUri, body).withHeader("content-type", "application/json");
    }

    /** Listens on {@code host:port} (0: any free port) and relays {@code upstreamUri}. */
    public static Gateway start(String host, int port, URI upstreamUri, Consumer<LlmMessage> onMessage) {
        return new Gateway(host, port, upstreamUri, onMessage);
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        upstream.close();
    }

    /** {@code Gateway UPSTREAM-URL [PORT]}: relays until stopped, printing each final message. */
    public static void main(String[] args) throws InterruptedException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: Gateway UPSTREAM-URL [PORT]");
            System.exit(2);
        }
        URI upstreamUri = URI.create(args[0]);
        Gateway gateway = start("127.0.0.1", args.length > 1 ? Integer.parseInt(args[1]) : 8080, upstreamUri,
                message -> System.out.println(message.toJson(true)));
        Runtime.getRuntime().addShutdownHook(new Thread(gateway::close));
        System.err.println("gateway: http://127.0.0.1:" + gateway.port() + "/ relays " + upstreamUri);
        gateway.server.closeFuture().sync();
    }
}

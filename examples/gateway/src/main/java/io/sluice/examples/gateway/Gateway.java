package io.sluice.examples.gateway;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.sluice.core.SseEncoder;
import io.sluice.core.SseException;
import io.sluice.core.handoff.OwnedSseEvent;
import io.sluice.core.handoff.SseEventQueue;
import io.sluice.llm.LlmMessage;
import io.sluice.llm.MessageCollector;
import io.sluice.netty.SseClient;
import io.sluice.netty.SseRequest;
import io.sluice.netty.SseStream;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Relays an upstream LLM stream to each client that asks for it: the client's request body goes
 * upstream as a JSON POST (a GET when it has none); every upstream event is taken from the stream's
 * queue, fed to a {@link MessageCollector} and re-encoded to the client with {@link SseEncoder};
 * at the end the final message goes to {@code onMessage}.
 *
 * <pre>{@code java io.sluice.examples.gateway.Gateway http://127.0.0.1:9000/v1/messages 8080}</pre>
 */
public final class Gateway implements AutoCloseable {
    private final URI upstreamUri;
    private final Consumer<LlmMessage> onMessage;
    private final SseClient upstream;
    private final EventLoopGroup group;
    private final Channel server;

    private Gateway(String host, int port, URI upstreamUri, Consumer<LlmMessage> onMessage) {
        this.upstreamUri = upstreamUri;
        this.onMessage = onMessage;
        upstream = SseClient.builder().idleTimeout(Duration.ofSeconds(60)).build();
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), new Accept());
                    }
                })
                .bind(host, port).syncUninterruptibly().channel();
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

    /** Hands each request to a relay thread: the event loop must never wait on the upstream. */
    private final class Accept extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String body = request.content().toString(StandardCharsets.UTF_8);
            ctx.channel().config().setAutoRead(false); // one request per connection
            Thread relay = new Thread(() -> relay(ctx.channel(), body), "gateway-relay-" + ctx.channel().id());
            relay.setDaemon(true);
            relay.start();
        }
    }

    private void relay(Channel client, String body) {
        SseRequest request = body.isEmpty() ? SseRequest.get(upstreamUri) : SseRequest.postJson(upstreamUri, body);
        MessageCollector collector = MessageCollector.create();
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        HttpUtil.setTransferEncodingChunked(head, true);
        ChannelFuture lastWrite = client.writeAndFlush(head);
        boolean done = false;
        SseException failure = null;
        try (SseStream stream = upstream.openQueue(request)) { // closing it cancels the upstream
            SseEventQueue queue = stream.queue();
            OwnedSseEvent event;
            while (client.isActive() && ((event = queue.take(1, TimeUnit.SECONDS)) != null || !queue.isDone())) {
                if (event == null) {
                    continue;
                }
                try {
                    collector.onEvent(event);
                    ByteBuf out = client.alloc().buffer(event.dataLength() + 64);
                    SseEncoder.writeEvent(out, event);
                    lastWrite = client.writeAndFlush(new DefaultHttpContent(out)); // Netty releases out
                } finally {
                    event.release(); // taken events are ours
                }
                if (!client.isWritable()) {
                    // A slow client: stop taking until it catches up; the queue then fills and
                    // pauses the upstream read, so nothing piles up in memory on either side.
                    lastWrite.awaitUninterruptibly();
                }
            }
            done = queue.isDone(); // false when the client left first
            failure = queue.failure();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            collector.onError(failure);
            ByteBuf out = client.alloc().buffer();
            SseEncoder.writeEvent(out, "gateway_error", String.valueOf(failure.getMessage()), null);
            client.write(new DefaultHttpContent(out));
        } else if (done) {
            collector.onEnd(0); // a cut-off tail arrives as a failure (SseClosedEarlyException)
        }
        client.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
        onMessage.accept(collector.message());
    }
}

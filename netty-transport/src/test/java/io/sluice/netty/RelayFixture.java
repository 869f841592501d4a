package io.sluice.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * What the relay tests share, registered as {@code @RegisterExtension static final RelayFixture}:
 * one loop group and two clients for the test class (the relay's, to its upstreams, and the
 * readers', to the relay), a relay server on loopback per test, closed after it, and the outcomes
 * its streams report, emptied after each test.
 */
final class RelayFixture implements AfterEachCallback, AfterAllCallback {
    final EventLoopGroup group = TestLoops.nio(2);
    final SseClient upstreamClient = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).build();
    final SseClient downstreamClient = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).build();
    final BlockingQueue<SseRelay.Outcome> outcomes = new LinkedBlockingQueue<>();
    private Channel relay;

    /**
     * Binds a relay server on loopback (closing the test's previous one), each connection
     * {@code first} (if any), the codec, an aggregator and {@code handler}; returns {@code path} on it.
     */
    URI serve(SseRelay handler, String path, ChannelHandler... first) {
        closeRelay();
        relay = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(first).addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16), handler);
                    }
                })
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        return URI.create("http://127.0.0.1:" + ((InetSocketAddress) relay.localAddress()).getPort() + path);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        closeRelay();
        outcomes.clear();
    }

    private void closeRelay() {
        if (relay != null) {
            relay.close().syncUninterruptibly();
            relay = null;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}

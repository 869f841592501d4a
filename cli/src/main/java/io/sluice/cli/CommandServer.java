package io.sluice.cli;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the servers of {@code sluice serve} and {@code sluice relay} share: NIO event loops (one
 * accepting, Netty's default number serving), every connection tracked so that {@link #close()}
 * ends them all, and a run until Ctrl-C ({@link #runUntilStopped}).
 */
abstract class CommandServer implements AutoCloseable {
    final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    /** Add each accepted connection, so close() closes it. */
    final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch done = new CountDownLatch(1);
    private Channel server;

    /** Binds {@code bootstrap} (its child handler set) on the loops, or says in one line why it cannot. */
    final void bind(ServerBootstrap bootstrap, String host, int port) {
        ChannelFuture bound = bootstrap.group(boss, workers).channel(NioServerSocketChannel.class)
                .bind(host, port).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            throw new InputException("cannot listen on " + host + ":" + port + ": "
                    + (cause == null || cause.getMessage() == null ? String.valueOf(cause) : cause.getMessage()), cause);
        }
        server = bound.channel();
    }

    final int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Blocks until the server has stopped: closed, or done by itself. */
    final void awaitStopped() throws InterruptedException {
        done.await();
    }

    /** Stops accepting, closes every connection and waits for the event loops to end. Idempotent, any thread. */
    @Override
    public final void close() {
        if (!closed.compareAndSet(false, true)) {
            done.countDown();
            return;
        }
        try {
            if (server != null) {
                server.close().awaitUninterruptibly();
            }
            clients.close().awaitUninterruptibly();
            // Quiet period 0: nothing is left to drain once every channel is closed.
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            afterClose();
        } finally {
            done.countDown();
        }
    }

    /** Releases what the subclass holds beyond the loops; runs once, after they ended. */
    void afterClose() {
    }

    /**
     * Serves until the server stops by itself or the JVM is told to stop (Ctrl-C, SIGTERM), whose
     * shutdown hook closes the server and then runs {@code onSignal}. Closes the server either way.
     */
    static void runUntilStopped(CommandServer server, String name, Runnable onSignal) throws InterruptedException {
        Thread hook = new Thread(() -> {
            server.close();
            onSignal.run();
        }, name + "-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            server.awaitStopped();
        } finally {
            server.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down: the hook is running or has run
            }
        }
    }
}

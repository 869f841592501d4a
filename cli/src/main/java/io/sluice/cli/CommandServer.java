package io.sluice.cli;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * What the servers of {@code sluice serve} and {@code sluice relay} share: NIO event loops (one
 * accepting, Netty's default number serving), every connection tracked so that {@link #close()}
 * ends them all, accepting that pauses instead of failing when descriptors run out
 * ({@link AcceptBackoff}), and a run until Ctrl-C ({@link #runUntilStopped}).
 */
abstract class CommandServer implements AutoCloseable {
    static {
        warmLogging();
    }

    final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    /** Add each accepted connection, so close() closes it. */
    final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    /** How long the serving loops must see no new task before they end: see {@link #close()}. */
    private static final long QUIET_MILLIS = 50;

    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch done = new CountDownLatch(1);
    private Channel server;

    /**
     * Binds {@code bootstrap} (its child handler set) on the loops, or says in one line why it
     * cannot. {@code warnings} takes the line saying accepting fails (no descriptor left) and the
     * one saying it works again.
     */
    final void bind(ServerBootstrap bootstrap, String host, int port, Consumer<String> warnings) {
        dryRun(bootstrap.config().childHandler());
        ChannelFuture bound = bootstrap.group(boss, workers).channel(NioServerSocketChannel.class)
                .handler(new AcceptBackoff(warnings))
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
            // A short quiet period, not 0: closing a connection tears its pipeline down in a task of
            // its own, and a relay's upstream connections are closed by tasks (a cancel) that run
            // during the shutdown; with no quiet period the loop could end before those ran, leaving
            // their pipelines, and the buffers they held, to the garbage collector.
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            workers.shutdownGracefully(QUIET_MILLIS, 2000, TimeUnit.MILLISECONDS).awaitUninterruptibly();
            afterClose();
        } finally {
            done.countDown();
        }
    }

    /**
     * Formats one record with each of the root logger's handlers, so that the first record Netty
     * logs at run time needs nothing loaded. Issue 14: JUL's {@code SimpleFormatter} reads the time
     * zone database on its first record; logged when no descriptor was left, that read failed,
     * {@code ZoneInfoFile}'s static initializer failed for good, and every later log call threw
     * {@code NoClassDefFoundError} on the event loop that made it, ending the loop.
     */
    private static void warmLogging() {
        LogRecord record = new LogRecord(Level.WARNING, "warm-up");
        record.setThrown(new IOException("warm-up"));
        for (Handler handler : Logger.getLogger("").getHandlers()) {
            if (handler.getFormatter() != null) {
                handler.getFormatter().format(record);
            }
        }
    }

    /**
     * Runs one connection's pipeline, in an embedded channel, over a malformed request that its
     * {@code SseRequestGuard} answers {@code 400}: every class a connection needs until its first
     * request (initialiser, codec, guard, timers, refusal) is loaded now, while descriptors are
     * free. Issue 14: the first burst of connections took every descriptor before the first of them
     * was initialised, loading a handler class from a class-path folder failed, and the JVM keeps
     * such a failure for good (JVMS 5.4.3), so no connection could be set up again. From a jar the
     * classes load through its open file, but a folder opens one file per class.
     */
    private static void dryRun(ChannelHandler childHandler) {
        EmbeddedChannel connection = new EmbeddedChannel(childHandler);
        if (connection.pipeline().get(SslHandler.class) == null) {
            // Over TLS no plaintext request reaches the codec without a handshake: the dry run
            // loads the initialiser and TLS classes only, and writes nothing that TLS would log as
            // a bad record.
            connection.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nbad name: dry run\r\n\r\n", StandardCharsets.US_ASCII));
        }
        connection.finishAndReleaseAll();
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

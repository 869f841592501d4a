package io.sluice.cli;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.sluice.netty.SseRequestGuard;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * {@code sluice serve}'s server: answers every HTTP/1.1 request with one recorded response, byte
 * for byte as captured (status line, headers, transfer and content codings), each captured segment
 * one write and flush, at its captured delay from the first. Each connection replays on its own
 * schedule, so clients connected at once each get the whole stream; after it the connection is
 * closed (reset, when the capture ended in a RST). Without {@code loop} the server stops once the
 * first replay is done and no client is left; with it, it serves until {@link #close()}. An
 * {@link SseRequestGuard} answers malformed requests ({@code 400}) and other HTTP versions
 * ({@code 505}) and bounds idle and slow clients before a replay begins.
 *
 * <p>Threads: Netty NIO event loops (one accepting, the default number serving); a connection's
 * replay runs on its own event loop, scheduled one write at a time, the next scheduled only when
 * the previous write completed, so a slow client holds back its own stream and no other. Each
 * connection reads its own pass over the recording ({@link Recorded}), one write ahead, on its event
 * loop: a buffered file read, from the page cache once the first pass warmed it, is short enough
 * not to hold other connections up, and it keeps a connection's memory to one write.
 */
final class ReplayServer extends CommandServer {
    private static final int MAX_REQUEST_LINE = 8192;

    /** One write of the response: its bytes and its delay from the first write, in capture time. */
    record Write(long delayNanos, byte[] data) {
    }

    /** One connection's pass over the recording, a write at a time. Confined to the connection's event loop. */
    interface Writes extends AutoCloseable {
        /** The next write, or null after the last. */
        Write next() throws IOException;

        @Override
        void close() throws IOException;
    }

    /** The recording: a new pass over it for each connection. */
    interface Recorded {
        Writes open() throws IOException;
    }

    private final Recorded writes;
    private final Timing timing;
    private final boolean loop;
    private final boolean reset;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong served = new AtomicLong();

    private ReplayServer(Recorded writes, Timing timing, boolean loop, boolean reset) {
        this.writes = writes;
        this.timing = timing;
        this.loop = loop;
        this.reset = reset;
    }

    /** A server bound to {@code host:port} (0 picks a free port), already accepting, with the guard's defaults. */
    static ReplayServer start(String host, int port, Recorded writes, Timing timing, boolean loop, boolean reset) {
        return start(host, port, writes, timing, loop, reset, SseRequestGuard.withDefaults(), System.err::println);
    }

    /**
     * A server bound to {@code host:port} (0 picks a free port), already accepting; {@code guard}
     * bounds its clients, {@code warnings} takes the lines saying accepting fails and recovers.
     */
    static ReplayServer start(String host, int port, Recorded writes, Timing timing, boolean loop, boolean reset,
                              SseRequestGuard guard, Consumer<String> warnings) {
        ReplayServer s = new ReplayServer(writes, timing, loop, reset);
        try {
            s.bind(new ServerBootstrap()
                    .childOption(ChannelOption.TCP_NODELAY, true) // each captured segment leaves as its own packet
                    .childHandler(new ChannelInitializer<Channel>() { // Channel, not SocketChannel: CommandServer's dry run is embedded
                        @Override
                        protected void initChannel(Channel ch) {
                            s.clients.add(ch);
                            ch.pipeline().addLast(new HttpServerCodec(new HttpDecoderConfig()
                                            .setMaxInitialLineLength(MAX_REQUEST_LINE)
                                            .setMaxHeaderSize(MAX_REQUEST_LINE * 2)
                                            .setMaxChunkSize(MAX_REQUEST_LINE)),
                                    guard, s.new Replay());
                        }
                    }), host, port, warnings);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** Connections whose replay ran to its end. */
    long served() {
        return served.get();
    }

    private void replayEnded(boolean complete) {
        if (complete) {
            served.incrementAndGet();
        }
        if (active.decrementAndGet() == 0 && !loop && served.get() > 0) {
            // Not on the event loop: close() waits for the loops to terminate.
            new Thread(this::close, "sluice-serve-stop").start();
        }
    }

    /** One connection: waits for the request to end, then writes the recording on its schedule. */
    private final class Replay extends ChannelInboundHandlerAdapter {
        /** This connection's pass, opened when its request ended. */
        private Writes pass;
        private long start;
        private boolean ended;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            active.incrementAndGet();
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                // The request itself is not looked at: whatever was asked, the recording is the answer.
                if (msg instanceof LastHttpContent && pass == null) {
                    try {
                        pass = writes.open();
                    } catch (IOException e) {
                        ctx.close(); // the recording cannot be read again: the client sees a closed connection
                        return;
                    }
                    // The recording is an encoded response already: from here its bytes go out as
                    // they are. The encoder stayed until now for the guard's refusals (400, 408, 505).
                    ctx.pipeline().get(HttpServerCodec.class).removeOutboundHandler();
                    start = System.nanoTime();
                    write(ctx);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void write(ChannelHandlerContext ctx) {
            Write w;
            try {
                w = pass.next();
            } catch (IOException e) {
                ctx.close(); // as a server that failed mid-response would: the client sees the stream cut
                return;
            }
            if (w == null) {
                end(true);
                if (reset) {
                    ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0); // close() now sends a RST
                }
                ctx.close();
                return;
            }
            long wait = start + timing.delayNanos(w.delayNanos()) - System.nanoTime();
            if (wait > 0) {
                ctx.executor().schedule(() -> send(ctx, w), wait, TimeUnit.NANOSECONDS);
            } else {
                send(ctx, w);
            }
        }

        private void send(ChannelHandlerContext ctx, Write w) {
            if (!ctx.channel().isActive()) {
                return;
            }
            ctx.writeAndFlush(Unpooled.wrappedBuffer(w.data())).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    write(ctx);
                } else {
                    ctx.close();
                }
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            end(false);
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a client that goes away mid-stream is no error of the server's
        }

        private void end(boolean complete) {
            if (!ended) {
                ended = true;
                if (pass != null) {
                    try {
                        pass.close();
                    } catch (IOException e) {
                        // a read-only file that fails to close has nothing left to lose
                    }
                }
                replayEnded(complete);
            }
        }
    }
}

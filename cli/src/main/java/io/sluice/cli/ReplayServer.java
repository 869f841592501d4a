package io.sluice.cli;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.sluice.netty.SseRequestGuard;
import io.sluice.netty.SseServerProtocols;

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
    /** How long an HTTP/2 stream's reset waits behind its last frames (see {@code Replay.reset}). */
    private static final long RESET_DELAY_MILLIS = 20;

    /**
     * One write of the response: its bytes, its delay from the first write in capture time (scaled
     * by the server's {@link Timing}), and the silence it must keep after the write before it,
     * however late that one went out ({@code sluice serve --fault stall}). Empty {@code data} is a
     * write that only waits.
     */
    record Write(long delayNanos, byte[] data, long pauseNanos) {
        Write(long delayNanos, byte[] data) {
            this(delayNanos, data, 0);
        }
    }

    /** How a pass ends its connection, or its HTTP/2 stream, after its last write. */
    enum Ending {
        /**
         * As the recording did: HTTP/1.1 closes, with a RST when the capture ended in one; HTTP/2
         * ends the stream when the response is whole, and resets it when it is cut or the capture
         * ended in a RST.
         */
        AS_RECORDED,
        /** HTTP/1.1 closes (a FIN); HTTP/2 ends the stream (END_STREAM), whole or not. */
        FIN,
        /** HTTP/1.1 resets the connection (a RST); HTTP/2 resets the stream (RST_STREAM). */
        RST,
        /**
         * Nothing: the connection (HTTP/2: the stream) stays open and silent until the client
         * leaves, as the upstream of a captured timeout did ({@code --capture-failures}).
         */
        HOLD
    }

    /** One connection's pass over the recording, a write at a time. Confined to the connection's event loop. */
    interface Writes extends AutoCloseable {
        /** The next write, or null after the last. */
        Write next() throws IOException;

        /** How the connection or stream ends after the last write; asked once {@link #next()} returned null. */
        default Ending ending() {
            return Ending.AS_RECORDED;
        }

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
        return start(host, port, writes, timing, loop, reset, SseRequestGuard.withDefaults(), System.err::println,
                ProtocolOptions.Protocols.PLAIN);
    }

    /**
     * A server bound to {@code host:port} (0 picks a free port), already accepting; {@code guard}
     * bounds its HTTP/1.1 clients, {@code warnings} takes the lines saying accepting fails and
     * recovers, and {@code protocols} adds TLS or h2c: each HTTP/2 stream replays the recording too.
     */
    static ReplayServer start(String host, int port, Recorded writes, Timing timing, boolean loop, boolean reset,
                              SseRequestGuard guard, Consumer<String> warnings, ProtocolOptions.Protocols protocols) {
        ReplayServer s = new ReplayServer(writes, timing, loop, reset);
        try {
            s.bind(new ServerBootstrap()
                    .childOption(ChannelOption.TCP_NODELAY, true) // each captured segment leaves as its own packet
                    .childHandler(protocols.applyTo(SseServerProtocols.builder(stream -> stream.addLast(s.new Replay())))
                            .http1(connection -> connection.addLast(guard))
                            .connection(connection -> s.clients.add(connection.channel()))
                            .build()), host, port, warnings);
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

    /**
     * One connection, or one HTTP/2 stream: waits for the request to end, then writes the recording
     * on its schedule. Over HTTP/1.1 the recorded bytes go out as they are; over HTTP/2 each write
     * is decoded back into the response's head and body pieces ({@code HttpResponseDecoder}) and
     * re-framed by the stream's codec as HEADERS and DATA frames, write for write, so the timing
     * and the cuts are the recording's.
     */
    private final class Replay extends ChannelInboundHandlerAdapter {
        /** This connection's pass, opened when its request ended. */
        private Writes pass;
        /** HTTP/2 only: the recorded HTTP/1.1 response, decoded as it is replayed. */
        private EmbeddedChannel decoder;
        /** HTTP/2 only: the response's last part went out. */
        private boolean whole;
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
                    if (ctx.channel() instanceof Http2StreamChannel) {
                        decoder = new EmbeddedChannel(new HttpResponseDecoder());
                    } else {
                        // The recording is an encoded response already: from here its bytes go out as
                        // they are. The encoder stayed until now for the guard's refusals (400, 408, 505).
                        ctx.pipeline().get(HttpServerCodec.class).removeOutboundHandler();
                    }
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
            if (w == null && decoder != null) {
                endStream(ctx);
                return;
            }
            if (w == null) {
                Ending ending = pass.ending();
                end(true);
                if (ending == Ending.HOLD) {
                    return; // silent until the client leaves
                }
                if (ending == Ending.RST || (ending == Ending.AS_RECORDED && reset)) {
                    ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0); // close() now sends a RST
                }
                ctx.close();
                return;
            }
            // Called once the write before it completed: a pause counts from now.
            long wait = Math.max(start + timing.delayNanos(w.delayNanos()) - System.nanoTime(), w.pauseNanos());
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
            ChannelFuture written;
            if (decoder == null) {
                written = ctx.writeAndFlush(Unpooled.wrappedBuffer(w.data()));
            } else {
                decoder.writeInbound(Unpooled.wrappedBuffer(w.data()));
                written = writeDecoded(ctx);
                if (written == null) {
                    write(ctx); // no whole part in this write yet (a head cut across writes)
                    return;
                }
            }
            written.addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    write(ctx);
                } else {
                    ctx.close();
                }
            });
        }

        /**
         * Writes what the decoder made of the recording so far, flushed; the future of the last
         * write, or null when there was nothing. A part the decoder could not make sense of resets
         * the stream: what a client of the recorded server saw was no whole response either.
         */
        private ChannelFuture writeDecoded(ChannelHandlerContext ctx) {
            ChannelFuture last = null;
            for (Object o; (o = decoder.readInbound()) != null; ) {
                if (whole || ((HttpObject) o).decoderResult().isFailure()) {
                    ReferenceCountUtil.release(o);
                    reset(ctx);
                    return ctx.newSucceededFuture();
                }
                whole = o instanceof LastHttpContent;
                last = ctx.write(o);
            }
            if (last != null) {
                ctx.flush();
            }
            return last;
        }

        /**
         * The recording is over: as recorded, the response's end is the decoder's (a close-delimited
         * body ends here), and a response that never got whole, or a recording that ended in a RST,
         * resets the stream instead of ending it; a pass that asks for a FIN ends the stream where
         * its body stopped, one that asks for a RST resets it.
         */
        private void endStream(ChannelHandlerContext ctx) {
            Ending ending = pass.ending();
            if (ending == Ending.HOLD) {
                end(true);
                return; // the stream stays open, silent, until the client leaves
            }
            if (ending == Ending.FIN && !whole) {
                whole = true;
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT); // END_STREAM where the body stopped
            } else if (!whole && ending == Ending.AS_RECORDED) {
                decoder.finish();
                writeDecoded(ctx);
            }
            end(true);
            if (ending == Ending.RST || (ending == Ending.AS_RECORDED && (!whole || reset))) {
                reset(ctx); // the client sees the stream cut, as the recorded one was
            }
            // Ended whole: the stream closes itself once its last DATA frame is sent, which flow
            // control may hold back; a close now would reset it and lose that tail.
        }

        /**
         * Resets the stream (RST_STREAM), a moment after what came before it: a client's HTTP/2 stack
         * that reads the DATA frames and the reset in one read may drop the frames before its
         * application sees them (curl then reports no response at all), and the recording's client
         * had them. What a cut loses is the rest of the stream, not its last write.
         */
        private void reset(ChannelHandlerContext ctx) {
            ctx.executor().schedule(() -> {
                ctx.close();
            }, RESET_DELAY_MILLIS, TimeUnit.MILLISECONDS);
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
                if (decoder != null) {
                    decoder.finishAndReleaseAll();
                }
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

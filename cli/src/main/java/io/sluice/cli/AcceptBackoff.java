package io.sluice.cli;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * On a listening channel: when accepting a connection fails (EMFILE or ENFILE, no descriptor left
 * for it), stops accepting for {@link #PAUSE_MILLIS} and tries again, until a descriptor frees up;
 * it says so once when accepting starts failing and once when it works again, never per failure.
 * The connections waiting meanwhile stay in the kernel's backlog and are served when accepting
 * resumes.
 *
 * <p>Without it, each failure reached the pipeline's tail, which logs it as unhandled: once per
 * selector wake-up, and (issue 14) the first log record, formatted when no descriptor was left
 * to read the time zone database, killed the event loop. Netty's own acceptor pauses too, but
 * logs every failure; this handler sits before it and keeps the failure from it.
 *
 * <p>Runs on the listening channel's event loop only, so its state needs no synchronisation.
 */
final class AcceptBackoff extends ChannelInboundHandlerAdapter {
    /** How long accepting pauses after a failure: as Netty's acceptor pauses, one second. */
    static final long PAUSE_MILLIS = 1000;

    private final Consumer<String> warnings;
    /** Made here, not when descriptors run out: nothing on the failure path may need a class loaded. */
    private final Runnable resume;
    private ChannelHandlerContext ctx;
    private boolean failing;
    private boolean paused;
    private long failures;
    private long failingSince;

    /** @param warnings takes each one-line warning (at most one per episode of failures, and its end) */
    AcceptBackoff(Consumer<String> warnings) {
        this.warnings = warnings;
        this.resume = this::resume;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        failures++;
        if (!failing) {
            failing = true;
            failingSince = System.nanoTime();
            warnings.accept("cannot accept connections: " + cause.getMessage() + "; pausing accepts, retrying every "
                    + PAUSE_MILLIS + " ms");
        }
        if (!paused) {
            paused = true;
            ctx.channel().config().setAutoRead(false); // no OP_ACCEPT: the selector stops waking for a backlog it cannot take
            ctx.executor().schedule(resume, PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void resume() {
        paused = false;
        if (ctx.channel().isOpen()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object child) {
        if (failing) {
            failing = false;
            warnings.accept(String.format(Locale.ROOT, "accepting connections again after %d failed accepts over %.1f s",
                    failures, (System.nanoTime() - failingSince) / 1e9));
            failures = 0;
        }
        ctx.fireChannelRead(child);
    }
}

package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayDeque;
import java.util.Locale;

/**
 * Decodes a {@code gzip} or {@code deflate} response body under backpressure: the inflated body
 * comes out in steps of at most {@code maxStep} bytes, and a step runs only when the pipeline
 * wants more. Place it after {@code HttpClientCodec}, where {@code HttpContentDecompressor} would
 * go; advertise {@code accept-encoding: gzip, deflate} and no more, as nothing else is decoded here
 * (a response in another coding passes through untouched, for {@link SseDecoder} to refuse).
 *
 * <h2>Why not {@code HttpContentDecompressor}</h2>
 * It inflates each read to its end at once. A 64 KiB read of a gzip bomb is 64 MiB of tiny events
 * fired in one call, before autoRead, which acts between reads, can stop anything: a relay held
 * gigabytes for a client that read nothing, and starved every other stream on its event loop
 * (issue 14). Here the compressed input waits, compressed, until the pipeline asks for more.
 *
 * <h2>When a step runs</h2>
 * <ul>
 *   <li><b>autoRead off, reads requested one at a time</b> (as {@link SseClient}'s streams do): each
 *       {@code read()} yields one step. While compressed input is left, a {@code read()} is answered
 *       from it, in a task of its own on the event loop followed by {@code channelReadComplete}, and
 *       is not passed to the socket; once it is used up, {@code read()} reads the socket again. So
 *       a consumer that stops asking holds at most one step, and a stream takes one step of the event
 *       loop at a time, never a whole bomb, however fast its consumer.</li>
 *   <li><b>autoRead on</b>: each read is inflated to its end in steps, and inflating stops as soon
 *       as autoRead is turned off (a queue at its high water, a relay's unwritable client), keeping
 *       the rest compressed; the {@code read()} that turning autoRead on again issues resumes it.</li>
 * </ul>
 * What comes after the input still held waits behind it, so nothing is reordered or lost when the
 * server ends first: the body's {@code LastHttpContent}, a next response, a read failure, and the
 * server's end of input. That end can wait only as a {@link ChannelInputShutdownEvent}, with
 * {@link ChannelOption#ALLOW_HALF_CLOSURE} on (as {@link SseClient} sets it): a channel that closes
 * has its pipeline torn down at once, so without half-closure the input held when the server
 * closes is inflated then and there, bounded by what one read brought, but not by the step.
 *
 * <h2>Errors</h2>
 * A body that does not inflate (bad data, a failed gzip check, bytes after the end, a compressed
 * body cut before its end) ends the body with a {@code LastHttpContent} whose decoder result is a
 * {@link DecompressionException}; {@link SseDecoder} reports it as a
 * {@link SseMalformedResponseException}. Input after that is released unread.
 *
 * <h2>Limits</h2>
 * <table>
 *   <caption>Bounds</caption>
 *   <tr><th>bound</th><th>default</th></tr>
 *   <tr><td>inflated bytes per step</td><td>{@value #DEFAULT_MAX_STEP}</td></tr>
 *   <tr><td>gzip header (name and comment included)</td><td>{@value BodyInflater#MAX_GZIP_HEADER}</td></tr>
 * </table>
 * The compressed input held is what the reads requested brought: one socket read when reads are
 * requested one at a time.
 *
 * <p>One instance per channel (it holds the current body's state).
 */
public final class SseDecompressor extends ChannelDuplexHandler {
    /**
     * Inflated bytes per step by default: 64 KiB, the most one socket read brings with Netty's
     * default receive buffer sizing, so a compressed stream feeds the parser no more at a time than
     * an uncompressed one does.
     */
    public static final int DEFAULT_MAX_STEP = 64 * 1024;

    private final int maxStep;

    private ChannelHandlerContext ctx;
    /** The current body's inflater; null while no compressed body is being read. */
    private BodyInflater inflater;
    /** Compressed input not yet inflated; null when none is held. */
    private ByteBuf input;
    /** The body's LastHttpContent arrived: once the input is used up, the body ends. */
    private boolean inputEnded;
    /** The input held is a fragment (of a gzip header or trailer) that more input must complete. */
    private boolean starved;
    /** The body failed to inflate: what still arrives of it is dropped. */
    private boolean failed;
    /** A read() the pipeline asked for and no step has answered yet (autoRead off). */
    private boolean readRequested;
    private boolean stepScheduled;
    /** Messages that came after the held body (a next response), and whether the channel went inactive. */
    private final ArrayDeque<Object> held = new ArrayDeque<>(2);
    private boolean inactiveHeld;

    /** Steps of {@value #DEFAULT_MAX_STEP} bytes. */
    public SseDecompressor() {
        this(DEFAULT_MAX_STEP);
    }

    /** @param maxStep most inflated bytes fired at a time; at least 1 */
    public SseDecompressor(int maxStep) {
        if (maxStep < 1) {
            throw new IllegalArgumentException("maxStep must be positive: " + maxStep);
        }
        this.maxStep = maxStep;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        dropHeld();
    }

    private void dropHeld() {
        endBody();
        Object msg;
        while ((msg = held.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }

    /** An exceptionCaught that waits behind held input. */
    private record HeldException(Throwable cause) {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (holding()) {
            held.add(msg); // behind the body still being inflated: order is kept
        } else {
            process(msg);
        }
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        readRequested = true;
        if (holding()) {
            scheduleStep(); // answered from the input held, on a turn of its own
        } else {
            ctx.read(); // answered by the socket read it starts
        }
    }

    /**
     * The channel closed. Netty tears the pipeline down right after this, so nothing held can wait
     * for a read: when half-closure is allowed, the server's end of input came before as a
     * {@link ChannelInputShutdownEvent} and a close now is the application's own (a cancel), so what
     * is held is dropped; without half-closure the close is the server's end of input, and what is
     * held is inflated at once, as {@code HttpContentDecompressor} would have.
     */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (holding()) {
            if (halfClosureAllowed()) {
                dropHeld();
            } else {
                inactiveHeld = true;
                while (holding()) {
                    if (inflating()) {
                        drain(true, false);
                    } else {
                        releaseHeld();
                    }
                }
                if (inactiveHeld) {
                    inactiveHeld = false;
                    ctx.fireChannelInactive();
                }
                return; // the channelInactive went out after the body
            }
        }
        ctx.fireChannelInactive();
    }

    /** The server's end of input (half-closure allowed) waits behind the held body, as does a read failure. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && holding()) {
            held.add(evt);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (holding()) {
            held.add(new HeldException(cause)); // a reset after the bytes held: they were sent before it
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    private boolean halfClosureAllowed() {
        return Boolean.TRUE.equals(ctx.channel().config().getOption(ChannelOption.ALLOW_HALF_CLOSURE));
    }

    /** Whether inflatable input or messages wait here, so what arrives now must queue behind them. */
    private boolean holding() {
        return inflating() || !held.isEmpty();
    }

    /** Whether input that steps can inflate is held. */
    private boolean inflating() {
        return input != null && !starved;
    }

    private void process(Object msg) {
        if (msg instanceof HeldException exception) {
            ctx.fireExceptionCaught(exception.cause());
            return;
        }
        if (msg instanceof ChannelInputShutdownEvent) {
            ctx.fireUserEventTriggered(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            msg = head(response);
        }
        if (!(msg instanceof HttpContent content)) {
            ctx.fireChannelRead(msg);
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (failed) {
            content.release(); // the rest of a body that did not inflate
            failed = !last;
            return;
        }
        if (inflater == null) {
            ctx.fireChannelRead(content);
            return;
        }
        // The cumulator takes its own reference (and, for the first read, keeps the read's buffer
        // itself rather than a copy); the content's is released here.
        ByteBuf bytes = content.content().retain();
        content.release();
        input = ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), input == null ? Unpooled.EMPTY_BUFFER : input, bytes);
        inputEnded = last;
        starved = false;
        boolean wanted = readRequested;
        readRequested = false;
        drain(wanted, false);
    }

    /** A response head: a compressed body gets an inflater, and the head loses the headers that no longer hold. */
    private Object head(HttpResponse response) {
        endBody();
        String encoding = response.headers().get(HttpHeaderNames.CONTENT_ENCODING);
        BodyInflater body = encoding == null ? null : BodyInflater.forEncoding(encoding.trim().toLowerCase(Locale.ROOT));
        if (body == null) {
            return response;
        }
        inflater = body;
        response.headers().remove(HttpHeaderNames.CONTENT_ENCODING).remove(HttpHeaderNames.CONTENT_LENGTH);
        if (response instanceof HttpContent full) {
            // A full response: its content is the body to inflate, so the head goes on alone.
            ctx.fireChannelRead(new DefaultHttpResponse(response.protocolVersion(), response.status(), response.headers()));
            return full;
        }
        return response;
    }

    /**
     * Inflates while the pipeline wants more: one step for a requested read (autoRead off), or
     * every step while autoRead stays on. Once the input is used up, ends the body if it ended, and
     * lets out what waited behind it.
     *
     * @param wanted a read asked for a step
     * @param fromTask in a step task, which owes the pipeline a {@code channelReadComplete}
     */
    private void drain(boolean wanted, boolean fromTask) {
        boolean fired = false;
        while (inflating() && (wanted || ctx.channel().config().isAutoRead())) {
            ByteBuf out;
            try {
                out = inflater.step(input, ctx.alloc(), maxStep);
            } catch (DecompressionException e) {
                fail(e);
                fired = true;
                wanted = false;
                break;
            }
            if (out != null) {
                ctx.fireChannelRead(new DefaultHttpContent(out));
                fired = true;
                wanted = false;
                continue;
            }
            // Nothing more comes out of the input held: the body ends here, or waits for the socket
            // (a header or trailer may have arrived in part: it stays, to be completed).
            if (input.isReadable()) {
                starved = true;
            } else {
                input.release();
                input = null;
            }
            if (inputEnded) {
                if (input == null && inflater.complete()) {
                    endBody();
                    ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
                } else {
                    fail(new DecompressionException("compressed body cut before its end"));
                }
                fired = true;
                wanted = false;
            }
            releaseHeld(); // may bring the next input, which a read still wanted goes on with
        }
        if (fromTask && fired) {
            ctx.fireChannelReadComplete();
        }
        if (wanted && !holding()) {
            // A read() that the held input could not answer: the socket answers it.
            readRequested = true;
            ctx.read();
        }
    }

    private void fail(DecompressionException e) {
        boolean ended = inputEnded;
        endBody();
        failed = !ended;
        LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
        last.setDecoderResult(DecoderResult.failure(e));
        ctx.fireChannelRead(last);
        releaseHeld();
    }

    /** Lets out, in order, what arrived behind the body just finished, until one starts holding again. */
    private void releaseHeld() {
        Object msg;
        while (!inflating() && (msg = held.poll()) != null) {
            process(msg);
        }
        if (!holding() && inactiveHeld) {
            inactiveHeld = false;
            ctx.fireChannelInactive();
        }
    }

    private void scheduleStep() {
        if (!stepScheduled) {
            stepScheduled = true;
            ctx.executor().execute(this::step);
        }
    }

    /** A step that read() asked for while input was held: a task of its own, so other channels run in between. */
    private void step() {
        stepScheduled = false;
        if (ctx.isRemoved()) {
            return;
        }
        boolean wanted = readRequested;
        readRequested = false;
        if (inflating()) {
            drain(wanted, true);
        } else if (wanted) {
            readRequested = true;
            ctx.read();
        }
    }

    private void endBody() {
        if (input != null) {
            input.release();
            input = null;
        }
        if (inflater != null) {
            inflater.close();
            inflater = null;
        }
        inputEnded = false;
        starved = false;
    }
}

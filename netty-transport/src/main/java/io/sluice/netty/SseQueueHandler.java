package io.sluice.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.sluice.core.handoff.OwnedSseEvent;
import io.sluice.core.handoff.SseEventHandoff;

/**
 * The last handler of an SSE pipeline when a consumer thread takes the events: offers each
 * {@link OwnedSseEvent} from {@link SseDecoder} to an {@link SseEventHandoff} and ends the queue on
 * the decoder's {@link SseDecoder.StreamEnd} or error. Backpressure reaches the socket through
 * {@link #flowControl(Channel)}: autoRead off at the queue's high water, on at its low water.
 *
 * <pre>{@code
 * SseEventHandoff queue = new SseEventHandoff(1024, 256, SseQueueHandler.flowControl(ch), ch.eventLoop());
 * ch.pipeline().addLast(new HttpClientCodec(), new SseDecompressor(), new SseDecoder(),
 *         new SseQueueHandler(queue));
 * SseEventQueue events = queue; // what the consumer thread is given: take, poll, drain, close
 * }</pre>
 */
public final class SseQueueHandler extends ChannelInboundHandlerAdapter {
    private final SseEventHandoff queue;

    public SseQueueHandler(SseEventHandoff queue) {
        this.queue = queue;
    }

    /** Flow control for a queue fed from {@code channel}: its autoRead setting. */
    public static SseEventHandoff.FlowControl flowControl(Channel channel) {
        return new SseEventHandoff.FlowControl() {
            @Override
            public void pause() {
                channel.config().setAutoRead(false);
            }

            @Override
            public void resume() {
                channel.config().setAutoRead(true); // also issues the read() that autoRead off skipped
            }
        };
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof OwnedSseEvent) {
            queue.offer((OwnedSseEvent) msg);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SseDecoder.StreamEnd) {
            queue.end();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        SseDecoder decoder = ctx.pipeline().get(SseDecoder.class);
        queue.fail(decoder == null ? SseStream.typed(cause, false, 0, 0)
                : SseStream.typed(cause, decoder.opened(), decoder.events(), decoder.bytes()));
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // The decoder has already ended the stream; this covers a pipeline without one.
        queue.fail(new SseClosedEarlyException(0, 0, 0, null));
        ctx.fireChannelInactive();
    }
}

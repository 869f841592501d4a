package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.core.SseEncoder;
import io.sluice.core.SseEvent;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The write side of one event stream that an {@link SseResponder} answered: events, comments and
 * {@code retry} lines, encoded by {@link SseEncoder} straight into a pooled buffer and flushed one
 * by one (no flush coalescing: it was not measured, so each event reaches the socket at once).
 *
 * <p>The body is chunked ({@code transfer-encoding: chunked}) rather than close-delimited, so a
 * client tells an {@link #end ended} stream (the last chunk) from a dropped one, and the
 * connection stays open for the client's next request (HTTP/1.1 keep-alive) unless the request
 * said {@code connection: close}. An HTTP/1.0 request is the exception: such a client cannot read
 * chunks (RFC 9112 section 7.1: no transfer coding unless the request says HTTP/1.1), so it gets
 * an {@code HTTP/1.0} head with neither {@code transfer-encoding} nor {@code content-length}, the
 * body raw, ended by closing the connection; it tells an end from a drop only by an end sentinel
 * the application writes. Over HTTP/2 the body is the stream's DATA frames and its end the
 * stream's end.
 *
 * <p>Any thread may call any method: calls from elsewhere hop to the channel's event loop, in
 * order.
 *
 * <p>Heartbeats: a tick every interval writes an empty comment ({@code ":"}) unless anything
 * was written since the previous tick, so an idle stream hears one between one and two intervals
 * after its last write, and a busy one never does.
 *
 * <p>Every write returns a future that fails with {@link SseClientGoneException} once the
 * client is gone or the stream ended; nothing is allocated for such a write, so nothing leaks.
 */
public final class SseEmitter {
    private static final String HEARTBEAT = "";
    /** Room in front of a framed chunk's content for its size line: eight hex digits (an int) and CRLF. */
    private static final int CHUNK_SIZE_ROOM = 10;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final ChannelHandlerContext ctx;
    private final Channel channel;
    private final String lastEventId;
    private final String uri;
    private final long heartbeatNanos;
    private final boolean closeDelimited;
    /** The connection outlives the stream: ended cleanly, it takes the client's next request. */
    private final boolean keepAlive;
    /** Told, on the event loop, when a kept-alive connection's stream has ended cleanly. */
    private final Runnable onEnded;
    /**
     * An HTTP/1.x encoder is in the pipeline, which frames a bare {@code ByteBuf} as a chunk (or
     * writes it raw, close-delimited): {@link #forward} then skips the {@code HttpContent} wrapper.
     * An HTTP/2 stream's codec takes only {@code HttpObject}s.
     */
    private final boolean bareBuffers;
    /**
     * The HTTP/1.1 encoder's context when {@link #forward} frames each chunk itself (set with the
     * head; null otherwise). {@code HttpObjectEncoder} writes a chunk as three outbound entries, the
     * size line in a buffer of its own, the content and a duplicate of a shared CRLF, and the socket
     * write makes an NIO view of each: about 60% of what a relayed event allocated after the single
     * copy ({@code RelayLoadBenchmark}, JFR). Framed here, a chunk is the event's own buffer, one
     * entry. Written from the encoder's context, the chunk passes below the encoder, which keeps its
     * chunked state for the last chunk; only when nothing but flush consolidation stands between.
     */
    private ChannelHandlerContext chunkWriter;
    // Event-loop state below.
    private boolean ended;
    private long events;
    private long bytes;
    // What the client's EventSource holds as its last event ID: an id line is written only to change it.
    private String clientLastEventId;
    // Set by every write, cleared by each heartbeat tick: a flag, not a clock, so writes read no time.
    private boolean wroteSinceTick;
    private ScheduledFuture<?> heartbeat;
    private volatile Consumer<Boolean> writabilityListener;

    SseEmitter(ChannelHandlerContext ctx, HttpRequest request, long heartbeatNanos, Runnable onEnded) {
        this.ctx = ctx;
        this.channel = ctx.channel();
        this.lastEventId = request.headers().get("last-event-id");
        this.clientLastEventId = lastEventId == null ? "" : lastEventId;
        this.uri = request.uri();
        this.heartbeatNanos = heartbeatNanos;
        this.closeDelimited = HttpVersion.HTTP_1_0.equals(request.protocolVersion());
        this.keepAlive = !closeDelimited && HttpUtil.isKeepAlive(request);
        this.onEnded = onEnded;
        this.bareBuffers = ctx.pipeline().get(HttpServerCodec.class) != null
                || ctx.pipeline().get(HttpResponseEncoder.class) != null;
    }

    /** Whether the connection outlives this stream (HTTP/1.1 keep-alive, or an HTTP/2 stream): false when the stream's end closes it. */
    boolean keepAlive() {
        return keepAlive;
    }

    void start() {
        start(EmptyHttpHeaders.INSTANCE);
    }

    /** Writes the head, with {@code passed} (a relayed upstream's headers) under the stream's own, and starts the heartbeat. */
    void start(HttpHeaders passed) {
        HttpResponse head = new DefaultHttpResponse(closeDelimited ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1,
                HttpResponseStatus.OK);
        head.headers().set(passed);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        if (!closeDelimited) {
            // Without it (and without a length) HttpObjectEncoder writes each content unframed:
            // the close-delimited body an HTTP/1.0 client reads.
            head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        head.headers()
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
                .set("x-accel-buffering", "no");
        if (!keepAlive) {
            // The stream's end closes the connection: said up front, so no client pools it and
            // sends its next request into the close.
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.writeAndFlush(head);
        chunkWriter = closeDelimited ? null : encoderBelow(ctx);
        if (heartbeatNanos > 0) {
            heartbeat = ctx.executor().scheduleAtFixedRate(this::heartbeatDue, heartbeatNanos, heartbeatNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** The request's {@code Last-Event-ID} header: where a reconnecting client wants to resume; null if none. */
    public String lastEventId() {
        return lastEventId;
    }

    /** The request target (path and query) this stream answers. */
    public String uri() {
        return uri;
    }

    /** The connection, e.g. for its {@code closeFuture()}. */
    public Channel channel() {
        return channel;
    }

    /** Whether the socket takes more without queueing past the high water mark; a relay stops reading upstream when false. */
    public boolean isWritable() {
        return channel.isWritable();
    }

    /** Called on the event loop with the new writability each time it changes; null to stop. */
    public void onWritabilityChanged(Consumer<Boolean> listener) {
        this.writabilityListener = listener;
    }

    /** Writes one event; see {@link SseEncoder#writeEvent(ByteBuf, String, CharSequence, String)}. */
    public ChannelFuture event(String type, CharSequence data, String id) {
        return submit(out -> writeEvent(out, type, data, id), true, false);
    }

    /**
     * Writes a parsed event on, its data copied byte for byte, with an {@code id} line only when its
     * last event ID differs from the one the client holds: a relayed stream carries the upstream's
     * id changes, not an id line per event. The event must stay valid until the write is encoded:
     * call this on this channel's event loop (a relay on the same loop) or pass an owned event the
     * caller releases after the returned future completes.
     */
    public ChannelFuture event(SseEvent event) {
        return submit(out -> {
            String id = event.lastEventId();
            boolean changed = !id.equals(clientLastEventId);
            SseEncoder.writeEvent(out, event.type(), event.dataBuffer(), event.dataIndex(), event.dataLength(),
                    changed ? id : null);
            clientLastEventId = id;
        }, true, false);
    }

    /**
     * The relay's write of a parsed event, on the event loop, with no future: as {@link #event(SseEvent)},
     * but the one allocation is the outbound buffer, sized for the event so it rarely grows (no
     * lambda, no promise, no listener, no {@code HttpContent} wrapper over HTTP/1.x) and, over a
     * chunked HTTP/1.1 body, framed as its chunk in place ({@link #chunkWriter}). A failed write
     * reaches the pipeline's {@code exceptionCaught} (a void promise), where the relay closes the
     * connection and cancels its upstream. {@code RelayLoadBenchmark} counts the bytes and the CPU
     * time a relayed event costs the relay's event loops.
     */
    void forward(SseEvent event) {
        if (ended || !channel.isActive()) {
            return;
        }
        String id = event.lastEventId();
        boolean changed = !id.equals(clientLastEventId);
        String type = event.type();
        // The data's bytes, the "data: " of each line (a delta is one line), the type and id lines
        // and the newlines: an estimate that a multi-line event may pass, when the buffer grows.
        int size = event.dataLength() + 16 + (type.length() + 8) + (changed ? id.length() + 5 : 0);
        ChannelHandlerContext chunks = chunkWriter;
        ByteBuf out = ctx.alloc().buffer(chunks == null ? size : CHUNK_SIZE_ROOM + size + 2);
        out.writerIndex(chunks == null ? 0 : CHUNK_SIZE_ROOM);
        SseEncoder.writeEvent(out, type, event.dataBuffer(), event.dataIndex(), event.dataLength(), changed ? id : null);
        clientLastEventId = id;
        bytes += out.writerIndex() - (chunks == null ? 0 : CHUNK_SIZE_ROOM);
        events++;
        wroteSinceTick = true;
        if (chunks != null) {
            frameChunk(out);
            chunks.write(out, ctx.voidPromise());
            ctx.flush();
        } else {
            ctx.writeAndFlush(bareBuffers ? out : new DefaultHttpContent(out), ctx.voidPromise());
        }
    }

    /**
     * Makes {@code out}, an event written from {@link #CHUNK_SIZE_ROOM}, one HTTP/1.1 chunk: its
     * size in hex and CRLF just before the content (the reader index moves back to them), CRLF after.
     * An event is never empty (at least its blank line), so this is never the last chunk.
     */
    private static void frameChunk(ByteBuf out) {
        int length = out.writerIndex() - CHUNK_SIZE_ROOM;
        int digits = Math.max(1, (35 - Integer.numberOfLeadingZeros(length)) / 4);
        int start = CHUNK_SIZE_ROOM - 2 - digits;
        for (int i = 0, shift = 4 * (digits - 1); i < digits; i++, shift -= 4) {
            out.setByte(start + i, HEX[(length >>> shift) & 0xF]);
        }
        out.setByte(CHUNK_SIZE_ROOM - 2, '\r').setByte(CHUNK_SIZE_ROOM - 1, '\n');
        out.writeByte('\r').writeByte('\n');
        out.readerIndex(start);
    }

    /**
     * The context of the HTTP/1.1 response encoder below {@code ctx} (Netty's own, not a subclass),
     * when every outbound handler between the two is a {@link FlushConsolidationHandler}, which
     * lets writes pass; null otherwise (a compressor, say, must see every content).
     */
    private static ChannelHandlerContext encoderBelow(ChannelHandlerContext ctx) {
        List<String> names = ctx.pipeline().names();
        boolean below = false;
        for (int i = names.size() - 1; i >= 0; i--) {
            ChannelHandlerContext c = ctx.pipeline().context(names.get(i));
            if (c == ctx) {
                below = true;
            } else if (below && c != null) {
                Class<?> type = c.handler().getClass();
                if (type == HttpServerCodec.class || type == HttpResponseEncoder.class) {
                    return c;
                }
                if (c.handler() instanceof ChannelOutboundHandler && type != FlushConsolidationHandler.class) {
                    return null;
                }
            }
        }
        return null;
    }

    /** Writes a comment, which EventSource ignores. */
    public ChannelFuture comment(CharSequence text) {
        return submit(out -> SseEncoder.writeComment(out, text), false, false);
    }

    /** Tells the client how long to wait before reconnecting. */
    public ChannelFuture retry(long millis) {
        return submit(out -> SseEncoder.writeRetry(out, millis), false, false);
    }

    /**
     * Writes a last event (an end sentinel such as {@code data: [DONE]}) and ends the chunked body;
     * the connection then takes the client's next request, or is closed when it is not kept alive
     * (for an HTTP/1.0 client the close alone ends the body). The future completes when the
     * sentinel is written.
     */
    public ChannelFuture end(String type, CharSequence data, String id) {
        return submit(out -> writeEvent(out, type, data, id), true, true);
    }

    private void writeEvent(ByteBuf out, String type, CharSequence data, String id) {
        SseEncoder.writeEvent(out, type, data, id);
        if (id != null) {
            clientLastEventId = id;
        }
    }

    /** Events written so far (event loop). */
    long events() {
        return events;
    }

    /** Body bytes written so far, before any chunk framing (event loop). */
    long bytes() {
        return bytes;
    }

    /** Ends the body without a sentinel; the connection is kept alive or closed as by {@link #end}. */
    public ChannelFuture close() {
        return submit(null, false, true);
    }

    private ChannelFuture submit(Consumer<ByteBuf> encode, boolean isEvent, boolean last) {
        ChannelPromise promise = channel.newPromise();
        if (ctx.executor().inEventLoop()) {
            write(encode, isEvent, last, promise);
        } else {
            ctx.executor().execute(() -> write(encode, isEvent, last, promise));
        }
        return promise;
    }

    private void write(Consumer<ByteBuf> encode, boolean isEvent, boolean last, ChannelPromise promise) {
        if (ended || !channel.isActive()) {
            promise.setFailure(new SseClientGoneException(events, bytes, null));
            return;
        }
        if (encode != null) {
            ByteBuf out = ctx.alloc().buffer();
            try {
                encode.accept(out);
            } catch (RuntimeException e) {
                out.release();
                promise.setFailure(e);
                return;
            }
            bytes += out.readableBytes();
            if (isEvent) {
                events++;
            }
            long eventsSoFar = events;
            long bytesSoFar = bytes;
            ctx.writeAndFlush(new DefaultHttpContent(out)).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    promise.setSuccess();
                } else {
                    promise.setFailure(new SseClientGoneException(eventsSoFar, bytesSoFar, f.cause()));
                }
            });
        } else {
            promise.setSuccess();
        }
        wroteSinceTick = true;
        if (last) {
            ended = true;
            stopHeartbeat();
            ChannelFuture lastWritten = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            if (keepAlive) {
                onEnded.run();
            } else {
                lastWritten.addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    private void heartbeatDue() {
        if (ended || !channel.isActive()) {
            return;
        }
        if (!wroteSinceTick) {
            write(out -> SseEncoder.writeComment(out, HEARTBEAT), false, false, channel.newPromise());
        }
        wroteSinceTick = false;
    }

    void stopHeartbeat() {
        if (heartbeat != null) {
            heartbeat.cancel(false);
            heartbeat = null;
        }
    }

    void writabilityChanged() {
        Consumer<Boolean> listener = writabilityListener;
        if (listener != null) {
            listener.accept(channel.isWritable());
        }
    }
}

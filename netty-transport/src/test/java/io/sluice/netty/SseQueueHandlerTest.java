package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.core.handoff.OwnedSseEvent;
import io.sluice.core.handoff.SseEventHandoff;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The queue sink in a pipeline: autoRead follows the water marks, and the end follows the last event. */
class SseQueueHandlerTest {

    private static EmbeddedChannel pipeline(SseEventHandoff[] queue, int high, int low) {
        EmbeddedChannel ch = new EmbeddedChannel();
        queue[0] = new SseEventHandoff(high, low, SseQueueHandler.flowControl(ch), ch.eventLoop());
        ch.pipeline().addLast(new HttpClientCodec(), new SseDecoder(), new SseQueueHandler(queue[0]));
        ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
        ByteBuf written;
        while ((written = ch.readOutbound()) != null) {
            written.release();
        }
        return ch;
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    @Test
    void autoReadGoesOffAtHighWaterAndBackOnAtLowWaterWithNothingLost() {
        SseEventHandoff[] queue = new SseEventHandoff[1];
        EmbeddedChannel ch = pipeline(queue, 4, 1);
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            body.append("data: ").append(i).append("\n\n");
        }
        ch.writeInbound(bytes(LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk(body.toString()) + "0\r\n\r\n"));
        assertFalse(ch.config().isAutoRead(), "one read brought 10 events: past high water");
        List<String> seen = new ArrayList<>();
        while (!queue[0].isDone()) {
            OwnedSseEvent event = queue[0].poll();
            if (event == null) {
                ch.runPendingTasks(); // the event loop's turn: move the overflow in, maybe resume
                continue;
            }
            seen.add(event.dataAsString());
            event.release();
        }
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), seen);
        assertNull(queue[0].failure());
        ch.runPendingTasks(); // the resume the last polls scheduled
        assertTrue(ch.config().isAutoRead(), "autoRead came back on at low water");
        ch.finish();
    }

    @Test
    void errorResponseFailsTheQueueAndClosesTheChannel() {
        SseEventHandoff[] queue = new SseEventHandoff[1];
        EmbeddedChannel ch = pipeline(queue, 4, 1);
        ch.writeInbound(bytes("HTTP/1.1 429 Too Many Requests\r\ncontent-length: 2\r\n\r\n{}"));
        assertTrue(queue[0].isDone());
        SseStatusException error = assertInstanceOf(SseStatusException.class, queue[0].failure());
        assertEquals(429, error.status().code());
        assertFalse(ch.isOpen());
        ch.finish();
    }

    @Test
    void closingTheQueueReleasesWhatTheConsumerNeverTook() {
        SseEventHandoff[] queue = new SseEventHandoff[1];
        EmbeddedChannel ch = pipeline(queue, 64, 8);
        ch.writeInbound(bytes(LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk("data: a\n\ndata: b\n\n")));
        assertEquals(2, queue[0].size());
        queue[0].close();
        ch.runPendingTasks(); // the release runs on the event loop; the leak check fails the class otherwise
        ch.writeInbound(bytes(LoopbackServer.chunk("data: late\n\n")));
        ch.finish();
    }
}

package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.sluice.core.SseBoundExceededException;
import io.sluice.core.handoff.OwnedSseEvent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The decoder behind a real HttpClientCodec in an EmbeddedChannel; every buffer read is released. */
class SseDecoderTest {

    /** Records what the decoder fires: events as "type|data|id", then its one end. */
    static final class Ends extends ChannelInboundHandlerAdapter {
        final List<String> events = new ArrayList<>();
        final List<Object> ends = new ArrayList<>();
        final List<Object> userEvents = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            OwnedSseEvent event = (OwnedSseEvent) msg;
            try {
                events.add(event.type() + "|" + event.dataAsString() + "|" + event.lastEventId());
            } finally {
                event.release();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SseDecoder.StreamEnd) {
                ends.add(evt);
            } else {
                userEvents.add(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ends.add(cause);
        }
    }

    private final Ends ends = new Ends();

    private EmbeddedChannel channel(SseDecoder decoder) {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpClientCodec(), new SseDecompressor(), decoder, ends);
        // The client codec pairs each response with a request: send one, and drop its bytes.
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
    void chunkedEventStreamFiresOwnedEventsThenOneCleanEnd() {
        EmbeddedChannel ch = channel(new SseDecoder());
        ch.writeInbound(bytes(LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk("id: 1\ndata: a\n\nevent: ping\ndata:")));
        ch.writeInbound(bytes(LoopbackServer.chunk(" b\n\n") + "0\r\n\r\n"));
        assertEquals(List.of("message|a|1", "ping|b|1"), ends.events);
        SseDecoder.StreamEnd end = assertInstanceOf(SseDecoder.StreamEnd.class, ends.ends.get(0));
        assertEquals(2, end.events());
        assertEquals("id: 1\ndata: a\n\nevent: ping\ndata: b\n\n".length(), end.bytes());
        ch.finish();
        assertEquals(1, ends.ends.size(), "exactly one end, even after the close");
    }

    @Test
    void lastContentWithAnUnfinishedEventIsClosedEarlyWithTheTail() {
        EmbeddedChannel ch = channel(new SseDecoder());
        ch.writeInbound(bytes(LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk("data: a\n\ndata: b") + "0\r\n\r\n"));
        SseClosedEarlyException error = assertInstanceOf(SseClosedEarlyException.class, ends.ends.get(0));
        assertEquals(1, error.events());
        assertEquals("data: b".length(), error.incompleteTailBytes());
        assertNull(error.getCause());
        ch.finish();
    }

    @Test
    void channelInactiveMidStreamIsClosedEarlyCausedByThePrematureClose() {
        EmbeddedChannel ch = channel(new SseDecoder());
        ch.writeInbound(bytes(LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk("data: a\n\n")));
        ch.finish();
        SseClosedEarlyException error = assertInstanceOf(SseClosedEarlyException.class, ends.ends.get(0));
        assertEquals(1, error.events());
        assertTrue(!error.tailCut());
        assertEquals(1, ends.ends.size());
    }

    @Test
    void rejectedResponseKeepsTheBodyUpToTheBoundAndCountsTheRest() {
        EmbeddedChannel ch = channel(new SseDecoder(new SseDecoder.Settings(1024, 1024, false, 8), 0));
        ch.writeInbound(bytes("HTTP/1.1 529 Overloaded\r\ncontent-length: 20\r\n\r\n{\"error\":\"overload\"}"));
        SseStatusException error = assertInstanceOf(SseStatusException.class, ends.ends.get(0));
        assertEquals(529, error.status().code());
        assertEquals("{\"error\"", error.bodyAsString());
        assertEquals(20, error.bodyBytes());
        ch.finish();
    }

    @Test
    void textEventStreamWithParametersIsAccepted() {
        EmbeddedChannel ch = channel(new SseDecoder());
        ch.writeInbound(bytes("HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream; charset=utf-8\r\ncontent-length: 9\r\n\r\ndata: x\n\n"));
        assertEquals(List.of("message|x|"), ends.events);
        assertInstanceOf(SseDecoder.StreamEnd.class, ends.ends.get(0));
        ch.finish();
    }

    @Test
    void boundExceededEndsTheStreamAndClosesTheChannel() {
        EmbeddedChannel ch = channel(new SseDecoder(new SseDecoder.Settings(16, 16, false, 1024), 0));
        ch.writeInbound(bytes(LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk("data: ok\n\ndata: " + "y".repeat(40) + "\n\n")));
        assertEquals(List.of("message|ok|"), ends.events);
        assertInstanceOf(SseBoundExceededException.class, ends.ends.get(0));
        assertTrue(!ch.isOpen());
        ch.finish();
        assertEquals(1, ends.ends.size());
    }

    @Test
    void commentsAreUserEventsInStreamOrderOnlyWhenTheSettingsAskForThem() {
        String body = ": keep-alive\ndata: a\n\n:\n:  two spaces\n";
        List<String> seen = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(new HttpClientCodec(),
                new SseDecoder(new SseDecoder.Settings(1024, 1024, false, 1024, true), 0),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        OwnedSseEvent event = (OwnedSseEvent) msg;
                        seen.add("event " + event.dataAsString());
                        event.release();
                    }

                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        if (evt instanceof SseDecoder.Comment comment) {
                            seen.add("comment [" + comment.text() + "]");
                        }
                    }
                });
        ch.writeInbound(bytes(LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk(body) + "0\r\n\r\n"));
        ch.finish();
        assertEquals(List.of("comment [ keep-alive]", "event a", "comment []", "comment [  two spaces]"), seen);

        EmbeddedChannel quiet = channel(new SseDecoder());
        quiet.writeInbound(bytes(LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk(body) + "0\r\n\r\n"));
        quiet.finish();
        assertEquals(List.of("message|a|"), ends.events);
        assertTrue(ends.userEvents.stream().noneMatch(e -> e instanceof SseDecoder.Comment), ends.userEvents.toString());
    }

    @Test
    void skippedOversizedEventIsAUserEventAndTheStreamGoesOn() {
        EmbeddedChannel ch = channel(new SseDecoder(new SseDecoder.Settings(16, 16, true, 1024), 0));
        ch.writeInbound(bytes(LoopbackServer.SSE_HEADERS_CHUNKED
                + LoopbackServer.chunk("data: " + "y".repeat(40) + "\n\ndata: after\n\n") + "0\r\n\r\n"));
        assertEquals(List.of("message|after|"), ends.events);
        assertInstanceOf(SseDecoder.Open.class, ends.userEvents.get(0));
        assertInstanceOf(SseBoundExceededException.class, ends.userEvents.get(1));
        assertInstanceOf(SseDecoder.StreamEnd.class, ends.ends.get(0));
        ch.finish();
    }

    @Test
    void anAcceptedResponseIsAnOpenUserEventBeforeItsFirstEvent() {
        EmbeddedChannel ch = channel(new SseDecoder());
        ch.writeInbound(bytes(LoopbackServer.SSE_HEADERS_CHUNKED));
        SseDecoder.Open open = assertInstanceOf(SseDecoder.Open.class, ends.userEvents.get(0));
        assertEquals(200, open.status().code());
        assertEquals("text/event-stream", open.headers().get("content-type"));
        assertTrue(ends.events.isEmpty());
        ch.writeInbound(bytes(LoopbackServer.chunk("data: a\n\n")));
        assertEquals(List.of("message|a|"), ends.events);
        assertEquals(1, ends.userEvents.size());
        ch.finish();
    }

    @Test
    void aRefusedResponseIsNoOpenUserEvent() {
        EmbeddedChannel ch = channel(new SseDecoder());
        ch.writeInbound(bytes("HTTP/1.1 503 Busy\r\ncontent-length: 0\r\n\r\n"));
        assertTrue(ends.userEvents.isEmpty());
        assertInstanceOf(SseStatusException.class, ends.ends.get(0));
        ch.finish();
    }

    @Test
    void idleStateEventIsAnIdleTimeoutWithWhatArrived() {
        EmbeddedChannel ch = channel(new SseDecoder(SseDecoder.Settings.DEFAULTS, 250));
        ch.writeInbound(bytes(LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk("data: a\n\n")));
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
        SseTimeoutException error = assertInstanceOf(SseTimeoutException.class, ends.ends.get(0));
        assertEquals(SseTimeoutException.Kind.IDLE, error.kind());
        assertEquals(250, error.limitMillis());
        assertEquals(1, error.events());
        ch.finish();
        assertEquals(1, ends.ends.size());
    }

    @Test
    void closeBeforeAnyResponseIsAConnectError() {
        EmbeddedChannel ch = channel(new SseDecoder());
        ch.finish();
        assertInstanceOf(SseConnectException.class, ends.ends.get(0));
    }

    @Test
    void interimResponsesBeforeTheAnswerAreSkipped() {
        EmbeddedChannel ch = channel(new SseDecoder());
        ch.writeInbound(bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n"));
        assertTrue(ends.userEvents.isEmpty(), "no Open for an interim answer");
        assertTrue(ends.ends.isEmpty(), "and no end: the answer is still to come");
        ch.writeInbound(bytes(LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk("data: a\n\n") + "0\r\n\r\n"));
        assertEquals(List.of("message|a|"), ends.events);
        assertEquals(200, assertInstanceOf(SseDecoder.Open.class, ends.userEvents.get(0)).status().code());
        assertInstanceOf(SseDecoder.StreamEnd.class, ends.ends.get(0));
        ch.finish();
    }

    @Test
    void switchingProtocolsIsNoInterimAnswerButARefusal() {
        EmbeddedChannel ch = channel(new SseDecoder());
        ch.writeInbound(bytes("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n"));
        ch.finish();
        assertEquals(101, assertInstanceOf(SseStatusException.class, ends.ends.get(0)).status().code());
    }

    @Test
    void chunkSizeThatIsNotOneIsAMalformedResponseNotAnEarlyClose() {
        EmbeddedChannel ch = channel(new SseDecoder());
        ch.writeInbound(bytes(LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk("data: a\n\n")
                + "ffffffffffffffff\r\ndata: b\n\n\r\n"));
        assertEquals(List.of("message|a|"), ends.events);
        SseMalformedResponseException error = assertInstanceOf(SseMalformedResponseException.class, ends.ends.get(0));
        assertEquals(1, error.events());
        assertTrue(!ch.isOpen(), "a response that cannot be read on is closed");
        ch.finish();
        assertEquals(1, ends.ends.size());
    }

    @Test
    void gzipBodyThatDoesNotInflateIsAMalformedResponse() {
        EmbeddedChannel ch = channel(new SseDecoder());
        byte[] gz = SseDecompressorTest.gzip("data: a\n\ndata: b\n\n".getBytes(StandardCharsets.UTF_8));
        gz[gz.length - 1] ^= 1; // the trailer's size no longer matches
        ByteBuf wire = Unpooled.wrappedBuffer(bytes("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                + "content-encoding: gzip\r\ncontent-length: " + gz.length + "\r\n\r\n"), Unpooled.wrappedBuffer(gz));
        ch.writeInbound(wire);
        assertEquals(List.of("message|a|", "message|b|"), ends.events, "the events before the fault are delivered");
        assertInstanceOf(SseMalformedResponseException.class, ends.ends.get(0));
        ch.finish();
    }

    @Test
    void bodyInACodingNobodyDecodedIsRefused() {
        EmbeddedChannel ch = channel(new SseDecoder());
        ch.writeInbound(bytes("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: br\r\n"
                + "content-length: 4\r\n\r\n\u0001\u0002\u0003\u0004"));
        SseContentTypeException error = assertInstanceOf(SseContentTypeException.class, ends.ends.get(0));
        assertTrue(error.getMessage().contains("content-encoding br"), error.getMessage());
        assertTrue(error.undecodedEncoding(), "the coding, not the type, is the reason");
        assertTrue(ends.events.isEmpty());
        ch.finish();
    }
}

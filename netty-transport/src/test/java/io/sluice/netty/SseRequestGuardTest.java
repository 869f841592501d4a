package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SseRequestGuardTest {
    private static final String GET = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";

    /** The requests an application saw, each released as it arrived. */
    private final List<String> seen = new ArrayList<>();

    private final ChannelHandler application = new ChannelInboundHandlerAdapter() {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest request) {
                seen.add(request.method() + " " + request.uri());
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause); // the aggregator's complaint about a request cut short by our close
        }

        @Override
        public boolean isSharable() {
            return true;
        }
    };
    private final List<Throwable> errors = new ArrayList<>();

    private EmbeddedChannel channel(SseRequestGuard guard, ChannelHandler... after) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new HttpServerCodec(), guard);
        ch.pipeline().addLast(after);
        return ch;
    }

    private static SseRequestGuard guard(int idleSeconds, int requestSeconds) {
        return SseRequestGuard.builder().idleTimeout(Duration.ofSeconds(idleSeconds))
                .requestTimeout(Duration.ofSeconds(requestSeconds)).build();
    }

    private static void send(EmbeddedChannel ch, String bytes) {
        ch.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
    }

    /** Everything written to the client so far, as text; each buffer released. */
    private static String written(EmbeddedChannel ch) {
        StringBuilder out = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            out.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return out.toString();
    }

    private static void advance(EmbeddedChannel ch, long seconds) {
        ch.advanceTimeBy(seconds, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
    }

    @Test
    void aWellFormedRequestPassesOnUnanswered() {
        EmbeddedChannel ch = channel(SseRequestGuard.withDefaults(), application);
        send(ch, GET);
        assertEquals(List.of("GET /events"), seen);
        assertEquals("", written(ch));
        assertTrue(ch.isOpen());
        assertFalse(ch.finishAndReleaseAll());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"header over 8 KiB", "5,000 headers", "bad header name", "transfer-encoding and content-length",
            "request line over 4 KiB", "broken chunk", "no version"})
    void aRequestTheCodecRejectedIsAnswered400AndClosedAndNeverPassedOn(String kind) {
        String request = switch (kind) {
            case "header over 8 KiB" -> "GET / HTTP/1.1\r\nX-Big: " + "a".repeat(9000) + "\r\n\r\n";
            case "5,000 headers" -> "GET / HTTP/1.1\r\n" + "X: y\r\n".repeat(5000) + "\r\n";
            case "bad header name" -> "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n";
            case "transfer-encoding and content-length" ->
                    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n";
            case "request line over 4 KiB" -> "GET /" + "a".repeat(5000) + " HTTP/1.1\r\n\r\n";
            case "broken chunk" -> "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
            case "no version" -> "GET /\r\n\r\n";
            default -> throw new IllegalArgumentException(kind);
        };
        EmbeddedChannel ch = channel(SseRequestGuard.withDefaults(), application);
        send(ch, request);
        assertTrue(written(ch).startsWith("HTTP/1.1 400 Bad Request\r\n"));
        assertFalse(ch.isOpen());
        // A broken chunk comes after a good head: the head was passed on, the failure was not.
        assertTrue(seen.isEmpty() || kind.equals("broken chunk"), seen::toString);
        ch.finishAndReleaseAll();
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/9.9", "HTTP/2.0", "HTTP/0.9"})
    void aMajorVersionOtherThanOneIsAnswered505AndClosed(String version) {
        EmbeddedChannel ch = channel(SseRequestGuard.withDefaults(), application);
        send(ch, "GET / " + version + "\r\nHost: x\r\n\r\n");
        String answer = written(ch);
        assertTrue(answer.startsWith("HTTP/1.1 505 HTTP Version Not Supported\r\n"), answer);
        assertTrue(answer.contains("connection: close\r\n"), answer);
        assertFalse(ch.isOpen());
        assertTrue(seen.isEmpty());
        ch.finishAndReleaseAll();
    }

    @Test
    void aMinorVersionOfOneIsServed() {
        EmbeddedChannel ch = channel(SseRequestGuard.withDefaults(), application);
        send(ch, "GET / HTTP/1.2\r\nHost: x\r\n\r\n");
        assertEquals(List.of("GET /"), seen);
        assertTrue(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void aHeadTrickledPastTheRequestTimeoutIsAnswered408AndClosed() {
        EmbeddedChannel ch = channel(guard(60, 5), application);
        String head = "GET / HTTP/1.1\r\nHost: x\r\n";
        for (int i = 0; i < 4; i++) { // a byte a second: each one is progress, none restarts the clock
            send(ch, head.substring(i, i + 1));
            advance(ch, 1);
        }
        assertTrue(ch.isOpen());
        send(ch, head.substring(4, 5));
        advance(ch, 1);
        assertTrue(written(ch).startsWith("HTTP/1.1 408 Request Timeout\r\n"));
        assertFalse(ch.isOpen());
        assertTrue(seen.isEmpty());
        ch.finishAndReleaseAll();
    }

    @Test
    void aBodyTrickledPastTheRequestTimeoutIsAnswered408() {
        EmbeddedChannel ch = channel(guard(60, 5), new HttpObjectAggregator(1024, true), application);
        send(ch, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
        advance(ch, 5);
        assertTrue(written(ch).startsWith("HTTP/1.1 408 Request Timeout\r\n"));
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAfterTheIdleTimeoutWithoutAnAnswer() {
        EmbeddedChannel ch = channel(guard(3, 60), application);
        advance(ch, 2);
        assertTrue(ch.isOpen());
        advance(ch, 1);
        assertFalse(ch.isOpen());
        assertEquals("", written(ch));
        ch.finishAndReleaseAll();
    }

    @Test
    void zeroTimeoutsMeanNone() {
        EmbeddedChannel ch = channel(guard(0, 0), application);
        advance(ch, 3600);
        send(ch, "GET / HT");
        advance(ch, 3600);
        assertTrue(ch.isOpen());
        assertEquals("", written(ch));
        ch.finishAndReleaseAll();
    }

    @Test
    void anEventStreamIsNeverTimed() {
        SseEmitter[] emitter = new SseEmitter[1];
        EmbeddedChannel ch = channel(guard(2, 2), new SseResponder(Duration.ZERO, e -> emitter[0] = e));
        send(ch, GET);
        assertTrue(written(ch).startsWith("HTTP/1.1 200 OK\r\n"));
        advance(ch, 3600);
        assertTrue(ch.isOpen());
        emitter[0].event(null, "still here", null);
        ch.runPendingTasks();
        assertTrue(written(ch).contains("data: still here\n"));
        ch.finishAndReleaseAll();
    }

    @Test
    void aKeptAliveConnectionIsTimedIdleAgainAfterItsResponse() {
        ChannelHandler answerEach = new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof LastHttpContent) {
                    FullHttpResponse ok = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
                    HttpUtil.setKeepAlive(ok, true);
                    ctx.writeAndFlush(ok);
                }
                ReferenceCountUtil.release(msg);
            }
        };
        EmbeddedChannel ch = channel(guard(3, 60), answerEach);
        advance(ch, 2);
        send(ch, GET);
        advance(ch, 2); // 4 s since connecting, 2 s since the response: still within the idle timeout
        assertTrue(ch.isOpen());
        send(ch, GET);
        assertEquals(2, written(ch).split("204 No Content").length - 1);
        advance(ch, 3);
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void aConnectionPastTheMaximumIsAnswered503WithoutItsRequestBeingRead() {
        SseRequestGuard guard = SseRequestGuard.builder().maxConnections(1).build();
        EmbeddedChannel first = channel(guard, application);
        EmbeddedChannel second = channel(guard, application);
        assertTrue(written(second).startsWith("HTTP/1.1 503 Service Unavailable\r\n"));
        assertFalse(second.isOpen());
        assertEquals(1, guard.connections());
        send(first, GET);
        assertEquals(List.of("GET /events"), seen);

        first.finishAndReleaseAll();
        assertEquals(0, guard.connections());
        EmbeddedChannel third = channel(guard, application);
        assertTrue(third.isOpen());
        assertEquals("", written(third));
        third.finishAndReleaseAll();
        second.finishAndReleaseAll();
    }

    @Test
    void aFailureAfterTheAnswerBeganOnlyCloses() {
        EmbeddedChannel ch = channel(SseRequestGuard.withDefaults(), new SseResponder(Duration.ZERO, e -> { }));
        send(ch, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        assertTrue(written(ch).startsWith("HTTP/1.1 200 OK\r\n"));
        send(ch, "zz\r\n");
        assertFalse(ch.isOpen());
        assertFalse(written(ch).contains("400"));
        ch.finishAndReleaseAll();
    }

    @Test
    void aRejectedRequestThatReachesTheResponderWithoutAGuardIsAnswered400() {
        int[] streams = {0};
        EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(), new SseResponder(Duration.ZERO, e -> streams[0]++));
        send(ch, "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n");
        assertTrue(written(ch).startsWith("HTTP/1.1 400 Bad Request\r\n"));
        assertFalse(ch.isOpen());
        assertEquals(0, streams[0]);
        ch.finishAndReleaseAll();
    }

    @Test
    void negativeBoundsAreRefusedWhenSet() {
        assertThrows(IllegalArgumentException.class, () -> SseRequestGuard.builder().requestTimeout(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> SseRequestGuard.builder().idleTimeout(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> SseRequestGuard.builder().maxConnections(-1));
    }
}

package io.sluice.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.sluice.netty.LoopbackServer.SSE_HEADERS_CHUNKED;
import static io.sluice.netty.LoopbackServer.chunk;
import static io.sluice.netty.LoopbackServer.writeAndClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 19 item 3: what an {@link SseObserver} is told of a client stream and of a relayed one, and in which order. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SseObserverTest {
    private static final EventLoopGroup group = TestLoops.nio(2);
    @RegisterExtension
    static final AfterAllCallback SHUT_DOWN = TestLoops.shutDownAfterAll(group);

    private static final String STREAM = "event: message_start\ndata: {}\n\n"
            + "event: content_block_delta\ndata: hello\n\n"
            + "event: message_stop\ndata: {}\n\n";

    /** Writes each call down as a word, and the relay's outcome. */
    private static final class Calls implements SseObserver {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final CompletableFuture<Object> end = new CompletableFuture<>();
        final List<Long> streamBytes = new CopyOnWriteArrayList<>();

        @Override
        public SseObservation clientStream(SseRequest request) {
            calls.add("client " + request.uri().getPath());
            return observation();
        }

        @Override
        public SseObservation relayedStream(HttpRequest request) {
            calls.add("relay " + request.uri());
            return observation();
        }

        private SseObservation observation() {
            return new SseObservation() {
                @Override
                public void head(int status) {
                    calls.add("head " + status);
                }

                @Override
                public void event(SseEvent event, long bytes) {
                    calls.add("event " + event.type());
                    streamBytes.add(bytes);
                }

                @Override
                public void firstContent() {
                    calls.add("first content");
                }

                @Override
                public void ended(String end, long events, long bytes, SseException error) {
                    calls.add("ended " + end + " " + events + " " + bytes);
                    SseObserverTest.Calls.this.end.complete(error == null ? "ok" : error);
                }

                @Override
                public void ended(SseRelay.Outcome outcome) {
                    calls.add("ended " + outcome.end() + " " + outcome.events() + " attempts " + outcome.attempts().size());
                    SseObserverTest.Calls.this.end.complete(outcome);
                }
            };
        }
    }

    @Test
    void aClientStreamIsObservedFromItsHeadThroughEachEventToOneEndWithItsTotals() throws Exception {
        Calls observer = new Calls();
        try (LoopbackServer server = LoopbackServer.start(group, (ch, request) -> writeAndClose(ch,
                SSE_HEADERS_CHUNKED + chunk(STREAM) + "0\r\n\r\n"));
             SseClient client = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).observer(observer).build()) {
            Recorder recorder = new Recorder();
            SseStream stream = client.open(SseRequest.get(server.uri("/events")), recorder);
            assertEquals(null, recorder.awaitEnd());
            assertEquals("ok", observer.end.get(10, TimeUnit.SECONDS));
            assertEquals(List.of("client /events", "head 200", "event message_start", "event content_block_delta",
                    "event message_stop", "ended ok 3 " + STREAM.length()), observer.calls);
            assertEquals(STREAM.length(), stream.bytesAtEnd());
            long previous = 0;
            for (long bytes : observer.streamBytes) {
                assertTrue(bytes >= previous && bytes <= STREAM.length(), observer.streamBytes::toString);
                previous = bytes;
            }
        }
    }

    @Test
    void aRefusedClientStreamEndsWithItsErrorTypeAndNoHead() throws Exception {
        Calls observer = new Calls();
        try (LoopbackServer server = LoopbackServer.start(group, (ch, request) -> writeAndClose(ch,
                "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n"));
             SseClient client = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).observer(observer).build()) {
            client.open(SseRequest.get(server.uri("/busy")), new Recorder());
            SseException error = assertInstanceOf(SseException.class, observer.end.get(10, TimeUnit.SECONDS));
            // A plain listener's stream has no head for a refusal: the status is the error's.
            assertEquals(List.of("client /busy", "ended " + error.errorType() + " 0 0"), observer.calls);
            assertEquals(503, ((SseResponseException) error).status().code());
        }
    }

    @Test
    void aRelayedStreamIsToldItsFirstContentByTheRetryPolicyAndEndsWithTheOutcome() throws Exception {
        Calls observer = new Calls();
        SseRelayRetry contentAfterStart = SseRelayRetry.builder()
                .content(event -> !event.type().equals("message_start")).build();
        URI closedPort;
        try (LoopbackServer gone = LoopbackServer.start(group, (ch, request) -> { })) {
            closedPort = gone.uri("/a");
        }
        try (LoopbackServer b = LoopbackServer.start(group, (ch, request) -> writeAndClose(ch,
                SSE_HEADERS_CHUNKED + chunk(STREAM) + "0\r\n\r\n"));
             SseClient upstream = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).build();
             SseClient downstream = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).build()) {
            SseRelay relay = SseRelay.builder(upstream, request -> SseRequest.get(closedPort))
                    .fallback(request -> SseRequest.get(b.uri("/b")))
                    .heartbeat(Duration.ZERO).retry(contentAfterStart).observer(observer).build();
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16), relay);
                        }
                    })
                    .bind("127.0.0.1", 0).syncUninterruptibly().channel();
            try {
                Recorder client = new Recorder();
                downstream.open(SseRequest.get(URI.create("http://127.0.0.1:"
                        + ((InetSocketAddress) server.localAddress()).getPort() + "/v1/messages")), client);
                assertEquals(null, client.awaitEnd());
                SseRelay.Outcome outcome = assertInstanceOf(SseRelay.Outcome.class, observer.end.get(10, TimeUnit.SECONDS));
                assertEquals(List.of("relay /v1/messages", "head 200", "event message_start", "first content",
                        "event content_block_delta", "event message_stop", "ended ok 3 attempts 2"), observer.calls);
                assertEquals(List.of("upstream_unreachable", "ok"), outcome.attempts().stream().map(attempt -> attempt.end().wireName()).toList());
                assertEquals(outcome.bytes(), observer.streamBytes.get(observer.streamBytes.size() - 1),
                        "the last event's byte count is what the relay wrote in all");
            } finally {
                server.close().syncUninterruptibly();
            }
        }
    }
}

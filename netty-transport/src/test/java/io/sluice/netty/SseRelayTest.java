package io.sluice.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.SseHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static io.sluice.netty.LoopbackServer.SSE_HEADERS_CHUNKED;
import static io.sluice.netty.LoopbackServer.chunk;
import static io.sluice.netty.LoopbackServer.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SseRelayTest {
    @RegisterExtension
    static final RelayFixture RELAYS = new RelayFixture();
    private static final EventLoopGroup group = RELAYS.group;
    private static final SseClient upstreamClient = RELAYS.upstreamClient;
    private static final SseClient downstreamClient = RELAYS.downstreamClient;

    private final BlockingQueue<SseRelay.Outcome> outcomes = RELAYS.outcomes;

    /** Starts a relay on loopback whose every request opens {@code upstream} with the request's method and body. */
    private URI relayTo(URI upstream) {
        return relayWith(upstreamClient, request -> {
            byte[] body = new byte[request.content().readableBytes()];
            request.content().getBytes(request.content().readerIndex(), body);
            return SseRequest.get(upstream).withMethod(request.method().name()).withBody(body);
        });
    }

    private URI relayWith(SseClient client, Function<FullHttpRequest, SseRequest> upstream) {
        return serve(SseRelay.builder(client, upstream).heartbeat(Duration.ZERO).onDone(outcomes::add).build());
    }

    /** Binds a relay server on loopback: {@code first} (if any), the codec, an aggregator and {@code handler}. */
    private URI serve(SseRelay handler, ChannelHandler... first) {
        return RELAYS.serve(handler, "/relay", first);
    }

    @Test
    void eachEventReachesTheClientBeforeTheUpstreamSendsTheNext() throws Exception {
        // The upstream holds its second event until the client has the first: a relay that buffered
        // (until a size, a count or the end) would deadlock here and time out.
        CompletableFuture<Void> firstArrived = new CompletableFuture<>();
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> {
            write(ch, SSE_HEADERS_CHUNKED + chunk("event: delta\nid: 1\ndata: one\n\n"));
            firstArrived.whenComplete((v, e) -> ch.eventLoop().execute(
                    () -> write(ch, chunk("data: two\ndata: lines\n\n") + "0\r\n\r\n")));
        })) {
            Recorder client = new Recorder() {
                @Override
                public void onEvent(io.sluice.core.SseEvent event) {
                    super.onEvent(event);
                    firstArrived.complete(null);
                }
            };
            downstreamClient.open(SseRequest.get(relayTo(upstream.uri("/v1/stream"))), client);

            assertNull(client.awaitEnd());
            assertEquals(List.of("delta|one|1", "message|two\nlines|1"), client.events);
            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertEquals(200, outcome.upstreamStatus());
            assertEquals(2, outcome.events());
            assertNull(outcome.error());
            assertFalse(outcome.clientGone());
            assertTrue(outcome.firstEventNanos() >= 0 && outcome.firstEventNanos() <= outcome.totalNanos());
        }
    }

    @Test
    void anUpstreamRefusalReachesTheClientWithItsOwnStatusHeadersAndBody() throws Exception {
        String body = "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}";
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: 7\r\n"
                        + "request-id: req_123\r\nanthropic-ratelimit-requests-remaining: 0\r\nconnection: keep-alive\r\n"
                        + "content-length: " + body.length() + "\r\n\r\n" + body))) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.get(relayTo(upstream.uri("/"))), client);

            SseStatusException refused = assertInstanceOf(SseStatusException.class, client.awaitEnd(),
                    "the client sees the upstream's status, not a 200 and an error event");
            assertEquals(429, refused.status().code());
            assertEquals(body, refused.bodyAsString());
            assertEquals("7", refused.headers().get("retry-after"));
            assertEquals("req_123", refused.headers().get("request-id"));
            assertEquals("0", refused.headers().get("anthropic-ratelimit-requests-remaining"));
            assertEquals("application/json", refused.headers().get("content-type"));
            assertNull(refused.headers().get("connection"), "hop-by-hop headers are the relay's own: kept alive, not the upstream's");
            assertEquals(List.of(), client.events);
            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertEquals(429, outcome.upstreamStatus());
            assertEquals(body.length(), outcome.bytes());
            assertEquals(SseRelay.Answer.UPSTREAM_RESPONSE, outcome.answer());
            assertEquals("ok", outcome.end().wireName(), "the relay passed the upstream's answer on whole");
        }
    }

    @Test
    void anUpstreamCutMidStreamEndsWithAnErrorEventAfterTheRelayedOnes() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                SSE_HEADERS_CHUNKED + chunk("data: kept\n\ndata: half"))) ) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.get(relayTo(upstream.uri("/"))), client);

            assertNull(client.awaitEnd());
            assertEquals(2, client.events.size());
            assertEquals("message|kept|", client.events.get(0));
            assertTrue(client.events.get(1).startsWith("error|{\"type\":\"error\",\"error\":{\"type\":\"upstream_closed_early\""),
                    client.events.get(1));
        }
    }

    @Test
    void anAnswerThatIsNotAnEventStreamIsPassedOnAsItCameHoweverLargeAndDecoded() throws Exception {
        // A "stream": false answer of a megabyte, gzip-compressed upstream: the client gets it whole,
        // decoded, with the upstream's status and content type, streamed rather than collected.
        String json = "{\"content\":\"" + "token ".repeat(170_000) + "\"}";
        byte[] gzipped = SseDecompressorTest.gzip(json.getBytes(StandardCharsets.UTF_8));
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> {
            LoopbackServer.write(ch, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n"
                    + "request-id: req_json\r\ncontent-length: " + gzipped.length + "\r\n\r\n");
            LoopbackServer.write(ch, gzipped).addListener(ChannelFutureListener.CLOSE);
        })) {
            java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(relayTo(upstream.uri("/v1/messages"))).timeout(Duration.ofSeconds(20)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());

            assertEquals(200, response.statusCode());
            assertEquals(json, response.body());
            assertEquals("application/json", response.headers().firstValue("content-type").orElse(""));
            assertEquals("req_json", response.headers().firstValue("request-id").orElse(""));
            assertFalse(response.headers().firstValue("content-encoding").isPresent(), "the relay decoded it");
            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertEquals(SseRelay.Answer.UPSTREAM_RESPONSE, outcome.answer());
            assertEquals(json.length(), outcome.bytes());
            assertEquals("ok", outcome.end().wireName());
        }
    }

    @Test
    void aPassedOnAnswerCutByTheUpstreamReachesTheClientCutNotWhole() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"half\":"))) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.get(relayTo(upstream.uri("/"))), client);

            SseException error = client.awaitEnd();
            assertTrue(error instanceof SseContentTypeException || error instanceof SseClosedEarlyException
                    || error instanceof SseMalformedResponseException, String.valueOf(error));
            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertEquals("upstream_closed_early", outcome.end().wireName());
            assertEquals(SseRelay.Answer.UPSTREAM_RESPONSE, outcome.answer());
        }
    }

    @Test
    void anUnreachableUpstreamIsABadGatewayWithTheErrorAsJson() throws Exception {
        URI closedPort;
        try (LoopbackServer gone = LoopbackServer.start(group, (ch, request) -> { })) {
            closedPort = gone.uri("/");
        }
        Recorder client = new Recorder();
        downstreamClient.open(SseRequest.get(relayTo(closedPort)), client);

        SseStatusException refused = assertInstanceOf(SseStatusException.class, client.awaitEnd());
        assertEquals(502, refused.status().code());
        assertEquals("application/json", refused.headers().get("content-type"));
        assertTrue(refused.bodyAsString().startsWith("{\"type\":\"error\",\"error\":{\"type\":\"upstream_unreachable\""),
                refused.bodyAsString());
        assertEquals(0, outcomes.poll(10, TimeUnit.SECONDS).upstreamStatus());
    }

    @Test
    void anUpstreamThatNeverAnswersIsAGatewayTimeout() throws Exception {
        try (SseClient impatient = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class)
                .firstByteTimeout(Duration.ofMillis(300)).build();
             LoopbackServer silent = LoopbackServer.start(group, (ch, request) -> { })) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.get(relayWith(impatient, request -> SseRequest.get(silent.uri("/")))), client);

            SseStatusException refused = assertInstanceOf(SseStatusException.class, client.awaitEnd());
            assertEquals(504, refused.status().code());
            assertTrue(refused.bodyAsString().contains("\"type\":\"upstream_timeout\""), refused.bodyAsString());
            assertEquals("upstream_timeout", outcomes.poll(10, TimeUnit.SECONDS).end().wireName());
        }
    }

    @Test
    void anUpstreamMappingThatThrowsIsABadGatewaySayingRelayFailed() throws Exception {
        Recorder client = new Recorder();
        downstreamClient.open(SseRequest.get(relayWith(upstreamClient, request -> {
            throw new IllegalStateException("no route for " + request.uri());
        })), client);

        SseStatusException refused = assertInstanceOf(SseStatusException.class, client.awaitEnd());
        assertEquals(502, refused.status().code());
        assertEquals("{\"type\":\"error\",\"error\":{\"type\":\"relay_failed\","
                + "\"message\":\"cannot open the upstream: no route for /relay\"}}", refused.bodyAsString());
        assertEquals("relay_failed", outcomes.poll(10, TimeUnit.SECONDS).end().wireName());
    }

    @Test
    void aClientOnAnotherGroupIsABadGatewayNotAHang() throws Exception {
        try (SseClient elsewhere = SseClient.builder().threads(1).build()) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.get(relayWith(elsewhere, request -> SseRequest.get(URI.create("http://127.0.0.1:9/")))),
                    client);

            SseStatusException refused = assertInstanceOf(SseStatusException.class, client.awaitEnd());
            assertEquals(502, refused.status().code());
            assertTrue(refused.bodyAsString().contains("\"type\":\"relay_failed\""), refused.bodyAsString());
        }
    }

    @Test
    void theUpstreamsResponseHeadersReachTheClientUnderTheRelaysFraming() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n"
                        + "connection: keep-alive, x-hop\r\nx-hop: 1\r\nkeep-alive: timeout=5\r\nrequest-id: req_9\r\n"
                        + "openai-processing-ms: 12\r\nx-ratelimit-remaining-tokens: 99\r\n\r\n"
                        + chunk("data: one\n\n") + "0\r\n\r\n"))) {
            io.netty.handler.codec.http.HttpHeaders[] seen = new io.netty.handler.codec.http.HttpHeaders[1];
            Recorder client = new Recorder() {
                @Override
                public void onOpen(io.netty.handler.codec.http.HttpResponseStatus status, io.netty.handler.codec.http.HttpHeaders headers) {
                    seen[0] = headers.copy();
                }
            };
            downstreamClient.open(SseRequest.get(relayTo(upstream.uri("/"))), client);

            assertNull(client.awaitEnd());
            assertEquals(List.of("message|one|"), client.events);
            io.netty.handler.codec.http.HttpHeaders headers = seen[0];
            assertEquals("req_9", headers.get("request-id"));
            assertEquals("12", headers.get("openai-processing-ms"));
            assertEquals("99", headers.get("x-ratelimit-remaining-tokens"));
            assertEquals("text/event-stream; charset=utf-8", headers.get("content-type"));
            assertNull(headers.get("connection"), "the relay's own framing: kept alive, not the upstream's close");
            assertNull(headers.get("x-hop"), "named by the upstream's connection header: hop-by-hop");
            assertNull(headers.get("keep-alive"));
        }
    }

    @Test
    void theClientsRequestHeadersGoUpstreamUnderTheMappingsOwnAndWithoutHopByHopOnes() throws Exception {
        CompletableFuture<String> received = new CompletableFuture<>();
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> {
            received.complete(request.headers().toString());
            LoopbackServer.writeAndClose(ch, SSE_HEADERS_CHUNKED + "0\r\n\r\n");
        })) {
            URI relayUri = relayWith(upstreamClient, request -> SseRequest.get(upstream.uri("/")).withHeader("x-api-key", "relays-own"));
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.get(relayUri).withHeader("x-custom", "a").withHeader("x-api-key", "clients")
                    .withHeader("anthropic-version", "2023-06-01").withHeader("connection", "x-hop").withHeader("x-hop", "1")
                    .withHeader("accept-encoding", "br"), client);

            assertNull(client.awaitEnd());
            String headers = received.get(10, TimeUnit.SECONDS).toLowerCase(java.util.Locale.ROOT);
            assertTrue(headers.contains("x-custom: a"), headers);
            assertTrue(headers.contains("anthropic-version: 2023-06-01"), headers);
            assertTrue(headers.contains("x-api-key: relays-own") && !headers.contains("x-api-key: clients"),
                    "the mapping's own header wins: " + headers);
            assertFalse(headers.contains("x-hop"), headers);
            assertTrue(headers.contains("accept-encoding: gzip,deflate") || headers.contains("accept-encoding: gzip, deflate"),
                    "the relay asks for what it decodes, not the client's coding: " + headers);
        }
    }

    @Test
    void aPolicyThatDropsCredentialsKeepsTheClientsKeyFromTheUpstream() throws Exception {
        CompletableFuture<String> received = new CompletableFuture<>();
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> {
            received.complete(request.headers().toString());
            LoopbackServer.writeAndClose(ch, SSE_HEADERS_CHUNKED + "0\r\n\r\n");
        })) {
            URI relayUri = serve(SseRelay.builder(upstreamClient, request -> SseRequest.get(upstream.uri("/")))
                    .headerPolicy(SseHeaderPolicy.DEFAULT.dropping(SseHeaderPolicy.CREDENTIALS))
                    .heartbeat(Duration.ZERO).onDone(outcomes::add).build());
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.get(relayUri).withHeader("authorization", "Bearer client")
                    .withHeader("x-goog-api-key", "k").withHeader("x-custom", "a"), client);

            assertNull(client.awaitEnd());
            String headers = received.get(10, TimeUnit.SECONDS).toLowerCase(java.util.Locale.ROOT);
            assertFalse(headers.contains("authorization") || headers.contains("x-goog-api-key"), headers);
            assertTrue(headers.contains("x-custom: a"), headers);
        }
    }

    @Test
    void aClientThatLeavesCancelsTheUpstreamRequest() throws Exception {
        CompletableFuture<Channel> upstreamConnection = new CompletableFuture<>();
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> {
            write(ch, SSE_HEADERS_CHUNKED + chunk("data: first\n\n"));
            upstreamConnection.complete(ch); // and never ends: only the relay's cancel closes it
        })) {
            CompletableFuture<Void> first = new CompletableFuture<>();
            SseStream stream = downstreamClient.open(SseRequest.get(relayTo(upstream.uri("/"))), event -> first.complete(null));
            first.get(10, TimeUnit.SECONDS);
            stream.cancel();

            upstreamConnection.get(10, TimeUnit.SECONDS).closeFuture().await(10, TimeUnit.SECONDS);
            assertFalse(upstreamConnection.get().isActive(), "the upstream connection is closed");
            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertTrue(outcome.clientGone());
            assertNull(outcome.error());
            assertEquals(1, outcome.events());
        }
    }

    @Test
    void aPostBodyAndMethodReachTheUpstream() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\ndata: ok\n\n"))) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.postJson(relayTo(upstream.uri("/v1/messages")), "{\"stream\":true}"), client);

            assertNull(client.awaitEnd());
            assertEquals(List.of("message|ok|"), client.events);
            String seen = upstream.requests.peek();
            assertTrue(seen.startsWith("POST /v1/messages\n"), seen);
            assertTrue(seen.endsWith("\n{\"stream\":true}"), seen);
        }
    }

    @Test
    void aMalformedRequestIsAnswered400AndOpensNoUpstream() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> { })) {
            URI relayUri = relayTo(upstream.uri("/"));
            try (Socket socket = new Socket(relayUri.getHost(), relayUri.getPort())) {
                socket.getOutputStream().write("GET /x HTTP/1.1\r\nno colon here\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(response.startsWith("HTTP/1.1 400 Bad Request\r\n"), response);
            }
            assertTrue(upstream.connections.isEmpty());
            assertNull(outcomes.poll(200, TimeUnit.MILLISECONDS));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void theEventsOfOneUpstreamReadLeaveInOneFlushUnlessConsolidationIsOff(boolean consolidate) throws Exception {
        String twenty = "data: x\n\n".repeat(20);
        AtomicInteger socketFlushes = new AtomicInteger();
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                SSE_HEADERS_CHUNKED + chunk(twenty) + "0\r\n\r\n"))) {
            SseRelay handler = SseRelay.builder(upstreamClient, request -> SseRequest.get(upstream.uri("/")))
                    .heartbeat(Duration.ZERO)
                    .consolidateFlushes(consolidate)
                    .build();
            String body = rawBody(serve(handler, new ChannelOutboundHandlerAdapter() { // what reaches the socket
                @Override
                public void flush(ChannelHandlerContext ctx) {
                    socketFlushes.incrementAndGet();
                    ctx.flush();
                }
            }));

            assertEquals(twenty, body);
            // Head, events, end: a handful of turns when consolidated; one flush an event (and more) when not.
            assertTrue(consolidate ? socketFlushes.get() <= 5 : socketFlushes.get() >= 22, "socket flushes: " + socketFlushes);
        }
    }

    /** A tap that records what it is told as "type|data", "retry N", "end N" or "error Class". */
    private static final class Tap implements SseHandler {
        final List<String> seen = new CopyOnWriteArrayList<>();
        private final int failAt;

        Tap(int failAt) {
            this.failAt = failAt;
        }

        @Override
        public void onEvent(SseEvent event) {
            if (seen.size() == failAt) {
                throw new IllegalStateException("tap failed at " + failAt);
            }
            seen.add(event.type() + "|" + event.dataAsString());
        }

        @Override
        public void onRetry(long millis) {
            seen.add("retry " + millis);
        }

        @Override
        public void onError(SseException error) {
            seen.add("error " + error.getClass().getSimpleName());
        }

        @Override
        public void onEnd(long incompleteTailBytes) {
            seen.add("end " + incompleteTailBytes);
        }
    }

    private URI relayTapped(URI upstream, Tap tap) {
        return serve(SseRelay.builder(upstreamClient, request -> SseRequest.get(upstream))
                .heartbeat(Duration.ZERO).tap(request -> tap).onDone(outcomes::add).build());
    }

    @Test
    void aTapHearsEveryEventAndRetryThenOneEndAndComesBackInTheOutcome() throws Exception {
        Tap tap = new Tap(-1);
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                SSE_HEADERS_CHUNKED + chunk("retry: 500\nevent: delta\ndata: a\n\ndata: b\n\n") + "0\r\n\r\n"))) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.get(relayTapped(upstream.uri("/"), tap)), client);

            assertNull(client.awaitEnd());
            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertEquals(List.of("retry 500", "delta|a", "message|b", "end 0"), tap.seen);
            assertSame(tap, outcome.tap());
            assertNull(outcome.tapFailure());
        }
    }

    @Test
    void aTapThatThrowsStopsHearingButTheStreamGoesOnWhole() throws Exception {
        Tap tap = new Tap(1);
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                SSE_HEADERS_CHUNKED + chunk("data: a\n\ndata: b\n\ndata: c\n\n") + "0\r\n\r\n"))) {
            Recorder client = new Recorder();
            downstreamClient.open(SseRequest.get(relayTapped(upstream.uri("/"), tap)), client);

            assertNull(client.awaitEnd());
            assertEquals(List.of("message|a|", "message|b|", "message|c|"), client.events);
            SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
            assertEquals(List.of("message|a"), tap.seen, "nothing after the throw, not even the end");
            assertEquals("tap failed at 1", outcome.tapFailure().getMessage());
            assertEquals("ok", outcome.end().wireName());
        }
    }

    @Test
    void aTapHearsTheCancelWhenTheClientLeaves() throws Exception {
        Tap tap = new Tap(-1);
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> write(ch,
                SSE_HEADERS_CHUNKED + chunk("data: first\n\n")))) {
            CompletableFuture<Void> first = new CompletableFuture<>();
            SseStream stream = downstreamClient.open(SseRequest.get(relayTapped(upstream.uri("/"), tap)),
                    event -> first.complete(null));
            first.get(10, TimeUnit.SECONDS);
            stream.cancel();

            assertTrue(outcomes.poll(10, TimeUnit.SECONDS).clientGone());
            assertEquals(List.of("message|first", "error SseCancelledException"), tap.seen);
        }
    }

    @Test
    void idLinesAreRelayedOnlyWhenTheIdChanges() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                SSE_HEADERS_CHUNKED + chunk("id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n") + "0\r\n\r\n"))) {
            String body = rawBody(relayTo(upstream.uri("/")));
            assertEquals("id: 7\ndata: a\n\ndata: b\n\nid: \ndata: c\n\n", body);
        }
    }

    @Test
    void anHttp10ClientGetsTheRelayedEventsUnframedUntilEof() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                SSE_HEADERS_CHUNKED + chunk("id: 7\ndata: a\n\n") + chunk("event: delta\ndata: b\n\n") + "0\r\n\r\n"))) {
            URI relayUri = relayTo(upstream.uri("/"));
            String response;
            try (Socket socket = new Socket(relayUri.getHost(), relayUri.getPort())) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write("GET /relay HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            }

            assertEquals("HTTP/1.0 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\n"
                    + "x-accel-buffering: no\r\nconnection: close\r\n\r\n"
                    + "id: 7\ndata: a\n\nevent: delta\ndata: b\n\n", response, "no transfer-encoding and no chunk framing");
            assertEquals("ok", outcomes.poll(10, TimeUnit.SECONDS).end().wireName());
            assertTrue(upstream.requests.peek().startsWith("GET /\n"), "the upstream request is the relay's own");
        }
    }

    /** The downstream response's body, de-chunked, read with a plain socket (no SSE parsing in the way). */
    private static String rawBody(URI uri) throws Exception {
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + uri.getPath() + " HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String response = all.toString(StandardCharsets.UTF_8);
            String chunked = response.substring(response.indexOf("\r\n\r\n") + 4);
            StringBuilder body = new StringBuilder();
            int at = 0;
            while (true) {
                int lineEnd = chunked.indexOf("\r\n", at);
                int size = Integer.parseInt(chunked.substring(at, lineEnd), 16);
                if (size == 0) {
                    return body.toString();
                }
                body.append(chunked, lineEnd + 2, lineEnd + 2 + size);
                at = lineEnd + 2 + size + 2;
            }
        }
    }
}

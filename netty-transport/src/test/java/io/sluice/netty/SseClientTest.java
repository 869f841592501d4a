package io.sluice.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.SseHandler;
import io.sluice.core.handoff.OwnedSseEvent;
import io.sluice.core.handoff.SseEventQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

import static io.sluice.netty.LoopbackServer.SSE_HEADERS_CHUNKED;
import static io.sluice.netty.LoopbackServer.SSE_HEADERS_CLOSE;
import static io.sluice.netty.LoopbackServer.chunk;
import static io.sluice.netty.LoopbackServer.write;
import static io.sluice.netty.LoopbackServer.writeAndClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The client against real Netty servers on 127.0.0.1. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SseClientTest {
    private static EventLoopGroup serverGroup;

    @BeforeAll
    static void startServerGroup() {
        serverGroup = TestLoops.nio(2);
    }

    @AfterAll
    static void stopServerGroup() {
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Collects a listener stream's events as "type|data|id" and its end. */
    private static SseClient.Builder client() {
        return SseClient.builder().threads(1);
    }

    @Test
    void eventsSplitAtEveryByteBoundaryByTheServerArriveWhole() throws Exception {
        String body = "event: delta\ndata: {\"text\":\"h\u00e9llo\"}\nid: 1\n\r\ndata: two\rdata: lines\r\n\n: note\nretry: 5\n\n";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        List<String> expected = List.of("delta|{\"text\":\"h\u00e9llo\"}|1", "message|two\nlines|1");
        try (SseClient client = client().build();
             LoopbackServer server = LoopbackServer.start(serverGroup, (ch, request) -> {
                 int cut = Integer.parseInt(request.uri().substring(1));
                 write(ch, SSE_HEADERS_CLOSE);
                 write(ch, java.util.Arrays.copyOf(bytes, cut));
                 // A pause, so the client reads the two parts separately rather than coalesced.
                 ch.eventLoop().schedule(() -> {
                     write(ch, java.util.Arrays.copyOfRange(bytes, cut, bytes.length)).addListener(ChannelFutureListener.CLOSE);
                 }, 2, TimeUnit.MILLISECONDS);
             })) {
            for (int cut = 0; cut <= bytes.length; cut++) {
                Recorder recorder = new Recorder();
                client.open(SseRequest.get(server.uri("/" + cut)), recorder);
                assertEquals(null, recorder.awaitEnd(), "cut at " + cut);
                assertEquals(expected, recorder.events, "cut at " + cut);
                assertEquals(List.of(5L), recorder.retries, "cut at " + cut);
            }
        }
    }

    @Test
    void slowConsumerKeepsTheBacklogBoundedTogglesAutoReadAndLosesNothing() throws Exception {
        int count = 20_000;
        String padding = "x".repeat(80);
        try (LoopbackServer server = LoopbackServer.start(serverGroup, (ch, request) -> {
                 StringBuilder all = new StringBuilder(SSE_HEADERS_CLOSE);
                 for (int i = 0; i < count; i++) {
                     all.append("id: ").append(i).append("\ndata: ").append(padding).append('\n').append('\n');
                 }
                 writeAndClose(ch, all.toString());
             });
             SseClient client = client().waterMarks(64, 16).build()) {
            SseStream stream = client.openQueue(SseRequest.get(server.uri("/slow")));
            SseEventQueue queue = stream.queue();
            int next = 0;
            int maxQueued = 0;
            boolean sawPaused = false;
            while (true) {
                OwnedSseEvent event = queue.take(10, TimeUnit.SECONDS);
                if (event == null) {
                    break;
                }
                try {
                    assertEquals(String.valueOf(next), event.lastEventId());
                    assertEquals(padding, event.dataAsString());
                } finally {
                    event.release();
                }
                next++;
                maxQueued = Math.max(maxQueued, queue.size());
                sawPaused |= queue.isPaused();
                if (next % 500 == 0) {
                    Thread.sleep(5); // slower than the loopback by far
                }
            }
            assertTrue(queue.isDone(), "timed out after " + next + " events");
            assertEquals(null, queue.failure());
            assertEquals(count, next);
            assertTrue(sawPaused, "autoRead was never turned off");
            assertTrue(maxQueued <= 64, "queue held " + maxQueued);
            // After autoRead goes off, only the read in progress may still arrive: one buffer of at most 64 KiB.
            int perRead = 65536 / (padding.length() + 10) + 1;
            assertTrue(queue.peakBacklog() <= 64 + perRead, "backlog peaked at " + queue.peakBacklog());
        }
    }

    @Test
    void cleanEndLeavesTheStreamsEventAndByteCountsForTheConsumer() throws Exception {
        String body = "data: a\n\n: note\nevent: x\ndata: bb\n\n";
        try (SseClient client = client().build();
             LoopbackServer server = LoopbackServer.start(serverGroup, (ch, request) -> writeAndClose(ch, SSE_HEADERS_CLOSE + body));
             SseStream stream = client.openQueue(SseRequest.get(server.uri("/")))) {
            assertEquals(0, stream.eventsAtEnd());
            SseEventQueue queue = stream.queue();
            OwnedSseEvent event;
            while ((event = queue.take(10, TimeUnit.SECONDS)) != null) {
                event.release();
            }
            assertTrue(queue.isDone());
            assertEquals(null, queue.failure());
            assertEquals(2, stream.eventsAtEnd());
            assertEquals(body.length(), stream.bytesAtEnd());
        }
    }

    /** What a parser's handler hears through {@link SseListener#of(SseHandler)}, as "type|data", "retry N", "end N" or "error TYPE". */
    private static final class HandlerRecorder implements SseHandler {
        final List<String> heard = new CopyOnWriteArrayList<>();

        @Override
        public void onEvent(SseEvent event) {
            heard.add(event.type() + "|" + event.dataAsString());
        }

        @Override
        public void onRetry(long millis) {
            heard.add("retry " + millis);
        }

        @Override
        public void onEnd(long incompleteTailBytes) {
            heard.add("end " + incompleteTailBytes);
        }

        @Override
        public void onError(SseException error) {
            heard.add("error " + error.errorType());
            throw error; // as SseHandler's default does: the stream is over, so it is dropped
        }
    }

    @Test
    void aParsersHandlerHearsTheStreamsEventsAndItsEndThroughSseListenerOf() throws Exception {
        try (SseClient client = client().build();
             LoopbackServer server = LoopbackServer.start(serverGroup,
                     (ch, request) -> writeAndClose(ch, SSE_HEADERS_CLOSE + "retry: 7\ndata: a\n\nevent: b\ndata: c\n\n"))) {
            HandlerRecorder handler = new HandlerRecorder();
            client.open(SseRequest.get(server.uri("/")), SseListener.of(handler)).done().toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals(List.of("retry 7", "message|a", "b|c", "end 0"), handler.heard);
        }
    }

    @Test
    void aParsersHandlerHearsACutStreamAsItsTypedErrorAndItsRethrowIsDropped() throws Exception {
        try (SseClient client = client().build();
             LoopbackServer server = LoopbackServer.start(serverGroup,
                     (ch, request) -> writeAndClose(ch, SSE_HEADERS_CLOSE + "data: a\n\ndata: cu"))) {
            HandlerRecorder handler = new HandlerRecorder();
            SseStream stream = client.open(SseRequest.get(server.uri("/")), SseListener.of(handler));
            ExecutionException failed = assertThrows(ExecutionException.class,
                    () -> stream.done().toCompletableFuture().get(30, TimeUnit.SECONDS));
            SseClosedEarlyException error = assertInstanceOf(SseClosedEarlyException.class, failed.getCause());
            assertEquals(0, error.getSuppressed().length, "the handler's rethrow of the stream's own error is not a second failure");
            assertEquals(List.of("message|a", "error upstream_closed_early"), handler.heard);
        }
    }

    /** This process's open file descriptors: each event loop of a group holds a selector's. */
    private static long openFileDescriptors() {
        return ((com.sun.management.UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getOpenFileDescriptorCount();
    }

    @Test
    void aClientThatCannotBeBuiltLeavesNoEventLoopGroupBehind(@TempDir Path dir) {
        long before = openFileDescriptors();
        int builds = 40;
        for (int i = 0; i < builds; i++) {
            // Each fails after the builder's own checks: one opening the capture file, one sizing the pool.
            assertThrows(UncheckedIOException.class,
                    () -> client().capture(dir.resolve("missing").resolve("capture.pcap")).build());
            assertThrows(ArithmeticException.class,
                    () -> client().connectionPool(1, Duration.ofSeconds(Long.MAX_VALUE)).build());
        }
        long leaked = openFileDescriptors() - before;
        // A group of one loop holds at least one descriptor (its selector), so 80 leaked groups hold 80 or more.
        assertTrue(leaked < builds, leaked + " descriptors more after " + 2 * builds + " failed builds");
    }

    @Test
    void builderArgumentsAreCheckedWhereTheyAreGiven() {
        assertThrows(IllegalArgumentException.class, () -> SseClient.builder().idleTimeout(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> SseClient.builder().connectTimeout(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> SseClient.builder().firstByteTimeout(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> SseClient.builder().threads(-1));
        assertThrows(NullPointerException.class, () -> SseClient.builder().idleTimeout(null));
        assertThrows(NullPointerException.class, () -> SseClient.builder().decoderSettings(null));
    }

    @Test
    void serverClosingMidEventEndsWithClosedEarlyCarryingEventsBytesAndTheCutTail() throws Exception {
        String body = "data: a\n\ndata: b\n\ndata: cu";
        try (SseClient client = client().build();
             LoopbackServer server = LoopbackServer.start(serverGroup, (ch, request) -> writeAndClose(ch, SSE_HEADERS_CLOSE + body))) {
            Recorder recorder = new Recorder();
            client.open(SseRequest.get(server.uri("/")), recorder);
            SseClosedEarlyException error = assertInstanceOf(SseClosedEarlyException.class, recorder.awaitEnd());
            assertEquals(List.of("message|a|", "message|b|"), recorder.events);
            assertEquals(2, error.events());
            assertEquals(body.length(), error.bytes());
            assertTrue(error.tailCut());
            assertEquals("data: cu".length(), error.incompleteTailBytes());
        }
    }

    @Test
    void chunkedResponseDroppedBetweenEventsIsClosedEarlyWithoutACutTail() throws Exception {
        try (SseClient client = client().build();
             LoopbackServer server = LoopbackServer.start(serverGroup,
                     (ch, request) -> writeAndClose(ch, SSE_HEADERS_CHUNKED + chunk("data: a\n\n")))) {
            Recorder recorder = new Recorder();
            client.open(SseRequest.get(server.uri("/")), recorder);
            SseClosedEarlyException error = assertInstanceOf(SseClosedEarlyException.class, recorder.awaitEnd());
            assertEquals(1, error.events());
            assertEquals(false, error.tailCut());
        }
    }

    @ParameterizedTest
    @CsvSource({
            "429, Too Many Requests, rate_limit_error, 'Number of request tokens has exceeded your per-minute rate limit'",
            "529, Overloaded, overloaded_error, Overloaded"})
    void nonSuccessStatusIsTypedWithStatusHeadersAndJsonBody(int code, String reason, String type, String message) throws Exception {
        String json = "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + message + "\"}}";
        try (SseClient client = client().build();
             LoopbackServer server = LoopbackServer.start(serverGroup, (ch, request) -> writeAndClose(ch,
                     "HTTP/1.1 " + code + " " + reason + "\r\ncontent-type: application/json\r\nretry-after: 7\r\n"
                             + "content-length: " + json.length() + "\r\n\r\n" + json))) {
            Recorder recorder = new Recorder();
            client.open(SseRequest.postJson(server.uri("/v1/messages"), "{}"), recorder);
            SseStatusException error = assertInstanceOf(SseStatusException.class, recorder.awaitEnd());
            assertEquals(code, error.status().code());
            assertEquals("7", error.headers().get("retry-after"));
            assertEquals(json, error.bodyAsString());
            assertEquals(false, error.bodyTruncated());
            assertTrue(recorder.events.isEmpty());
        }
    }

    @Test
    void errorBodyIsCutAtItsBound() throws Exception {
        String json = "{\"error\":\"" + "e".repeat(1000) + "\"}";
        try (SseClient client = client().decoderSettings(new SseDecoder.Settings(1 << 20, 1 << 20, false, 100)).build();
             LoopbackServer server = LoopbackServer.start(serverGroup, (ch, request) -> writeAndClose(ch,
                     "HTTP/1.1 500 Internal Server Error\r\ncontent-length: " + json.length() + "\r\n\r\n" + json))) {
            Recorder recorder = new Recorder();
            client.open(SseRequest.get(server.uri("/")), recorder);
            SseStatusException error = assertInstanceOf(SseStatusException.class, recorder.awaitEnd());
            assertEquals(100, error.body().length);
            assertEquals(json.length(), error.bodyBytes());
            assertTrue(error.bodyTruncated());
        }
    }

    @Test
    void wrongContentTypeIsTypedWithTheTypeAndBody() throws Exception {
        try (SseClient client = client().build();
             LoopbackServer server = LoopbackServer.start(serverGroup, (ch, request) -> writeAndClose(ch,
                     "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"))) {
            Recorder recorder = new Recorder();
            client.open(SseRequest.get(server.uri("/")), recorder);
            SseContentTypeException error = assertInstanceOf(SseContentTypeException.class, recorder.awaitEnd());
            assertEquals("application/json", error.contentType());
            assertEquals(false, error.undecodedEncoding());
            assertEquals("{}", error.bodyAsString());
        }
    }

    @Test
    void postSendsTheMethodHeadersAndBody() throws Exception {
        try (SseClient client = client().build();
             LoopbackServer server = LoopbackServer.start(serverGroup,
                     (ch, request) -> writeAndClose(ch, SSE_HEADERS_CLOSE + "data: ok\n\n"))) {
            Recorder recorder = new Recorder();
            client.open(SseRequest.postJson(server.uri("/v1/chat?stream=1"), "{\"q\":1}").withHeader("x-api-key", "k1"), recorder);
            assertEquals(null, recorder.awaitEnd());
            String request = server.requests.peek();
            assertTrue(request.startsWith("POST /v1/chat?stream=1\n"), request);
            assertTrue(request.contains("x-api-key: k1"), request);
            assertTrue(request.contains("accept: text/event-stream"), request);
            assertTrue(request.endsWith("\n{\"q\":1}"), request);
        }
    }

    @Test
    void tlsWithATrustedSelfSignedCertificate() throws Exception {
        X509Bundle cert = new CertificateBuilder().subject("CN=localhost").addSanIpAddress("127.0.0.1")
                .setIsCertificateAuthority(true).ecp256().buildSelfSigned();
        SslContext serverTls = SslContextBuilder.forServer(cert.toKeyManagerFactory()).sslProvider(SslProvider.JDK).build();
        try (LoopbackServer server = LoopbackServer.startTls(serverGroup, serverTls,
                     (ch, request) -> writeAndClose(ch, SSE_HEADERS_CLOSE + "data: secret\n\n"));
             SseClient trusting = client().trustManager(cert.toTrustManagerFactory()).build();
             SseClient insecure = client().insecure(true).build();
             SseClient defaultTrust = client().build()) {
            for (SseClient client : List.of(trusting, insecure)) {
                Recorder recorder = new Recorder();
                client.open(SseRequest.get(server.uri("/")), recorder);
                assertEquals(null, recorder.awaitEnd());
                assertEquals(List.of("message|secret|"), recorder.events);
            }
            Recorder refused = new Recorder();
            defaultTrust.open(SseRequest.get(server.uri("/")), refused);
            assertInstanceOf(SseConnectException.class, refused.awaitEnd());
        }
    }

    @Test
    void gzipBodyIsDecompressed() throws Exception {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write("data: squeezed\n\n".repeat(100).getBytes(StandardCharsets.UTF_8));
        }
        try (SseClient client = client().build();
             LoopbackServer server = LoopbackServer.start(serverGroup, (ch, request) -> {
                 write(ch, SSE_HEADERS_CLOSE.replace("\r\n\r\n", "\r\ncontent-encoding: gzip\r\n\r\n"));
                 write(ch, gz.toByteArray()).addListener(ChannelFutureListener.CLOSE);
             })) {
            Recorder recorder = new Recorder();
            client.open(SseRequest.get(server.uri("/")), recorder);
            assertEquals(null, recorder.awaitEnd());
            assertEquals(100, recorder.events.size());
            assertTrue(server.requests.peek().contains("accept-encoding: gzip"));
        }
    }

    @Test
    void idleTimeoutEndsAStalledStreamWithWhatArrived() throws Exception {
        try (SseClient client = client().idleTimeout(Duration.ofMillis(200)).build();
             LoopbackServer server = LoopbackServer.start(serverGroup, (ch, request) -> write(ch, SSE_HEADERS_CLOSE + "data: one\n\n"))) {
            Recorder recorder = new Recorder();
            client.open(SseRequest.get(server.uri("/")), recorder);
            SseTimeoutException error = assertInstanceOf(SseTimeoutException.class, recorder.awaitEnd());
            assertEquals(SseTimeoutException.Kind.IDLE, error.kind());
            assertEquals(1, error.events());
            assertEquals(200, error.limitMillis());
        }
    }

    @Test
    void firstByteTimeoutEndsAServerThatNeverAnswers() throws Exception {
        try (SseClient client = client().firstByteTimeout(Duration.ofMillis(200)).build();
             LoopbackServer server = LoopbackServer.start(serverGroup, (ch, request) -> { })) {
            Recorder recorder = new Recorder();
            client.open(SseRequest.get(server.uri("/")), recorder);
            SseTimeoutException error = assertInstanceOf(SseTimeoutException.class, recorder.awaitEnd());
            assertEquals(SseTimeoutException.Kind.FIRST_BYTE, error.kind());
        }
    }

    @Test
    void refusedConnectionIsAConnectError() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = free.getLocalPort();
        }
        try (SseClient client = client().build()) {
            Recorder recorder = new Recorder();
            client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/")), recorder);
            assertInstanceOf(SseConnectException.class, recorder.awaitEnd());
        }
    }

    @Test
    void cancelClosesTheConnectionSoTheServerStopsSending() throws Exception {
        CompletableFuture<Channel> serverSide = new CompletableFuture<>();
        try (SseClient client = client().build();
             LoopbackServer server = LoopbackServer.start(serverGroup, (ch, request) -> {
                 serverSide.complete(ch);
                 write(ch, SSE_HEADERS_CLOSE);
                 ch.eventLoop().scheduleAtFixedRate(() -> {
                     if (ch.isActive()) {
                         write(ch, "data: tick\n\n");
                     }
                 }, 0, 5, TimeUnit.MILLISECONDS);
             })) {
            CompletableFuture<Void> firstEvent = new CompletableFuture<>();
            Recorder recorder = new Recorder() {
                @Override
                public void onEvent(SseEvent event) {
                    super.onEvent(event);
                    firstEvent.complete(null);
                }
            };
            SseStream stream = client.open(SseRequest.get(server.uri("/")), recorder);
            firstEvent.get(10, TimeUnit.SECONDS);
            stream.cancel();
            SseCancelledException error = assertInstanceOf(SseCancelledException.class, recorder.awaitEnd());
            assertTrue(error.events() >= 1);
            serverSide.get().closeFuture().get(10, TimeUnit.SECONDS); // the server saw the client leave
            ExecutionException done = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> stream.done().toCompletableFuture().get(1, TimeUnit.SECONDS));
            assertInstanceOf(SseCancelledException.class, done.getCause());
        }
    }

    @Test
    void reconnectAfterADropSendsLastEventIdAndHonoursRetry() throws Exception {
        AtomicInteger connection = new AtomicInteger();
        try (LoopbackServer server = LoopbackServer.start(serverGroup, (ch, request) -> {
                 if (connection.incrementAndGet() == 1) {
                     // A chunked body closed without its last chunk: a drop, between events.
                     writeAndClose(ch, SSE_HEADERS_CHUNKED + chunk("retry: 20\nid: 7\ndata: a\n\n"));
                 } else {
                     writeAndClose(ch, SSE_HEADERS_CHUNKED + chunk("id: 8\ndata: b\n\n") + "0\r\n\r\n");
                 }
             });
             SseClient client = client().reconnect(new ReconnectPolicy(Duration.ofSeconds(5), Duration.ofSeconds(5), 0, 3)).build()) {
            List<Long> delays = new CopyOnWriteArrayList<>();
            Recorder recorder = new Recorder() {
                @Override
                public void onReconnecting(SseException cause, long delayMillis) {
                    assertInstanceOf(SseClosedEarlyException.class, cause);
                    delays.add(delayMillis);
                }
            };
            client.open(SseRequest.get(server.uri("/feed")), recorder);
            assertEquals(null, recorder.awaitEnd());
            assertEquals(List.of("message|a|7", "message|b|8"), recorder.events);
            assertEquals(List.of(20L), delays); // the server's retry, not the policy's 5 s
            List<String> requests = new ArrayList<>(server.requests);
            assertEquals(2, requests.size());
            assertTrue(!requests.get(0).toLowerCase().contains("last-event-id"), requests.get(0));
            assertTrue(requests.get(1).contains("Last-Event-ID: 7"), requests.get(1));
        }
    }

    @Test
    void reconnectGivesUpAfterMaxAttemptsWithTheLastError() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = free.getLocalPort();
        }
        try (SseClient client = client().reconnect(new ReconnectPolicy(Duration.ofMillis(1), Duration.ofMillis(4), 0.5, 3)).build()) {
            List<Long> delays = new CopyOnWriteArrayList<>();
            Recorder recorder = new Recorder() {
                @Override
                public void onReconnecting(SseException cause, long delayMillis) {
                    delays.add(delayMillis);
                }
            };
            client.open(SseRequest.get(URI.create("http://127.0.0.1:" + port + "/")), recorder);
            assertInstanceOf(SseConnectException.class, recorder.awaitEnd());
            assertEquals(3, delays.size());
            assertTrue(delays.get(2) >= 2 && delays.get(2) <= 4, "capped, half jitter: " + delays);
        }
    }

    @Test
    void aListenerThatThrowsEndsTheStreamWithAListenerErrorThatIsNeverRetried() throws Exception {
        try (LoopbackServer server = LoopbackServer.start(serverGroup, (ch, request) -> LoopbackServer.write(ch,
                LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk("data: one\n\ndata: two\n\n")));
             SseClient client = client().reconnect(new ReconnectPolicy(Duration.ofMillis(1), Duration.ofMillis(4), 0.5, 3)).build()) {
            List<Long> reconnects = new CopyOnWriteArrayList<>();
            IllegalStateException bug = new IllegalStateException("a bug in the application");
            Recorder recorder = new Recorder() {
                @Override
                public void onEvent(SseEvent event) {
                    super.onEvent(event);
                    throw bug;
                }

                @Override
                public void onReconnecting(SseException cause, long delayMillis) {
                    reconnects.add(delayMillis);
                }
            };
            client.open(SseRequest.get(server.uri("/")), recorder);

            SseListenerException error = assertInstanceOf(SseListenerException.class, recorder.awaitEnd());
            assertSame(bug, error.getCause());
            assertEquals("listener_failed", error.errorType());
            assertFalse(error.retryable());
            assertEquals(List.of("message|one|"), recorder.events, "nothing after the throw");
            assertEquals(List.of(), reconnects, "a bug is not retried, though the policy would retry a GET");
            assertEquals(1, server.requests.size());
            server.connections.peek().closeFuture().await(10, TimeUnit.SECONDS);
            assertFalse(server.connections.peek().isActive(), "its connection closed");
        }
    }

    @Test
    void aPipelineFailureIsTypedByItsCauseAndTheMomentItCame() {
        java.io.IOException reset = new java.io.IOException("Connection reset by peer");
        assertInstanceOf(SseConnectException.class, SseStream.typed(reset, false, 0, 0), "before the head: no answer");
        SseException cut = SseStream.typed(reset, true, 3, 120);
        assertInstanceOf(SseClosedEarlyException.class, cut, "after the head: a cut");
        assertTrue(cut.retryable());
        assertInstanceOf(SseMalformedResponseException.class,
                SseStream.typed(new io.netty.handler.codec.DecoderException("bad chunk"), true, 0, 0));
        SseException bug = SseStream.typed(new NullPointerException(), true, 0, 0);
        assertEquals("error", bug.errorType());
        assertFalse(bug.retryable(), "a handler's bug is no reason to connect again");
    }

    @Test
    void captureWritesThePlaintextTrafficToAPcapFile(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("stream.pcap");
        try (LoopbackServer server = LoopbackServer.start(serverGroup,
                     (ch, request) -> writeAndClose(ch, SSE_HEADERS_CLOSE + "data: recorded\n\n"))) {
            try (SseClient client = client().capture(pcap).build()) {
                Recorder recorder = new Recorder();
                client.open(SseRequest.get(server.uri("/")), recorder);
                assertEquals(null, recorder.awaitEnd());
            }
            byte[] bytes = Files.readAllBytes(pcap);
            assertEquals(0xa1b2c3d4, java.nio.ByteBuffer.wrap(bytes, 0, 4).order(java.nio.ByteOrder.BIG_ENDIAN).getInt());
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            assertTrue(text.contains("GET / HTTP/1.1"), "request captured");
            assertTrue(text.contains("data: recorded"), "response captured");
        }
    }

    @Test
    void thousandsOfConcurrentStreamsShareOneSmallEventLoopGroup() throws Exception {
        int streams = 2000;
        EventLoopGroup clientGroup = TestLoops.nio(2);
        int threadsBefore = Thread.activeCount();
        try (LoopbackServer server = LoopbackServer.start(serverGroup,
                     (ch, request) -> writeAndClose(ch, SSE_HEADERS_CLOSE + "data: 1\n\ndata: 2\n\ndata: 3\n\n"));
             SseClient client = SseClient.builder().eventLoopGroup(clientGroup, NioSocketChannel.class).build()) {
            List<Recorder> recorders = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                Recorder recorder = new Recorder();
                recorders.add(recorder);
                client.open(SseRequest.get(server.uri("/" + i)), recorder);
            }
            for (Recorder recorder : recorders) {
                SseException end = recorder.awaitEnd();
                if (end != null) {
                    fail("a stream failed: " + end);
                }
                assertEquals(3, recorder.events.size());
            }
            assertTrue(Thread.activeCount() - threadsBefore <= 4, "threads grew by " + (Thread.activeCount() - threadsBefore));
        } finally {
            clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}

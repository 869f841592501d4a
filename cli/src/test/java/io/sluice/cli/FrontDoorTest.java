package io.sluice.cli;

import io.sluice.netty.SseRequestGuard;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The front door of {@code sluice serve} and {@code sluice relay} over real loopback sockets: slow
 * and idle clients are bounded, connections past the maximum refused, malformed requests answered
 * {@code 400}, other HTTP versions {@code 505}, an oversized {@code Expect: 100-continue} body never
 * invited; and, kept as regressions, path traversal and request smuggling. Timeouts are a second
 * or two so each test takes seconds.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FrontDoorTest {
    private static final String GET = "GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n";
    private static final SseRequestGuard DEFAULTS = SseRequestGuard.withDefaults();

    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> servers = new ArrayList<>();

    @AfterEach
    void closeServers() throws Exception {
        for (AutoCloseable server : servers) {
            server.close();
        }
    }

    private ReplayServer serve(SseRequestGuard guard) throws IOException {
        ServeCommand.Served served = ServeCommand.served(InputKind.SSE, Files.readAllBytes(SAMPLES.resolve("anthropic-text.sse")),
                "anthropic-text.sse", null, new PrintWriter(new StringWriter()));
        ReplayServer server = ReplayServer.start("127.0.0.1", 0, served.writes(), Timing.NONE, true, served.reset(), guard,
                warnings::add, ProtocolOptions.Protocols.PLAIN);
        servers.add(server);
        return server;
    }

    private RelayServer relay(SseRequestGuard guard, Path files, int maxBody) throws IOException {
        ReplayServer upstream = serve(DEFAULTS);
        RelayServer relay = RelayServer.start(new RelayServer.Options("127.0.0.1", 0,
                GetCommand.getRequest("http://127.0.0.1:" + upstream.port()), "/v1/messages", files,
                Duration.ZERO, Duration.ZERO, Duration.ZERO, false, maxBody, false, false), guard, warnings::add, outcome -> { }, null);
        servers.add(relay);
        return relay;
    }

    private static SseRequestGuard guard(double idleSeconds, double requestSeconds, int maxConnections) {
        return SseRequestGuard.builder()
                .idleTimeout(GetCommand.seconds(idleSeconds))
                .requestTimeout(GetCommand.seconds(requestSeconds))
                .maxConnections(maxConnections)
                .build();
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** What the server sends until it closes the connection (a reset ends it too). */
    private static String readToEnd(Socket socket) throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[4096];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                received.write(buffer, 0, n);
            }
        } catch (SocketException reset) {
            // a close with our bytes unread: what came before it is the answer
        }
        return received.toString(StandardCharsets.ISO_8859_1);
    }

    /** Sends {@code request} whole and returns everything the server says before it closes. */
    private static String exchange(int port, String request) throws IOException {
        try (Socket socket = connect(port)) {
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return readToEnd(socket);
        }
    }

    private static void assertAnsweredAndClosed(String status, String answer) {
        assertTrue(answer.startsWith("HTTP/1.1 " + status + " "), answer);
        assertTrue(answer.contains("connection: close\r\n"), answer);
        assertTrue(answer.endsWith("\r\n\r\n"), "nothing after the refusal: " + answer);
    }

    @Test
    void slowClientsTricklingTheirHeadAreAnswered408AndClosed() throws Exception {
        ReplayServer server = serve(guard(30, 1, 0));
        List<CompletableFuture<String>> clients = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            clients.add(CompletableFuture.supplyAsync(() -> {
                try (Socket socket = connect(server.port())) {
                    OutputStream out = socket.getOutputStream();
                    byte[] head = GET.getBytes(StandardCharsets.US_ASCII);
                    try {
                        // A byte at a time, never the head's last two: until the server answers.
                        for (int b = 0; b < head.length - 2 && socket.getInputStream().available() == 0; b++) {
                            out.write(head[b]);
                            out.flush();
                            Thread.sleep(200);
                        }
                    } catch (SocketException closed) {
                        // a byte sent after the server's close: its answer is read below
                    }
                    return readToEnd(socket);
                } catch (IOException e) {
                    return e.toString();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return e.toString();
                }
            }));
        }
        for (CompletableFuture<String> client : clients) {
            assertAnsweredAndClosed("408", client.get(20, TimeUnit.SECONDS));
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertTrue(seconds < 5, "answered after the 1 s request timeout, not the trickle's end: " + seconds + " s");
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAfterTheClientIdleTimeout() throws Exception {
        ReplayServer server = serve(guard(1, 30, 0));
        try (Socket socket = connect(server.port())) {
            long start = System.nanoTime();
            assertEquals("", readToEnd(socket));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis >= 800 && millis < 5000, millis + " ms");
        }
    }

    @Test
    void aConnectionPastTheMaximumIsAnswered503AndTheNextAfterOneLeavesIsServed() throws Exception {
        SseRequestGuard guard = guard(30, 30, 2);
        ReplayServer server = serve(guard);
        try (Socket first = connect(server.port()); Socket second = connect(server.port())) {
            long counted = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (guard.connections() < 2 && System.nanoTime() < counted) {
                Thread.sleep(10); // each is counted on its own event loop: the next must come third
            }
            assertAnsweredAndClosed("503", exchange(server.port(), GET));
            first.close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            String answer;
            do { // the server sees the first one leave a moment after it does
                answer = exchange(server.port(), GET);
            } while (answer.startsWith("HTTP/1.1 503") && System.nanoTime() < deadline);
            assertTrue(answer.startsWith("HTTP/1.1 200 OK\r\n"), answer);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"100 KB header", "transfer-encoding and content-length", "two content-lengths", "bad header name"})
    void serveAnswersAMalformedRequest400AndCloses(String kind) throws Exception {
        assertAnsweredAndClosed("400", exchange(serve(DEFAULTS).port(), malformed(kind)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"8 KB header", "5,000 headers", "bad header name", "transfer-encoding and content-length",
            "two content-lengths"})
    void relayWithStaticFilesAnswersAMalformedRequest400AndClosesInsteadOfServingAFile(String kind, @TempDir Path dir)
            throws Exception {
        Files.writeString(dir.resolve("index.html"), "<!doctype html>");
        assertAnsweredAndClosed("400", exchange(relay(DEFAULTS, dir, 1 << 20).port(), malformed(kind)));
    }

    private static String malformed(String kind) {
        return switch (kind) {
            case "100 KB header" -> "GET / HTTP/1.1\r\nx-big: " + "a".repeat(100_000) + "\r\n\r\n";
            case "8 KB header" -> "GET / HTTP/1.1\r\nx-big: " + "a".repeat(8200) + "\r\n\r\n";
            case "5,000 headers" -> "GET / HTTP/1.1\r\n" + "x: y\r\n".repeat(5000) + "\r\n";
            case "bad header name" -> "GET / HTTP/1.1\r\nbad name: x\r\n\r\n";
            case "transfer-encoding and content-length" -> "POST /v1/messages HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n"
                    + "content-length: 4\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nhost: x\r\n\r\n";
            case "two content-lengths" -> "POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\ncontent-length: 40\r\n\r\n"
                    + "{}{}";
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @Test
    void http99IsAnswered505ByServeAndRelay(@TempDir Path dir) throws Exception {
        String request = "GET / HTTP/9.9\r\nhost: x\r\n\r\n";
        assertAnsweredAndClosed("505", exchange(serve(DEFAULTS).port(), request));
        assertAnsweredAndClosed("505", exchange(relay(DEFAULTS, dir, 1 << 20).port(), request));
    }

    @Test
    void expectContinueWithABodyOverMaxBodyIs413WithoutInvitingIt() throws Exception {
        RelayServer relay = relay(DEFAULTS, null, 100);
        String answer = exchange(relay.port(), "POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                + "expect: 100-continue\r\ncontent-length: 1000\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 413 "), answer);
        assertFalse(answer.contains("100 Continue"), answer);
    }

    @Test
    void expectContinueWithABodyWithinMaxBodyIsInvited() throws Exception {
        RelayServer relay = relay(DEFAULTS, null, 100);
        try (Socket socket = connect(relay.port())) {
            socket.getOutputStream().write(("POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                    + "expect: 100-continue\r\ncontent-length: 2\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] interim = new byte[25];
            socket.getInputStream().readNBytes(interim, 0, interim.length);
            assertEquals("HTTP/1.1 100 Continue\r\n\r\n", new String(interim, StandardCharsets.US_ASCII));
            socket.getOutputStream().write("{}".getBytes(StandardCharsets.US_ASCII));
            byte[] head = new byte[15];
            socket.getInputStream().readNBytes(head, 0, head.length);
            assertEquals("HTTP/1.1 200 OK", new String(head, StandardCharsets.US_ASCII));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/link.txt",
            "/sub/../../secret.txt"})
    void pathTraversalNeverServesAFileOutsideTheStaticFolder(String path, @TempDir Path dir) throws Exception {
        Path site = Files.createDirectory(dir.resolve("site"));
        Files.writeString(site.resolve("index.html"), "<!doctype html>");
        Files.createDirectory(site.resolve("sub"));
        Path secret = Files.writeString(dir.resolve("secret.txt"), "the secret");
        Files.createSymbolicLink(site.resolve("link.txt"), secret);
        String answer = exchange(relay(DEFAULTS, site, 1 << 20).port(),
                "GET " + path + " HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        assertFalse(answer.contains("the secret"), answer);
        assertTrue(answer.startsWith("HTTP/1.1 404 ") || answer.startsWith("HTTP/1.1 400 "), answer);
    }

    @Test
    void aWellFormedRequestIsStillServedAndNothingIsWarned() throws Exception {
        String answer = exchange(serve(guard(1, 1, 10)).port(), GET);
        assertTrue(answer.startsWith("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"), answer);
        assertTrue(answer.endsWith(new String(Files.readAllBytes(SAMPLES.resolve("anthropic-text.sse")), StandardCharsets.ISO_8859_1)));
        assertEquals(List.of(), warnings);
    }
}

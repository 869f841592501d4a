package io.sluice.cli;

import io.sluice.netty.SseFailureCapture;
import io.sluice.netty.SseRelay;
import io.sluice.netty.SseRequestGuard;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static io.sluice.cli.SluiceRunner.events;
import static io.sluice.cli.SluiceRunner.post;
import static io.sluice.cli.SluiceRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19 items 4 and 6: {@code --capture-failures DIR} of {@code sluice get} and
 * {@code sluice relay}. A failed stream (a cut, a stall past the idle timeout, a malformed body)
 * leaves a file that {@code sluice replay} turns into the events the client saw and the same end,
 * and that {@code sluice serve} serves as the same failure; an ok stream leaves nothing.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CaptureFailuresTest {
    private static final String SAMPLE = "anthropic-text.pcap";

    @TempDir
    Path dir;

    private final Deque<AutoCloseable> opened = new ArrayDeque<>();
    private final BlockingQueue<SseRelay.Outcome> outcomes = new LinkedBlockingQueue<>();

    @AfterEach
    void closeEverythingOpened() throws Exception {
        for (AutoCloseable c; (c = opened.pollFirst()) != null; ) {
            c.close();
        }
    }

    /** {@code sluice serve SAMPLE --fault SPEC...}, looping, or the recording as it is with no spec. */
    private int serve(String sample, String... specs) throws IOException {
        InputKind kind = sample.endsWith(".pcap") ? InputKind.PCAP : sample.endsWith(".http") ? InputKind.HTTP : InputKind.SSE;
        byte[] bytes = Files.readAllBytes(sample.contains("/") ? Path.of(sample) : SAMPLES.resolve(sample));
        ServeCommand.Served served = specs.length == 0
                ? ServeCommand.served(kind, bytes, sample, null, new PrintWriter(new StringWriter()))
                : ServeCommand.faulted(kind, bytes, sample,
                        FaultPlan.of(Stream.of(specs).map(new Fault.Converter()::convert).toList()), null, Timing.NONE);
        ReplayServer server = ReplayServer.start("127.0.0.1", 0, served.writes(), Timing.NONE, true, served.reset());
        opened.push(server);
        return server.port();
    }

    /** {@code sluice relay --upstream http://127.0.0.1:PORT --attempts 1 --idle-timeout T --capture-failures DIR}, in process. */
    private int relay(int upstreamPort, Duration idleTimeout) {
        RelayServer relay = RelayServer.start(new RelayServer.Options("127.0.0.1", 0,
                        List.of(GetCommand.getRequest("http://127.0.0.1:" + upstreamPort)),
                        RelayCommand.retryPolicy(1, Duration.ofSeconds(2), Duration.ofSeconds(10)), ProtocolOptions.Protocols.PLAIN,
                        null, null, Duration.ZERO, idleTimeout, Duration.ZERO, false, 1 << 20, true, false),
                SseRequestGuard.withDefaults(), w -> { }, outcomes::add, null, null, null,
                SseFailureCapture.builder(dir).build());
        opened.push(relay);
        return relay.port();
    }

    private SseRelay.Outcome outcome() throws InterruptedException {
        SseRelay.Outcome o = outcomes.poll(10, TimeUnit.SECONDS);
        assertNotNull(o, "the relay reported no outcome");
        return o;
    }

    private static Path await(Path file) throws InterruptedException {
        for (int i = 0; i < 1000 && !Files.exists(file); i++) {
            Thread.sleep(10);
        }
        assertTrue(Files.exists(file), "written: " + file);
        return file;
    }

    private List<String> folder() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static final Pattern CAPTURED = Pattern.compile("\\(captured to (\\S+\\.http)\\)$");

    @Test
    void getCapturesACutStreamThatReplayAndServeReproduce() throws Exception {
        int upstream = serve(SAMPLE, "cut:5");
        SluiceRunner.Result got = run("get", "--format", "ndjson", "--capture-failures", dir.toString(),
                "http://127.0.0.1:" + upstream + "/v1/messages");
        got.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        Matcher m = CAPTURED.matcher(got.err().strip());
        assertTrue(m.find(), "the error line names the capture: " + got.err());
        Path file = Path.of(m.group(1));
        assertTrue(Files.exists(file), "written before get exits: " + file);
        assertTrue(file.getFileName().toString().endsWith("-127.0.0.1-upstream_closed_early.http"), file.toString());
        assertEquals(5, got.records("event").size());

        SluiceRunner.Result replayed = run("replay", "--format", "ndjson", file.toString());
        assertEquals(Sluice.EXIT_OK, replayed.exit(), replayed.err());
        assertEquals(got.records("event"), replayed.records("event"));
        assertEquals(got.records("end"), replayed.records("end"), "the same cut: " + replayed.out());

        // sluice serve FILE: a client meets the same failure.
        SluiceRunner.Result again = run("get", "--format", "ndjson", "http://127.0.0.1:" + serve(file.toString()) + "/");
        assertEquals(Sluice.EXIT_INPUT, again.exit());
        assertEquals(got.out(), again.out());
        assertEquals(got.err().strip().replaceFirst(" \\(captured to .*", ""), again.err().strip());
    }

    @Test
    void getLeavesNothingForAnOkStream() throws Exception {
        SluiceRunner.Result got = run("get", "--capture-failures", dir.toString(),
                "http://127.0.0.1:" + serve(SAMPLE) + "/v1/messages");
        assertEquals(Sluice.EXIT_OK, got.exit(), got.err());
        assertEquals(List.of(), folder());
    }

    @Test
    void theRelaysAccessLogNamesTheCaptureOfACutUpstreamThatReplaysToTheRelayedEvents() throws Exception {
        int relay = relay(serve(SAMPLE, "cut:7"), Duration.ZERO);
        HttpResponse<String> response = post(relay, "/v1/messages");
        List<String> relayed = events(response.body());
        SseRelay.Outcome o = outcome();
        assertEquals("upstream_closed_early", o.end().wireName());
        assertEquals(1, o.captures().size(), o::toString);
        Path file = await(o.captures().get(0));
        String line = RelayCommand.accessLogLine(Instant.parse("2026-12-02T06:15:00Z"), o);
        assertTrue(line.contains(" attempts=1 capture=" + file + " provider=anthropic "), line);

        SluiceRunner.Result replayed = run("replay", "--format", "ndjson", file.toString());
        assertEquals(Sluice.EXIT_OK, replayed.exit(), replayed.err());
        assertEquals(relayed.subList(0, relayed.size() - 1), replayed.records("event"), "all but the relay's error event");
        assertTrue(relayed.get(relayed.size() - 1).contains("upstream_closed_early"), relayed.toString());
        assertTrue(replayed.records("end").get(0).startsWith("{\"type\":\"end\",\"events\":" + (relayed.size() - 1) + ","),
                replayed.out());
    }

    @Test
    void aStallPastTheRelaysIdleTimeoutLeavesATimeoutCaptureOfTheEventsBeforeIt() throws Exception {
        int relay = relay(serve(SAMPLE, "stall:3:5"), Duration.ofMillis(500));
        List<String> relayed = events(post(relay, "/v1/messages").body());
        SseRelay.Outcome o = outcome();
        assertEquals("upstream_timeout", o.end().wireName());
        Path file = await(o.captures().get(0));
        assertTrue(file.getFileName().toString().endsWith("-upstream_timeout.http"), file.toString());
        assertTrue(Files.readString(file, StandardCharsets.ISO_8859_1).contains("\r\nx-sluice-capture-end: upstream_timeout\r\n"));
        SluiceRunner.Result summary = run("replay", "--format", "summary", file.toString());
        assertTrue(summary.out().contains("\ncaptured     upstream_timeout: idle timeout of 500 ms after 3 events"), summary.out());
        SluiceRunner.Result replayed = run("replay", "--format", "ndjson", file.toString());
        assertEquals(3, replayed.records("event").size(), replayed.out());
        assertEquals(relayed.subList(0, relayed.size() - 1), replayed.records("event"));

        // sluice serve FILE holds the connection open after the bytes: a client times out again.
        SluiceRunner.Result again = run("get", "--format", "ndjson", "--idle-timeout", "0.5",
                "http://127.0.0.1:" + serve(file.toString()) + "/");
        again.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertTrue(again.err().contains("idle timeout of 500 ms after 3 events"), again.err());
        assertEquals(replayed.records("event"), again.records("event"));
    }

    @Test
    void aMalformedUpstreamLeavesACaptureReplayRefusesAtTheSamePoint() throws Exception {
        try (ServerSocket upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (Socket s = upstream.accept()) {
                    InputStream in = s.getInputStream();
                    StringBuilder head = new StringBuilder();
                    while (head.indexOf("\r\n\r\n") < 0) {
                        int b = in.read();
                        if (b < 0) {
                            return;
                        }
                        head.append((char) b);
                    }
                    OutputStream out = s.getOutputStream();
                    out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                            + "b\r\ndata: one\n\n\r\nzz-not-a-size\r\ndata: two\n\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    in.read(); // until the relay closes
                } catch (IOException e) {
                    // the relay closed: done
                }
            });
            server.setDaemon(true);
            server.start();
            int relay = relay(upstream.getLocalPort(), Duration.ZERO);
            List<String> relayed = events(post(relay, "/v1/messages").body());
            SseRelay.Outcome o = outcome();
            assertEquals("upstream_malformed", o.end().wireName());
            Path file = await(o.captures().get(0));
            SluiceRunner.Result replayed = run("replay", "--format", "ndjson", file.toString());
            replayed.assertOneLineOnStderr(Sluice.EXIT_INPUT);
            assertEquals(relayed.subList(0, relayed.size() - 1), replayed.records("event"));
        }
    }

    @Test
    void anOkRelayedStreamLeavesNothing() throws Exception {
        HttpResponse<String> response = post(relay(serve(SAMPLE), Duration.ZERO), "/v1/messages");
        assertEquals(200, response.statusCode());
        SseRelay.Outcome o = outcome();
        assertEquals("ok", o.end().wireName());
        assertEquals(List.of(), o.captures());
        assertFalse(RelayCommand.accessLogLine(Instant.now(), o).contains("capture="));
        assertEquals(List.of(), folder());
    }

    @Test
    void boundsAreCheckedWhenTheCommandStarts() {
        run("get", "--capture-failures", dir.toString(), "--capture-max-files", "0", "http://127.0.0.1:1/")
                .assertOneLineOnStderr(Sluice.EXIT_USAGE);
        run("get", "--capture-failures", dir.toString(), "--capture-max-body", "-5", "http://127.0.0.1:1/")
                .assertOneLineOnStderr(Sluice.EXIT_USAGE);
        run("get", "--capture-redact", "x-secret", "http://127.0.0.1:1/").assertOneLineOnStderr(Sluice.EXIT_USAGE);
    }
}

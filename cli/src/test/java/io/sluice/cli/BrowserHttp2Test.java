package io.sluice.cli;

import com.sun.net.httpserver.HttpServer;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.sluice.core.testing.JsonTree;
import io.sluice.netty.SseRelay;
import io.sluice.netty.SseRelayRetry;
import io.sluice.netty.SseServerProtocols;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16 item 5, in a real browser: headless Chromium ({@link BrowserDriver}) opens
 * {@value #STREAMS} {@code EventSource}s at once to a {@link RelayServer}
 * ({@code page/streams.html}, served by the relay's {@code --static}; each stream with a query of
 * its own), and the upstream keeps each one open for {@value #EVENTS} events {@value #TICK_MILLIS}
 * ms apart, then ends it. Over HTTPS (a self-signed certificate), where Chromium speaks h2 by
 * ALPN, every stream has its first event before the first of them ends, and the relay saw one
 * connection; over plain HTTP/1.1, Chromium's {@value #HTTP1_CONNECTIONS} connections per origin
 * let at most six start, and the seventh's first event comes after one of the first six ended.
 *
 * <p>Each case is one Chromium run, since {@code --ignore-certificate-errors} is for the HTTPS one
 * only. Skipped, as {@link BrowserRelayTest} is, when Chromium, node or playwright-core is missing;
 * {@code .ci/run} installs them and fails on the skip.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BrowserHttp2Test {
    private static final int STREAMS = 20;
    /** Chromium's limit of open HTTP/1.1 connections to one origin (its socket pool's, per group). */
    private static final int HTTP1_CONNECTIONS = 6;
    /** Events per stream, then the upstream ends it: the stream lasts about EVENTS × TICK_MILLIS. */
    private static final int EVENTS = 30;
    private static final int TICK_MILLIS = 100;
    /** drive.mjs ends by itself within this; the HTTP/1.1 case takes about four streams' time. */
    private static final int DRIVER_SECONDS = 60;
    private static final String PATH = "/v1/messages";

    private static Path node;
    private static HttpServer upstream;
    private static ExecutorService upstreamThreads;

    /**
     * One {@code EventSource} as the page saw it: its index, then when its open event fired, its
     * first message came and the server ended it, in ms after the page created them all (null:
     * never came), and how many messages it had.
     */
    record Source(int i, BigDecimal opened, BigDecimal first, BigDecimal end, int messages) {
    }

    /**
     * One browser run: the protocol Chromium fetched the page with, each stream as the page saw
     * it, and the relay's outcome of each.
     */
    record Run(String protocol, List<Source> streams, List<SseRelay.Outcome> outcomes) {
        /** The streams in the order their first events came, with their times: for failure messages and the log. */
        String timings() {
            return streams.stream().sorted(Comparator.comparing(Source::first, Comparator.nullsLast(Comparator.naturalOrder())))
                    .map(s -> String.format("%n  stream %2d: open %7s, first event %7s, end %7s ms, %d events",
                            s.i(), ms(s.opened()), ms(s.first()), ms(s.end()), s.messages()))
                    .collect(Collectors.joining("", protocol + ", by first event:", ""));
        }

        private static String ms(BigDecimal time) {
            return time == null ? "-" : time.setScale(1, RoundingMode.HALF_UP).toPlainString();
        }

        BigDecimal earliestEnd() {
            return streams.stream().map(Source::end).min(Comparator.naturalOrder()).orElseThrow();
        }

        /** How many client connections the relay's streams came on. */
        long connections() {
            return outcomes.stream().map(SseRelay.Outcome::client).distinct().count();
        }
    }

    @BeforeAll
    static void startUpstream() throws IOException {
        node = BrowserDriver.assumeInstalled();
        // A thread per stream for its sleeps: 32 > STREAMS, so no stream waits for a thread.
        upstreamThreads = Executors.newFixedThreadPool(32);
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        upstream.setExecutor(upstreamThreads);
        upstream.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("content-type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0); // chunked: each flush is one chunk, so one event
            try (OutputStream body = exchange.getResponseBody()) {
                for (int i = 1; i <= EVENTS; i++) {
                    body.write(("data: " + i + "\n\n").getBytes(StandardCharsets.US_ASCII));
                    body.flush();
                    Thread.sleep(TICK_MILLIS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the test is over: the server is stopping
            }
        });
        upstream.start();
    }

    @AfterAll
    static void stopUpstream() throws InterruptedException {
        if (upstream != null) {
            upstream.stop(0);
            upstreamThreads.shutdownNow();
            assertTrue(upstreamThreads.awaitTermination(10, TimeUnit.SECONDS), "the upstream's threads ended");
        }
    }

    /**
     * Serves {@code streams.html} from a relay speaking {@code protocols}, has Chromium open it and
     * read every stream to its end, and returns what the page and the relay saw.
     */
    private static Run run(ProtocolOptions.Protocols protocols, List<String> driverOptions, String name) throws Exception {
        Queue<SseRelay.Outcome> outcomes = new ConcurrentLinkedQueue<>();
        Map<?, ?> section;
        List<?> problems;
        try (RelayServer relay = RelayServer.start(new RelayServer.Options("127.0.0.1", 0,
                List.of(GetCommand.getRequest("http://127.0.0.1:" + upstream.getAddress().getPort())), SseRelayRetry.DEFAULT,
                protocols, PATH, BrowserDriver.PAGES, Duration.ZERO, Duration.ZERO, Duration.ZERO, false, 1 << 20, false, false),
                outcomes::add)) {
            String url = protocols.scheme() + "://127.0.0.1:" + relay.port() + "/streams.html?n=" + STREAMS + "&stream=" + PATH;
            String report = BrowserDriver.drive(node, Path.of("target/browser-http2", name), DRIVER_SECONDS, driverOptions,
                    List.of(url));
            Map<?, ?> page = (Map<?, ?>) ((List<?>) ((Map<?, ?>) JsonTree.of(report)).get("pages")).get(0);
            section = (Map<?, ?>) page.get("streams");
            problems = (List<?>) page.get("problems");
            // A stream is logged when the relay sees it end, which may be just after the page closed it.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (outcomes.size() < STREAMS && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        assertEquals("done", section.get("state"), () -> name + ": " + section.get("error") + " " + section.get("text"));
        assertEquals(List.of(), problems, name + ": the page's exceptions and console errors");
        Map<?, ?> seen = (Map<?, ?>) JsonTree.of((String) section.get("text"));
        List<Source> streams = ((List<?>) seen.get("streams")).stream().map(s -> (Map<?, ?>) s)
                .map(s -> new Source(((BigDecimal) s.get("i")).intValue(), (BigDecimal) s.get("opened"), (BigDecimal) s.get("first"),
                        (BigDecimal) s.get("end"), ((BigDecimal) s.get("messages")).intValue()))
                .toList();
        Run run = new Run((String) seen.get("protocol"), streams, List.copyOf(outcomes));
        System.out.println("BrowserHttp2Test: " + run.timings() + "\n  on " + run.connections() + " connections to the relay");
        assertEquals(STREAMS, streams.size(), run::timings);
        for (Source s : streams) {
            assertEquals(EVENTS, s.messages(), () -> "every stream whole, none lost for waiting: " + run.timings());
        }
        assertEquals(STREAMS, run.outcomes().size(), () -> "one relayed stream each, none reconnected: " + run.outcomes());
        return run;
    }

    /** TLS with ALPN (h2, then HTTP/1.1) and a certificate for 127.0.0.1 that Chromium is told to accept. */
    private static ProtocolOptions.Protocols selfSignedTls() throws Exception {
        X509Bundle cert = new CertificateBuilder().subject("CN=localhost").addSanIpAddress("127.0.0.1")
                .setIsCertificateAuthority(true).ecp256().buildSelfSigned();
        return new ProtocolOptions.Protocols(SseServerProtocols.alpn(SslContextBuilder.forServer(cert.toKeyManagerFactory())).build(),
                false);
    }

    @Test
    void overHttp2EveryEventSourceStreamsAtOnceOnOneConnection() throws Exception {
        Run run = run(selfSignedTls(), List.of("--ignore-certificate-errors"), "h2");
        assertEquals("h2", run.protocol(), "Chromium's protocol for the page, by ALPN");
        BigDecimal lastFirst = run.streams().stream().map(Source::first).max(Comparator.naturalOrder()).orElseThrow();
        assertTrue(lastFirst.compareTo(run.earliestEnd()) < 0,
                () -> "every stream's first event before the earliest end: " + run.timings());
        List<SocketAddress> clients = run.outcomes().stream().map(SseRelay.Outcome::client).distinct().toList();
        assertEquals(1, clients.size(), () -> "the relay's client connections: " + clients);
    }

    @Test
    void overHttp1TheSeventhEventSourceWaitsForOneOfTheFirstSixToEnd() throws Exception {
        Run run = run(ProtocolOptions.Protocols.PLAIN, List.of(), "http1");
        assertEquals("http/1.1", run.protocol(), "Chromium's protocol for the page");
        BigDecimal earliestEnd = run.earliestEnd();
        long started = run.streams().stream().filter(s -> s.first().compareTo(earliestEnd) < 0).count();
        assertTrue(started <= HTTP1_CONNECTIONS, () -> started + " streams had their first event before the earliest end: "
                + run.timings());
        List<Source> byFirst = run.streams().stream().sorted(Comparator.comparing(Source::first)).toList();
        BigDecimal firstSixEnd = byFirst.subList(0, HTTP1_CONNECTIONS).stream().map(Source::end).min(Comparator.naturalOrder())
                .orElseThrow();
        assertTrue(byFirst.get(HTTP1_CONNECTIONS).first().compareTo(firstSixEnd) > 0,
                () -> "the seventh stream's first event after one of the first six ended: " + run.timings());
        // The streams under way at once each had a connection of their own: HTTP/1.1 carries one at a time.
        assertTrue(run.connections() >= started, () -> run.connections() + " connections for " + started + " streams at once");
    }
}

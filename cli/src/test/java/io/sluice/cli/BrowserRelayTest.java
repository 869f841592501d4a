package io.sluice.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.sun.net.httpserver.HttpServer;
import io.sluice.netty.SseRelay;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The relay end to end into a real browser. Headless Chromium (Debian's, driven by playwright-core
 * through {@code src/test/browser/drive.mjs}) opens {@code src/test/browser/page/}, served by a
 * {@link RelayServer} with {@code --static}, and the page reads the relayed stream twice: with
 * {@code EventSource} (GET, named events) and with {@code fetch} + {@code ReadableStream} (POST with a
 * JSON body, SSE framing parsed by the page). Each reader renders the text deltas, or the
 * {@code error.type} of an error event; the tests compare what was rendered with the sample's
 * final message.
 *
 * <p>Launching Chromium takes seconds, so one browser run in {@link #relayEveryCaseIntoOneBrowser}
 * visits every case's page (one relay per upstream, all on loopback port 0) and each test reads
 * its own page's result. Skipped, saying why, when Chromium, node or the installed playwright-core
 * is missing: {@code .ci/run} installs all three.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BrowserRelayTest {
    /** drive.mjs exits by itself within this; the test waits a little longer before killing it. */
    private static final int DRIVER_SECONDS = 90;

    /** One reader's end: index.html's data-state (done, error or closed), its text, its error line. */
    record Reader(String state, String text, String error) {
    }

    /**
     * What the browser rendered on one case's page, how many reads brought the fetch reader its
     * bytes, and the page's uncaught exceptions and console errors.
     */
    record Page(Reader eventSource, Reader fetch, int fetchReads, String fetchReadTimes, List<String> problems) {
    }

    private static final List<AutoCloseable> servers = new ArrayList<>();
    private static final Queue<SseRelay.Outcome> outcomes = new ConcurrentLinkedQueue<>();
    private static final Map<String, Page> pages = new LinkedHashMap<>();

    @BeforeAll
    @Timeout(value = DRIVER_SECONDS + 60, unit = TimeUnit.SECONDS)
    static void relayEveryCaseIntoOneBrowser() throws Exception {
        Path node = BrowserDriver.assumeInstalled();

        Map<String, String> upstreams = new LinkedHashMap<>();
        for (String sample : List.of("anthropic-text", "openai-chat-text", "anthropic-overloaded")) {
            upstreams.put(sample, replay(sample));
        }
        upstreams.put("upstream-529", overloadedStatus());
        upstreams.put("upstream-unreachable", "http://127.0.0.1:" + closedPort());

        Map<String, String> urls = new LinkedHashMap<>();
        for (Map.Entry<String, String> upstream : upstreams.entrySet()) {
            RelayServer relay = RelayServer.start(new RelayServer.Options("127.0.0.1", 0,
                    GetCommand.getRequest(upstream.getValue()), "/v1/messages", BrowserDriver.PAGES, Duration.ofSeconds(15),
                    Duration.ZERO, Duration.ZERO, false, 1 << 20, true, false), outcomes::add);
            servers.add(relay);
            urls.put("http://127.0.0.1:" + relay.port() + "/", upstream.getKey());
        }
        warmUp();
        Map<String, Page> byUrl = drive(node, urls.keySet());
        for (Map.Entry<String, String> url : urls.entrySet()) {
            pages.put(url.getValue(), byUrl.get(url.getKey()));
        }
    }

    @AfterAll
    static void stopServers() throws Exception {
        for (AutoCloseable server : servers) {
            server.close();
        }
    }

    /**
     * Relays a sample, unpaced, a few hundred times through a relay of its own (its outcomes are not
     * this test's), so the JIT has compiled the relay's path before the browser times it: on a busy
     * machine a cold relay in this JVM delivered the paced stream in one or two late blocks.
     */
    private static void warmUp() throws Exception {
        String name = "anthropic-text.pcap";
        ServeCommand.Served served = ServeCommand.served(InputKind.PCAP, Files.readAllBytes(SAMPLES.resolve(name)), name,
                null, new PrintWriter(new StringWriter()));
        try (ReplayServer upstream = ReplayServer.start("127.0.0.1", 0, served.writes(), Timing.NONE, true, served.reset());
             RelayServer relay = RelayServer.start(new RelayServer.Options("127.0.0.1", 0,
                     GetCommand.getRequest("http://127.0.0.1:" + upstream.port()), null, null, Duration.ZERO,
                     Duration.ZERO, Duration.ZERO, false, 1 << 20, true, false), outcome -> { })) {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:" + relay.port() + "/v1/messages"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).timeout(Duration.ofSeconds(30)).build();
            for (int i = 0; i < 300; i++) {
                http.send(request, java.net.http.HttpResponse.BodyHandlers.discarding());
            }
        }
    }

    /**
     * {@code sluice serve} of the sample's capture for every request, four times faster than
     * captured: fast, yet slow enough that a relay holding the stream back would show.
     */
    private static String replay(String sample) throws IOException {
        String name = sample + ".pcap";
        ServeCommand.Served served = ServeCommand.served(InputKind.PCAP, Files.readAllBytes(SAMPLES.resolve(name)), name,
                null, new PrintWriter(new StringWriter()));
        ReplayServer server = ReplayServer.start("127.0.0.1", 0, served.writes(), new Timing.Converter().convert("x4"),
                true, served.reset());
        servers.add(server);
        return "http://127.0.0.1:" + server.port(); // a base URL: the page's request path goes under it
    }

    /** An upstream that answers 529 with Anthropic's overloaded body, as the API does when it sheds load. */
    private static String overloadedStatus() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        byte[] body = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"
                .getBytes(StandardCharsets.UTF_8);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("content-type", "application/json");
            exchange.sendResponseHeaders(529, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        servers.add(() -> server.stop(0));
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** A loopback port nothing listens on (it was free a moment ago and nothing here binds it again). */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Runs drive.mjs over the pages and reads its JSON report; its output stays in target/browser-relay. */
    private static Map<String, Page> drive(Path node, Iterable<String> urls) throws Exception {
        String report = BrowserDriver.drive(node, Path.of("target/browser-relay"), DRIVER_SECONDS, List.of(), urls);
        Map<String, Page> byUrl = parse(report);
        System.out.println("BrowserRelayTest: " + byUrl.size() + " pages read in " + browser(report));
        return byUrl;
    }

    private static String browser(String report) throws IOException {
        try (JsonParser p = new JsonFactory().createParser(report)) {
            while (p.nextToken() != null) {
                if (p.currentToken() == JsonToken.FIELD_NAME && p.currentName().equals("browser")) {
                    p.nextToken();
                    return "Chromium " + p.getText();
                }
            }
        }
        return "Chromium";
    }

    /** drive.mjs's {@code {"browser":..., "pages":[{"url", "eventsource", "fetch", "problems"}]}}, by URL. */
    private static Map<String, Page> parse(String report) throws IOException {
        Map<String, Page> byUrl = new LinkedHashMap<>();
        try (JsonParser p = new JsonFactory().createParser(report)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (!field.equals("pages")) {
                    p.skipChildren();
                    continue;
                }
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    String url = null;
                    Reader eventSource = null;
                    Reader fetch = null;
                    int fetchReads = 0;
                    String fetchReadTimes = "";
                    List<String> problems = new ArrayList<>();
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String name = p.currentName();
                        p.nextToken();
                        switch (name) {
                            case "url" -> url = p.getText();
                            case "eventsource" -> eventSource = reader(p);
                            case "fetch" -> fetch = reader(p);
                            case "fetchReads" -> fetchReads = p.getIntValue();
                            case "fetchReadTimes" -> fetchReadTimes = p.getText();
                            case "problems" -> {
                                while (p.nextToken() == JsonToken.VALUE_STRING) {
                                    problems.add(p.getText());
                                }
                            }
                            default -> p.skipChildren();
                        }
                    }
                    byUrl.put(url, new Page(eventSource, fetch, fetchReads, fetchReadTimes, problems));
                }
            }
        }
        return byUrl;
    }

    private static Reader reader(JsonParser p) throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            fields.put(name, p.getText());
        }
        return new Reader(fields.get("state"), fields.get("text"), fields.get("error"));
    }

    /** The sample's final message text: content[0].text of its .expected.json. */
    private static String finalText(String sample) throws IOException {
        try (JsonParser p = new JsonFactory().createParser(SAMPLES.resolve(sample + ".expected.json").toFile())) {
            while (p.nextToken() != null) {
                if (p.currentToken() == JsonToken.VALUE_STRING && p.getParsingContext().pathAsPointer().toString().equals("/content/0/text")) {
                    return p.getText();
                }
            }
        }
        throw new AssertionError(sample + ".expected.json has no content[0].text");
    }

    private static Page page(String name) {
        Page page = pages.get(name);
        assertNotNull(page, "drive.mjs reported no page for " + name);
        assertEquals(List.of(), page.problems(), name + ": the page's exceptions and console errors");
        return page;
    }

    private static void assertBothReadersRendered(String name, Reader expected) {
        Page page = page(name);
        assertEquals(expected, page.eventSource(), name + ", EventSource");
        assertEquals(expected, page.fetch(), name + ", fetch");
    }

    @ParameterizedTest
    @ValueSource(strings = {"anthropic-text", "openai-chat-text"})
    void eventSourceRendersTheSamplesFinalText(String sample) throws IOException {
        assertEquals(new Reader("done", finalText(sample), ""), page(sample).eventSource());
    }

    @ParameterizedTest
    @ValueSource(strings = {"anthropic-text", "openai-chat-text"})
    void fetchReadableStreamRendersTheSamplesFinalText(String sample) throws IOException {
        assertEquals(new Reader("done", finalText(sample), ""), page(sample).fetch());
    }

    @Test
    void fetchReadsTheStreamAsItArrivesNotAtItsEnd() {
        // anthropic-text's 55 events are paced over about 0.6 s and each is flushed as it comes: the
        // reader's reads come over that time. A relay that held the stream back would hand it over
        // in one block at its end. How many reads the browser makes of it depends on how busy the
        // machine is (about 40 on a quiet one, 3 to 10 on a loaded one): their spread does not.
        Page page = page("anthropic-text");
        List<Integer> times = java.util.Arrays.stream(page.fetchReadTimes().split(",")).filter(t -> !t.isEmpty())
                .map(Integer::valueOf).toList();
        String because = "the fetch reader's reads came at " + page.fetchReadTimes() + " ms";
        assertTrue(times.size() >= 3, because);
        assertTrue(times.get(times.size() - 1) - times.get(0) >= 150, because);
        System.out.println("BrowserRelayTest: " + because);
    }

    @Test
    void aProvidersErrorEventRendersAfterTheTextBeforeIt() throws IOException {
        assertBothReadersRendered("anthropic-overloaded", new Reader("error", finalText("anthropic-overloaded"), "overloaded_error"));
    }

    /**
     * A refused page's own problems: only the browser's reports of the failed requests (Chromium
     * logs a non-2xx answer and an EventSource answer that is not an event stream as console
     * errors), no exception of the page's.
     */
    private static Page refusedPage(String name, int status) {
        Page page = pages.get(name);
        assertNotNull(page, "drive.mjs reported no page for " + name);
        for (String problem : page.problems()) {
            assertTrue(problem.contains("status of " + status) || problem.contains("EventSource"),
                    name + ": a problem that is not the browser's report of the refusal: " + page.problems());
        }
        return page;
    }

    @Test
    void anUpstreamErrorStatusReachesTheBrowserAsThatStatusWithTheProvidersBody() {
        Page page = refusedPage("upstream-529", 529);
        assertEquals(new Reader("refused", "", "not an event stream"), page.eventSource(), "EventSource fails, without reconnecting");
        assertEquals(new Reader("refused", "", "529 overloaded_error"), page.fetch());
    }

    @Test
    void anUnreachableUpstreamIsTheRelaysBadGateway() {
        Page page = refusedPage("upstream-unreachable", 502);
        assertEquals(new Reader("refused", "", "not an event stream"), page.eventSource());
        assertEquals(new Reader("refused", "", "502 upstream_unreachable"), page.fetch());
    }

    @Test
    void theRelayLoggedBothReadersOfEveryPage() throws InterruptedException {
        // GET (EventSource) and POST (fetch) per page: each reader is one relayed stream, and neither reconnected.
        // A stream is logged when the relay sees it end, which may be just after the browser closed the page.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (outcomes.size() < 2 * pages.size() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        Thread.sleep(200); // a third stream, were a reader to reconnect, would be logged by now
        assertEquals(2 * pages.size(), outcomes.size(), outcomes.toString());
        for (String method : List.of("GET", "POST")) {
            assertEquals(pages.size(), outcomes.stream().filter(o -> o.method().equals(method)).count(), method);
        }
    }
}

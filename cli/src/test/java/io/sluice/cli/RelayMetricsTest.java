package io.sluice.cli;

import com.sun.net.httpserver.HttpServer;
import io.sluice.core.testing.JsonTree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static io.sluice.cli.SluiceRunner.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19 item 6: {@code sluice relay --metrics} relays every recorded sample, then its
 * {@code /metrics} is scraped over HTTP: the token counts add up to the samples' expected
 * messages, the streams by end to the access log's ends, and time to first token is there. The
 * relay is a process of its own, under Netty's paranoid leak detector, its stderr checked for reports.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RelayMetricsTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final Pattern SAMPLE_LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /**
     * Every sample with its final message and its events (RelayTest's set: anthropic-long, 2 MB
     * for the benchmarks, is left out), served at {@code /NAME} by the JDK's HTTP server as its {@code .sse}.
     */
    private static List<String> samples() throws IOException {
        try (Stream<Path> files = Files.list(SAMPLES)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".expected.json"))
                    .map(n -> n.substring(0, n.length() - ".expected.json".length()))
                    .filter(n -> Files.exists(SAMPLES.resolve(n + ".sse")) && Files.exists(SAMPLES.resolve(n + ".events.ndjson")))
                    .sorted().toList();
        }
    }

    private static HttpServer serveSamples() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] body = Files.readAllBytes(SAMPLES.resolve(exchange.getRequestURI().getPath().substring(1) + ".sse"));
            exchange.getResponseHeaders().set("content-type", "text/event-stream");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server;
    }

    /** One scraped sample: its metric name, labels and value. */
    private record Series(String name, Map<String, String> labels, double value) {
    }

    private static List<Series> parse(String text) {
        List<Series> series = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE_LINE.matcher(line);
            assertTrue(m.matches(), line);
            Map<String, String> labels = new TreeMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            series.add(new Series(m.group(1), labels, Double.parseDouble(m.group(3))));
        }
        return series;
    }

    /** The sum of {@code name}'s series whose labels include {@code labels}. */
    private static double sum(List<Series> scraped, String name, String... labels) {
        double total = 0;
        for (Series s : scraped) {
            boolean match = s.name().equals(name);
            for (int i = 0; match && i < labels.length; i += 2) {
                match = labels[i + 1].equals(s.labels().get(labels[i]));
            }
            total += match ? s.value() : 0;
        }
        return total;
    }

    private static long count(Map<String, Object> usage, String key) {
        Object v = usage.get(key);
        return v == null ? 0 : ((Number) v).longValue();
    }

    /**
     * The token counts by {@code gen_ai.token.type} the samples' expected messages add up to, by
     * the rules of docs/metrics.md: input holds the cache (Anthropic reports it apart), output
     * the reasoning (Gemini reports it apart). The older expected files carry
     * {@code input_tokens} and {@code output_tokens} only (samples/README.md); a key a file lacks
     * is read from the sample's replay ({@code --format message}), which gemini-text needs: its
     * stream reports 612 thinking tokens its file does not name.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Long> expectedTokens(List<String> samples) throws IOException {
        Map<String, Long> tokens = new HashMap<>();
        for (String sample : samples) {
            Map<String, Object> message = (Map<String, Object>) JsonTree.of(Files.readString(SAMPLES.resolve(sample + ".expected.json")));
            Map<String, Object> usage = new TreeMap<>((Map<String, Object>) ((Map<String, Object>) JsonTree.of(
                    SluiceRunner.run("replay", "--format", "message", SAMPLES.resolve(sample + ".sse").toString()).out()))
                    .get("usage"));
            usage.putAll((Map<String, Object>) message.get("usage"));
            String provider = (String) message.get("provider");
            long cacheRead = count(usage, "cache_read_input_tokens");
            long cacheWrite = count(usage, "cache_creation_input_tokens");
            long reasoning = count(usage, "reasoning_tokens");
            tokens.merge("input", count(usage, "input_tokens") + ("anthropic".equals(provider) ? cacheRead + cacheWrite : 0), Long::sum);
            tokens.merge("output", count(usage, "output_tokens") + ("gemini".equals(provider) ? reasoning : 0), Long::sum);
            tokens.merge("cache_read", cacheRead, Long::sum);
            tokens.merge("cache_write", cacheWrite, Long::sum);
            tokens.merge("reasoning", reasoning, Long::sum);
        }
        return tokens;
    }

    @Test
    void aScrapeAfterRelayingTheSamplesMatchesTheirExpectedMessages(@TempDir Path dir) throws Exception {
        List<String> samples = samples();
        assertTrue(samples.size() >= 14, samples::toString);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = dir.resolve("stdout");
        Path err = dir.resolve("stderr");
        HttpServer upstream = serveSamples();
        Process process = new ProcessBuilder(java, "-Dio.netty.leakDetection.level=paranoid",
                "-Dio.netty.leakDetection.targetRecords=8", "-Dio.netty.leakDetection.acquireAndReleaseOnly=true",
                "-cp", System.getProperty("java.class.path"), Sluice.class.getName(),
                "relay", "--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0",
                "--upstream", "http://127.0.0.1:" + upstream.getAddress().getPort())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            Matcher ports = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/ .*, metrics on http://127\\.0\\.0\\.1:(\\d+)/metrics;")
                    .matcher("");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!ports.reset(Files.readString(err)).find()) {
                assertTrue(process.isAlive() && System.nanoTime() < deadline, () -> "no announcement: " + read(err));
                Thread.sleep(50);
            }
            int relay = Integer.parseInt(ports.group(1));
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            URI metrics = URI.create("http://127.0.0.1:" + ports.group(2) + "/metrics");

            for (String sample : samples) {
                assertEquals(200, post(relay, "/" + sample).statusCode(), sample);
            }
            while (Files.readAllLines(out).size() < samples.size()) {
                assertTrue(System.nanoTime() < deadline, "an access log line per stream");
                Thread.sleep(20);
            }
            HttpResponse<String> scrape = HTTP.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, scrape.statusCode());
            assertEquals(MetricsEndpoint.CONTENT_TYPE, scrape.headers().firstValue("content-type").orElse(""));
            List<Series> scraped = parse(scrape.body());

            expectedTokens(samples).forEach((type, total) -> assertEquals((double) total,
                    sum(scraped, "gen_ai_client_token_usage_sum", "gen_ai_token_type", type), "tokens of type " + type));
            Map<String, Integer> ends = new HashMap<>();
            int attempts = 0;
            long bytes = 0;
            for (String line : Files.readAllLines(out)) {
                Matcher end = Pattern.compile(" bytes=(\\d+) .* end=(\\S+) .* attempts=(\\d+) ").matcher(line);
                assertTrue(end.find(), line);
                bytes += Long.parseLong(end.group(1));
                ends.merge(end.group(2), 1, Integer::sum);
                attempts += Integer.parseInt(end.group(3));
            }
            ends.forEach((end, n) -> assertEquals((double) n, sum(scraped, "sluice_streams_ended_total", "kind", "relay", "end", end),
                    "streams that ended " + end));
            assertEquals(samples.size(), sum(scraped, "sluice_streams_ended_total"));
            assertEquals(0, sum(scraped, "sluice_streams_active", "kind", "relay"));
            assertEquals(samples.size(), sum(scraped, "gen_ai_client_operation_time_to_first_chunk_seconds_count"),
                    "every sample is an LLM stream with a first chunk");
            assertEquals(samples.size(), sum(scraped, "sluice_stream_first_content_seconds_count", "kind", "relay"),
                    "time to first token: every sample has one");
            assertEquals(samples.size(), sum(scraped, "gen_ai_client_operation_duration_seconds_count"));
            assertEquals(1, sum(scraped, "gen_ai_client_operation_duration_seconds_count", "error_type", "overloaded_error"),
                    "anthropic-overloaded's error event");
            assertEquals(bytes, sum(scraped, "sluice_stream_bytes_total", "kind", "relay"), "the access log's bytes");
            assertEquals(attempts, sum(scraped, "sluice_relay_attempts_total"), "the access log's attempts");
            assertTrue(sum(scraped, "sluice_connections_opened_total") >= 1);

            HttpResponse<String> elsewhere = HTTP.send(HttpRequest.newBuilder(metrics.resolve("/other")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(404, elsewhere.statusCode());
            HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(metrics).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());

            process.destroy();
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "stopped");
            String stderr = read(err);
            assertFalse(stderr.contains("LEAK"), stderr);
            assertEquals(1, stderr.lines().count(), stderr);
        } finally {
            process.destroyForcibly();
            upstream.stop(0);
        }
    }

    @Test
    void aMetricsAddressInUseIsAnInputErrorBeforeTheRelayListens() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            SluiceRunner.Result result = SluiceRunner.run("relay", "--listen", "127.0.0.1:0",
                    "--metrics", "127.0.0.1:" + taken.getLocalPort(), "--upstream", "http://127.0.0.1:9/");
            result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
            assertTrue(result.err().startsWith("sluice relay: cannot serve metrics on 127.0.0.1:" + taken.getLocalPort()),
                    result.err());
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }
}

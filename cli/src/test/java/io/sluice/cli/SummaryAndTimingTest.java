package io.sluice.cli;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static io.sluice.cli.SluiceRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --format summary}, the timestamps of {@code text} output, and {@code --timing}. */
class SummaryAndTimingTest {

    private static Map<String, String> summary(String sample) {
        SluiceRunner.Result result = run("replay", "--format", "summary", SAMPLES.resolve(sample).toString());
        assertEquals(0, result.exit(), result.err());
        assertEquals("", result.err(), "no progress line when standard error is not a terminal");
        Map<String, String> lines = new LinkedHashMap<>();
        for (String line : result.outLines()) {
            lines.put(line.substring(0, 12).strip(), line.substring(13));
        }
        return lines;
    }

    @Test
    void summaryOfACaptureReportsTimingsGapsStopReasonAndACleanEnd() {
        Map<String, String> s = summary("anthropic-max-tokens.pcap");
        assertEquals(List.of("input", "response", "events", "bytes", "first byte", "first event", "event gaps", "provider",
                "stop reason", "complete", "end"), List.copyOf(s.keySet()));
        assertEquals("28", s.get("events"));
        assertEquals("3588", s.get("bytes"));
        assertEquals("anthropic", s.get("provider"));
        assertEquals("max_tokens (output token limit: the text is cut off)", s.get("stop reason"));
        assertEquals("yes", s.get("complete"));
        assertEquals("clean: every event terminated; server closed the connection (FIN)", s.get("end"));
        // The samples' first response byte comes 300-600 ms after the request.
        double firstByte = Double.parseDouble(s.get("first byte").replace(" ms", ""));
        assertTrue(firstByte >= 300 && firstByte <= 600, s.get("first byte"));
        assertTrue(Double.parseDouble(s.get("first event").replace(" ms", "")) >= firstByte);
        assertTrue(s.get("event gaps").matches("p50 [0-9.]+ ms, p90 [0-9.]+ ms, p99 [0-9.]+ ms, max [0-9.]+ ms \\(27 gaps\\)"),
                s.get("event gaps"));
    }

    @Test
    void summaryOfACutStreamSaysHowItWasCut() {
        Map<String, String> s = summary("anthropic-truncated.pcap");
        assertEquals("no: the provider's terminal event did not arrive", s.get("complete"));
        assertEquals("not clean: cut mid-event (117 bytes undispatched); connection reset (RST)", s.get("end"));
        assertEquals("not clean: cut mid-event (117 bytes undispatched); the HTTP body ended before its framing said "
                + "it would (cut mid-chunk)", summary("anthropic-truncated.http").get("end"));
    }

    @Test
    void summaryOfABodyWithoutTimestampsHasNoTimes() {
        Map<String, String> s = summary("openai-chat-tools.sse");
        assertEquals("39", s.get("events"));
        assertEquals("-", s.get("first byte"));
        assertEquals("-", s.get("event gaps"));
        assertEquals("openai-chat", s.get("provider"));
        assertEquals("tool_calls", s.get("stop reason"));
        assertEquals("clean: every event terminated", s.get("end"));
    }

    @Test
    void textOfACaptureStampsEachRecordWithItsCaptureTime() {
        SluiceRunner.Result result = run("replay", SAMPLES.resolve("gemini-text.pcap").toString());
        assertEquals(0, result.exit(), result.err());
        List<String> lines = result.outLines();
        assertTrue(lines.get(0).matches("\\+[0-9.]+ms response 200 OK, text/event-stream.*"), lines.get(0));
        assertTrue(lines.get(1).matches("\\+[0-9.]+ms event message"), lines.get(1));
        assertEquals("end: 5 events, 2433 bytes, clean", lines.get(lines.size() - 2));
        assertEquals("connection: server closed the connection (FIN)", lines.get(lines.size() - 1));
        assertTrue(run("replay", SAMPLES.resolve("gemini-text.sse").toString()).out().startsWith("event message\n"));
    }

    @Test
    void timingWaitsOutTheCapturedGapsScaled() {
        // The capture time from the first read to the last, from the text output's stamps.
        List<Double> stamps = run("replay", SAMPLES.resolve("anthropic-text.pcap").toString()).outLines().stream()
                .filter(l -> l.startsWith("+")).map(l -> Double.parseDouble(l.substring(1, l.indexOf("ms ")))).toList();
        double spanMs = stamps.get(stamps.size() - 1) - stamps.get(0);
        assertTrue(spanMs > 1000, "the sample spans over a second: " + spanMs);
        long start = System.nanoTime();
        SluiceRunner.Result result = run("replay", "--timing", "x8", "--format", "ndjson",
                SAMPLES.resolve("anthropic-text.pcap").toString());
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(0, result.exit(), result.err());
        assertEquals(55, result.records("event").size());
        assertTrue(elapsedMs >= spanMs / 8, elapsedMs + " ms for a capture span of " + spanMs + " ms at x8");
    }
}

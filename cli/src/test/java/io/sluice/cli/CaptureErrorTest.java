package io.sluice.cli;

import io.sluice.core.testing.JsonTree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static io.sluice.cli.SluiceRunner.run;
import static io.sluice.cli.SluiceRunner.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A broken recording is one line on standard error and exit status 1, after the records decoded
 * before the break: a truncated or holed capture, a corrupt chunk size, a response that is not SSE,
 * an HTTP error response.
 */
class CaptureErrorTest {
    private static final String ERROR_BODY = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}";

    @TempDir
    Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    private static List<String> recordedEvents(String stem) throws IOException {
        return Files.readAllLines(SAMPLES.resolve(stem + ".events.ndjson"));
    }

    @Test
    void truncatedPcapReplaysTheEventsBeforeTheCutThenOneLineAndExit1() throws IOException {
        byte[] pcap = Files.readAllBytes(SAMPLES.resolve("anthropic-text.pcap"));
        Path cut = write("cut.pcap", Arrays.copyOf(pcap, pcap.length * 2 / 3));
        SluiceRunner.Result result = run("replay", "--format", "ndjson", cut.toString());
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertTrue(result.err().startsWith("sluice replay: " + cut + ": truncated pcap: packet "), result.err());
        List<String> events = result.records("event");
        assertTrue(events.size() > 10 && events.size() < 55, "some but not all events: " + events.size());
        assertEquals(recordedEvents("anthropic-text").subList(0, events.size()), events);
    }

    @Test
    void corruptChunkSizeReplaysTheEventsBeforeItThenOneLineAndExit1() throws IOException {
        String http = Files.readString(SAMPLES.resolve("anthropic-text.http"), StandardCharsets.ISO_8859_1);
        // Corrupt the chunk size line that follows the fifth chunk's data.
        int at = http.indexOf("\r\n\r\n") + 4;
        for (int i = 0; i < 5; i++) {
            int size = Integer.parseInt(http.substring(at, http.indexOf("\r\n", at)).split(";")[0].trim(), 16);
            at = http.indexOf("\r\n", at) + 2 + size + 2;
        }
        String corrupt = http.substring(0, at) + "zz" + http.substring(at);
        Path file = write("corrupt.http", corrupt.getBytes(StandardCharsets.ISO_8859_1));
        SluiceRunner.Result result = run("replay", "--format", "ndjson", file.toString());
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertTrue(result.err().startsWith("sluice replay: " + file + ": corrupt HTTP response: "), result.err());
        List<String> events = result.records("event");
        assertEquals(recordedEvents("anthropic-text").subList(0, events.size()), events);
    }

    @Test
    void nonSseResponseIsOneLineAndExit1() throws IOException {
        Path file = write("json.http", utf8("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"));
        SluiceRunner.Result result = run("replay", "--format", "ndjson", file.toString());
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertEquals("sluice replay: " + file + ": HTTP 200 OK with content type application/json, not text/event-stream"
                + " (--accept-any-content-type reads it as one)\n", result.err());
        assertEquals(List.of(), result.records("event"));
    }

    /** Issue 17: one definition of an event stream. What sluice get refuses, replay of its capture refuses too. */
    @ParameterizedTest
    @ValueSource(strings = {"", "content-type: text/event-streaming\r\n", "content-type: text/plain\r\n"})
    void responseTheClientRefusesIsRefusedAndReadOnlyWithAcceptAnyContentType(String contentType) throws IOException {
        String body = "data: x\n\n";
        Path file = write("odd.http", utf8("HTTP/1.1 200 OK\r\n" + contentType + "content-length: " + body.length()
                + "\r\n\r\n" + body));
        SluiceRunner.Result refused = run("replay", "--format", "ndjson", file.toString());
        refused.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        String type = contentType.isEmpty() ? "(none)" : contentType.substring("content-type: ".length()).strip();
        assertEquals("sluice replay: " + file + ": HTTP 200 OK with content type " + type + ", not text/event-stream"
                + " (--accept-any-content-type reads it as one)\n", refused.err());
        assertEquals(List.of(), refused.records("event"));

        SluiceRunner.Result accepted = run("replay", "--format", "ndjson", "--accept-any-content-type", file.toString());
        assertEquals(Sluice.EXIT_OK, accepted.exit(), accepted.err());
        assertEquals("", accepted.err());
        assertEquals(List.of("{\"type\":\"event\",\"event\":\"message\",\"data\":\"x\",\"id\":\"\"}"),
                accepted.records("event"));
    }

    @Test
    void bodyInACodingNobodyDecodesIsRefusedEvenWithAcceptAnyContentType() throws IOException {
        Path file = write("br.http", utf8("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: br\r\n"
                + "content-length: 4\r\n\r\nabcd"));
        SluiceRunner.Result result = run("replay", "--accept-any-content-type", file.toString());
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertEquals("sluice replay: " + file + ": HTTP 200 OK with content type text/event-stream in content-encoding br,"
                + " which is not decoded\n", result.err());
    }

    @Test
    void httpErrorResponseIsOneLineAndExit1AndItsMessageCarriesTheBodysError() throws IOException {
        Path file = write("529.http", utf8("HTTP/1.1 529 Overloaded\r\ncontent-type: application/json\r\n"
                + "content-length: " + ERROR_BODY.length() + "\r\n\r\n" + ERROR_BODY));
        SluiceRunner.Result result = run("replay", "--format", "message", file.toString());
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertEquals("sluice replay: " + file + ": HTTP error response 529 Overloaded: " + ERROR_BODY + "\n", result.err());
        @SuppressWarnings("unchecked")
        Map<String, Object> message = (Map<String, Object>) JsonTree.of(result.out());
        assertEquals(JsonTree.of("{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}"), message.get("error"));
        assertEquals(Boolean.FALSE, message.get("complete"));
        assertEquals(JsonTree.of("0"), message.get("events"));
        assertEquals(List.of(), message.get("content"));
        assertEquals("anthropic", message.get("provider"), "the body's {\"type\":\"error\"} envelope is Anthropic's");
    }

    /** The provider of a refused stream, from the body's shape first (issue 19). */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}|openai-chat",
            "{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted\",\"status\":\"RESOURCE_EXHAUSTED\"}}|gemini",
            "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Slow down\"}}|anthropic"})
    void httpErrorResponsesMessageNamesTheProviderTheBodyShapeTells(String body, String provider) throws IOException {
        Path file = write("429.http", utf8("HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\n"
                + "content-length: " + utf8(body).length + "\r\n\r\n" + body));
        SluiceRunner.Result result = run("replay", "--format", "message", file.toString());
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertEquals(provider, ((Map<?, ?>) JsonTree.of(result.out())).get("provider"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "server: scaffolding on HTTPServer2|gemini",
            "anthropic-organization-id: 041daab0-c081-4296-cc47-78eef7f992a4|anthropic",
            "openai-processing-ms: 7|openai-chat"})
    void httpErrorResponseWhoseBodyTellsNothingIsNamedByItsHeaders(String header, String provider) throws IOException {
        String html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
        Path file = write("502.http", utf8("HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\n" + header + "\r\n"
                + "content-length: " + html.length() + "\r\n\r\n" + html));
        SluiceRunner.Result message = run("replay", "--format", "message", file.toString());
        message.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) JsonTree.of(message.out());
        assertEquals(provider, json.get("provider"));
        assertEquals(JsonTree.of("{\"type\":\"http_error\",\"message\":\"HTTP status 502\"}"), json.get("error"));
        SluiceRunner.Result summary = run("replay", "--format", "summary", file.toString());
        assertTrue(summary.out().contains("\nprovider     " + provider + "\n"), summary.out());
    }

    @Test
    void chunkedGzipHttpErrorBodyIsDecodedForTheMessage() throws IOException {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(utf8(ERROR_BODY));
        }
        byte[] body = gz.toByteArray();
        ByteArrayOutputStream http = new ByteArrayOutputStream();
        http.writeBytes(utf8("HTTP/1.1 529 Overloaded\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n"
                + "transfer-encoding: chunked\r\n\r\n" + Integer.toHexString(body.length) + "\r\n"));
        http.writeBytes(body);
        http.writeBytes(utf8("\r\n0\r\n\r\n"));
        SluiceRunner.Result result = run("replay", "--format", "message", write("529.http", http.toByteArray()).toString());
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertTrue(result.out().contains("\"overloaded_error\""), result.out());
    }

    @Test
    void captureWithoutAnHttpResponseIsOneLineAndExit1() throws IOException {
        byte[] pcap = Files.readAllBytes(SAMPLES.resolve("anthropic-text.pcap"));
        Path headerOnly = write("empty.pcap", Arrays.copyOf(pcap, 24));
        SluiceRunner.Result result = run("replay", headerOnly.toString());
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertEquals("sluice replay: " + headerOnly + ": no TCP stream carrying an HTTP response in 0 packets (no TCP data)\n",
                result.err());
    }

    @Test
    void flowPicksTheStreamAndAnUnknownFlowIsOneLineNamingTheStreams() {
        String pcap = SAMPLES.resolve("anthropic-text.pcap").toString();
        SluiceRunner.Result server = run("replay", "--format", "ndjson", "--flow", "127.0.0.1:8080", pcap);
        assertEquals(0, server.exit(), server.err());
        assertEquals(55, server.records("event").size());
        // The client's stream is the request: not SSE, no events.
        SluiceRunner.Result unknown = run("replay", "--flow", "10.0.0.1:443", pcap);
        unknown.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertTrue(unknown.err().contains("no TCP stream from 10.0.0.1:443")
                && unknown.err().contains("127.0.0.1:8080-127.0.0.1:"), unknown.err());
    }

    @Test
    void badTimingIsBadUsage() {
        run("replay", "--timing", "x0", SAMPLES.resolve("anthropic-text.pcap").toString()).assertOneLineOnStderr(Sluice.EXIT_USAGE);
        run("replay", "--timing", "fast", SAMPLES.resolve("anthropic-text.pcap").toString()).assertOneLineOnStderr(Sluice.EXIT_USAGE);
    }
}

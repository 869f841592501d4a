package io.sluice.cli;

import io.sluice.core.testing.JsonTree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static io.sluice.cli.SluiceRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every sample agrees across its three forms (the raw body, the HTTP response, the packet
 * capture): the same events as its {@code .events.ndjson}, the same final message as its
 * {@code .expected.json}, however the input is cut.
 */
class SampleFormsTest {

    private static List<String> stems(String extension) throws IOException {
        try (Stream<Path> files = Files.list(SAMPLES)) {
            List<String> stems = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(extension))
                    .map(n -> n.substring(0, n.length() - extension.length()))
                    .sorted().collect(Collectors.toList());
            assertFalse(stems.isEmpty(), "no *" + extension + " in " + SAMPLES.toAbsolutePath());
            return stems;
        }
    }

    static Stream<Arguments> httpAndPcapUnderEveryCut() throws IOException {
        Stream<Arguments> http = stems(".http").stream().flatMap(s -> Stream.of("whole", "1", "random:42")
                .map(c -> Arguments.of(s + ".http", c)));
        // No --chunk: the captured segments, the default for a capture.
        Stream<Arguments> pcap = stems(".pcap").stream().flatMap(s -> Stream.of("segments", "7", "random:42")
                .map(c -> Arguments.of(s + ".pcap", c)));
        return Stream.concat(http, pcap);
    }

    @ParameterizedTest(name = "{0} --chunk {1}")
    @MethodSource("httpAndPcapUnderEveryCut")
    void httpAndPcapReplayToTheRecordedEvents(String sample, String chunking) throws IOException {
        String stem = sample.substring(0, sample.lastIndexOf('.'));
        SluiceRunner.Result result = chunking.equals("segments")
                ? run("replay", "--format", "ndjson", SAMPLES.resolve(sample).toString())
                : run("replay", "--format", "ndjson", "--chunk", chunking, SAMPLES.resolve(sample).toString());
        assertEquals(0, result.exit(), result.err());
        assertEquals("", result.err());
        assertEquals(Files.readAllLines(SAMPLES.resolve(stem + ".events.ndjson")), result.records("event"));
        List<String> sse = run("replay", "--format", "ndjson", SAMPLES.resolve(stem + ".sse").toString()).records("end");
        assertEquals(sse, result.records("end"), "the same end record as the raw body");
    }

    static Stream<Arguments> everyFormOfEverySample() throws IOException {
        Stream<Arguments> sse = stems(".sse").stream().map(s -> Arguments.of(s, "sse"));
        Stream<Arguments> http = stems(".http").stream().map(s -> Arguments.of(s, "http"));
        Stream<Arguments> pcap = stems(".pcap").stream().map(s -> Arguments.of(s, "pcap"));
        return Stream.of(sse, http, pcap).flatMap(s -> s);
    }

    @ParameterizedTest(name = "{0}.{1}")
    @MethodSource("everyFormOfEverySample")
    void formatMessagePrintsTheExpectedFinalMessage(String stem, String form) throws IOException {
        SluiceRunner.Result result = run("replay", "--format", "message", SAMPLES.resolve(stem + "." + form).toString());
        assertEquals(0, result.exit(), result.err());
        assertEquals("", result.err());
        Object expected = JsonTree.of(Files.readString(SAMPLES.resolve(stem + ".expected.json"), StandardCharsets.UTF_8));
        // the keys the file has: older samples predate the usage keys of issue 19 (docs/llm.md)
        assertEquals(expected, JsonTree.trimmedTo(expected, JsonTree.of(result.out()), "usage"));
        assertTrue(result.out().startsWith("{\n  \"provider\": "), "indented two spaces a level: " + result.out());
    }

    @Test
    void messageOfAReplayCutByABoundKeepsThePartialMessageAndRecordsTheError() {
        SluiceRunner.Result result = run("replay", "--format", "message", "--max-event-size", "200",
                SAMPLES.resolve("anthropic-text.pcap").toString());
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        @SuppressWarnings("unchecked")
        Map<String, Object> message = (Map<String, Object>) JsonTree.of(result.out());
        assertEquals(Boolean.FALSE, message.get("complete"));
        assertTrue(message.get("error").toString().contains("bound_exceeded"), result.out());
    }
}

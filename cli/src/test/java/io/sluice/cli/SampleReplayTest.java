package io.sluice.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static io.sluice.cli.SluiceRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The samples' recorded events are the replay command's NDJSON, byte for byte, however the input is cut. */
class SampleReplayTest {
    private static final List<String> CHUNKINGS = List.of("whole", "1", "7", "random:42");
    /**
     * The 2 MB benchmark sample is cut into two million buffers at --chunk 1, each tracked by the
     * PARANOID leak detector: 100 s. Its cuts add nothing the small samples do not cover.
     */
    private static final List<String> LONG_SAMPLE_CHUNKINGS = List.of("whole", "random:42");

    static Stream<Arguments> samplesAndChunkings() throws IOException {
        List<Path> samples;
        try (Stream<Path> files = Files.list(SAMPLES)) {
            samples = files.filter(p -> p.toString().endsWith(".sse")).sorted().collect(Collectors.toList());
        }
        assertFalse(samples.isEmpty(), "no samples in " + SAMPLES.toAbsolutePath());
        return samples.stream().flatMap(s -> {
            String name = s.getFileName().toString();
            List<String> chunkings = name.equals("anthropic-long.sse") ? LONG_SAMPLE_CHUNKINGS : CHUNKINGS;
            return chunkings.stream().map(c -> Arguments.of(name, c));
        });
    }

    @ParameterizedTest(name = "{0} --chunk {1}")
    @MethodSource("samplesAndChunkings")
    void everySampleReplaysToItsRecordedEventsUnderEveryChunking(String sample, String chunking) throws IOException {
        String stem = sample.substring(0, sample.length() - ".sse".length());
        SluiceRunner.Result result = run("replay", "--format", "ndjson", "--chunk", chunking, SAMPLES.resolve(sample).toString());
        assertEquals(0, result.exit(), result.err());
        assertEquals("", result.err());
        Path recorded = SAMPLES.resolve(stem + ".events.ndjson");
        if (Files.exists(recorded)) {
            assertEquals(Files.readAllLines(recorded), result.records("event"));
        } else {
            // anthropic-long comes without its events; its final message still counts them.
            Matcher events = Pattern.compile("\"events\"\\s*:\\s*(\\d+)")
                    .matcher(Files.readString(SAMPLES.resolve(stem + ".expected.json")));
            assertTrue(events.find());
            assertEquals(Integer.parseInt(events.group(1)), result.records("event").size());
        }
        List<String> lines = result.outLines();
        assertTrue(lines.get(lines.size() - 1).startsWith("{\"type\":\"end\""), "the end record is last");
    }

    @Test
    void endRecordOfTruncatedSampleIsNotClean() {
        SluiceRunner.Result result = run("replay", "--format", "ndjson", SAMPLES.resolve("anthropic-truncated.sse").toString());
        assertEquals(0, result.exit());
        // The body is cut inside an event whose first line starts 117 bytes before the end.
        assertEquals(List.of("{\"type\":\"end\",\"events\":13,\"bytes\":2171,\"clean\":false,\"incomplete_tail_bytes\":117}"),
                result.records("end"));
    }

    @Test
    void endRecordOfCompleteSampleIsClean() {
        SluiceRunner.Result result = run("replay", "--format", "ndjson", SAMPLES.resolve("anthropic-text.sse").toString());
        assertEquals(List.of("{\"type\":\"end\",\"events\":55,\"bytes\":7137,\"clean\":true,\"incomplete_tail_bytes\":0}"),
                result.records("end"));
    }
}

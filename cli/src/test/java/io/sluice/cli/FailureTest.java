package io.sluice.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.util.List;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static io.sluice.cli.SluiceRunner.run;
import static io.sluice.cli.SluiceRunner.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every failure is one line on standard error and a non-zero exit: 2 for usage, 1 for input (docs/replay.md). */
class FailureTest {
    private static final String SAMPLE = SAMPLES.resolve("anthropic-text.sse").toString();

    @Test
    void missingFileIsOneLineOnStderrAndExit1() {
        SluiceRunner.Result result = run("replay", "no-such-file.sse");
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertEquals("sluice replay: cannot read no-such-file.sse: no such file\n", result.err());
    }

    @Test
    void directoryIsOneLineOnStderrAndExit1() {
        run("replay", SAMPLES.toString()).assertOneLineOnStderr(Sluice.EXIT_INPUT);
    }

    @Test
    void unknownOptionIsOneLineOnStderrAndExit2() {
        SluiceRunner.Result result = run("replay", "--frobnicate", SAMPLE);
        result.assertOneLineOnStderr(Sluice.EXIT_USAGE);
        assertTrue(result.err().contains("Unknown option: '--frobnicate'"), result.err());
    }

    @Test
    void missingFileArgumentIsOneLineOnStderrAndExit2() {
        run("replay").assertOneLineOnStderr(Sluice.EXIT_USAGE);
    }

    @Test
    void missingCommandIsOneLineOnStderrAndExit2() {
        run().assertOneLineOnStderr(Sluice.EXIT_USAGE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-3", "abc", "random:", "random:x", "whole:1", "99999999999"})
    void badChunkValueIsOneLineOnStderrAndExit2(String chunk) {
        SluiceRunner.Result result = run("replay", "--chunk", chunk, SAMPLE);
        result.assertOneLineOnStderr(Sluice.EXIT_USAGE);
        assertTrue(result.err().contains("--chunk"), result.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--max-line-length=0", "--max-event-size=-1", "--max-line-length=lots"})
    void badBoundValueIsOneLineOnStderrAndExit2(String option) {
        run("replay", option, SAMPLE).assertOneLineOnStderr(Sluice.EXIT_USAGE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"xml", "json", ""})
    void unknownFormatsAreBadUsage(String format) {
        run("replay", "--format", format, SAMPLE).assertOneLineOnStderr(Sluice.EXIT_USAGE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"whole", "1", "7", "random:42"})
    void lineLengthExceededKeepsTheEarlierRecordsThenOneLineAndExit1(String chunk) {
        SluiceRunner.Result result = run(utf8("data: a\n\ndata: 0123456789abcdefghij\n\ndata: never\n\n"),
                "replay", "--format", "ndjson", "--max-line-length", "16", "--chunk", chunk, "-");
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertEquals("sluice replay: maxLineLength of 16 bytes exceeded at stream offset 25\n", result.err());
        assertEquals(List.of(
                "{\"type\":\"event\",\"event\":\"message\",\"data\":\"a\",\"id\":\"\"}",
                "{\"type\":\"error\",\"error\":\"bound_exceeded\",\"bound\":\"maxLineLength\",\"limit\":16,\"offset\":25,"
                        + "\"message\":\"maxLineLength of 16 bytes exceeded at stream offset 25\"}"),
                result.outLines());
    }

    @Test
    void eventSizeExceededIsAnErrorRecordNamingTheBound() {
        SluiceRunner.Result result = run(utf8("data: aaaa\ndata: bbbb\n\n"),
                "replay", "--format", "ndjson", "--max-event-size", "6", "-");
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertEquals(List.of("{\"type\":\"error\",\"error\":\"bound_exceeded\",\"bound\":\"maxEventSize\",\"limit\":6,"
                + "\"offset\":11,\"message\":\"maxEventSize of 6 bytes exceeded at stream offset 11\"}"), result.outLines());
    }

    @Test
    void skipOversizedReportsTheErrorGoesOnAndStillExits1() {
        SluiceRunner.Result result = run(utf8("data: a\n\ndata: 0123456789abcdefghij\n\ndata: b\n\n"),
                "replay", "--format", "ndjson", "--max-line-length", "16", "--skip-oversized", "-");
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        List<String> lines = result.outLines();
        assertEquals(4, lines.size(), result.out());
        assertTrue(lines.get(1).startsWith("{\"type\":\"error\""));
        assertEquals("{\"type\":\"event\",\"event\":\"message\",\"data\":\"b\",\"id\":\"\"}", lines.get(2));
        assertTrue(lines.get(3).startsWith("{\"type\":\"end\",\"events\":2,"), lines.get(3));
    }

    @Test
    void inputSseReadsEvenWhatLooksLikeHttpAsSse() {
        SluiceRunner.Result result = run(utf8("HTTP/1.1 200 OK\ndata: x\n\n"), "replay", "--input", "sse", "-");
        assertEquals(0, result.exit(), result.err());
        assertTrue(result.out().startsWith("event message\n  x\n"), result.out());
    }

    @Test
    void closedOutputExitsNonZeroWithoutAMessage() {
        SluiceRunner.Result result = run(new ByteArrayInputStream(new byte[0]), new ClosedPipe(0), "replay", SAMPLE);
        assertEquals(Sluice.EXIT_INPUT, result.exit());
        assertEquals("", result.err());
    }

    @Test
    void outputClosedMidStreamExitsQuietlyAndReleasesEverything() throws IOException {
        byte[] input = Files.readAllBytes(SAMPLES.resolve("anthropic-long.sse"));
        // Fails inside a parser callback, half-way through; LeakCheckExtension checks nothing leaked.
        SluiceRunner.Result result = run(new ByteArrayInputStream(input), new ClosedPipe(200_000),
                "replay", "--format", "ndjson", "--chunk", "random:7", "-");
        assertEquals(Sluice.EXIT_INPUT, result.exit());
        assertEquals("", result.err());
    }

    @Test
    void outputClosedMidHttpResponseExitsQuietlyAndReleasesEverything() throws IOException {
        byte[] input = Files.readAllBytes(SAMPLES.resolve("openai-chat-tools.http"));
        // Fails inside the decoder's event, a gzip body half inflated; LeakCheckExtension checks nothing leaked.
        SluiceRunner.Result result = run(new ByteArrayInputStream(input), new ClosedPipe(2_000),
                "replay", "--format", "ndjson", "--chunk", "random:7", "-");
        assertEquals(Sluice.EXIT_INPUT, result.exit());
        assertEquals("", result.err());
    }

    /** An output whose reader goes away after {@code limit} bytes. */
    private static final class ClosedPipe extends OutputStream {
        private long left;

        ClosedPipe(long limit) {
            this.left = limit;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len > left) {
                throw new IOException("Broken pipe");
            }
            left -= len;
        }
    }
}

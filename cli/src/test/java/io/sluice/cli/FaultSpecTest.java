package io.sluice.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static io.sluice.cli.SluiceRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code --fault SPEC} grammar ({@link Fault}), how faults combine ({@link FaultPlan}), and how
 * {@code sluice serve} reports a spec it cannot serve: bad usage (exit 2) for a spec or a mix the
 * grammar refuses, an input error (exit 1) for one the recording cannot take. None of these starts
 * a server.
 */
class FaultSpecTest {
    private static final String SAMPLE = SAMPLES.resolve("anthropic-text.sse").toString();

    private static Fault parse(String spec) {
        return new Fault.Converter().convert(spec);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "cut:3          | cut:3",
            "cut:0          | cut:0",
            "cut:3:fin      | cut:3",
            "cut:3:rst      | cut:3:rst",
            "stall:2:1      | stall:2:1",
            "stall:0:0.25   | stall:0:0.25",
            "stall:2:1.500  | stall:2:1.5",
            "stall:7:86400  | stall:7:86400",
            "status:529     | status:529",
            "status:400     | status:400",
            "status:599     | status:599",
            "status:429:retry-after=2 | status:429:retry-after=2",
            "status:529:retry-after=0 | status:529:retry-after=0",
            "error:0        | error:0",
            "error:12       | error:12",
            "drip:1         | drip:1",
            "drip:2000      | drip:2000",
            "cut:2147483647 | cut:2147483647"})
    void aValidSpecParsesToTheFaultThatPrintsItsOneSpelling(String spec, String printed) {
        assertEquals(printed, parse(spec).toString());
    }

    @Test
    void eachSpecParsesToItsRecord() {
        assertEquals(new Fault.Cut(3, false), parse("cut:3"));
        assertEquals(new Fault.Cut(3, true), parse("cut:3:rst"));
        assertEquals(new Fault.Stall(2, 1_500_000_000L), parse("stall:2:1.5"));
        assertEquals(new Fault.Stall(0, 1L), parse("stall:0:0.000000001"));
        assertEquals(new Fault.Status(529, Fault.Status.NO_RETRY_AFTER), parse("status:529"));
        assertEquals(new Fault.Status(429, 2), parse("status:429:retry-after=2"));
        assertEquals(new Fault.ErrorEvent(2), parse("error:2"));
        assertEquals(new Fault.Drip(2000), parse("drip:2000"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "cut", "cut:", "cut:x", "cut:-1", "cut:+3", "cut:3.0", "cut: 3", "cut:3:", "cut:3:RST", "cut:3:reset",
            "cut:3:rst:1", "CUT:3", "cut:2147483648", "cut:99999999999",
            "stall", "stall:2", "stall:2:", "stall:2:0", "stall:2:0.0", "stall:2:-1", "stall:2:1s", "stall:2:1e3", "stall:2:.5",
            "stall:2:5.", "stall:2:86400.5", "stall:2:90000", "stall:x:1", "stall:2:1:3",
            "status", "status:", "status:200", "status:399", "status:600", "status:1000", "status:abc", "status:529:",
            "status:529:retry-after", "status:529:retry-after=", "status:529:retry-after=-1", "status:529:retry-after=1.5",
            "status:529:retry-after=86401", "status:529:after=2", "status:529:retry-after=2:x",
            "error", "error:", "error:x", "error:2:overloaded", "drip", "drip:", "drip:0", "drip:-5", "drip:1.5", "drip:1k",
            "reset:3", "timeout", "cut=3", " cut:3"})
    void anInvalidSpecIsATypeConversionErrorThatQuotesIt(String spec) {
        TypeConversionException e = assertThrows(TypeConversionException.class, () -> parse(spec));
        assertTrue(e.getMessage().startsWith("'" + spec + "': "), e.getMessage());
    }

    @Test
    void anUnknownKindNamesEveryKind() {
        String message = assertThrows(TypeConversionException.class, () -> parse("reset:3")).getMessage();
        assertEquals("'reset:3': not a fault; faults are cut:N[:rst], stall:N:SECONDS, status:CODE[:retry-after=SECONDS], "
                + "error:N or drip:BYTES_PER_SECOND", message);
    }

    private static FaultPlan plan(String... specs) {
        return FaultPlan.of(Stream.of(specs).map(FaultSpecTest::parse).toList());
    }

    @Test
    void faultsCombineIntoOnePlanAskedByEventCount() {
        FaultPlan plan = plan("stall:1:0.5", "drip:100", "stall:3:2", "cut:3:rst");
        assertEquals(500_000_000L, plan.stallNanosAfter(1));
        assertEquals(0, plan.stallNanosAfter(2));
        assertEquals(2_000_000_000L, plan.stallNanosAfter(3), "a stall at the cut's event comes before the cut");
        assertEquals(new Fault.Cut(3, true), plan.cutAfter(3));
        assertEquals(null, plan.cutAfter(2));
        assertEquals(100, plan.dripBytesPerSecond());
        assertEquals(false, plan.needsProvider());
        assertEquals(3, plan.furthest().getKey());
        assertEquals("stall:1:0.5, drip:100, stall:3:2, cut:3:rst", plan.toString());
        assertTrue(plan("error:4").needsProvider() && plan("error:4").errorAfter(4));
        assertTrue(plan("status:529").needsProvider());
        assertTrue(FaultPlan.of(List.of()).isEmpty());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "status:529 | cut:3       | --fault status:529 answers instead of the stream: it combines with no other fault (cut:3)",
            "drip:10    | status:429  | --fault status:429 answers instead of the stream: it combines with no other fault (drip:10)",
            "status:529 | status:429  | --fault status:529 and status:429: two answers instead of the stream; choose one",
            "cut:3      | error:2     | --fault cut:3 and error:2: two ends of the stream; choose one",
            "cut:3      | cut:4:rst   | --fault cut:3 and cut:4:rst: two ends of the stream; choose one",
            "drip:10    | drip:20     | --fault drip:10 and drip:20: two rates; choose one",
            "stall:2:1  | stall:2:3   | --fault stall:2:1 and stall:2:3: two stalls after event 2; give one stall the whole time",
            "cut:3      | stall:4:1   | --fault stall:4:1 comes after cut:3 ends the stream",
            "stall:5:1  | error:2     | --fault stall:5:1 comes after error:2 ends the stream"})
    void faultsThatTellTwoStoriesAreRefusedByName(String first, String second, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plan(first, second));
        assertEquals(message, e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"cut:x", "stall:2", "status:200", "drip:0", "nothing"})
    void aBadSpecOnTheCommandLineIsOneLineAndExit2(String spec) {
        SluiceRunner.Result result = run("serve", SAMPLE, "--port", "0", "--fault", spec);
        result.assertOneLineOnStderr(Sluice.EXIT_USAGE);
        assertTrue(result.err().startsWith("sluice serve: Invalid value for option '--fault'"), result.err());
        assertTrue(result.err().contains("'" + spec + "'"), result.err());
    }

    @Test
    void faultsThatDoNotCombineOnTheCommandLineAreOneLineAndExit2() {
        SluiceRunner.Result result = run("serve", SAMPLE, "--port", "0", "--fault", "cut:3", "--fault", "error:2");
        result.assertOneLineOnStderr(Sluice.EXIT_USAGE);
        assertEquals("sluice serve: --fault cut:3 and error:2: two ends of the stream; choose one (see 'sluice serve --help')\n",
                result.err());
    }

    @Test
    void aFaultProviderWithoutAnErrorToShapeIsBadUsage() {
        run("serve", SAMPLE, "--port", "0", "--fault-provider", "gemini").assertOneLineOnStderr(Sluice.EXIT_USAGE);
        run("serve", SAMPLE, "--port", "0", "--fault", "cut:2", "--fault-provider", "gemini").assertOneLineOnStderr(Sluice.EXIT_USAGE);
        SluiceRunner.Result unknown = run("serve", SAMPLE, "--port", "0", "--fault", "status:500", "--fault-provider", "mistral");
        unknown.assertOneLineOnStderr(Sluice.EXIT_USAGE);
        assertTrue(unknown.err().contains("mistral"), unknown.err());
    }

    @Test
    void aFaultPastTheRecordingsLastEventIsAnInputError() {
        SluiceRunner.Result result = run("serve", SAMPLE, "--port", "0", "--fault", "cut:56");
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertEquals("sluice serve: --fault cut:56: the recording has 55 events\n", result.err());
    }

    @Test
    void aRecordingThatIsNoEventStreamCannotBeFaulted(@TempDir Path dir) throws Exception {
        Path refusal = Files.writeString(dir.resolve("refusal.http"), "HTTP/1.1 529 Overloaded\r\ncontent-type: application/json\r\n"
                + "content-length: 2\r\n\r\n{}");
        SluiceRunner.Result result = run("serve", refusal.toString(), "--port", "0", "--fault", "cut:1");
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertEquals("sluice serve: " + refusal + ": --fault needs an event stream to fault, and the recording is 529 Overloaded "
                + "application/json\n", result.err());
    }

    @Test
    void anErrorFaultOnEventsOfNoKnownProviderAsksForFaultProvider(@TempDir Path dir) throws Exception {
        Path plain = Files.writeString(dir.resolve("plain.sse"), "data: a\n\ndata: b\n\n");
        SluiceRunner.Result result = run("serve", plain.toString(), "--port", "0", "--fault", "error:1");
        result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertTrue(result.err().contains("--fault-provider"), result.err());
    }
}

package io.sluice.cli;

import org.junit.jupiter.api.Test;

import static io.sluice.cli.SluiceRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The top command: help, version, and its subcommands. */
class SluiceTest {

    @Test
    void versionOptionPrintsTheProjectVersion() {
        SluiceRunner.Result result = run("--version");
        assertEquals(0, result.exit());
        assertTrue(result.out().matches("sluice \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\n"), result.out());
    }

    @Test
    void helpListsTheReplayCommand() {
        SluiceRunner.Result result = run("--help");
        assertEquals(0, result.exit());
        assertTrue(result.out().contains("replay"), result.out());
    }

    @Test
    void replayHelpListsTheContractOptions() {
        SluiceRunner.Result result = run("replay", "--help");
        assertEquals(0, result.exit());
        for (String option : new String[] {"--format", "--chunk", "--comments", "--input", "--max-line-length",
                "--max-event-size", "--skip-oversized", "--flow", "--timing", "FILE|-"}) {
            assertTrue(result.out().contains(option), option);
        }
    }

    @Test
    void serveHelpListsItsOptions() {
        SluiceRunner.Result result = run("serve", "--help");
        assertEquals(0, result.exit());
        for (String option : new String[] {"--port", "--host", "--timing", "--loop", "--flow", "FILE"}) {
            assertTrue(result.out().contains(option), option);
        }
    }

    @Test
    void relayAndGetBoundAnUpstreamsSilenceByDefault() {
        SluiceRunner.Result relay = run("relay", "--help");
        String help = relay.out().replaceAll("\\s+", " ");
        assertTrue(help.matches(".*--idle-timeout=SECONDS .*\\(default: 600.*"), help);
        assertTrue(help.matches(".*--first-byte-timeout=SECONDS .*\\(default: 300\\).*"), help);
        String get = run("get", "--help").out().replaceAll("\\s+", " ");
        assertTrue(get.matches(".*--idle-timeout=SECONDS .*\\(default: 600\\).*"), get);
    }

    @Test
    void enumValuesAreAcceptedInAnyCase() {
        SluiceRunner.Result result = run(SluiceRunner.utf8("data: x\n\n"), "replay", "--format", "NDJSON", "--input", "SSE", "-");
        assertEquals(0, result.exit(), result.err());
    }
}

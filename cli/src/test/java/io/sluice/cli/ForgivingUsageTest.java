package io.sluice.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.sluice.cli.SluiceRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 17, "a CLI that forgives": a bad value, an unknown word or a URL without a scheme is bad
 * usage, exit status 2 and exactly this one line, for every command. Arguments are split on
 * spaces; the expected line follows the bar.
 */
class ForgivingUsageTest {

    private static void assertUsage(String args, String line) {
        SluiceRunner.Result result = run(args.isEmpty() ? new String[0] : args.split(" "));
        result.assertOneLineOnStderr(Sluice.EXIT_USAGE);
        assertEquals(line + "\n", result.err());
        assertEquals("", result.out());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "serve f.sse --port 70000 | sluice serve: Invalid value for option '--port': '70000' is not a port from 0 to 65535 (see 'sluice serve --help')",
        "serve f.sse --port -1 | sluice serve: Invalid value for option '--port': '-1' is not a port from 0 to 65535 (see 'sluice serve --help')",
        "relay --listen 127.0.0.1:70000 --upstream http://127.0.0.1:1 | sluice relay: Invalid value for option '--listen': '70000' is not a port from 0 to 65535 (see 'sluice relay --help')",
        "relay --listen 8081 --upstream http://127.0.0.1:1 | sluice relay: Invalid value for option '--listen': '8081' is not HOST:PORT (e.g. 127.0.0.1:8081) (see 'sluice relay --help')",
        "replay --flow 70000 f.pcap | sluice replay: Invalid value for option '--flow': '70000' is not FROM-TO or [ADDR:]PORT (e.g. 127.0.0.1:8080), ports from 0 to 65535 (see 'sluice replay --help')",
        "serve f.pcap --port 0 --flow 127.0.0.1:8080-127.0.0.1:99999 | sluice serve: Invalid value for option '--flow': '127.0.0.1:8080-127.0.0.1:99999' is not FROM-TO or [ADDR:]PORT (e.g. 127.0.0.1:8080), ports from 0 to 65535 (see 'sluice serve --help')",
    })
    void portOutOfRangeIsBadUsage(String args, String line) {
        assertUsage(args.strip(), line.strip());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "get --connect-timeout -1 http://127.0.0.1:1/ | sluice get: Invalid value for option '--connect-timeout': '-1' is not a number of seconds (0 or more, e.g. 30 or 0.5) (see 'sluice get --help')",
        "get --idle-timeout -0.5 http://127.0.0.1:1/ | sluice get: Invalid value for option '--idle-timeout': '-0.5' is not a number of seconds (0 or more, e.g. 30 or 0.5) (see 'sluice get --help')",
        "relay --listen 127.0.0.1:0 --upstream http://127.0.0.1:1 --heartbeat -1 | sluice relay: Invalid value for option '--heartbeat': '-1' is not a number of seconds (0 or more, e.g. 30 or 0.5) (see 'sluice relay --help')",
        "relay --listen 127.0.0.1:0 --upstream http://127.0.0.1:1 --first-byte-timeout NaN | sluice relay: Invalid value for option '--first-byte-timeout': 'NaN' is not a number of seconds (0 or more, e.g. 30 or 0.5) (see 'sluice relay --help')",
        "serve f.sse --port 0 --request-timeout -1 | sluice serve: Invalid value for option '--request-timeout': '-1' is not a number of seconds (0 or more, e.g. 30 or 0.5) (see 'sluice serve --help')",
        "serve f.sse --port 0 --client-idle-timeout Infinity | sluice serve: Invalid value for option '--client-idle-timeout': 'Infinity' is not a number of seconds (0 or more, e.g. 30 or 0.5) (see 'sluice serve --help')",
        "serve f.sse --port 0 --max-connections -1 | sluice serve: Invalid value for option '--max-connections': '-1' is not a whole number from 0 to 2147483647 (see 'sluice serve --help')",
        "replay --timing x-1 f.pcap | sluice replay: Invalid value for option '--timing': 'x-1' is not none, original or xN (N > 0, e.g. x10 or x0.5) (see 'sluice replay --help')",
    })
    void negativeTimeIsBadUsage(String args, String line) {
        assertUsage(args.strip(), line.strip());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "sreve f.sse | sluice: Unknown command: 'sreve'; did you mean 'serve'? (see 'sluice --help')",
        "gte http://127.0.0.1:1/ | sluice: Unknown command: 'gte'; did you mean 'get'? (see 'sluice --help')",
        "rel --listen 127.0.0.1:0 | sluice: Unknown command: 'rel'; did you mean 'relay'? (see 'sluice --help')",
        "xyzzy | sluice: Unknown command: 'xyzzy' (see 'sluice --help')",
        "replay --fromat ndjson f.sse | sluice replay: Unknown option: '--fromat'; did you mean '--format'? (see 'sluice replay --help')",
        "get --Insecure http://127.0.0.1:1/ | sluice get: Unknown option: '--Insecure'; did you mean '--insecure'? (see 'sluice get --help')",
        "get -j http://127.0.0.1:1/ | sluice get: Unknown option: '-j' (see 'sluice get --help')",
        "serve --prot 8080 f.sse | sluice serve: Unknown option: '--prot'; did you mean '--port'? (see 'sluice serve --help')",
        "relay --listen 127.0.0.1:0 --upstrem http://127.0.0.1:1 | sluice relay: Unknown option: '--upstrem'; did you mean '--upstream'? (see 'sluice relay --help')",
    })
    void unknownWordSuggestsTheNearestOnTheSameLine(String args, String line) {
        assertUsage(args.strip(), line.strip());
    }

    @Test
    void missingCommandNamesEveryCommand() {
        assertUsage("", "sluice: missing command: replay, get, serve, relay or help (see 'sluice --help')");
    }

    @Test
    void helpCommandPrintsTheSameHelpAsTheOption() {
        SluiceRunner.Result top = run("help");
        assertEquals(Sluice.EXIT_OK, top.exit(), top.err());
        assertEquals(run("--help").out(), top.out());
        for (String command : new String[] {"replay", "get", "serve", "relay"}) {
            SluiceRunner.Result help = run("help", command);
            assertEquals(Sluice.EXIT_OK, help.exit(), help.err());
            assertEquals(run(command, "--help").out(), help.out(), command);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "get localhost:8080/path | sluice get: no scheme in localhost:8080/path: try http://localhost:8080/path (see 'sluice get --help')",
        "get 127.0.0.1:8080 | sluice get: no scheme in 127.0.0.1:8080: try http://127.0.0.1:8080 (see 'sluice get --help')",
        "get http://127.0.0.1:70000/ | sluice get: not a port from 1 to 65535: 70000 in http://127.0.0.1:70000/ (see 'sluice get --help')",
        "get ftp://127.0.0.1/ | sluice get: not an http or https URI: ftp://127.0.0.1/ (see 'sluice get --help')",
        "get -H x-api-key http://127.0.0.1:1/ | sluice get: not a header (NAME: VALUE): x-api-key (see 'sluice get --help')",
        "relay --listen 127.0.0.1:0 --upstream localhost:8080 | sluice relay: no scheme in localhost:8080: try http://localhost:8080 (see 'sluice relay --help')",
        "relay --listen 127.0.0.1:0 --upstream http://127.0.0.1:1 --path v1 | sluice relay: --path must start with /: v1 (see 'sluice relay --help')",
    })
    void urlWithoutSchemeOrWithABadPortIsBadUsage(String args, String line) {
        assertUsage(args.strip(), line.strip());
    }
}

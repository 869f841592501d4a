package io.sluice.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static io.sluice.cli.SluiceRunner.run;
import static io.sluice.cli.SluiceRunner.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 17: an input in which a client finds no event is probably the wrong file. replay and serve
 * say so in one warning line on standard error; replay's standard output and exit status are what
 * they would be without it, and serve serves it all the same.
 */
class NoEventsWarningTest {

    @TempDir
    Path dir;

    @Test
    void replayWithoutEventsWarnsInOneLineAndKeepsItsOutputAndExitStatus() throws IOException {
        Path notes = dir.resolve("notes.txt");
        Files.writeString(notes, "hello world\n");
        SluiceRunner.Result result = run("replay", "--format", "ndjson", notes.toString());
        assertEquals(Sluice.EXIT_OK, result.exit());
        assertEquals(List.of("{\"type\":\"end\",\"events\":0,\"bytes\":12,\"clean\":true,\"incomplete_tail_bytes\":0}"),
                result.outLines());
        assertEquals("sluice replay: warning: " + notes + ": no events in 12 bytes; it may not be an event stream\n", result.err());
    }

    @Test
    void replayOfAnEmptyStandardInputWarnsToo() {
        SluiceRunner.Result result = run(new byte[0], "replay", "-");
        assertEquals(Sluice.EXIT_OK, result.exit());
        assertEquals("end: 0 events, 0 bytes, clean\n", result.out());
        assertEquals("sluice replay: warning: standard input: no events in 0 bytes; it may not be an event stream\n",
                result.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"anthropic-text.sse", "anthropic-text.http", "anthropic-text.pcap"})
    void replayWithEventsPrintsNothingOnStandardError(String sample) {
        SluiceRunner.Result result = run("replay", SAMPLES.resolve(sample).toString());
        assertEquals(Sluice.EXIT_OK, result.exit());
        assertEquals("", result.err());
    }

    private static String serveWarnings(InputKind kind, byte[] recording, String name) {
        StringWriter err = new StringWriter();
        ServeCommand.served(kind, recording, name, null, new PrintWriter(err, true));
        return err.toString();
    }

    @Test
    void serveOfABodyWithoutEventsWarnsInOneLine() {
        assertEquals("sluice serve: warning: notes.txt: no events in 12 bytes; it may not be an event stream\n",
                serveWarnings(InputKind.SSE, utf8("hello world\n"), "notes.txt"));
    }

    @Test
    void serveOfAResponseAClientRefusesSaysWhy() {
        assertEquals("sluice serve: warning: 529.http: no events: HTTP 529 Overloaded\n", serveWarnings(InputKind.HTTP,
                utf8("HTTP/1.1 529 Overloaded\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"), "529.http"));
        assertEquals("sluice serve: warning: odd.http: no events: HTTP 200 OK with content type (none), not text/event-stream\n",
                serveWarnings(InputKind.HTTP, utf8("HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\ndata: x\n\n"), "odd.http"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"anthropic-text.sse", "anthropic-text.http", "anthropic-text.pcap"})
    void serveOfAStreamWithEventsWarnsNothing(String sample) throws IOException {
        InputKind kind = sample.endsWith(".pcap") ? InputKind.PCAP : sample.endsWith(".http") ? InputKind.HTTP : InputKind.SSE;
        assertEquals("", serveWarnings(kind, Files.readAllBytes(SAMPLES.resolve(sample)), sample));
    }
}

package io.sluice.cli;

import org.junit.jupiter.api.Test;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static io.sluice.cli.SluiceRunner.run;
import static io.sluice.cli.SluiceRunner.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The human-readable format: a block per record, data indented, nothing that can drive a terminal. */
class TextFormatTest {

    private static String text(String input, String... extra) {
        String[] args = new String[extra.length + 2];
        args[0] = "replay";
        System.arraycopy(extra, 0, args, 1, extra.length);
        args[args.length - 1] = "-";
        SluiceRunner.Result result = run(utf8(input), args);
        assertEquals(0, result.exit(), result.err());
        return result.out();
    }

    @Test
    void textIsTheDefaultFormatWithABlockPerRecordAndIndentedData() {
        assertEquals("retry 1500\n"
                        + "event update\n  line one\n  line two\n"
                        + "comment  ping\n"
                        + "end: 1 event, 64 bytes, clean\n",
                text("retry: 1500\nevent: update\ndata: line one\ndata: line two\n\n: ping\n", "--comments"));
    }

    @Test
    void textShowsTheIdOnlyWhenOneIsSet() {
        assertEquals("event message\n  a\nevent message id=42\n  b\nend: 2 events, 25 bytes, clean\n",
                text("data: a\n\nid: 42\ndata: b\n\n"));
    }

    @Test
    void textEscapesControlCharactersButNotTabOrNonAscii() {
        String out = text("event: x\u001b]0;pwned\u0007\ndata: \u001b[2J\t\u00e9\u0085\n\n");
        assertTrue(out.startsWith("event x\\u001B]0;pwned\\u0007\n  \\u001B[2J\t\u00e9\\u0085\n"), out);
    }

    @Test
    void textEndLineNamesTheIncompleteTailOfATruncatedStream() {
        SluiceRunner.Result result = run("replay", SAMPLES.resolve("anthropic-truncated.sse").toString());
        assertTrue(result.out().endsWith("end: 13 events, 2171 bytes, incomplete tail of 117 bytes (cut mid-event)\n"),
                result.out());
    }
}

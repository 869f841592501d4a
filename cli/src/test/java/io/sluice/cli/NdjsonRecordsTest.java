package io.sluice.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.sluice.cli.SluiceRunner.run;
import static io.sluice.cli.SluiceRunner.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The NDJSON record shapes of docs/replay.md: keys, key order, JSON types, escaping. */
class NdjsonRecordsTest {

    private static List<String> ndjson(String input, String... extra) {
        String[] args = new String[extra.length + 4];
        args[0] = "replay";
        args[1] = "--format";
        args[2] = "ndjson";
        System.arraycopy(extra, 0, args, 3, extra.length);
        args[args.length - 1] = "-";
        SluiceRunner.Result result = run(utf8(input), args);
        assertEquals(0, result.exit(), result.err());
        return result.outLines();
    }

    @Test
    void ndjsonEventRecordHasExactlyTheContractKeys() {
        assertEquals(List.of(
                        "{\"type\":\"event\",\"event\":\"update\",\"data\":\"a\\nb\",\"id\":\"7\"}",
                        "{\"type\":\"end\",\"events\":1,\"bytes\":37,\"clean\":true,\"incomplete_tail_bytes\":0}"),
                ndjson("event: update\nid: 7\ndata: a\ndata: b\n\n"));
    }

    @Test
    void eventWithoutTypeOrIdIsMessageWithEmptyId() {
        assertEquals("{\"type\":\"event\",\"event\":\"message\",\"data\":\"x\",\"id\":\"\"}", ndjson("data: x\n\n").get(0));
    }

    @Test
    void lastEventIdPersistsAcrossEvents() {
        List<String> lines = ndjson("id: 1\ndata: a\n\ndata: b\n\n");
        assertEquals("{\"type\":\"event\",\"event\":\"message\",\"data\":\"b\",\"id\":\"1\"}", lines.get(1));
    }

    @Test
    void retryRecordCarriesANumberNotAString() {
        assertEquals(List.of("{\"type\":\"retry\",\"ms\":1500}"), ndjson("retry: 1500\n").subList(0, 1));
    }

    @Test
    void commentsAreReportedOnlyWithTheCommentsOption() {
        String input = ": keep-alive\ndata: x\n\n";
        assertEquals(2, ndjson(input).size());
        assertEquals("{\"type\":\"comment\",\"text\":\" keep-alive\"}", ndjson(input, "--comments").get(0));
    }

    @Test
    void commentTextIsEverythingAfterTheColonNothingStripped() {
        assertEquals("{\"type\":\"comment\",\"text\":\"  two spaces \"}", ndjson(":  two spaces \n", "--comments").get(0));
    }

    @Test
    void controlCharactersAreEscapedAndNonAsciiIsNot() {
        assertEquals("{\"type\":\"event\",\"event\":\"message\",\"data\":\"\\u0000\\u001B[2J\\t\u00e9\u2615\",\"id\":\"\"}",
                ndjson("data: \u0000\u001b[2J\t\u00e9\u2615\n\n").get(0));
    }

    @Test
    void recordsAreInStreamOrder() {
        List<String> lines = ndjson(": c\nretry: 5\ndata: x\n\nretry: 6\n", "--comments");
        assertEquals(List.of("comment", "retry", "event", "retry", "end"),
                lines.stream().map(l -> l.substring(9, l.indexOf('"', 9))).collect(java.util.stream.Collectors.toList()));
    }

    @Test
    void endRecordOfAStreamCutMidEventIsNotClean() {
        List<String> lines = ndjson("data: a\n\ndata: cut");
        assertEquals("{\"type\":\"end\",\"events\":1,\"bytes\":18,\"clean\":false,\"incomplete_tail_bytes\":9}",
                lines.get(lines.size() - 1));
    }
}

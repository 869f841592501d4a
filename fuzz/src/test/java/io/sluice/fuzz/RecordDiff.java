package io.sluice.fuzz;

import io.sluice.core.testing.SseRecord;

import java.util.List;

/** Says where two record lists part, with a little context: a failure reads as the records it breaks. */
final class RecordDiff {
    private static final int CONTEXT = 2;

    private RecordDiff() {
    }

    /** Null when equal. */
    static String describe(String expectedName, List<SseRecord> expected, String actualName, List<SseRecord> actual) {
        if (expected.equals(actual)) {
            return null;
        }
        int i = 0;
        while (i < expected.size() && i < actual.size() && expected.get(i).equals(actual.get(i))) {
            i++;
        }
        int from = Math.max(0, i - CONTEXT);
        return "records differ at #" + i + " (" + expected.size() + " vs " + actual.size() + " records)\n"
                + "  " + expectedName + ": " + window(expected, from, i) + "\n"
                + "  " + actualName + ": " + window(actual, from, i);
    }

    private static String window(List<SseRecord> records, int from, int at) {
        StringBuilder b = new StringBuilder(from > 0 ? "... " : "");
        for (int i = from; i < Math.min(records.size(), at + CONTEXT + 1); i++) {
            b.append(i == at ? ">>" : "").append(records.get(i)).append(' ');
        }
        if (at >= records.size()) {
            b.append(">>(nothing)");
        } else if (at + CONTEXT + 1 < records.size()) {
            b.append("...");
        }
        return b.toString();
    }
}

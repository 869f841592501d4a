package io.sluice.cli;

import java.io.OutputStream;
import java.util.Locale;

/** What {@code --format} writes (docs/replay.md). */
enum OutputFormat {
    /** One JSON object a line: the contract the conformance runner checks. */
    NDJSON {
        @Override
        RecordWriter writerOn(OutputStream out) {
            return new NdjsonRecordWriter(out);
        }
    },
    /** A block per record, for people. */
    TEXT {
        @Override
        RecordWriter writerOn(OutputStream out) {
            return new TextRecordWriter(out);
        }
    },
    /** One report at the end: counts, timings, gap percentiles, stop reason, how it ended. */
    SUMMARY {
        @Override
        RecordWriter writerOn(OutputStream out) {
            return new SummaryRecordWriter(out);
        }
    },
    /** The unified final message of the llm module, at the end. */
    MESSAGE {
        @Override
        RecordWriter writerOn(OutputStream out) {
            return new MessageRecordWriter(out);
        }
    };

    /** A writer of this format on {@code out}; it buffers, and flushes on {@link RecordWriter#flush()}. */
    abstract RecordWriter writerOn(OutputStream out);

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}

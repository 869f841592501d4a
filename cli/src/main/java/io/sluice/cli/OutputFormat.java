package io.sluice.cli;

import java.io.OutputStream;
import java.util.Locale;

/**
 * What {@code --format} writes. {@code summary} and {@code message} (design.md section 4) come in
 * later issues.
 */
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
    };

    /** A writer of this format on {@code out}; it buffers, and flushes on {@link RecordWriter#flush()}. */
    abstract RecordWriter writerOn(OutputStream out);

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}

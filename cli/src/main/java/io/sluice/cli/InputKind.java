package io.sluice.cli;

import java.util.Locale;

/**
 * What {@code --input} says the input is. Only a raw SSE body for now; {@code http} and
 * {@code pcap} come with the replay reader of design.md section 1, and until then {@code auto}
 * recognises them only to refuse them clearly.
 */
enum InputKind {
    /** Sniffed from the first bytes ({@link InputSniffer}). */
    AUTO,
    /** A raw {@code text/event-stream} body: exactly the bytes the parser is fed. */
    SSE;

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}

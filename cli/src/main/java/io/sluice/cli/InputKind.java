package io.sluice.cli;

import java.util.Locale;

/** What {@code --input} says the input is. */
enum InputKind {
    /** Sniffed from the first bytes ({@link InputSniffer}). */
    AUTO,
    /** A raw {@code text/event-stream} body: exactly the bytes the parser is fed. */
    SSE,
    /** A whole HTTP/1.x response as received: status line, headers, body in its transfer and content codings. */
    HTTP,
    /** A libpcap or pcapng capture holding the TCP connection that carried an HTTP response. */
    PCAP;

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}

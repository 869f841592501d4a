package io.sluice.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Tells an SSE body from the other inputs replay and serve read (an HTTP/1.x response, a libpcap
 * or pcapng capture) by their first bytes ({@code --input auto}). It reads only as far as it must: one byte when the input
 * starts like no signature, so a live stream is not held up; at most the longest signature.
 */
final class InputSniffer {

    /** What the first bytes look like. */
    enum Sniffed {
        SSE("an SSE body"),
        HTTP("an HTTP response"),
        PCAP("a packet capture");

        private final String description;

        Sniffed(String description) {
            this.description = description;
        }

        String description() {
            return description;
        }
    }

    private static final class Signature {
        final Sniffed kind;
        final byte[] bytes;

        Signature(Sniffed kind, int... bytes) {
            this.kind = kind;
            this.bytes = new byte[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                this.bytes[i] = (byte) bytes[i];
            }
        }
    }

    private static final List<Signature> SIGNATURES = List.of(
            new Signature(Sniffed.HTTP, 'H', 'T', 'T', 'P', '/', '1', '.'),
            // libpcap in both byte orders, microsecond and nanosecond timestamps
            new Signature(Sniffed.PCAP, 0xA1, 0xB2, 0xC3, 0xD4),
            new Signature(Sniffed.PCAP, 0xD4, 0xC3, 0xB2, 0xA1),
            new Signature(Sniffed.PCAP, 0xA1, 0xB2, 0x3C, 0x4D),
            new Signature(Sniffed.PCAP, 0x4D, 0x3C, 0xB2, 0xA1),
            // pcapng section header block type
            new Signature(Sniffed.PCAP, 0x0A, 0x0D, 0x0D, 0x0A));

    /** Longest signature: how far {@link #sniff(InputStream)} may read ahead. */
    static final int MAX_LOOKAHEAD = 7;

    private InputSniffer() {
    }

    /**
     * Sniffs {@code in}, which must support {@code mark}: the bytes read are given back with
     * {@code reset}, so the caller reads the input from its first byte.
     */
    static Sniffed sniff(InputStream in) throws IOException {
        byte[] prefix = new byte[MAX_LOOKAHEAD];
        int length = 0;
        in.mark(MAX_LOOKAHEAD);
        try {
            while (true) {
                boolean undecided = false;
                for (Signature signature : SIGNATURES) {
                    if (startsWith(signature.bytes, prefix, length)) {
                        if (length >= signature.bytes.length) {
                            return signature.kind;
                        }
                        undecided = true;
                    }
                }
                if (!undecided) {
                    return Sniffed.SSE;
                }
                int b = in.read();
                if (b < 0) {
                    return Sniffed.SSE; // too short to be anything else
                }
                prefix[length++] = (byte) b;
            }
        } finally {
            in.reset();
        }
    }

    /** True when the first {@code min(length, signature.length)} bytes of both agree. */
    private static boolean startsWith(byte[] signature, byte[] prefix, int length) {
        int n = Math.min(length, signature.length);
        for (int i = 0; i < n; i++) {
            if (signature[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}

package io.sluice.cli;

import io.sluice.cli.capture.CaptureException;
import io.sluice.cli.capture.Packet;
import io.sluice.cli.capture.PcapReader;
import io.sluice.cli.capture.TcpFlow;
import io.sluice.cli.capture.TcpFlows;
import io.sluice.cli.capture.TcpReassembler;
import io.sluice.cli.capture.TcpStream;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The server-to-client stream of a packet capture, ready to be replayed ({@code replay}) or served
 * ({@code serve}) without holding the capture (issue 14): {@link #survey} reads the capture once to
 * choose the stream, usually stopping a few packets in, and each {@link #open()} reads it again,
 * one packet at a time, returning the stream's reads with their capture times. How the connection
 * ended and the capture's own problem (a truncated file, a hole in the stream, the out-of-order
 * window passed) are known at the end of a pass, and reported after the bytes before them.
 */
final class Recording {

    /** Where a capture is read from: each pass opens it anew, from its first byte. */
    interface Source {
        /** The capture from its first byte; the caller closes it. */
        InputStream open() throws IOException;
    }

    private static final byte[] HTTP_PREFIX = "HTTP/1.".getBytes(StandardCharsets.US_ASCII);

    private final Source source;
    private final String name;
    private final TcpFlow flow;
    private final boolean http;
    private final long originNanos;

    private Recording(Source source, String name, TcpFlow flow) {
        this.source = source;
        this.name = name;
        this.flow = flow;
        this.http = startsWith(flow.prefix(), HTTP_PREFIX);
        this.originNanos = flow.requestNanos() >= 0 ? flow.requestNanos() : flow.openNanos();
    }

    /**
     * The stream of the capture named by {@code flowSpec} ({@code FROM-TO}, or the sender's
     * {@code [ADDR:]PORT}), else the first that carries an HTTP response. Reads only until the
     * choice is certain and the request's time known, to the end when the flow's SYN was not captured
     * (its first byte is then its lowest sequence number) or no flow qualifies.
     *
     * @throws InputException when the capture holds no such stream
     */
    static Recording survey(Source source, String name, String flowSpec) throws IOException {
        try (InputStream in = source.open()) {
            PcapReader reader = new PcapReader(in);
            TcpFlows flows = new TcpFlows();
            Choice choice = new Choice(flowSpec);
            TcpFlow chosen = null;
            long packets = 0;
            Packet p;
            while ((p = reader.next()) != null) {
                packets++;
                flows.add(p);
                if (chosen == null && (chosen = choice.decided(flows.flows())) != null) {
                    flows.narrow(chosen);
                }
                if (chosen != null && chosen.startFixed() && chosen.requestNanos() >= 0) {
                    break; // the second pass needs nothing more
                }
            }
            if (chosen == null) {
                chosen = choice.atEnd(flows.flows());
            }
            if (chosen == null) {
                List<TcpFlow> found = flows.flows();
                String listed = found.isEmpty() ? "no TCP data" : "streams " + found.stream()
                        .map(f -> f.name() + " (" + f.capturedBytes() + " bytes)").collect(Collectors.joining(", "));
                String why = flowSpec == null ? "no TCP stream carrying an HTTP response" : "no TCP stream from " + flowSpec;
                String problem = reader.error() != null ? "; " + reader.error().getMessage() : "";
                throw new InputException(name + ": " + why + " in " + packets + " packets (" + listed + ")" + problem);
            }
            return new Recording(source, name, chosen);
        }
    }

    /** True when the stream starts like an HTTP/1.x response. */
    boolean http() {
        return http;
    }

    /** Capture time the stream's read times count from: the request's first packet, else the connection's. */
    long originNanos() {
        return originNanos;
    }

    /** A new pass over the stream, from its first read; the caller closes it. */
    Pass open() throws IOException {
        return new Pass(source.open());
    }

    /**
     * Which flow the first pass settles on: the first, in the order their data began, that
     * {@code --flow} names or, without it, whose stream starts with {@code HTTP/1.}. It looks at
     * each flow once, in order, and waits while the first undecided one may still change its mind.
     */
    private static final class Choice {
        private final String spec;
        private int undecided;

        Choice(String spec) {
            this.spec = spec;
        }

        /** The chosen flow, once no later packet can change the choice; else null. */
        TcpFlow decided(List<TcpFlow> flows) {
            for (; undecided < flows.size(); undecided++) {
                TcpFlow f = flows.get(undecided);
                if (spec != null) {
                    if (named(f)) {
                        return f;
                    }
                    continue;
                }
                if (!f.startFixed()) {
                    return null; // without the SYN a lower sequence number may yet come: wait for the end
                }
                byte[] prefix = f.prefix();
                int n = Math.min(prefix.length, HTTP_PREFIX.length);
                if (!Arrays.equals(prefix, 0, n, HTTP_PREFIX, 0, n)) {
                    continue;
                }
                return n == HTTP_PREFIX.length ? f : null;
            }
            return null;
        }

        /** The choice once the whole capture was read. */
        TcpFlow atEnd(List<TcpFlow> flows) {
            for (TcpFlow f : flows) {
                if (spec != null ? named(f) : startsWith(f.prefix(), HTTP_PREFIX)) {
                    return f;
                }
            }
            return null;
        }

        private boolean named(TcpFlow f) {
            return spec.indexOf('-') >= 0 ? f.name().equals(spec) : f.from().matches(spec);
        }
    }

    /**
     * One pass over the stream: its reads in order, then how it ended. Holds one packet and the
     * reassembler's out-of-order window. Confined to one thread.
     */
    final class Pass implements AutoCloseable {
        private final InputStream in;
        private final PcapReader reader;
        private final TcpReassembler reassembler;
        private boolean done;
        private CaptureException problem;

        private Pass(InputStream in) {
            this.in = in;
            this.reader = new PcapReader(in);
            this.reassembler = new TcpReassembler(flow);
        }

        /** The next read of the stream, or null at its end or at a problem ({@link #problem()}). */
        TcpStream.Segment next() throws IOException {
            while (!done) {
                Packet p = reader.next();
                if (p == null) {
                    done = true;
                    problem = reader.error();
                    if (reassembler.lostAt() >= 0) {
                        problem = new CaptureException("the capture misses bytes of " + flow.name() + " at stream offset "
                                + reassembler.lostAt() + " (" + reassembler.lostBytes()
                                + " captured bytes after the hole not replayed)", reassembler.lostAt());
                    }
                    break;
                }
                byte[] read = reassembler.accept(p);
                if (reassembler.failure() != null) {
                    done = true;
                    problem = reassembler.failure();
                    break;
                }
                if (read != null) {
                    return new TcpStream.Segment(p.timeNanos(), read);
                }
            }
            return null;
        }

        /** The stream's bytes in order, as one input: for a replay cut its own way ({@code --chunk}). */
        InputStream bytes() {
            return new InputStream() {
                private byte[] current = new byte[0];
                private int at;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (len == 0) {
                        return 0;
                    }
                    while (at == current.length) {
                        TcpStream.Segment s = next();
                        if (s == null) {
                            return -1;
                        }
                        current = s.data();
                        at = 0;
                    }
                    int n = Math.min(len, current.length - at);
                    System.arraycopy(current, at, b, off, n);
                    at += n;
                    return n;
                }
            };
        }

        /** What stopped the pass early, or the hole it ended at; null for a clean capture. Known once {@link #next()} returned null. */
        CaptureException problem() {
            return problem;
        }

        /** How the sender's side ended, as far as the pass read. */
        TcpStream.End end() {
            return seen().end();
        }

        /** The capture, the flow and the reads returned so far, for the summary. */
        String description() {
            return name + ": flow " + flow.name() + ", " + reassembler.reads() + " segments";
        }

        /** How the connection ended, in words, with the retransmitted bytes dropped. */
        String transport() {
            String transport;
            switch (end()) {
                case FIN:
                    transport = "server closed the connection (FIN)";
                    break;
                case RST:
                    transport = "connection reset (RST)";
                    break;
                case OPEN:
                    transport = "the capture ends with the connection open";
                    break;
                default:
                    throw new IllegalStateException("Unhandled end " + end());
            }
            if (reassembler.retransmitted() > 0) {
                transport += ", " + reassembler.retransmitted() + " retransmitted bytes dropped";
            }
            return transport;
        }

        /** True when the server closed cleanly after every byte. */
        boolean transportClean() {
            return end() == TcpStream.End.FIN && problem == null;
        }

        private TcpFlow seen() {
            return reassembler.flow() != null ? reassembler.flow() : flow;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }
}

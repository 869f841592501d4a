package io.sluice.cli;

import io.sluice.cli.capture.Capture;
import io.sluice.cli.capture.CaptureException;
import io.sluice.cli.capture.PcapReader;
import io.sluice.cli.capture.TcpReassembler;
import io.sluice.cli.capture.TcpStream;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The server-to-client stream of a packet capture, chosen and reassembled, ready to be replayed
 * ({@code replay}) or served ({@code serve}): its reads with their capture times, whether it is an
 * HTTP response, how the connection ended, and the capture's own problem (a truncated file, a hole
 * in the stream), which is reported after the bytes before it were replayed.
 */
record Recording(List<TcpStream.Segment> segments, boolean http, long originNanos, String description,
                 TcpStream.End end, String transport, boolean transportClean, CaptureException problem) {

    private static final byte[] HTTP_PREFIX = "HTTP/1.".getBytes(StandardCharsets.US_ASCII);

    /**
     * The stream of {@code file} named by {@code flow} ({@code FROM-TO}, or the sender's
     * {@code [ADDR:]PORT}), else the first that carries an HTTP response.
     *
     * @throws InputException when the capture holds no such stream
     */
    static Recording fromPcap(byte[] file, String name, String flow) {
        Capture capture = PcapReader.read(file);
        List<TcpStream> streams = TcpReassembler.streams(capture.packets());
        TcpStream chosen = null;
        for (TcpStream s : streams) {
            if (flow == null ? startsWith(s.prefix(HTTP_PREFIX.length), HTTP_PREFIX)
                    : flow.indexOf('-') >= 0 ? s.name().equals(flow) : s.from().matches(flow)) {
                chosen = s;
                break;
            }
        }
        if (chosen == null) {
            String found = streams.isEmpty() ? "no TCP data"
                    : "streams " + streams.stream().map(s -> s.name() + " (" + s.bytes() + " bytes)").collect(Collectors.joining(", "));
            String why = flow == null ? "no TCP stream carrying an HTTP response" : "no TCP stream from " + flow;
            String problem = capture.error() != null ? "; " + capture.error().getMessage() : "";
            throw new InputException(name + ": " + why + " in " + capture.packets().size() + " packets (" + found + ")" + problem);
        }
        long origin = chosen.requestNanos() >= 0 ? chosen.requestNanos() : chosen.openNanos();
        String transport;
        switch (chosen.end()) {
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
                throw new IllegalStateException("Unhandled end " + chosen.end());
        }
        if (chosen.retransmitted() > 0) {
            transport += ", " + chosen.retransmitted() + " retransmitted bytes dropped";
        }
        CaptureException problem = capture.error();
        if (chosen.lostAt() >= 0) {
            problem = new CaptureException("the capture misses bytes of " + chosen.name() + " at stream offset "
                    + chosen.lostAt() + " (" + chosen.lostBytes() + " captured bytes after the hole not replayed)",
                    chosen.lostAt());
        }
        String description = name + ": flow " + chosen.name() + ", " + chosen.segments().size() + " segments";
        return new Recording(chosen.segments(), startsWith(chosen.prefix(HTTP_PREFIX.length), HTTP_PREFIX),
                origin, description, chosen.end(), transport, chosen.end() == TcpStream.End.FIN && problem == null, problem);
    }

    /** Every byte of the stream, in order. */
    byte[] bytes() {
        int n = 0;
        for (TcpStream.Segment s : segments) {
            n += s.data().length;
        }
        byte[] all = new byte[n];
        int at = 0;
        for (TcpStream.Segment s : segments) {
            System.arraycopy(s.data(), 0, all, at, s.data().length);
            at += s.data().length;
        }
        return all;
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}

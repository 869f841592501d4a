package io.sluice.cli.capture;

import java.util.List;

/**
 * The bytes one side of a TCP connection sent, reassembled by sequence number, as the reads a
 * receiver would have made: each {@link Segment} is what one captured packet made available in
 * order (a packet that fills a hole brings the buffered segments after it along), stamped with
 * that packet's time.
 *
 * @param from          the sender
 * @param to            the receiver
 * @param segments      the in-order reads
 * @param end           how the sender's side ended
 * @param openNanos     time of the connection's first packet (the SYN when captured)
 * @param requestNanos  time of the first data the receiver sent on this connection, or -1
 * @param lostAt        stream offset of the first byte never captured (a hole), or -1 when none is missing
 * @param lostBytes     bytes captured after that hole, which cannot be delivered
 * @param retransmitted bytes received again after they had been delivered (dropped)
 */
public record TcpStream(Endpoint from, Endpoint to, List<Segment> segments, End end, long openNanos,
                        long requestNanos, long lostAt, long lostBytes, long retransmitted) {

    /** One read of the stream: the bytes it made available and the time they arrived. */
    public record Segment(long timeNanos, byte[] data) {
    }

    /** How the sender's side of the connection ended, as the capture shows it. */
    public enum End {
        /** A FIN after the last byte: the sender closed cleanly. */
        FIN,
        /** A RST from either side. */
        RST,
        /** Neither: the capture stopped first. */
        OPEN
    }

    /** Every byte delivered. */
    public long bytes() {
        long n = 0;
        for (Segment s : segments) {
            n += s.data().length;
        }
        return n;
    }

    /** The first {@code n} delivered bytes (fewer if the stream is shorter). */
    public byte[] prefix(int n) {
        byte[] out = new byte[(int) Math.min(n, bytes())];
        int at = 0;
        for (Segment s : segments) {
            int take = Math.min(s.data().length, out.length - at);
            System.arraycopy(s.data(), 0, out, at, take);
            at += take;
            if (at == out.length) {
                break;
            }
        }
        return out;
    }

    /** {@code from -> to}, the form {@code --flow} accepts. */
    public String name() {
        return from + "-" + to;
    }
}

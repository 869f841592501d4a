package io.sluice.cli.capture;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One direction of a TCP connection as {@link TcpFlows} found it: who sent to whom, when, how it
 * ended, how many payload bytes were captured and the first {@value #PREFIX_BYTES} bytes of its
 * stream, which tell what it carries. It holds no more of the stream than that: the stream itself
 * is read by a second pass, a {@link TcpReassembler} that follows this flow.
 */
public final class TcpFlow {
    /** How many first bytes of each flow are kept to tell what it carries. */
    public static final int PREFIX_BYTES = 16;

    private final Endpoint from;
    private final Endpoint to;
    private final Connection connection;
    /** Which flow between the same endpoints, in this direction, this is: a reused port makes several. */
    private final int occurrence;
    private long synSeq = -1;
    private boolean fin;
    private boolean hasData;
    private long firstDataNanos = -1;
    private long capturedBytes;
    /** Lowest data sequence number seen, wraps considered: the stream's start when no SYN was captured. */
    private long lowestSeq;
    /** The first bytes from {@link #start()}; {@link #known} marks which are filled. */
    private final byte[] prefix = new byte[PREFIX_BYTES];
    private int known;

    TcpFlow(Endpoint from, Endpoint to, Connection connection, int occurrence) {
        this.from = from;
        this.to = to;
        this.connection = connection;
        this.occurrence = occurrence;
        connection.flows.add(this);
    }

    /** What both directions of one connection share. */
    static final class Connection {
        final long openNanos;
        boolean reset;
        final List<TcpFlow> flows = new ArrayList<>(2);

        Connection(long openNanos) {
            this.openNanos = openNanos;
        }
    }

    void add(TcpSegment s, long timeNanos) {
        if ((s.flags & TcpSegment.SYN) != 0) {
            synSeq = s.seq; // only before data: a SYN after data opens a new flow
        }
        if ((s.flags & TcpSegment.FIN) != 0) {
            fin = true;
        }
        if ((s.flags & TcpSegment.RST) != 0) {
            connection.reset = true;
        }
        if (s.length > 0) {
            if (!hasData) {
                hasData = true;
                firstDataNanos = timeNanos;
                lowestSeq = s.seq;
            } else if (synSeq < 0 && (int) (s.seq - lowestSeq) < 0) {
                // No handshake captured: the stream starts lower than thought, so the prefix moves up.
                shiftPrefix((int) (lowestSeq - s.seq));
                lowestSeq = s.seq;
            }
            capturedBytes += s.length;
            notePrefix(s);
        }
    }

    private void shiftPrefix(int by) {
        if (by >= PREFIX_BYTES) {
            known = 0;
            return;
        }
        System.arraycopy(prefix, 0, prefix, by, PREFIX_BYTES - by);
        known = (known << by) & ((1 << PREFIX_BYTES) - 1);
    }

    /** Keeps the segment's bytes that fall in the prefix, first captured first kept, as a receiver keeps them. */
    private void notePrefix(TcpSegment s) {
        long rel = (int) (s.seq - start());
        for (long i = Math.max(0, rel); i < Math.min(PREFIX_BYTES, rel + s.length); i++) {
            int bit = 1 << i;
            if ((known & bit) == 0) {
                known |= bit;
                prefix[(int) i] = s.data[s.offset + (int) (i - rel)];
            }
        }
    }

    boolean hasData() {
        return hasData;
    }

    int occurrence() {
        return occurrence;
    }

    Connection connection() {
        return connection;
    }

    /**
     * The sequence number of the stream's first byte: the one after the SYN; without the handshake,
     * the lowest seen so far, final only once the whole capture was read ({@link #startFixed()}).
     */
    long start() {
        return synSeq >= 0 ? (synSeq + 1) & 0xFFFFFFFFL : lowestSeq;
    }

    /** True when {@link #start()} and so {@link #prefix()} can no longer change: the SYN was captured. */
    public boolean startFixed() {
        return synSeq >= 0;
    }

    /** The sender. */
    public Endpoint from() {
        return from;
    }

    /** The receiver. */
    public Endpoint to() {
        return to;
    }

    /** {@code from -> to}, the form {@code --flow} accepts. */
    public String name() {
        return from + "-" + to;
    }

    /** Payload bytes captured, retransmissions included. */
    public long capturedBytes() {
        return capturedBytes;
    }

    /** The stream's first bytes, as far as the capture so far holds them without a gap (at most {@value #PREFIX_BYTES}). */
    public byte[] prefix() {
        return Arrays.copyOf(prefix, Integer.numberOfTrailingZeros(~known));
    }

    /** How the sender's side ended, as far as the capture was read. */
    public TcpStream.End end() {
        return connection.reset ? TcpStream.End.RST : fin ? TcpStream.End.FIN : TcpStream.End.OPEN;
    }

    /** Time of the connection's first packet (the SYN when captured). */
    public long openNanos() {
        return connection.openNanos;
    }

    /** Time of the first data the receiver sent on this connection (the request), or -1 before any. */
    public long requestNanos() {
        for (TcpFlow f : connection.flows) {
            if (f.hasData && f.from.equals(to) && f.to.equals(from)) {
                return f.firstDataNanos;
            }
        }
        return -1;
    }

    /** True when {@code other} is this flow seen in another pass over the same capture. */
    boolean sameAs(TcpFlow other) {
        return occurrence == other.occurrence && from.equals(other.from) && to.equals(other.to);
    }

    @Override
    public String toString() {
        return name();
    }
}

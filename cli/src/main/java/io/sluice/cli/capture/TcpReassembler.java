package io.sluice.cli.capture;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Follows one {@link TcpFlow} through a capture, fed one packet at a time (the second pass over a
 * capture), and reassembles it by sequence number as a receiver would: retransmitted bytes are
 * dropped, out-of-order segments wait for the hole before them, sequence numbers wrap past 2^32.
 * Each in-order read it returns is what one captured packet made available (a packet that fills a
 * hole brings the segments waiting after it along).
 *
 * <table>
 * <caption>Limits</caption>
 * <tr><th>what</th><th>default</th></tr>
 * <tr><td>bytes held out of order, after a hole</td><td>{@value #DEFAULT_MAX_REORDER_BYTES}</td></tr>
 * <tr><td>segments held out of order, after a hole</td><td>{@value #DEFAULT_MAX_REORDER_SEGMENTS}</td></tr>
 * </table>
 *
 * A receiver's window bounds how far ahead of a hole a real sender can get; a capture that holds
 * more than the bound after a hole is missing the hole for good (or is not a real connection), so
 * the reassembler stops there with a {@link ReorderWindowExceededException} ({@link #failure()})
 * after returning every byte before the hole. Memory: the held segments and the read being built.
 * Confined to one thread.
 */
public final class TcpReassembler {
    /** 8 MiB: above Linux's default largest receive window (tcp_rmem, 6 MiB). */
    public static final int DEFAULT_MAX_REORDER_BYTES = 8 << 20;
    /** Enough for the byte bound in full-sized Ethernet segments; tiny segments hit this first. */
    public static final int DEFAULT_MAX_REORDER_SEGMENTS = 8192;

    private final TcpFlows flows = new TcpFlows();
    private final TcpFlow plan;
    private final long start;
    private final long maxBytes;
    private final int maxSegments;
    private TcpFlow followed;
    /** Segments after a hole, by stream offset: their payload, copied out of the frame. */
    private final TreeMap<Long, byte[]> waiting = new TreeMap<>();
    private long waitingBytes;
    /** Stream offset of the next byte due: every byte before it was returned. */
    private long next;
    private long retransmitted;
    private long reads;
    private ReorderWindowExceededException failure;

    /** Follows {@code flow}, found by a first pass ({@link TcpFlows}) over the same capture, with the default bounds. */
    public TcpReassembler(TcpFlow flow) {
        this(flow, DEFAULT_MAX_REORDER_BYTES, DEFAULT_MAX_REORDER_SEGMENTS);
    }

    /**
     * Follows {@code flow} holding at most {@code maxReorderBytes} bytes and {@code maxReorderSegments}
     * segments after a hole. The first pass must have read the whole capture when the flow's SYN
     * was not captured ({@link TcpFlow#startFixed()}): the stream then starts at its lowest sequence number.
     */
    public TcpReassembler(TcpFlow flow, long maxReorderBytes, int maxReorderSegments) {
        this.plan = flow;
        this.start = flow.start();
        this.maxBytes = maxReorderBytes;
        this.maxSegments = maxReorderSegments;
        flows.narrow(flow);
    }

    /**
     * Notes the next packet of the capture.
     *
     * @return the bytes it made available in order on the followed flow (the caller's to keep), or
     *         null when it made none available, or after a {@link #failure()}
     */
    public byte[] accept(Packet packet) {
        TcpSegment s = flows.accept(packet);
        if (s == null || failure != null) {
            return null;
        }
        if (followed == null && s.flow.sameAs(plan)) {
            followed = s.flow;
        }
        if (s.flow != followed || s.length == 0) {
            return null;
        }
        // The offset congruent to seq mod 2^32 nearest the next expected one: wraps cost nothing.
        long at = next + (int) (s.seq - (start + next));
        long end = at + s.length;
        if (end <= next) {
            retransmitted += s.length;
            return null;
        }
        if (at > next) {
            hold(at, Arrays.copyOfRange(s.data, s.offset, s.offset + s.length));
            return null;
        }
        ByteArrayOutputStream read = new ByteArrayOutputStream(s.length);
        retransmitted += next - at;
        read.write(s.data, s.offset + (int) (next - at), (int) (end - next));
        next = end;
        while (!waiting.isEmpty() && waiting.firstKey() <= next) {
            Map.Entry<Long, byte[]> first = waiting.pollFirstEntry();
            byte[] w = first.getValue();
            waitingBytes -= w.length;
            long wEnd = first.getKey() + w.length;
            if (wEnd > next) {
                retransmitted += next - first.getKey();
                read.write(w, (int) (next - first.getKey()), (int) (wEnd - next));
                next = wEnd;
            } else {
                retransmitted += w.length;
            }
        }
        reads++;
        return read.toByteArray();
    }

    private void hold(long at, byte[] data) {
        byte[] before = waiting.get(at);
        if (before != null && before.length >= data.length) {
            return; // the longer of two segments at one offset is kept
        }
        waiting.put(at, data);
        waitingBytes += data.length - (before != null ? before.length : 0);
        if (waitingBytes > maxBytes || waiting.size() > maxSegments) {
            failure = new ReorderWindowExceededException(plan.name(), next, waitingBytes, waiting.size(), maxBytes, maxSegments);
            waiting.clear();
            waitingBytes = 0;
        }
    }

    /** The followed flow as this pass saw it (how it ended, when it opened), or null before its first packet. */
    public TcpFlow flow() {
        return followed;
    }

    /** In-order reads returned so far. */
    public long reads() {
        return reads;
    }

    /** Bytes returned so far: the stream offset of the next byte due. */
    public long delivered() {
        return next;
    }

    /** Bytes received again after they had been returned (dropped). */
    public long retransmitted() {
        return retransmitted;
    }

    /** Stream offset of the first byte never captured, when bytes after it wait; -1 when none do. */
    public long lostAt() {
        return waiting.isEmpty() ? -1 : next;
    }

    /** Bytes captured after {@link #lostAt()}, which cannot be returned. */
    public long lostBytes() {
        return waitingBytes;
    }

    /** The bound this flow passed, after which nothing more is returned; null while within it. */
    public ReorderWindowExceededException failure() {
        return failure;
    }

    /**
     * Every flow of {@code packets} that carried data, each reassembled whole, in the order its
     * first data byte was captured: for small captures and tests, as it holds every stream.
     */
    public static List<TcpStream> streams(List<Packet> packets) {
        TcpFlows survey = new TcpFlows();
        for (Packet p : packets) {
            survey.add(p);
        }
        List<TcpStream> streams = new ArrayList<>();
        for (TcpFlow flow : survey.flows()) {
            TcpReassembler r = new TcpReassembler(flow);
            List<TcpStream.Segment> segments = new ArrayList<>();
            for (Packet p : packets) {
                byte[] read = r.accept(p);
                if (read != null) {
                    segments.add(new TcpStream.Segment(p.timeNanos(), read));
                }
            }
            TcpFlow seen = r.flow();
            streams.add(new TcpStream(seen.from(), seen.to(), segments, seen.end(), seen.openNanos(), seen.requestNanos(),
                    r.lostAt(), r.lostBytes(), r.retransmitted()));
        }
        return streams;
    }
}

package io.sluice.cli.capture;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Splits captured packets into TCP streams, one per direction of each connection, and reassembles
 * each by sequence number as a receiver would: retransmitted bytes are dropped, out-of-order
 * segments wait for the hole before them, sequence numbers wrap past 2^32.
 *
 * <table>
 * <caption>Frames read</caption>
 * <tr><th>link type</th><th>frame</th></tr>
 * <tr><td>1</td><td>Ethernet II, with 802.1Q / 802.1ad tags</td></tr>
 * <tr><td>0, 108</td><td>BSD loopback (address family in host / network order)</td></tr>
 * <tr><td>12, 14, 101</td><td>raw IP</td></tr>
 * <tr><td>228, 229</td><td>raw IPv4, raw IPv6</td></tr>
 * <tr><td>113, 276</td><td>Linux cooked capture v1 and v2</td></tr>
 * </table>
 *
 * IPv4 (options skipped by the header length, fragments skipped) and IPv6 (extension headers
 * walked); the TCP data offset is honoured, so options are skipped. Frames of other link types or
 * protocols, and frames too short for their headers, are not TCP to us and are passed over.
 * A new SYN on a direction that already carried data starts a new stream (a reused port).
 */
public final class TcpReassembler {
    private static final int FIN = 0x01;
    private static final int SYN = 0x02;
    private static final int RST = 0x04;
    private static final int ACK = 0x10;

    private TcpReassembler() {
    }

    /** The streams that carried data, in the order their first data byte was captured. */
    public static List<TcpStream> streams(List<Packet> packets) {
        Map<String, Direction> open = new HashMap<>();
        List<Direction> all = new ArrayList<>();
        long dataOrder = 0;
        for (Packet packet : packets) {
            TcpSegment s = TcpSegment.parse(packet);
            if (s == null) {
                continue;
            }
            String key = s.from + "-" + s.to;
            String reverse = s.to + "-" + s.from;
            Direction d = open.get(key);
            if (d == null || ((s.flags & SYN) != 0 && d.hasData())) {
                Direction other = open.get(reverse);
                // A bare SYN opens a connection; anything else (the SYN-ACK included) joins the reverse one.
                boolean opens = (s.flags & SYN) != 0 && (s.flags & ACK) == 0;
                Connection c = other != null && !opens ? other.connection : new Connection(packet.timeNanos());
                d = new Direction(s.from, s.to, c);
                open.put(key, d);
                all.add(d);
            }
            d.add(s, packet.timeNanos());
            if (s.length > 0 && d.firstDataOrder < 0) {
                d.firstDataOrder = dataOrder++;
            }
            if ((s.flags & RST) != 0) {
                d.connection.reset = true;
            }
        }
        List<Direction> withData = new ArrayList<>();
        for (Direction d : all) {
            if (d.hasData()) {
                withData.add(d);
            }
        }
        withData.sort((a, b) -> Long.compare(a.firstDataOrder, b.firstDataOrder));
        List<TcpStream> streams = new ArrayList<>();
        for (Direction d : withData) {
            streams.add(d.reassemble(open.get(d.to + "-" + d.from)));
        }
        return streams;
    }

    /** What both directions of one connection share. */
    private static final class Connection {
        final long openNanos;
        boolean reset;

        Connection(long openNanos) {
            this.openNanos = openNanos;
        }
    }

    /** One direction of a connection, its segments as captured, reassembled at the end. */
    private static final class Direction {
        final Endpoint from;
        final Endpoint to;
        final Connection connection;
        final List<TcpSegment> captured = new ArrayList<>();
        final List<Long> times = new ArrayList<>();
        long synSeq = -1;
        boolean fin;
        long firstDataOrder = -1;
        long firstDataNanos = -1;

        Direction(Endpoint from, Endpoint to, Connection connection) {
            this.from = from;
            this.to = to;
            this.connection = connection;
        }

        boolean hasData() {
            return firstDataOrder >= 0;
        }

        void add(TcpSegment s, long timeNanos) {
            if ((s.flags & SYN) != 0) {
                synSeq = s.seq;
            }
            if ((s.flags & FIN) != 0) {
                fin = true;
            }
            if (s.length > 0) {
                if (firstDataNanos < 0) {
                    firstDataNanos = timeNanos;
                }
                captured.add(s);
                times.add(timeNanos);
            }
        }

        TcpStream reassemble(Direction reverse) {
            // The first byte is the one after the SYN; without the handshake, the lowest sequence seen.
            long base;
            if (synSeq >= 0) {
                base = (synSeq + 1) & 0xFFFFFFFFL;
            } else {
                base = captured.get(0).seq;
                for (TcpSegment s : captured) {
                    if ((int) (s.seq - base) < 0) {
                        base = s.seq;
                    }
                }
            }
            List<TcpStream.Segment> reads = new ArrayList<>();
            TreeMap<Long, TcpSegment> waiting = new TreeMap<>();
            long next = 0;
            long retransmitted = 0;
            for (int i = 0; i < captured.size(); i++) {
                TcpSegment s = captured.get(i);
                // The offset congruent to seq mod 2^32 nearest the next expected one: wraps cost nothing.
                long at = next + (int) (s.seq - (base + next));
                long end = at + s.length;
                if (end <= next) {
                    retransmitted += s.length;
                    continue;
                }
                if (at > next) {
                    waiting.merge(at, s, (a, b) -> a.length >= b.length ? a : b);
                    continue;
                }
                ByteArrayOutputStream read = new ByteArrayOutputStream(s.length);
                retransmitted += next - at;
                read.write(s.data, s.offset + (int) (next - at), (int) (end - next));
                next = end;
                while (!waiting.isEmpty() && waiting.firstKey() <= next) {
                    Map.Entry<Long, TcpSegment> first = waiting.pollFirstEntry();
                    TcpSegment w = first.getValue();
                    long wEnd = first.getKey() + w.length;
                    if (wEnd > next) {
                        retransmitted += next - first.getKey();
                        read.write(w.data, w.offset + (int) (next - first.getKey()), (int) (wEnd - next));
                        next = wEnd;
                    } else {
                        retransmitted += w.length;
                    }
                }
                reads.add(new TcpStream.Segment(times.get(i), read.toByteArray()));
            }
            long lostAt = -1;
            long lostBytes = 0;
            if (!waiting.isEmpty()) {
                lostAt = next;
                for (TcpSegment w : waiting.values()) {
                    lostBytes += w.length;
                }
            }
            TcpStream.End end = connection.reset ? TcpStream.End.RST : fin ? TcpStream.End.FIN : TcpStream.End.OPEN;
            long requestNanos = reverse != null && reverse.connection == connection ? reverse.firstDataNanos : -1;
            return new TcpStream(from, to, reads, end, connection.openNanos, requestNanos, lostAt, lostBytes, retransmitted);
        }
    }

    /** The TCP header fields replay needs, and where the payload lies in the frame. */
    private static final class TcpSegment {
        Endpoint from;
        Endpoint to;
        long seq;
        int flags;
        byte[] data;
        int offset;
        int length;

        /** The TCP segment in {@code packet}, or null when the frame is not one. */
        static TcpSegment parse(Packet packet) {
            byte[] b = packet.data();
            int at;
            int ethertype;
            switch (packet.linkType()) {
                case 1: // Ethernet
                    at = 12;
                    if (b.length < 14) {
                        return null;
                    }
                    ethertype = u16(b, at);
                    while ((ethertype == 0x8100 || ethertype == 0x88A8) && b.length >= at + 6) {
                        at += 4;
                        ethertype = u16(b, at);
                    }
                    at += 2;
                    break;
                case 0: // BSD loopback, family in the capturing host's byte order
                case 108: { // OpenBSD loopback, network order
                    if (b.length < 4) {
                        return null;
                    }
                    int family = u32(b, 0);
                    if (packet.linkType() == 0 && (family & 0xFFFF) == 0) {
                        family = Integer.reverseBytes(family); // written by a little-endian host: families are small
                    }
                    ethertype = family == 2 ? 0x0800 : family == 24 || family == 28 || family == 30 ? 0x86DD : -1;
                    at = 4;
                    break;
                }
                case 12:
                case 14:
                case 101: // raw IP: the version nibble says which
                    if (b.length < 1) {
                        return null;
                    }
                    ethertype = (b[0] & 0xF0) == 0x40 ? 0x0800 : (b[0] & 0xF0) == 0x60 ? 0x86DD : -1;
                    at = 0;
                    break;
                case 228:
                    ethertype = 0x0800;
                    at = 0;
                    break;
                case 229:
                    ethertype = 0x86DD;
                    at = 0;
                    break;
                case 113: // Linux cooked v1: 16-byte header, protocol last
                    if (b.length < 16) {
                        return null;
                    }
                    ethertype = u16(b, 14);
                    at = 16;
                    break;
                case 276: // Linux cooked v2: 20-byte header, protocol first
                    if (b.length < 20) {
                        return null;
                    }
                    ethertype = u16(b, 0);
                    at = 20;
                    break;
                default:
                    return null;
            }
            if (ethertype == 0x0800) {
                return ipv4(b, at);
            }
            if (ethertype == 0x86DD) {
                return ipv6(b, at);
            }
            return null;
        }

        private static TcpSegment ipv4(byte[] b, int at) {
            if (b.length < at + 20 || (b[at] & 0xF0) != 0x40) {
                return null;
            }
            int headerLength = (b[at] & 0x0F) * 4;
            int total = u16(b, at + 2);
            int fragment = u16(b, at + 6);
            if ((fragment & 0x3FFF) != 0 || (b[at + 9] & 0xFF) != 6 || headerLength < 20) {
                return null; // a fragment (more follow, or not the first) or not TCP
            }
            // The total length, not the frame, ends the packet: Ethernet pads short frames.
            int end = Math.min(b.length, at + Math.max(total, headerLength));
            return tcp(b, at + headerLength, end, Endpoint.of(b, at + 12, 4, 0), Endpoint.of(b, at + 16, 4, 0));
        }

        private static TcpSegment ipv6(byte[] b, int at) {
            if (b.length < at + 40 || (b[at] & 0xF0) != 0x60) {
                return null;
            }
            int end = Math.min(b.length, at + 40 + u16(b, at + 4));
            int next = b[at + 6] & 0xFF;
            int header = at + 40;
            while (next != 6) {
                if (header + 8 > end) {
                    return null;
                }
                switch (next) {
                    case 0: // hop-by-hop
                    case 43: // routing
                    case 60: // destination options
                        int length = ((b[header + 1] & 0xFF) + 1) * 8;
                        next = b[header] & 0xFF;
                        header += length;
                        break;
                    case 44: // fragment: only a whole datagram is one TCP segment
                        if ((u16(b, header + 2) & 0xFFF9) != 0) {
                            return null;
                        }
                        next = b[header] & 0xFF;
                        header += 8;
                        break;
                    default:
                        return null;
                }
            }
            return tcp(b, header, end, Endpoint.of(b, at + 8, 16, 0), Endpoint.of(b, at + 24, 16, 0));
        }

        private static TcpSegment tcp(byte[] b, int at, int end, Endpoint source, Endpoint destination) {
            if (end < at + 20) {
                return null;
            }
            int dataOffset = ((b[at + 12] & 0xF0) >> 4) * 4;
            if (dataOffset < 20 || at + dataOffset > end) {
                return null;
            }
            TcpSegment s = new TcpSegment();
            s.from = new Endpoint(source.address(), u16(b, at));
            s.to = new Endpoint(destination.address(), u16(b, at + 2));
            s.seq = u32(b, at + 4) & 0xFFFFFFFFL;
            s.flags = b[at + 13] & 0xFF;
            s.data = b;
            s.offset = at + dataOffset;
            s.length = end - s.offset;
            return s;
        }

        private static int u16(byte[] b, int at) {
            return (b[at] & 0xFF) << 8 | (b[at + 1] & 0xFF);
        }

        private static int u32(byte[] b, int at) {
            return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
        }
    }
}

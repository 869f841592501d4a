package io.sluice.cli.capture;

/** The TCP header fields replay needs, and where the payload lies in the frame. */
final class TcpSegment {
    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int ACK = 0x10;

    /** The flow it was routed to, set by {@link TcpFlows}. */
    TcpFlow flow;
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

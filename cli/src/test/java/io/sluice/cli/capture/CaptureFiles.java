package io.sluice.cli.capture;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Writes capture files the way libpcap and pcapng writers lay them out, and rewrites frames from
 * one link layer to another, so the readers are tested on real samples in every form they accept.
 */
final class CaptureFiles {
    static final int ETHERNET = 1;
    static final int RAW = 101;
    static final int LINUX_SLL = 113;
    static final int LINUX_SLL2 = 276;
    static final int NULL_LOOPBACK = 0;

    private CaptureFiles() {
    }

    /** A classic libpcap file: {@code nanos} picks the nanosecond magic. */
    static byte[] pcap(List<Packet> packets, ByteOrder order, boolean nanos, int linkType) {
        int size = 24;
        for (Packet p : packets) {
            size += 16 + p.data().length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(order);
        b.putInt(nanos ? 0xA1B23C4D : 0xA1B2C3D4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                .putInt(262144).putInt(linkType);
        for (Packet p : packets) {
            long unit = nanos ? 1 : 1000;
            b.putInt((int) (p.timeNanos() / 1_000_000_000L)).putInt((int) (p.timeNanos() % 1_000_000_000L / unit))
                    .putInt(p.data().length).putInt(p.originalLength()).put(p.data());
        }
        return b.array();
    }

    /** A pcapng file of one section and one interface whose timestamps tick every 10^-resolution s. */
    static byte[] pcapng(List<Packet> packets, ByteOrder order, int resolution, int linkType) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(block(order, 0x0A0D0D0A, ByteBuffer.allocate(16).order(order)
                .putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0).putLong(-1).array()));
        out.writeBytes(block(order, 1, ByteBuffer.allocate(20).order(order)
                .putShort((short) linkType).putShort((short) 0).putInt(0)
                .putShort((short) 9).putShort((short) 1).put((byte) resolution).put(new byte[3]) // if_tsresol
                .putInt(0) // opt_endofopt
                .array()));
        out.writeBytes(block(order, 4, new byte[0])); // a name resolution block, to be skipped
        long perSecond = (long) Math.pow(10, resolution);
        for (Packet p : packets) {
            long ticks = p.timeNanos() / 1_000_000_000L * perSecond + p.timeNanos() % 1_000_000_000L * perSecond / 1_000_000_000L;
            int padded = (p.data().length + 3) & ~3;
            out.writeBytes(block(order, 6, ByteBuffer.allocate(20 + padded).order(order)
                    .putInt(0).putInt((int) (ticks >>> 32)).putInt((int) ticks)
                    .putInt(p.data().length).putInt(p.originalLength()).put(p.data()).array()));
        }
        return out.toByteArray();
    }

    private static byte[] block(ByteOrder order, int type, byte[] body) {
        int length = 12 + body.length;
        return ByteBuffer.allocate(length).order(order).putInt(type).putInt(length).put(body).putInt(length).array();
    }

    /** Every packet's frame rewritten by {@code rewrite}, with {@code linkType}. */
    static List<Packet> relink(List<Packet> packets, int linkType, UnaryOperator<byte[]> rewrite) {
        return packets.stream().map(p -> {
            byte[] frame = rewrite.apply(p.data());
            return new Packet(p.timeNanos(), linkType, frame, frame.length);
        }).toList();
    }

    /** The IP packet inside an Ethernet II frame (the samples carry no VLAN tags). */
    static byte[] stripEthernet(byte[] frame) {
        return Arrays.copyOfRange(frame, 14, frame.length);
    }

    /** An IP packet behind a Linux cooked v1 header. */
    static byte[] sll(byte[] ip) {
        ByteBuffer b = ByteBuffer.allocate(16 + ip.length);
        b.putShort((short) 0).putShort((short) 772).putShort((short) 6).put(new byte[8]).putShort(etherType(ip)).put(ip);
        return b.array();
    }

    /** An IP packet behind a Linux cooked v2 header. */
    static byte[] sll2(byte[] ip) {
        ByteBuffer b = ByteBuffer.allocate(20 + ip.length);
        b.putShort(etherType(ip)).putShort((short) 0).putInt(1).putShort((short) 772).put((byte) 0).put((byte) 6)
                .put(new byte[8]).put(ip);
        return b.array();
    }

    /** An IP packet behind a BSD loopback header (family in little-endian host order). */
    static byte[] nullLoopback(byte[] ip) {
        int family = (ip[0] & 0xF0) == 0x40 ? 2 : 30;
        return ByteBuffer.allocate(4 + ip.length).order(ByteOrder.LITTLE_ENDIAN).putInt(family).put(ip).array();
    }

    /** The same TCP segment in an IPv6 packet (::1 for 127.0.0.1 and so on: the low bytes are kept). */
    static byte[] toIpv6(byte[] ipv4) {
        int headerLength = (ipv4[0] & 0x0F) * 4;
        int total = ((ipv4[2] & 0xFF) << 8) | (ipv4[3] & 0xFF);
        byte[] tcp = Arrays.copyOfRange(ipv4, headerLength, total);
        ByteBuffer b = ByteBuffer.allocate(40 + 8 + tcp.length);
        b.putInt(0x60000000).putShort((short) (8 + tcp.length)).put((byte) 60).put((byte) 64);
        b.put(new byte[12]).put(ipv4, 12, 4).put(new byte[12]).put(ipv4, 16, 4);
        b.put((byte) 6).put((byte) 0).put(new byte[6]); // a destination options header, to be walked
        b.put(tcp);
        return b.array();
    }

    private static short etherType(byte[] ip) {
        return (short) ((ip[0] & 0xF0) == 0x40 ? 0x0800 : 0x86DD);
    }
}

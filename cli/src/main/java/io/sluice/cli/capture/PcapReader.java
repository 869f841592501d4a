package io.sluice.cli.capture;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads libpcap and pcapng capture files from memory.
 *
 * <table>
 * <caption>Formats read</caption>
 * <tr><th>format</th><th>magic</th><th>timestamps</th></tr>
 * <tr><td>libpcap, either byte order</td><td>{@code a1b2c3d4}</td><td>microseconds</td></tr>
 * <tr><td>libpcap, either byte order</td><td>{@code a1b23c4d}</td><td>nanoseconds</td></tr>
 * <tr><td>pcapng, either byte order, several sections and interfaces</td><td>{@code 0a0d0d0a}</td>
 *     <td>{@code if_tsresol}, default microseconds</td></tr>
 * </table>
 *
 * pcapng's enhanced, simple and obsolete packet blocks are read; every other block (name
 * resolution, statistics, custom) is skipped by its length. A file that ends inside a record gives
 * the packets before it and a {@link TruncatedCaptureException}; a record whose lengths make no
 * sense gives a {@link CaptureException} the same way. Hand-written rather than a library: the
 * formats are small and fixed, and the Java pcap libraries bind libpcap natively.
 */
public final class PcapReader {
    private static final int PCAP_MICROS = 0xA1B2C3D4;
    private static final int PCAP_NANOS = 0xA1B23C4D;
    private static final int PCAPNG_SECTION = 0x0A0D0D0A;
    private static final int PCAPNG_BYTE_ORDER = 0x1A2B3C4D;
    private static final int PCAP_HEADER = 24;
    private static final int PCAP_RECORD_HEADER = 16;
    /** No link layer frame is this large; a larger length means a corrupt record header. */
    private static final int MAX_PACKET = 1 << 24;

    private PcapReader() {
    }

    /** True when {@code file} starts like a capture this reader knows. */
    public static boolean isCapture(byte[] file) {
        if (file.length < 4) {
            return false;
        }
        int big = ByteBuffer.wrap(file, 0, 4).getInt();
        int little = Integer.reverseBytes(big);
        return big == PCAP_MICROS || big == PCAP_NANOS || little == PCAP_MICROS || little == PCAP_NANOS
                || big == PCAPNG_SECTION;
    }

    /** Every packet of {@code file}, and the error that stopped the reading early, if any. */
    public static Capture read(byte[] file) {
        if (file.length >= 4 && ByteBuffer.wrap(file, 0, 4).getInt() == PCAPNG_SECTION) {
            return readPcapng(file);
        }
        return readPcap(file);
    }

    private static Capture readPcap(byte[] file) {
        List<Packet> packets = new ArrayList<>();
        if (file.length < PCAP_HEADER) {
            return new Capture(packets, new TruncatedCaptureException("pcap header", 0, 0, PCAP_HEADER, file.length));
        }
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.BIG_ENDIAN);
        int magic = in.getInt(0);
        if (magic != PCAP_MICROS && magic != PCAP_NANOS) {
            in.order(ByteOrder.LITTLE_ENDIAN);
            magic = in.getInt(0);
            if (magic != PCAP_MICROS && magic != PCAP_NANOS) {
                return new Capture(packets, new CaptureException("not a pcap or pcapng file (magic "
                        + String.format("%08x", in.order(ByteOrder.BIG_ENDIAN).getInt(0)) + ")", 0));
            }
        }
        long fractionNanos = magic == PCAP_NANOS ? 1 : 1000;
        // The link type is the low 16 bits; the upper bits carry FCS flags (pcap-savefile(5)).
        int linkType = in.getInt(20) & 0xFFFF;
        int offset = PCAP_HEADER;
        long number = 0;
        while (offset < file.length) {
            number++;
            if (file.length - offset < PCAP_RECORD_HEADER) {
                return new Capture(packets, new TruncatedCaptureException("pcap", number, offset,
                        PCAP_RECORD_HEADER, file.length - offset));
            }
            long seconds = in.getInt(offset) & 0xFFFFFFFFL;
            long fraction = in.getInt(offset + 4) & 0xFFFFFFFFL;
            int captured = in.getInt(offset + 8);
            int original = in.getInt(offset + 12);
            if (captured < 0 || captured > MAX_PACKET) {
                return new Capture(packets, new CaptureException("corrupt pcap: packet " + number
                        + " at file offset " + offset + " claims " + Integer.toUnsignedString(captured) + " bytes", offset));
            }
            int body = offset + PCAP_RECORD_HEADER;
            if (file.length - body < captured) {
                return new Capture(packets, new TruncatedCaptureException("pcap", number, offset,
                        PCAP_RECORD_HEADER + captured, file.length - offset));
            }
            byte[] data = Arrays.copyOfRange(file, body, body + captured);
            packets.add(new Packet(seconds * 1_000_000_000L + fraction * fractionNanos, linkType, data, original));
            offset = body + captured;
        }
        return new Capture(packets, null);
    }

    /** One pcapng interface: its link type and how many timestamp units make a second ({@code if_tsresol}). */
    private record Interface(int linkType, long ticksPerSecond) {
        long nanos(long ticks) {
            long seconds = ticks / ticksPerSecond;
            long rest = ticks % ticksPerSecond;
            // rest < ticksPerSecond <= 1e9 keeps rest * 1e9 inside a long; finer units are divided down.
            return seconds * 1_000_000_000L + (ticksPerSecond <= 1_000_000_000L
                    ? rest * 1_000_000_000L / ticksPerSecond
                    : rest / (ticksPerSecond / 1_000_000_000L));
        }
    }

    private static Capture readPcapng(byte[] file) {
        List<Packet> packets = new ArrayList<>();
        List<Interface> interfaces = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.BIG_ENDIAN);
        int offset = 0;
        long number = 0;
        while (offset < file.length) {
            if (file.length - offset < 12) {
                return new Capture(packets, new TruncatedCaptureException("pcapng", number + 1, offset, 12, file.length - offset));
            }
            int type = in.getInt(offset);
            if (type == PCAPNG_SECTION) {
                // The byte order magic decides how this section, its own length included, is read.
                int order = in.order(ByteOrder.BIG_ENDIAN).getInt(offset + 8);
                in.order(order == PCAPNG_BYTE_ORDER ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
                if (in.getInt(offset + 8) != PCAPNG_BYTE_ORDER) {
                    return new Capture(packets, new CaptureException("corrupt pcapng: bad byte-order magic at file offset " + offset, offset));
                }
                interfaces.clear();
            }
            int length = in.getInt(offset + 4);
            if (length < 12 || (length & 3) != 0 || length > MAX_PACKET + 64) {
                return new Capture(packets, new CaptureException("corrupt pcapng: block at file offset " + offset
                        + " claims " + Integer.toUnsignedString(length) + " bytes", offset));
            }
            if (file.length - offset < length) {
                return new Capture(packets, new TruncatedCaptureException("pcapng", number + 1, offset, length, file.length - offset));
            }
            int body = offset + 8;
            int bodyEnd = offset + length - 4;
            switch (type) {
                case 1: // interface description
                    interfaces.add(readInterface(in, body, bodyEnd));
                    break;
                case 6: // enhanced packet
                case 2: { // obsolete packet block: same layout but a 16-bit interface id and drops count
                    int id = type == 6 ? in.getInt(body) : in.getShort(body) & 0xFFFF;
                    long ticks = (in.getInt(body + 4) & 0xFFFFFFFFL) << 32 | (in.getInt(body + 8) & 0xFFFFFFFFL);
                    int captured = in.getInt(body + 12);
                    int original = in.getInt(body + 16);
                    number++;
                    if (id >= interfaces.size() || captured < 0 || body + 20 + captured > bodyEnd) {
                        return new Capture(packets, new CaptureException("corrupt pcapng: packet " + number
                                + " at file offset " + offset + " (interface " + id + ", " + captured + " bytes)", offset));
                    }
                    Interface itf = interfaces.get(id);
                    packets.add(new Packet(itf.nanos(ticks), itf.linkType(),
                            Arrays.copyOfRange(file, body + 20, body + 20 + captured), original));
                    break;
                }
                case 3: { // simple packet: no timestamp, interface 0, captured = min(original, snaplen)
                    number++;
                    int original = in.getInt(body);
                    int captured = Math.min(original, bodyEnd - body - 4);
                    if (interfaces.isEmpty() || captured < 0) {
                        return new Capture(packets, new CaptureException("corrupt pcapng: simple packet " + number
                                + " at file offset " + offset, offset));
                    }
                    packets.add(new Packet(0, interfaces.get(0).linkType(),
                            Arrays.copyOfRange(file, body + 4, body + 4 + captured), original));
                    break;
                }
                default:
                    break; // section header, name resolution, statistics, custom: nothing replay needs
            }
            offset += length;
        }
        return new Capture(packets, null);
    }

    private static Interface readInterface(ByteBuffer in, int body, int bodyEnd) {
        int linkType = in.getShort(body) & 0xFFFF;
        long ticksPerSecond = 1_000_000;
        int option = body + 8;
        while (option + 4 <= bodyEnd) {
            int code = in.getShort(option) & 0xFFFF;
            int length = in.getShort(option + 2) & 0xFFFF;
            if (code == 0) {
                break;
            }
            if (code == 9 && length >= 1) { // if_tsresol: 10^-n seconds, or 2^-n with the high bit set
                int resolution = in.get(option + 4) & 0xFF;
                int exponent = Math.min(resolution & 0x7F, (resolution & 0x80) != 0 ? 62 : 18);
                ticksPerSecond = (resolution & 0x80) != 0 ? 1L << exponent : (long) Math.pow(10, exponent);
            }
            option += 4 + ((length + 3) & ~3);
        }
        return new Interface(linkType, Math.max(1, ticksPerSecond));
    }
}

package io.sluice.cli.capture;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads libpcap and pcapng capture files as a stream, one packet at a time, so a capture of any
 * size is read in the memory of one record (issue 14).
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
 * <table>
 * <caption>Limits</caption>
 * <tr><th>what</th><th>bound</th></tr>
 * <tr><td>one libpcap record's captured bytes</td><td>{@value #MAX_PACKET}</td></tr>
 * <tr><td>one pcapng block</td><td>{@value #MAX_PACKET} + 64</td></tr>
 * </table>
 *
 * pcapng's enhanced, simple and obsolete packet blocks are read; every other block (name
 * resolution, statistics, custom) is skipped by its length. A file that ends inside a record ends
 * the packets with a {@link TruncatedCaptureException}; a record whose lengths make no sense ends
 * them with a {@link CaptureException} the same way ({@link #error()}). Hand-written rather than a
 * library: the formats are small and fixed, and the Java pcap libraries bind libpcap natively.
 *
 * <p>Confined to one thread. The reader does not close its stream; it reads it in small pieces,
 * so the caller buffers it.
 */
public final class PcapReader {
    private static final int PCAP_MICROS = 0xA1B2C3D4;
    private static final int PCAP_NANOS = 0xA1B23C4D;
    private static final int PCAPNG_SECTION = 0x0A0D0D0A;
    private static final int PCAPNG_BYTE_ORDER = 0x1A2B3C4D;
    private static final int PCAP_HEADER = 24;
    private static final int PCAP_RECORD_HEADER = 16;
    private static final int PCAPNG_BLOCK_HEADER = 12;
    /** No link layer frame is this large; a larger length means a corrupt record header. */
    public static final int MAX_PACKET = 1 << 24;
    /** Records up to this size are read into an array of their claimed size; larger ones grow as they arrive. */
    private static final int EXACT_READ = 1 << 16;

    private enum State {
        /** Nothing read yet: the first bytes say which format follows. */
        START,
        PCAP_RECORD,
        PCAPNG_BLOCK,
        /** The end of the file, or the problem in {@link #error}. */
        DONE
    }

    private final InputStream in;
    private State state = State.START;
    private CaptureException error;
    /** File offset of the next byte to read. */
    private long offset;
    private long number;
    // libpcap
    private ByteOrder order = ByteOrder.BIG_ENDIAN;
    private long fractionNanos;
    private int linkType;
    // pcapng: the current section's interfaces
    private final List<Interface> interfaces = new ArrayList<>();
    /** The first 4 bytes of the first pcapng block, read while telling the formats apart. */
    private byte[] pendingBlockStart;

    /** A reader of {@code in}, which it does not close. */
    public PcapReader(InputStream in) {
        this.in = in;
    }

    /** Every packet of {@code file}, and the error that stopped the reading early, if any: for small files and tests. */
    public static Capture read(byte[] file) {
        PcapReader reader = new PcapReader(new ByteArrayInputStream(file));
        List<Packet> packets = new ArrayList<>();
        try {
            Packet p;
            while ((p = reader.next()) != null) {
                packets.add(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("a byte array cannot fail to read", e);
        }
        return new Capture(packets, reader.error());
    }

    /**
     * The next packet, or null at the end of the capture or at a problem in it ({@link #error()}).
     *
     * @throws IOException when the stream itself cannot be read
     */
    public Packet next() throws IOException {
        while (true) {
            switch (state) {
                case START:
                    if (!start()) {
                        return null;
                    }
                    break;
                case PCAP_RECORD:
                    return pcapRecord();
                case PCAPNG_BLOCK: {
                    Packet p = pcapngBlock();
                    if (p != null || state == State.DONE) {
                        return p;
                    }
                    break; // a block that is not a packet: read on
                }
                case DONE:
                    return null;
                default:
                    throw new IllegalStateException("Unhandled state " + state);
            }
        }
    }

    /** What ended the packets early, or null when the file was read to its end (or not yet). */
    public CaptureException error() {
        return error;
    }

    /** Reads the file header (libpcap) or peeks the first block type (pcapng); false when that already failed. */
    private boolean start() throws IOException {
        byte[] head = new byte[PCAP_HEADER];
        int n = readFully(head, 0, 4);
        if (n == 4 && ByteBuffer.wrap(head, 0, 4).getInt() == PCAPNG_SECTION) {
            state = State.PCAPNG_BLOCK;
            pendingBlockStart = head; // the 4 bytes already read belong to the first block
            return true;
        }
        n += readFully(head, n, PCAP_HEADER - n);
        if (n < PCAP_HEADER) {
            return fail(new TruncatedCaptureException("pcap header", 0, 0, PCAP_HEADER, n));
        }
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.BIG_ENDIAN);
        int magic = b.getInt(0);
        if (magic != PCAP_MICROS && magic != PCAP_NANOS) {
            b.order(ByteOrder.LITTLE_ENDIAN);
            magic = b.getInt(0);
            if (magic != PCAP_MICROS && magic != PCAP_NANOS) {
                return fail(new CaptureException("not a pcap or pcapng file (magic "
                        + String.format("%08x", b.order(ByteOrder.BIG_ENDIAN).getInt(0)) + ")", 0));
            }
        }
        order = b.order();
        fractionNanos = magic == PCAP_NANOS ? 1 : 1000;
        // The link type is the low 16 bits; the upper bits carry FCS flags (pcap-savefile(5)).
        linkType = b.getInt(20) & 0xFFFF;
        offset = PCAP_HEADER;
        state = State.PCAP_RECORD;
        return true;
    }

    private Packet pcapRecord() throws IOException {
        byte[] header = new byte[PCAP_RECORD_HEADER];
        int n = readFully(header, 0, PCAP_RECORD_HEADER);
        if (n == 0) {
            state = State.DONE;
            return null;
        }
        number++;
        if (n < PCAP_RECORD_HEADER) {
            fail(new TruncatedCaptureException("pcap", number, offset, PCAP_RECORD_HEADER, n));
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(header).order(order);
        long seconds = b.getInt(0) & 0xFFFFFFFFL;
        long fraction = b.getInt(4) & 0xFFFFFFFFL;
        int captured = b.getInt(8);
        int original = b.getInt(12);
        if (captured < 0 || captured > MAX_PACKET) {
            fail(new CaptureException("corrupt pcap: packet " + number + " at file offset " + offset + " claims "
                    + Integer.toUnsignedString(captured) + " bytes", offset));
            return null;
        }
        byte[] data = read(captured);
        if (data.length < captured) {
            fail(new TruncatedCaptureException("pcap", number, offset, PCAP_RECORD_HEADER + captured,
                    PCAP_RECORD_HEADER + data.length));
            return null;
        }
        offset += PCAP_RECORD_HEADER + captured;
        return new Packet(seconds * 1_000_000_000L + fraction * fractionNanos, linkType, data, original);
    }

    /** One pcapng block: its packet, or null for a block of another kind (state unchanged) or at the end (DONE). */
    private Packet pcapngBlock() throws IOException {
        byte[] header = new byte[PCAPNG_BLOCK_HEADER];
        int n = 0;
        if (pendingBlockStart != null) {
            System.arraycopy(pendingBlockStart, 0, header, 0, 4);
            pendingBlockStart = null;
            n = 4;
        }
        n += readFully(header, n, PCAPNG_BLOCK_HEADER - n);
        if (n == 0) {
            state = State.DONE;
            return null;
        }
        if (n < PCAPNG_BLOCK_HEADER) {
            fail(new TruncatedCaptureException("pcapng", number + 1, offset, PCAPNG_BLOCK_HEADER, n));
            return null;
        }
        // The section type reads the same in both byte orders; the others in the section's order.
        ByteBuffer h = ByteBuffer.wrap(header).order(order);
        int type = h.getInt(0);
        if (type == PCAPNG_SECTION) {
            // The byte order magic decides how this section, its own length included, is read.
            order = h.order(ByteOrder.BIG_ENDIAN).getInt(8) == PCAPNG_BYTE_ORDER ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
            if (h.order(order).getInt(8) != PCAPNG_BYTE_ORDER) {
                fail(new CaptureException("corrupt pcapng: bad byte-order magic at file offset " + offset, offset));
                return null;
            }
            interfaces.clear();
        }
        h.order(order);
        int length = h.getInt(4);
        if (length < PCAPNG_BLOCK_HEADER || (length & 3) != 0 || length > MAX_PACKET + 64) {
            fail(new CaptureException("corrupt pcapng: block at file offset " + offset
                    + " claims " + Integer.toUnsignedString(length) + " bytes", offset));
            return null;
        }
        byte[] rest = read(length - PCAPNG_BLOCK_HEADER);
        if (rest.length < length - PCAPNG_BLOCK_HEADER) {
            fail(new TruncatedCaptureException("pcapng", number + 1, offset, length, PCAPNG_BLOCK_HEADER + rest.length));
            return null;
        }
        // The block as one buffer, offsets as in the file: body at 8, trailing length at length - 4.
        ByteBuffer block = ByteBuffer.allocate(length).order(order).put(header).put(rest);
        long at = offset;
        offset += length;
        int body = 8;
        int bodyEnd = length - 4;
        switch (type) {
            case 1: // interface description
                interfaces.add(readInterface(block, body, bodyEnd));
                return null;
            case 6: // enhanced packet
            case 2: { // obsolete packet block: same layout but a 16-bit interface id and drops count
                int id = type == 6 ? block.getInt(body) : block.getShort(body) & 0xFFFF;
                long ticks = (block.getInt(body + 4) & 0xFFFFFFFFL) << 32 | (block.getInt(body + 8) & 0xFFFFFFFFL);
                int captured = block.getInt(body + 12);
                int original = block.getInt(body + 16);
                number++;
                if (id >= interfaces.size() || captured < 0 || body + 20 + captured > bodyEnd) {
                    fail(new CaptureException("corrupt pcapng: packet " + number + " at file offset " + at
                            + " (interface " + id + ", " + captured + " bytes)", at));
                    return null;
                }
                Interface itf = interfaces.get(id);
                return new Packet(itf.nanos(ticks), itf.linkType(), slice(block, body + 20, captured), original);
            }
            case 3: { // simple packet: no timestamp, interface 0, captured = min(original, snaplen)
                number++;
                int original = block.getInt(body);
                int captured = Math.min(original, bodyEnd - body - 4);
                if (interfaces.isEmpty() || captured < 0) {
                    fail(new CaptureException("corrupt pcapng: simple packet " + number + " at file offset " + at, at));
                    return null;
                }
                return new Packet(0, interfaces.get(0).linkType(), slice(block, body + 4, captured), original);
            }
            default:
                return null; // section header, name resolution, statistics, custom: nothing replay needs
        }
    }

    private boolean fail(CaptureException e) {
        error = e;
        state = State.DONE;
        return false;
    }

    private static byte[] slice(ByteBuffer block, int at, int length) {
        byte[] data = new byte[length];
        block.get(at, data);
        return data;
    }

    /**
     * Up to {@code n} bytes: fewer only at the end of the stream. A claimed size is not trusted
     * with an allocation of its own beyond {@value #EXACT_READ} bytes: a corrupt length in a short
     * file costs only the bytes that are there.
     */
    private byte[] read(int n) throws IOException {
        if (n <= EXACT_READ) {
            byte[] data = new byte[n];
            int got = readFully(data, 0, n);
            return got == n ? data : Arrays.copyOf(data, got);
        }
        return in.readNBytes(n);
    }

    private int readFully(byte[] b, int at, int n) throws IOException {
        return in.readNBytes(b, at, n);
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

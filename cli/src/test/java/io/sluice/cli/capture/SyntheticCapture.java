package io.sluice.cli.capture;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes a libpcap capture of one HTTP exchange over loopback Ethernet as it goes, of any size and
 * in constant memory: client {@value #CLIENT_PORT} asks server {@value #SERVER_PORT}, which answers
 * {@code 200 text/event-stream} and then {@code events} copies of {@link #EVENT} (a
 * close-delimited body) in segments of {@code segment} bytes, then FIN. A segment may be dropped to
 * make a hole; the handshake may be left out.
 */
public final class SyntheticCapture {
    public static final int CLIENT_PORT = 50000;
    public static final int SERVER_PORT = 8080;
    /** The server's flow, as {@code --flow} and the messages name it. */
    public static final String SERVER_FLOW = "127.0.0.1:" + SERVER_PORT + "-127.0.0.1:" + CLIENT_PORT;
    public static final byte[] EVENT = ("data: " + "x".repeat(90) + "\n\n").getBytes(StandardCharsets.US_ASCII);
    public static final byte[] HEAD = ("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REQUEST = "GET /stream HTTP/1.1\r\nhost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int SYN = 0x02;
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;
    private static final int FIN = 0x01;
    private static final long CLIENT_ISN = 1000;
    /** Near the top of the sequence space, so every large capture also wraps past 2^32. */
    private static final long SERVER_ISN = 0xFFFF0000L;

    private final OutputStream out;
    private final int segment;
    private long micros = 1_000_000;

    private SyntheticCapture(OutputStream out, int segment) {
        this.out = out;
        this.segment = segment;
    }

    /** The bytes of the server's stream: the head and the events. */
    public static long streamBytes(long events) {
        return HEAD.length + events * EVENT.length;
    }

    /**
     * Writes the capture to {@code out}.
     *
     * @param dropSegment the 0-based body segment left out (a hole), or -1
     * @param handshake   whether the SYN, SYN-ACK and ACK are captured
     */
    public static void write(OutputStream out, long events, int segment, long dropSegment, boolean handshake) throws IOException {
        SyntheticCapture c = new SyntheticCapture(out, segment);
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0xA1B2C3D4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(262144).putInt(1);
        out.write(header.array());
        if (handshake) {
            c.packet(false, CLIENT_ISN, SYN, new byte[0], 0, 0);
            c.packet(true, SERVER_ISN, SYN | ACK, new byte[0], 0, 0);
            c.packet(false, CLIENT_ISN + 1, ACK, new byte[0], 0, 0);
        }
        c.packet(false, CLIENT_ISN + 1, ACK | PSH, REQUEST, 0, REQUEST.length);
        long seq = (SERVER_ISN + 1) & 0xFFFFFFFFL;
        c.packet(true, seq, ACK | PSH, HEAD, 0, HEAD.length);
        seq += HEAD.length;
        // The body: events back to back, cut into segments wherever the size falls.
        byte[] chunk = new byte[segment];
        long total = events * EVENT.length;
        long index = 0;
        for (long at = 0; at < total; at += segment, index++) {
            int n = (int) Math.min(segment, total - at);
            for (int i = 0; i < n; i++) {
                chunk[i] = EVENT[(int) ((at + i) % EVENT.length)];
            }
            if (index != dropSegment) {
                c.packet(true, seq & 0xFFFFFFFFL, ACK | PSH, chunk, 0, n);
            }
            seq += n;
        }
        c.packet(true, seq & 0xFFFFFFFFL, ACK | FIN, new byte[0], 0, 0);
        out.flush();
    }

    /** One Ethernet / IPv4 / TCP frame, 127.0.0.1 to itself, 100 microseconds after the previous one. */
    private void packet(boolean fromServer, long seq, int flags, byte[] data, int offset, int length) throws IOException {
        int frame = 14 + 20 + 20 + length;
        ByteBuffer b = ByteBuffer.allocate(16 + 14 + 20 + 20);
        micros += 100;
        b.order(ByteOrder.LITTLE_ENDIAN)
                .putInt((int) (micros / 1_000_000)).putInt((int) (micros % 1_000_000)).putInt(frame).putInt(frame);
        b.order(ByteOrder.BIG_ENDIAN);
        b.put(new byte[12]).putShort((short) 0x0800); // Ethernet: zero addresses, IPv4
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + 20 + length)).putInt(0).put((byte) 64).put((byte) 6)
                .putShort((short) 0).putInt(0x7F000001).putInt(0x7F000001);
        b.putShort((short) (fromServer ? SERVER_PORT : CLIENT_PORT)).putShort((short) (fromServer ? CLIENT_PORT : SERVER_PORT))
                .putInt((int) seq).putInt(0).put((byte) 0x50).put((byte) flags).putShort((short) 65535).putInt(0);
        out.write(b.array());
        out.write(data, offset, length);
    }
}

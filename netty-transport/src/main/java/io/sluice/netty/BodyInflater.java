package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.compression.DecompressionException;

import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * One gzip or deflate body, inflated on demand: each {@link #step} produces at most a given number
 * of bytes and leaves the rest of the input where it is, so the caller decides when the next step
 * runs. {@link SseDecompressor} is its only user.
 *
 * <p>Written on the JDK's {@link Inflater} rather than Netty's: {@code HttpContentDecompressor}
 * inflates a whole read in one go, and Netty 4.2's pull-based {@code JdkZlibDecompressor} does not
 * exist in Netty 4.1, which the transport also supports. What is ours is the gzip framing (RFC
 * 1952), written out as a state machine:
 *
 * <pre>
 * gzip:    MEMBER_HEADER ─▶ DEFLATE ─▶ MEMBER_TRAILER ─▶ MEMBER_HEADER (another member) ...
 *          header: 1f 8b 08 FLG MTIME(4) XFL OS [XLEN(2) extra] [name 00] [comment 00] [CRC16(2)]
 *          trailer: CRC32(4, little endian) ISIZE(4, little endian: length mod 2^32)
 * deflate: ZLIB_OR_RAW ─▶ DEFLATE ─▶ DONE     (RFC 9110 says zlib; some servers send raw deflate)
 * </pre>
 *
 * Not thread-safe: the channel's event loop only.
 */
final class BodyInflater {
    /** Longest gzip header accepted (its name and comment are unbounded in RFC 1952). */
    static final int MAX_GZIP_HEADER = 64 * 1024;

    private static final int FHCRC = 0x02;
    private static final int FEXTRA = 0x04;
    private static final int FNAME = 0x08;
    private static final int FCOMMENT = 0x10;
    private static final int FRESERVED = 0xE0;

    private enum State {
        MEMBER_HEADER,
        ZLIB_OR_RAW,
        DEFLATE,
        MEMBER_TRAILER,
        DONE
    }

    private final boolean gzip;
    private State state;
    private Inflater inflater;
    private final CRC32 crc;
    /** Inflated bytes of the current gzip member, mod 2^32 as ISIZE counts them. */
    private int memberSize;
    private boolean started;
    /** A fault found after output that the last step still returned: the next step throws it. */
    private DecompressionException failure;

    private BodyInflater(boolean gzip) {
        this.gzip = gzip;
        this.state = gzip ? State.MEMBER_HEADER : State.ZLIB_OR_RAW;
        this.crc = gzip ? new CRC32() : null;
        this.inflater = gzip ? new Inflater(true) : null;
    }

    /** An inflater for a {@code content-encoding} value, or null when it is not one decoded here. */
    static BodyInflater forEncoding(String encoding) {
        switch (encoding) {
            case "gzip":
            case "x-gzip":
                return new BodyInflater(true);
            case "deflate":
            case "x-deflate":
                return new BodyInflater(false);
            default:
                return null;
        }
    }

    /**
     * Inflates from {@code in} (advancing its reader index past what was consumed) until {@code max}
     * bytes came out or the input can give no more.
     *
     * @return the inflated bytes, which the caller owns; null when nothing came out (more input is needed,
     *     or the body is done)
     * @throws DecompressionException when the input is not gzip or deflate
     */
    ByteBuf step(ByteBuf in, ByteBufAllocator alloc, int max) {
        if (failure != null) {
            throw failure;
        }
        ByteBuf out = null;
        try {
            for (;;) {
                switch (state) {
                    case MEMBER_HEADER:
                        if (!in.isReadable() || !readMemberHeader(in)) {
                            return finishStep(out);
                        }
                        started = true;
                        state = State.DEFLATE;
                        continue;
                    case ZLIB_OR_RAW:
                        if (in.readableBytes() < 2) {
                            return finishStep(out);
                        }
                        inflater = new Inflater(!looksLikeZlib(in.getUnsignedByte(in.readerIndex()),
                                in.getUnsignedByte(in.readerIndex() + 1)));
                        started = true;
                        state = State.DEFLATE;
                        continue;
                    case DEFLATE:
                        if (out == null) {
                            out = alloc.buffer(Math.min(max, 8 * 1024), max);
                        } else if (!out.isWritable()) {
                            if (out.writerIndex() >= max) {
                                return finishStep(out);
                            }
                            out.ensureWritable(Math.min(out.capacity(), max - out.writerIndex()));
                        }
                        if (!inflate(in, out)) {
                            return finishStep(out); // needs input
                        }
                        continue;
                    case MEMBER_TRAILER:
                        if (in.readableBytes() < 8) {
                            return finishStep(out);
                        }
                        long expectedCrc = in.readUnsignedIntLE();
                        int expectedSize = in.readIntLE();
                        if (expectedCrc != crc.getValue() || expectedSize != memberSize) {
                            throw new DecompressionException("gzip member fails its check: CRC32 " + crc.getValue()
                                    + " and size " + Integer.toUnsignedString(memberSize) + ", the trailer says "
                                    + expectedCrc + " and " + Integer.toUnsignedString(expectedSize));
                        }
                        state = State.MEMBER_HEADER; // members may follow one another (RFC 1952, 2.2)
                        continue;
                    case DONE:
                        if (in.isReadable()) {
                            throw new DecompressionException(in.readableBytes() + " bytes after the end of the deflate stream");
                        }
                        return finishStep(out);
                    default:
                        throw new IllegalStateException("Unhandled state " + state);
                }
            }
        } catch (DecompressionException e) {
            if (out != null && out.isReadable()) {
                failure = e; // what inflated before the fault goes out first; the next step throws
                return out;
            }
            if (out != null) {
                out.release();
            }
            throw e;
        } catch (RuntimeException e) {
            if (out != null) {
                out.release();
            }
            throw e;
        }
    }

    /**
     * Whether the input so far is a whole body: every gzip member closed by its trailer, the deflate
     * stream at its end, or nothing at all (an empty body is not compressed data).
     */
    boolean complete() {
        return !started || (gzip ? state == State.MEMBER_HEADER : state == State.DONE);
    }

    /** Frees the zlib stream's native memory. */
    void close() {
        if (inflater != null) {
            inflater.end();
        }
    }

    private static ByteBuf finishStep(ByteBuf out) {
        if (out != null && !out.isReadable()) {
            out.release();
            return null;
        }
        return out;
    }

    /** One inflate call; false when it made no progress because the input is used up. */
    private boolean inflate(ByteBuf in, ByteBuf out) {
        int readable = in.readableBytes();
        inflater.setInput(in.nioBuffer(in.readerIndex(), readable));
        int at = out.writerIndex();
        int n;
        try {
            n = inflater.inflate(out.nioBuffer(at, out.writableBytes()));
        } catch (DataFormatException e) {
            throw new DecompressionException((gzip ? "gzip" : "deflate") + " data is corrupt: " + e.getMessage(), e);
        }
        int consumed = readable - inflater.getRemaining();
        in.skipBytes(consumed);
        out.writerIndex(at + n);
        if (gzip && n > 0) {
            crc.update(out.nioBuffer(at, n));
            memberSize += n;
        }
        if (inflater.finished()) {
            if (gzip) {
                state = State.MEMBER_TRAILER;
                inflater.reset();
            } else {
                state = State.DONE;
            }
            return true;
        }
        if (inflater.needsDictionary()) {
            throw new DecompressionException("deflate data needs a preset dictionary, which HTTP never sends");
        }
        return n > 0 || consumed > 0;
    }

    /** Reads a whole gzip member header and starts its member; false (nothing read) while it is incomplete. */
    private boolean readMemberHeader(ByteBuf in) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        if (end - start < 10) {
            return false;
        }
        if (in.getUnsignedByte(start) != 0x1f || in.getUnsignedByte(start + 1) != 0x8b) {
            throw new DecompressionException(started ? "bytes after the last gzip member" : "not gzip data");
        }
        if (in.getUnsignedByte(start + 2) != 8) {
            throw new DecompressionException("gzip compression method " + in.getUnsignedByte(start + 2) + " (only 8, deflate, exists)");
        }
        int flags = in.getUnsignedByte(start + 3);
        if ((flags & FRESERVED) != 0) {
            throw new DecompressionException("gzip header with reserved flags set: " + flags);
        }
        int at = start + 10;
        if ((flags & FEXTRA) != 0) {
            if (end - at < 2) {
                return incomplete(start, end);
            }
            at += 2 + in.getUnsignedShortLE(at);
        }
        if ((flags & FNAME) != 0) {
            at = afterZero(in, at, end);
            if (at < 0) {
                return incomplete(start, end);
            }
        }
        if ((flags & FCOMMENT) != 0) {
            at = afterZero(in, at, end);
            if (at < 0) {
                return incomplete(start, end);
            }
        }
        if ((flags & FHCRC) != 0) {
            at += 2;
        }
        if (at > end) {
            return incomplete(start, end);
        }
        in.readerIndex(at);
        crc.reset();
        memberSize = 0;
        return true;
    }

    private static boolean incomplete(int start, int end) {
        if (end - start >= MAX_GZIP_HEADER) {
            throw new DecompressionException("gzip header longer than " + MAX_GZIP_HEADER + " bytes");
        }
        return false;
    }

    /** The index after the zero byte that ends a header string, or -1 when it has not arrived. */
    private static int afterZero(ByteBuf in, int from, int end) {
        if (from >= end) {
            return -1;
        }
        int zero = in.indexOf(from, end, (byte) 0);
        return zero < 0 ? -1 : zero + 1;
    }

    /** RFC 1950's header check: deflate method, a window of at most 32 KiB, and FCHECK. */
    private static boolean looksLikeZlib(int cmf, int flg) {
        return (cmf & 0x0F) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
    }
}

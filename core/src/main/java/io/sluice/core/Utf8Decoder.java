package io.sluice.core;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * UTF-8 decoding exactly as the WHATWG Encoding Standard's "UTF-8 decode" does it, which
 * "Parsing an event stream" requires: each maximal ill-formed subsequence becomes one U+FFFD, and a
 * byte that cuts a sequence short is read again on its own.
 *
 * <p>Why not {@code new String(bytes, UTF_8)}: the JDK's decoder agrees on well-formed input but
 * not on all ill-formed input. It reads an encoded surrogate ({@code ED A0 80}) as one U+FFFD where
 * the standard gives three (the conformance vector {@code utf8-encoded-surrogates}). Well-formed
 * input, the common case, still goes to the JDK after one check for non-ASCII bytes.
 *
 * <p>Stateless; any thread.
 */
public final class Utf8Decoder {
    private static final char REPLACEMENT = '\uFFFD';

    private Utf8Decoder() {
    }

    /** Decodes {@code buf[index, index + length)}; does not change {@code buf}'s indices. */
    public static String decode(ByteBuf buf, int index, int length) {
        if (length == 0) {
            return "";
        }
        if (buf.hasArray()) {
            return decode(buf.array(), buf.arrayOffset() + index, length);
        }
        byte[] bytes = new byte[length];
        buf.getBytes(index, bytes);
        return decode(bytes, 0, length);
    }

    /** Decodes {@code bytes[offset, offset + length)}. */
    public static String decode(byte[] bytes, int offset, int length) {
        int end = offset + length;
        int i = offset;
        while (i < end && bytes[i] >= 0) {
            i++;
        }
        if (i == end) {
            return new String(bytes, offset, length, StandardCharsets.ISO_8859_1); // all ASCII
        }
        char[] out = new char[length]; // never more chars than bytes: 4 bytes make at most 2 chars
        int n = 0;
        for (int k = offset; k < i; k++) {
            out[n++] = (char) bytes[k];
        }
        int codePoint = 0;
        int needed = 0;
        int seen = 0;
        int lower = 0x80;
        int upper = 0xBF;
        while (i < end) {
            int b = bytes[i] & 0xFF;
            if (needed == 0) {
                i++;
                if (b < 0x80) {
                    out[n++] = (char) b;
                } else if (b >= 0xC2 && b <= 0xDF) {
                    needed = 1;
                    codePoint = b & 0x1F;
                } else if (b >= 0xE0 && b <= 0xEF) {
                    if (b == 0xE0) {
                        lower = 0xA0;
                    } else if (b == 0xED) {
                        upper = 0x9F;
                    }
                    needed = 2;
                    codePoint = b & 0x0F;
                } else if (b >= 0xF0 && b <= 0xF4) {
                    if (b == 0xF0) {
                        lower = 0x90;
                    } else if (b == 0xF4) {
                        upper = 0x8F;
                    }
                    needed = 3;
                    codePoint = b & 0x07;
                } else {
                    out[n++] = REPLACEMENT;
                }
                continue;
            }
            if (b < lower || b > upper) {
                // The sequence is cut short: one U+FFFD, then this byte is read again (not consumed).
                codePoint = needed = seen = 0;
                lower = 0x80;
                upper = 0xBF;
                out[n++] = REPLACEMENT;
                continue;
            }
            i++;
            lower = 0x80;
            upper = 0xBF;
            codePoint = (codePoint << 6) | (b & 0x3F);
            if (++seen == needed) {
                n += Character.toChars(codePoint, out, n);
                codePoint = needed = seen = 0;
            }
        }
        if (needed != 0) {
            out[n++] = REPLACEMENT; // a sequence cut off by the end of the input
        }
        return new String(out, 0, n);
    }
}

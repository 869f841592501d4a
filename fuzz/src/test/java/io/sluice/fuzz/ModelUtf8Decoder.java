package io.sluice.fuzz;

import java.util.Arrays;

/**
 * The WHATWG Encoding Standard's UTF-8 decoder, written out step by step from the standard's text
 * ("UTF-8 decoder", section 9.1.1) so the model shares nothing with core's {@code Utf8Decoder}
 * and nothing with {@code java.nio}: an ill-formed sequence becomes one U+FFFD per maximal
 * subpart, and a byte that cuts a sequence short is not consumed but processed again.
 *
 * <p>Besides the code points it records, for each one, the stream offset of the first byte it was
 * decoded from. The model needs byte offsets (the incomplete tail, bound errors) and byte lengths
 * (line and event sizes) while it reads code points, and this way it gets both from one decoding
 * of the whole stream, as the standard decodes it, with no argument about decoding pieces.
 */
final class ModelUtf8Decoder {
    static final int REPLACEMENT = 0xFFFD;

    /**
     * Code points and where each starts; {@code offsets[count]} is the end of the input, so the
     * bytes of code points {@code [i, j)} are {@code [offsets[i], offsets[j])}.
     */
    record Decoded(int[] codePoints, int[] offsets, int count) {
    }

    private ModelUtf8Decoder() {
    }

    /** Decodes {@code bytes[from, bytes.length)}; offsets count from the start of {@code bytes}. */
    static Decoded decode(byte[] bytes, int from) {
        int[] codePoints = new int[bytes.length - from];
        int[] offsets = new int[bytes.length - from + 1];
        int count = 0;
        // The standard's decoder state, named as it names it.
        int codePoint = 0;
        int bytesSeen = 0;
        int bytesNeeded = 0;
        int lowerBoundary = 0x80;
        int upperBoundary = 0xBF;
        int sequenceStart = from;

        int i = from;
        while (i < bytes.length) {
            int b = bytes[i] & 0xFF;
            if (bytesNeeded == 0) {
                sequenceStart = i;
                i++;
                if (b <= 0x7F) {
                    codePoints[count] = b;
                    offsets[count++] = sequenceStart;
                } else if (b >= 0xC2 && b <= 0xDF) {
                    bytesNeeded = 1;
                    codePoint = b & 0x1F;
                } else if (b >= 0xE0 && b <= 0xEF) {
                    if (b == 0xE0) {
                        lowerBoundary = 0xA0; // no overlong three-byte forms
                    }
                    if (b == 0xED) {
                        upperBoundary = 0x9F; // no encoded surrogates
                    }
                    bytesNeeded = 2;
                    codePoint = b & 0xF;
                } else if (b >= 0xF0 && b <= 0xF4) {
                    if (b == 0xF0) {
                        lowerBoundary = 0x90; // no overlong four-byte forms
                    }
                    if (b == 0xF4) {
                        upperBoundary = 0x8F; // nothing past U+10FFFF
                    }
                    bytesNeeded = 3;
                    codePoint = b & 0x7;
                } else {
                    // 80..C1 and F5..FF never start a sequence.
                    codePoints[count] = REPLACEMENT;
                    offsets[count++] = sequenceStart;
                }
                continue;
            }
            if (b < lowerBoundary || b > upperBoundary) {
                // "Restore byte to ioQueue": i is not advanced, so this byte is read again as a lead byte.
                codePoint = 0;
                bytesNeeded = 0;
                bytesSeen = 0;
                lowerBoundary = 0x80;
                upperBoundary = 0xBF;
                codePoints[count] = REPLACEMENT;
                offsets[count++] = sequenceStart;
                continue;
            }
            i++;
            lowerBoundary = 0x80;
            upperBoundary = 0xBF;
            codePoint = (codePoint << 6) | (b & 0x3F);
            bytesSeen++;
            if (bytesSeen == bytesNeeded) {
                codePoints[count] = codePoint;
                offsets[count++] = sequenceStart;
                codePoint = 0;
                bytesNeeded = 0;
                bytesSeen = 0;
            }
        }
        if (bytesNeeded != 0) {
            // End of queue inside a sequence: one U+FFFD for the bytes seen.
            codePoints[count] = REPLACEMENT;
            offsets[count++] = sequenceStart;
        }
        offsets[count] = bytes.length;
        return new Decoded(Arrays.copyOf(codePoints, count), Arrays.copyOf(offsets, count + 1), count);
    }

    static String decodeToString(byte[] bytes) {
        Decoded d = decode(bytes, 0);
        return new String(d.codePoints(), 0, d.count());
    }
}

package io.sluice.fuzz;

import java.util.Arrays;

/**
 * An input and the offsets it is cut at before feeding: chunk {@code k} is
 * {@code bytes[cuts[k-1], cuts[k])}. Valid cuts are strictly ascending and inside the input
 * ({@code 1..length-1}), the contract of {@code Chunking.at}.
 */
record ChunkedInput(byte[] bytes, int[] cuts) {

    ChunkedInput {
        if (!validCuts(bytes.length, cuts)) {
            throw new IllegalArgumentException("cuts " + Arrays.toString(cuts) + " invalid for " + bytes.length + " bytes");
        }
    }

    static ChunkedInput whole(byte[] bytes) {
        return new ChunkedInput(bytes, new int[0]);
    }

    static boolean validCuts(int length, int[] cuts) {
        int previous = 0;
        for (int cut : cuts) {
            if (cut <= previous || cut >= length) {
                return false;
            }
            previous = cut;
        }
        return true;
    }

    /** Java source that rebuilds this case, bytes as an ISO-8859-1 string literal (one char per byte). */
    String toJava() {
        return "byte[] input = " + javaLiteral(bytes) + ".getBytes(StandardCharsets.ISO_8859_1); // "
                + bytes.length + " bytes\nint[] cuts = {" + Arrays.toString(cuts).replaceAll("[\\[\\]]", "") + "};";
    }

    /**
     * Escapes bytes as a Java string literal. CR and LF use {@code \r} and {@code \n}: a
     * {@code \u000a} escape would end the line before the compiler sees the string.
     */
    static String javaLiteral(byte[] bytes) {
        StringBuilder b = new StringBuilder(bytes.length + 2).append('"');
        for (byte x : bytes) {
            int c = x & 0xFF;
            switch (c) {
                case '\r' -> b.append("\\r");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c >= 0x20 && c < 0x7F) {
                        b.append((char) c);
                    } else {
                        b.append(String.format("\\u%04x", c));
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkedInput s && Arrays.equals(bytes, s.bytes) && Arrays.equals(cuts, s.cuts);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(bytes) + Arrays.hashCode(cuts);
    }

    @Override
    public String toString() {
        return javaLiteral(bytes) + " cut at " + Arrays.toString(cuts);
    }
}

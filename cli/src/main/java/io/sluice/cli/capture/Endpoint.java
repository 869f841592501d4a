package io.sluice.cli.capture;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/** One end of a TCP connection: an address and a port, written {@code 127.0.0.1:8080} or {@code [::1]:8080}. */
public record Endpoint(InetAddress address, int port) {

    static Endpoint of(byte[] packet, int addressOffset, int addressLength, int port) {
        try {
            return new Endpoint(InetAddress.getByAddress(
                    Arrays.copyOfRange(packet, addressOffset, addressOffset + addressLength)), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("an address of 4 or 16 bytes is always accepted", e);
        }
    }

    /** True when {@code spec}, {@code [ADDR:]PORT} in {@link #toString()}'s form, names this endpoint. */
    public boolean matches(String spec) {
        String text = toString();
        return spec.equals(text) || spec.equals(Integer.toString(port));
    }

    @Override
    public String toString() {
        return address instanceof Inet6Address ? "[" + compressed(address.getAddress()) + "]:" + port
                : address.getHostAddress() + ":" + port;
    }

    /** RFC 5952 text: lower-case hex groups, the longest run of two or more zero groups as "::". */
    private static String compressed(byte[] a) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = (a[2 * i] & 0xFF) << 8 | (a[2 * i + 1] & 0xFF);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLength - 1;
                continue;
            }
            if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(groups[i]));
        }
        return s.toString();
    }
}

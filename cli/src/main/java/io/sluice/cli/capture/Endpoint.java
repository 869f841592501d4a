package io.sluice.cli.capture;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** One end of a TCP connection: an address and a port, written {@code 127.0.0.1:8080} or {@code [::1]:8080}. */
public record Endpoint(InetAddress address, int port) {

    static Endpoint of(byte[] packet, int addressOffset, int addressLength, int port) {
        try {
            return new Endpoint(InetAddress.getByAddress(
                    java.util.Arrays.copyOfRange(packet, addressOffset, addressOffset + addressLength)), port);
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
        String host = address.getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}

package io.sluice.cli.capture;

/**
 * One captured frame: its timestamp in nanoseconds since the epoch, the link type of its interface
 * (libpcap {@code LINKTYPE_*}), the bytes captured, and the frame's length on the wire (larger
 * when the snapshot length cut it).
 */
public record Packet(long timeNanos, int linkType, byte[] data, int originalLength) {
}

package io.sluice.cli.capture;

/**
 * A capture file ends inside a record: the capturing process was killed, or the file was copied
 * while still being written. The packets before it are kept.
 */
public final class TruncatedCaptureException extends CaptureException {
    private static final long serialVersionUID = 1L;

    private final long packet;
    private final long needed;
    private final long available;

    TruncatedCaptureException(String format, long packet, long offset, long needed, long available) {
        super("truncated " + format + ": packet " + packet + " at file offset " + offset + " needs " + needed
                + " bytes, " + available + " left", offset);
        this.packet = packet;
        this.needed = needed;
        this.available = available;
    }

    /** The 1-based number of the packet cut short. */
    public long packet() {
        return packet;
    }

    public long needed() {
        return needed;
    }

    public long available() {
        return available;
    }
}

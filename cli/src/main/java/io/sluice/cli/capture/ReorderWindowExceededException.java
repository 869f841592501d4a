package io.sluice.cli.capture;

/**
 * A flow's bytes arrived so far out of order that following it would hold more than its bound:
 * a hole at {@link #offset()} was never filled while what came after it piled up. Replay stops at
 * the hole, after the bytes before it, as it does at any other problem in a capture.
 */
public final class ReorderWindowExceededException extends CaptureException {
    private static final long serialVersionUID = 1L;

    private final String flow;
    private final long heldBytes;
    private final int heldSegments;
    private final long maxBytes;
    private final int maxSegments;

    ReorderWindowExceededException(String flow, long offset, long heldBytes, int heldSegments, long maxBytes, int maxSegments) {
        super("out-of-order window exceeded on " + flow + ": stream offset " + offset + " never arrived while "
                + heldBytes + " bytes in " + heldSegments + " segments after it waited (bound " + maxBytes
                + " bytes or " + maxSegments + " segments)", offset);
        this.flow = flow;
        this.heldBytes = heldBytes;
        this.heldSegments = heldSegments;
        this.maxBytes = maxBytes;
        this.maxSegments = maxSegments;
    }

    /** The flow, {@code FROM-TO}. */
    public String flow() {
        return flow;
    }

    /** Bytes waiting after the hole when the bound was passed. */
    public long heldBytes() {
        return heldBytes;
    }

    /** Segments waiting after the hole when the bound was passed. */
    public int heldSegments() {
        return heldSegments;
    }

    /** The bound on bytes held out of order. */
    public long maxBytes() {
        return maxBytes;
    }

    /** The bound on segments held out of order. */
    public int maxSegments() {
        return maxSegments;
    }
}

package io.sluice.cli.capture;

/**
 * A capture cannot be read any further: its file is cut short or corrupt, or the stream it holds
 * is not what replay needs. The root of this package's errors; each carries the numbers that
 * locate the problem ({@link #offset()}), and its message is the one line a user sees. Whatever
 * was decoded before the problem stays usable: readers return it alongside the exception.
 */
public class CaptureException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long offset;

    public CaptureException(String message, long offset) {
        super(message);
        this.offset = offset;
    }

    /** Where the problem was found: a file offset for capture files, a stream offset for streams. */
    public long offset() {
        return offset;
    }
}

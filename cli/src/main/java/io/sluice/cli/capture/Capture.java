package io.sluice.cli.capture;

import java.util.List;

/**
 * The packets of a capture file, in file order, and the error that stopped the reading, if any
 * (null when the file was read to its end).
 */
public record Capture(List<Packet> packets, CaptureException error) {
}

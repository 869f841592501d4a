package io.sluice.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.concurrent.TimeUnit;

/**
 * {@code --timing}: whether a replay waits out the captured gaps between reads ({@code original}),
 * N times faster ({@code xN}), or not at all ({@code none}). Only inputs with timestamps (pcap)
 * have gaps to reproduce. Immutable and shared; each replay paces itself with its own {@link Pacer}.
 */
final class Timing {
    static final Timing NONE = new Timing(0);
    static final Timing ORIGINAL = new Timing(1);

    /** Capture time is divided by this; 0 means no waiting. */
    private final double speed;

    private Timing(double speed) {
        this.speed = speed;
    }

    /** A pacer for one replay, on one thread. */
    Pacer pacer() {
        return new Pacer();
    }

    boolean waits() {
        return speed > 0;
    }

    /** The wall-clock delay for a read captured {@code sinceFirstNanos} after the first one. */
    long delayNanos(long sinceFirstNanos) {
        return speed <= 0 ? 0 : (long) (sinceFirstNanos / speed);
    }

    /** Sleeps each read until it is due. Deadlines are kept from the first read, so sleeping late never adds up. */
    final class Pacer {
        private long firstCapture = -1;
        private long firstWall;

        /** Sleeps until the read captured at {@code captureNanos} is due. */
        void await(long captureNanos) throws InterruptedException {
            if (speed <= 0 || captureNanos < 0) {
                return;
            }
            if (firstCapture < 0) {
                firstCapture = captureNanos;
                firstWall = System.nanoTime();
                return;
            }
            long wait = firstWall + delayNanos(captureNanos - firstCapture) - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
        }
    }

    @Override
    public String toString() {
        return speed == 0 ? "none" : speed == 1 ? "original" : speed == Math.rint(speed) ? "x" + (long) speed : "x" + speed;
    }

    /** Parses {@code none}, {@code original} and {@code xN} (N > 0, a decimal); anything else is bad usage. */
    static final class Converter implements ITypeConverter<Timing> {
        @Override
        public Timing convert(String text) {
            if (text.equals("none")) {
                return NONE;
            }
            if (text.equals("original")) {
                return ORIGINAL;
            }
            if (text.startsWith("x")) {
                try {
                    double n = Double.parseDouble(text.substring(1));
                    if (n > 0 && Double.isFinite(n)) {
                        return new Timing(n);
                    }
                } catch (NumberFormatException e) {
                    // falls through to the one message for every bad value
                }
            }
            throw new TypeConversionException("'" + text + "' is not none, original or xN (N > 0, e.g. x10 or x0.5)");
        }
    }
}

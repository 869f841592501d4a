package io.sluice.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code sluice serve --fault SPEC} (issue 19, item 5): a failure served instead of the
 * recorded stream, or in the middle of it, the same way on every connection and every HTTP/2
 * stream. {@code N} counts the SSE events dispatched in the recording's decoded body (de-chunked,
 * inflated), never TCP writes, so a fault lands after the same event whatever the capture's
 * segments, codings or timing ({@link FaultPlan} says how faults combine).
 *
 * <pre>
 * SPEC    = "cut:" N [ ":fin" | ":rst" ]               the stream stops after event N: FIN (default) or RST
 *         | "stall:" N ":" SECONDS                     nothing for SECONDS after event N, then the rest
 *         | "status:" CODE [ ":retry-after=" DELTA ]   CODE and the provider's error body, no stream
 *         | "error:" N                                 the provider's overloaded error event after event N, then the end
 *         | "drip:" BYTES                              the body at BYTES per second at most
 * N       = 1*DIGIT                                    0 to {@value #MAX_COUNT}
 * SECONDS = 1*DIGIT [ "." 1*DIGIT ]                    more than 0, at most {@value #MAX_SECONDS}
 * CODE    = 3DIGIT                                     400 to 599
 * DELTA   = 1*DIGIT                                    whole seconds, 0 to {@value #MAX_SECONDS}
 * BYTES   = 1*DIGIT                                    1 to {@value #MAX_COUNT}
 * </pre>
 *
 * Lower case, no spaces. Each record's {@code toString()} is its spec, written the one way the
 * grammar allows ({@code cut:3:fin} prints as {@code cut:3}).
 */
sealed interface Fault permits Fault.Cut, Fault.Stall, Fault.Status, Fault.ErrorEvent, Fault.Drip {
    /** The largest event count or byte rate a spec may name. */
    int MAX_COUNT = Integer.MAX_VALUE;
    /** The longest stall or {@code retry-after}: a day. A longer one is a typo, not a test. */
    int MAX_SECONDS = 86_400;

    /** {@code cut:N[:rst]}: after event N nothing more, and the connection (HTTP/2: the stream) ends. */
    record Cut(int after, boolean reset) implements Fault {
        @Override
        public String toString() {
            return "cut:" + after + (reset ? ":rst" : "");
        }
    }

    /** {@code stall:N:SECONDS}: after event N, silence for {@code nanos}, then the rest of the stream. */
    record Stall(int after, long nanos) implements Fault {
        @Override
        public String toString() {
            return "stall:" + after + ":" + BigDecimal.valueOf(nanos, 9).stripTrailingZeros().toPlainString();
        }
    }

    /** {@code status:CODE[:retry-after=S]}: the answer is {@code code} with the provider's error body. */
    record Status(int code, int retryAfterSeconds) implements Fault {
        /** {@link #retryAfterSeconds} when the spec gave none: no {@code retry-after} header. */
        static final int NO_RETRY_AFTER = -1;

        boolean hasRetryAfter() {
            return retryAfterSeconds != NO_RETRY_AFTER;
        }

        @Override
        public String toString() {
            return "status:" + code + (hasRetryAfter() ? ":retry-after=" + retryAfterSeconds : "");
        }
    }

    /** {@code error:N}: after event N, the provider's own mid-stream error event, then the body's end. */
    record ErrorEvent(int after) implements Fault {
        @Override
        public String toString() {
            return "error:" + after;
        }
    }

    /** {@code drip:B}: the body never faster than {@code bytesPerSecond}. */
    record Drip(int bytesPerSecond) implements Fault {
        @Override
        public String toString() {
            return "drip:" + bytesPerSecond;
        }
    }

    /**
     * Parses one {@code --fault} value by the grammar above. A bad one is picocli's bad-argument
     * error (one line, exit status 2), naming the spec and what is wrong with it.
     */
    final class Converter implements ITypeConverter<Fault> {
        private static final String KINDS =
                "cut:N[:rst], stall:N:SECONDS, status:CODE[:retry-after=SECONDS], error:N or drip:BYTES_PER_SECOND";
        private static final Pattern DIGITS = Pattern.compile("[0-9]{1,10}");
        private static final Pattern DECIMAL = Pattern.compile("([0-9]{1,10})(?:\\.([0-9]{1,9}))?");
        private static final Pattern RETRY_AFTER = Pattern.compile("retry-after=(.*)");

        @Override
        public Fault convert(String text) {
            String[] parts = text.split(":", -1);
            switch (parts[0]) {
                case "cut":
                    if (parts.length == 2 || (parts.length == 3 && (parts[2].equals("fin") || parts[2].equals("rst")))) {
                        int after = count(text, parts[1], 0, "N, the events before the cut,");
                        return new Cut(after, parts.length == 3 && parts[2].equals("rst"));
                    }
                    throw bad(text, "expected cut:N, cut:N:fin or cut:N:rst");
                case "stall":
                    if (parts.length == 3) {
                        int after = count(text, parts[1], 0, "N, the events before the stall,");
                        return new Stall(after, nanos(text, parts[2]));
                    }
                    throw bad(text, "expected stall:N:SECONDS");
                case "status":
                    if (parts.length == 2 || parts.length == 3) {
                        int code = count(text, parts[1], 0, "CODE");
                        if (code < 400 || code > 599) {
                            throw bad(text, "CODE must be an error status, 400 to 599");
                        }
                        int retryAfter = Status.NO_RETRY_AFTER;
                        if (parts.length == 3) {
                            Matcher m = RETRY_AFTER.matcher(parts[2]);
                            if (!m.matches()) {
                                throw bad(text, "expected status:CODE or status:CODE:retry-after=SECONDS");
                            }
                            retryAfter = count(text, m.group(1), 0, "retry-after");
                            if (retryAfter > MAX_SECONDS) {
                                throw bad(text, "retry-after must be at most " + MAX_SECONDS + " seconds");
                            }
                        }
                        return new Status(code, retryAfter);
                    }
                    throw bad(text, "expected status:CODE or status:CODE:retry-after=SECONDS");
                case "error":
                    if (parts.length == 2) {
                        return new ErrorEvent(count(text, parts[1], 0, "N, the events before the error,"));
                    }
                    throw bad(text, "expected error:N");
                case "drip":
                    if (parts.length == 2) {
                        return new Drip(count(text, parts[1], 1, "BYTES_PER_SECOND"));
                    }
                    throw bad(text, "expected drip:BYTES_PER_SECOND");
                default:
                    throw bad(text, "not a fault; faults are " + KINDS);
            }
        }

        /** A whole number from {@code min} to {@link #MAX_COUNT}, in plain decimal digits. */
        private static int count(String spec, String digits, int min, String what) {
            if (DIGITS.matcher(digits).matches()) {
                long value = Long.parseLong(digits);
                if (value >= min && value <= MAX_COUNT) {
                    return (int) value;
                }
            }
            throw bad(spec, what + " must be a whole number from " + min + " to " + MAX_COUNT);
        }

        /** Seconds, a decimal above 0 and at most {@link #MAX_SECONDS}, in nanoseconds (a fraction rounded up). */
        private static long nanos(String spec, String seconds) {
            if (DECIMAL.matcher(seconds).matches()) {
                BigDecimal value = new BigDecimal(seconds);
                if (value.signum() > 0 && value.compareTo(BigDecimal.valueOf(MAX_SECONDS)) <= 0) {
                    return value.multiply(BigDecimal.valueOf(TimeUnit.SECONDS.toNanos(1)))
                            .setScale(0, RoundingMode.CEILING).longValueExact();
                }
            }
            throw bad(spec, "SECONDS must be a decimal above 0 and at most " + MAX_SECONDS + " (e.g. 1 or 0.5)");
        }

        private static TypeConversionException bad(String spec, String why) {
            return new TypeConversionException("'" + spec + "': " + why);
        }
    }
}

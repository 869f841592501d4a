package io.sluice.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A duration in seconds ({@code --idle-timeout}, {@code --heartbeat}, ...): a decimal, 0 or more
 * (0 is "none" where the option says so). Checked here, at parse time, because Netty rejects a
 * negative time only once a connection is being set up: issue 17 saw an internal error, or a
 * 27-line warning followed by a connect failure, instead of a bad argument.
 */
final class SecondsConverter implements ITypeConverter<Double> {
    @Override
    public Double convert(String text) {
        try {
            double seconds = Double.parseDouble(text);
            if (seconds >= 0 && Double.isFinite(seconds)) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // falls through to the one message for every bad value
        }
        throw new TypeConversionException("'" + text + "' is not a number of seconds (0 or more, e.g. 30 or 0.5)");
    }
}

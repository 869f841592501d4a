package io.sluice.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A bound in bytes ({@code --max-line-length}, {@code --max-event-size}): a whole number >= 1. */
final class ByteCountConverter implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String text) {
        try {
            int bytes = Integer.parseInt(text);
            if (bytes >= 1) {
                return bytes;
            }
        } catch (NumberFormatException e) {
            // falls through to the one message for every bad value
        }
        throw new TypeConversionException("'" + text + "' is not a number of bytes from 1 to " + Integer.MAX_VALUE);
    }
}

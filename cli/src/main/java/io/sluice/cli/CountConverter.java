package io.sluice.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A count where 0 means none ({@code --max-connections}): a whole number, 0 or more. */
final class CountConverter implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String text) {
        try {
            int count = Integer.parseInt(text);
            if (count >= 0) {
                return count;
            }
        } catch (NumberFormatException e) {
            // falls through to the one message for every bad value
        }
        throw new TypeConversionException("'" + text + "' is not a whole number from 0 to " + Integer.MAX_VALUE);
    }
}

package io.sluice.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --flow}: {@code FROM-TO} ({@code ADDR:PORT-ADDR:PORT}) or the sender's {@code [ADDR:]PORT},
 * kept as written (a capture's streams are matched by their names). Checked at parse time so that a
 * port past 65535 is a bad argument (issue 17), not a capture that "has no such stream".
 */
final class FlowConverter implements ITypeConverter<String> {
    @Override
    public String convert(String text) {
        int dash = text.indexOf('-');
        boolean pair = dash >= 0;
        if (pair ? endpoint(text.substring(0, dash), true) && endpoint(text.substring(dash + 1), true)
                : endpoint(text, false)) {
            return text;
        }
        throw new TypeConversionException("'" + text + "' is not FROM-TO or [ADDR:]PORT (e.g. 127.0.0.1:8080), "
                + "ports from 0 to " + PortConverter.MAX_PORT);
    }

    /** True for {@code ADDR:PORT}, or a bare {@code PORT} where {@code addressRequired} is false. */
    private static boolean endpoint(String text, boolean addressRequired) {
        int colon = text.lastIndexOf(':');
        if (colon < 0 ? addressRequired : colon == 0) {
            return false;
        }
        try {
            PortConverter.port(text.substring(colon + 1));
            return true;
        } catch (TypeConversionException e) {
            return false;
        }
    }
}

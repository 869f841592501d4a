package io.sluice.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A TCP port to listen on: 0 to 65535, 0 asking for any free one. Checked at parse time: Netty's
 * bind throws {@code IllegalArgumentException} for anything else, which reached the user as an
 * internal error (issue 17).
 */
final class PortConverter implements ITypeConverter<Integer> {
    static final int MAX_PORT = 65535;

    @Override
    public Integer convert(String text) {
        return port(text);
    }

    static int port(String text) {
        try {
            int port = Integer.parseInt(text);
            if (port >= 0 && port <= MAX_PORT) {
                return port;
            }
        } catch (NumberFormatException e) {
            // falls through to the one message for every bad value
        }
        throw new TypeConversionException("'" + text + "' is not a port from 0 to " + MAX_PORT);
    }
}

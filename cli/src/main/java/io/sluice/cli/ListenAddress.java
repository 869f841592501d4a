package io.sluice.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Where a server listens ({@code --listen HOST:PORT}); an IPv6 host in brackets,
 * {@code [::1]:8080}, is kept without them.
 */
record ListenAddress(String host, int port) {

    /** Parses {@code HOST:PORT}; a missing host or a port outside 0..65535 is bad usage. */
    static final class Converter implements ITypeConverter<ListenAddress> {
        @Override
        public ListenAddress convert(String text) {
            int colon = text.lastIndexOf(':');
            if (colon <= 0) {
                throw new TypeConversionException("'" + text + "' is not HOST:PORT (e.g. 127.0.0.1:8081)");
            }
            String host = text.substring(0, colon).replace("[", "").replace("]", "");
            return new ListenAddress(host, PortConverter.port(text.substring(colon + 1)));
        }
    }
}

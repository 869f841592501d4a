package io.sluice.cli;

/**
 * A bad argument that only the command can see once it runs (a URL's missing scheme, a header
 * without a colon): reported like a picocli parse error, one line ending in the help hint, exit
 * status {@value Sluice#EXIT_USAGE}. Values picocli can check alone are checked by its converters.
 */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}

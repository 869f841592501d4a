package io.sluice.cli;

/**
 * The input cannot be replayed: the file is missing or unreadable, its kind is not supported, or
 * the parser reported bound errors. Its message is the one line a user sees (exit status
 * {@value Sluice#EXIT_INPUT}); records written before it stay written.
 */
final class InputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InputException(String message) {
        super(message);
    }

    InputException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.sluice.cli;

import java.io.IOException;

/**
 * Writing a record failed, usually because the reader of our standard output went away
 * ({@code sluice replay ... | head}). Unchecked so it can leave an {@code SseHandler} callback and
 * fail the parser; the command then exits with status {@value Sluice#EXIT_INPUT} and says nothing,
 * as a pipeline stage whose reader has gone should.
 */
final class OutputFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OutputFailedException(IOException cause) {
        super("write failed: " + cause.getMessage(), cause);
    }
}

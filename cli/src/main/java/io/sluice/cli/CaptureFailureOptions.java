package io.sluice.cli;

import io.sluice.netty.SseFailureCapture;
import picocli.CommandLine.Option;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code --capture-failures DIR} of {@code sluice get} and {@code sluice relay} (a picocli mixin):
 * each upstream stream that fails leaves a replayable {@code .http} file in DIR
 * ({@link SseFailureCapture}), with its bounds and the headers kept out of it.
 */
final class CaptureFailureOptions {
    @Option(names = "--capture-failures", paramLabel = "DIR",
            description = "Write each failed upstream stream (cut, timeout, malformed, refused) to DIR as a .http file that "
                    + "sluice replay and sluice serve reproduce; secrets are redacted. DIR is made if missing.")
    private Path directory;

    @Option(names = "--capture-max-body", paramLabel = "BYTES", converter = ByteCountConverter.class,
            defaultValue = "" + SseFailureCapture.DEFAULT_MAX_BODY_BYTES,
            description = "With --capture-failures: the body bytes kept per stream, the last ones (default: ${DEFAULT-VALUE}).")
    private int maxBody;

    @Option(names = "--capture-max-files", paramLabel = "N", converter = CountConverter.class,
            defaultValue = "" + SseFailureCapture.DEFAULT_MAX_FILES,
            description = "With --capture-failures: capture files kept in DIR, the oldest deleted (default: ${DEFAULT-VALUE}).")
    private int maxFiles;

    @Option(names = "--capture-redact", paramLabel = "HEADER",
            description = "With --capture-failures: one more header whose value is never written (beside authorization, "
                    + "proxy-authorization, x-api-key, api-key, x-goog-api-key, cookie, set-cookie); repeatable.")
    private List<String> redact = new ArrayList<>();

    /** The capture these options ask for; null without {@code --capture-failures}. */
    SseFailureCapture capture() {
        if (directory == null) {
            if (!redact.isEmpty()) {
                throw new UsageException("--capture-redact needs --capture-failures");
            }
            return null;
        }
        if (maxFiles < 1) {
            throw new UsageException("--capture-max-files must be at least 1: " + maxFiles);
        }
        Set<String> headers = new TreeSet<>(SseFailureCapture.DEFAULT_REDACTED_HEADERS);
        headers.addAll(redact);
        return SseFailureCapture.builder(directory).maxBodyBytes(maxBody).maxFiles(maxFiles).redactHeaders(headers).build();
    }

    /** An {@code UncheckedIOException} from building the client: the folder could not be made. */
    static InputException folderFailed(UncheckedIOException e) {
        return new InputException(e.getMessage() + " (" + ReplayCommand.reason(e.getCause()) + ")", e);
    }
}

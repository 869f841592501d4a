package io.sluice.cli;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Headless Chromium for cli's browser tests: {@code src/test/browser/drive.mjs}, which drives
 * Debian's Chromium through playwright-core, run over pages a relay serves from {@link #PAGES}.
 * Its report and its stderr stay in the caller's folder under {@code target/}.
 */
final class BrowserDriver {
    /** drive.mjs, its package.json and installed playwright-core. */
    static final Path DIR = Path.of("src/test/browser");
    /** The pages, a relay's {@code --static} folder. */
    static final Path PAGES = DIR.resolve("page");
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("SLUICE_CHROMIUM", "/usr/bin/chromium"));

    private BrowserDriver() {
    }

    /**
     * {@code node}, after assuming Chromium, node and the installed playwright-core are there: a
     * missing one skips the calling test, saying which. {@code .ci/run} installs all three and
     * fails on a skip.
     */
    static Path assumeInstalled() {
        Path node = onPath("node");
        assumeTrue(Files.isExecutable(CHROMIUM), CHROMIUM + " is missing: apt-get install chromium (as .ci/run does)");
        assumeTrue(node != null, "node is not on the PATH: apt-get install nodejs npm");
        assumeTrue(Files.isRegularFile(DIR.resolve("node_modules/playwright-core/package.json")),
                "playwright-core is not installed: run npm ci in cli/src/test/browser (as .ci/run does)");
        return node;
    }

    private static Path onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, command);
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * Runs {@code drive.mjs --timeout seconds options... urls...} and returns its report (stdout);
     * fails, with its stderr, when it does not exit 0. It ends by itself within {@code seconds};
     * past that and a margin, it and its Chromium are killed. Its stdout and stderr stay in
     * {@code out} as {@code drive.out} and {@code drive.err}.
     */
    static String drive(Path node, Path out, int seconds, List<String> options, Iterable<String> urls) throws Exception {
        Files.createDirectories(out);
        List<String> command = new ArrayList<>(List.of(node.toString(), "drive.mjs", "--timeout", Integer.toString(seconds)));
        command.addAll(options);
        urls.forEach(command::add);
        Process process = new ProcessBuilder(command).directory(DIR.toFile())
                .redirectOutput(out.resolve("drive.out").toFile())
                .redirectError(out.resolve("drive.err").toFile())
                .start();
        if (!process.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly); // Chromium and its helpers first
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String errors = Files.readString(out.resolve("drive.err"));
        assertEquals(0, process.exitValue(), () -> "drive.mjs exited " + process.exitValue() + ": " + errors);
        return Files.readString(out.resolve("drive.out"));
    }
}

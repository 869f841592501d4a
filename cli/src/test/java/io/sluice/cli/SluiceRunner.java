package io.sluice.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs {@code sluice} in-process, through the same command line {@code main} builds, and captures what it prints. */
final class SluiceRunner {
    /** The sample wire logs, relative to the module (Surefire runs in the module's directory). */
    static final Path SAMPLES = Path.of("../samples");

    private SluiceRunner() {
    }

    /** What one run printed and returned. */
    record Result(int exit, String out, String err) {
        /** Standard output's lines; each must end with LF, as NDJSON and text records do. */
        List<String> outLines() {
            assertTrue(out.isEmpty() || out.endsWith("\n"), () -> "output not LF-terminated: " + out);
            return out.lines().collect(Collectors.toList());
        }

        List<String> records(String type) {
            return outLines().stream().filter(l -> l.startsWith("{\"type\":\"" + type + "\"")).collect(Collectors.toList());
        }

        /** The contract for every failure: exactly one line on standard error, no stack trace. */
        void assertOneLineOnStderr(int expectedExit) {
            assertEquals(expectedExit, exit, () -> "exit status; stderr: " + err);
            assertEquals(1, err.lines().count(), () -> "stderr: " + err);
            assertFalse(err.contains("\tat ") || err.contains("Exception"), () -> "stack trace on stderr: " + err);
        }
    }

    static Result run(String... args) {
        return run(new byte[0], args);
    }

    static Result run(byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Result partial = run(new ByteArrayInputStream(stdin), out, args);
        return new Result(partial.exit(), out.toString(StandardCharsets.UTF_8), partial.err());
    }

    /** With streams of the caller's choosing; the result's {@code out} is empty (read {@code stdout} instead). */
    static Result run(InputStream stdin, OutputStream stdout, String... args) {
        StringWriter err = new StringWriter();
        int exit = Sluice.commandLine(new Sluice(stdin, stdout), new PrintWriter(err, true)).execute(args);
        return new Result(exit, "", err.toString());
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1).build();

    /** A streaming request's POST, {@code {"stream":true}}, to a local relay or server, read whole. */
    static java.net.http.HttpResponse<String> post(int port, String path) throws Exception {
        return HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path))
                .header("content-type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"stream\":true}"))
                .timeout(java.time.Duration.ofSeconds(30)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /** The event records {@code sluice replay} finds in a body. */
    static List<String> events(String body) {
        return run(body.getBytes(StandardCharsets.UTF_8), "replay", "--format", "ndjson", "-").records("event");
    }
}

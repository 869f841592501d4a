package io.sluice.examples.gateway;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code sluice serve} replaying one recorded sample once, on a free loopback port, as a process. */
final class SluiceServe implements AutoCloseable {
    /** The Sluice checkout: its cli/target/sluice.jar and samples/. */
    static final Path ROOT = Path.of(System.getProperty("sluice.root", "../..")).toAbsolutePath().normalize();
    private static final Pattern LISTENING = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)/");

    private final Process process;
    private final URI uri;

    private SluiceServe(Process process, URI uri) {
        this.process = process;
        this.uri = uri;
    }

    /** Starts serving {@code samples/NAME} and returns once it listens (it says where on stderr). */
    static SluiceServe start(String sample) throws IOException {
        Path jar = ROOT.resolve("cli/target/sluice.jar");
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError(jar + " is missing: build Sluice first (mvn -B install -DskipTests)");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-jar", jar.toString(), "serve",
                ROOT.resolve("samples").resolve(sample).toString(), "--port", "0")
                .redirectErrorStream(true)
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = out.readLine()) != null; ) {
            seen.append(line).append('\n');
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                return new SluiceServe(process, URI.create("http://127.0.0.1:" + m.group(1) + "/v1/messages"));
            }
        }
        throw new AssertionError("sluice serve exited without listening:\n" + seen);
    }

    URI uri() {
        return uri;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the test is being stopped: leave the rest to the JVM's exit
        }
    }
}

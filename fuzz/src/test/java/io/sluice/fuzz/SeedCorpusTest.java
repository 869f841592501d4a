package io.sluice.fuzz;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps {@link ParserFuzzTest}'s seed corpus in step with its sources: every conformance vector
 * (core's {@code conformance/*.json}, {@code input_b64} decoded) fed one byte at a time, and every
 * sample wire log ({@code samples/*.sse}) fed in chunks of 1, 7 and 64 bytes in turn, each as a
 * {@link FuzzCase#seed} file in each method's inputs directory, when at most
 * {@value #MAX_SEED_BYTES} bytes long. A new vector or sample fails this test until the corpus is
 * rewritten with
 * {@code mvn -B -pl fuzz -am test -Dtest=SeedCorpusTest -Dsluice.writeSeeds=true -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class SeedCorpusTest {
    /**
     * Larger sources add bytes to the repository but no new kind of line, and libFuzzer sizes its
     * inputs after the corpus's largest: the 100 KiB vector fed byte by byte took 8 s of every build.
     */
    static final int MAX_SEED_BYTES = 16 * 1024;

    private static final Path MODULE = Path.of("").toAbsolutePath();
    private static final Path CONFORMANCE = MODULE.resolve("../core/src/test/resources/conformance").normalize();
    private static final Path SAMPLES = MODULE.resolve("../samples").normalize();
    private static final Path INPUTS = MODULE.resolve("src/test/resources/io/sluice/fuzz/ParserFuzzTestInputs");
    private static final List<String> METHODS =
            List.of("parserAgreesWithTheModelUnderAnyChunking", "noInputCrashesLeaksOrOutgrowsTheBounds");
    private static final Pattern INPUT_B64 = Pattern.compile("\"input_b64\"\\s*:\\s*\"([A-Za-z0-9+/=]*)\"");

    @Test
    void everyConformanceVectorAndSmallSampleIsASeed() throws IOException {
        Map<String, byte[]> seeds = seeds();
        assertTrue(seeds.size() > 50, "found only " + seeds.size() + " sources under " + CONFORMANCE + " and " + SAMPLES);
        boolean write = Boolean.getBoolean("sluice.writeSeeds");
        List<String> missing = new ArrayList<>();
        for (String method : METHODS) {
            Path dir = INPUTS.resolve(method);
            for (Map.Entry<String, byte[]> seed : seeds.entrySet()) {
                Path file = dir.resolve(seed.getKey());
                if (Files.isRegularFile(file) && Arrays.equals(Files.readAllBytes(file), seed.getValue())) {
                    continue;
                }
                if (write) {
                    Files.createDirectories(dir);
                    Files.write(file, seed.getValue());
                } else {
                    missing.add(method + "/" + seed.getKey());
                }
            }
        }
        for (String method : METHODS) {
            for (Path file : list(INPUTS.resolve(method), "")) {
                String name = file.getFileName().toString();
                if ((name.startsWith("conformance-") || name.startsWith("sample-")) && !seeds.containsKey(name)) {
                    if (write) {
                        Files.delete(file);
                    } else {
                        missing.add(method + "/" + name + " (no longer a source)");
                    }
                }
            }
        }
        assertEquals(List.of(), missing, "seeds missing or stale; rewrite them with -Dsluice.writeSeeds=true");
    }

    /** File name to corpus bytes. */
    private static Map<String, byte[]> seeds() throws IOException {
        Map<String, byte[]> seeds = new TreeMap<>();
        for (Path json : list(CONFORMANCE, ".json")) {
            Matcher m = INPUT_B64.matcher(Files.readString(json));
            byte[] input = m.find() ? Base64.getDecoder().decode(m.group(1)) : null;
            if (input != null && input.length <= MAX_SEED_BYTES) {
                String name = json.getFileName().toString().replace(".json", "");
                seeds.put("conformance-" + name, FuzzCase.seed(input, 1));
            }
        }
        for (Path sse : list(SAMPLES, ".sse")) {
            if (Files.size(sse) <= MAX_SEED_BYTES) {
                String name = sse.getFileName().toString().replace(".sse", "");
                seeds.put("sample-" + name, FuzzCase.seed(Files.readAllBytes(sse), 1, 7, 64));
            }
        }
        return seeds;
    }

    private static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.sluice.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps a README or docs/ section's Java blocks and a test's compiled examples the same code: each example
 * sits in the test source between {@code // readme:NAME} and {@code // end}; the section runs from
 * its HTML comment marker to the next heading of its own level or above. Compared line by line, indentation aside.
 * Run from a module's folder (Maven's working directory for its tests), the README one level up.
 */
public final class ReadmeSection {
    private ReadmeSection() {
    }

    /** {@code testClass}'s marked examples, each shown in the section that {@code marker} opens, and nothing else there. */
    public static void assertShowsVerbatim(Class<?> test, String marker, int examples) throws IOException {
        String testClass = test.getSimpleName();
        String source = Files.readString(Path.of("src/test/java/" + test.getName().replace('.', '/') + ".java"));
        List<String> compiled = new ArrayList<>();
        Matcher m = Pattern.compile("// readme:\\w+\\n(.*?)\\n\\s*// end", Pattern.DOTALL).matcher(source);
        while (m.find()) {
            compiled.add(normalize(m.group(1)));
        }
        assertEquals(examples, compiled.size(), "examples marked in " + testClass);
        String readme = withMarker("<!-- " + marker + " -->");
        int start = readme.indexOf("<!-- " + marker + " -->");
        // The section runs to the next heading of its own level or above.
        int headingStart = readme.lastIndexOf("\n#", start) + 1;
        int level = 0;
        while (readme.charAt(headingStart + level) == '#') {
            level++;
        }
        Pattern heading = Pattern.compile("#{1," + level + "} .*");
        int end = -1;
        boolean fenced = false; // a shell comment in a code block is no heading
        for (int at = readme.indexOf('\n', start) + 1; at > 0 && at < readme.length(); at = readme.indexOf('\n', at) + 1) {
            int lineEnd = readme.indexOf('\n', at);
            String line = readme.substring(at, lineEnd < 0 ? readme.length() : lineEnd);
            if (line.startsWith("```")) {
                fenced = !fenced;
            } else if (!fenced && heading.matcher(line).matches()) {
                end = at;
                break;
            }
        }
        String section = readme.substring(start, end < 0 ? readme.length() : end);
        Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(section);
        int shown = 0;
        while (block.find()) {
            assertTrue(compiled.contains(normalize(block.group(1))),
                    "README.md shows an example " + testClass + " does not compile:\n" + block.group(1));
            shown++;
        }
        assertEquals(compiled.size(), shown, "every example of " + testClass + " is shown in the README");
    }

    /** The README, or the document under docs/ that carries {@code marker}. */
    private static String withMarker(String marker) throws IOException {
        List<Path> documents = new ArrayList<>(List.of(Path.of("../README.md")));
        try (var docs = Files.list(Path.of("../docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(documents::add);
        }
        for (Path document : documents) {
            String text = Files.readString(document, StandardCharsets.UTF_8);
            if (text.contains(marker)) {
                return text;
            }
        }
        throw new AssertionError("neither README.md nor docs/ has the marker " + marker);
    }

    private static String normalize(String code) {
        StringBuilder out = new StringBuilder();
        code.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(l -> out.append(l).append('\n'));
        return out.toString();
    }
}

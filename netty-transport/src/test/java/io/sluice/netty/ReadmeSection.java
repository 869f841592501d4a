package io.sluice.netty;

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
 * Keeps a README section's Java blocks and a test's compiled examples the same code: each example
 * sits in the test source between {@code // readme:NAME} and {@code // end}; the section runs from
 * its HTML comment marker to the next top-level heading. Compared line by line, indentation aside.
 */
final class ReadmeSection {
    private ReadmeSection() {
    }

    static void assertShowsVerbatim(String testClass, String marker, int examples) throws IOException {
        String source = Files.readString(Path.of("src/test/java/io/sluice/netty/" + testClass + ".java"));
        List<String> compiled = new ArrayList<>();
        Matcher m = Pattern.compile("// readme:\\w+\\n(.*?)\\n\\s*// end", Pattern.DOTALL).matcher(source);
        while (m.find()) {
            compiled.add(normalize(m.group(1)));
        }
        assertEquals(examples, compiled.size(), "examples marked in " + testClass);
        String readme = Files.readString(Path.of("../README.md"), StandardCharsets.UTF_8);
        int start = readme.indexOf("<!-- " + marker + " -->");
        assertTrue(start >= 0, "README.md has no marker <!-- " + marker + " -->");
        int end = readme.indexOf("\n## ", start);
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

    private static String normalize(String code) {
        StringBuilder out = new StringBuilder();
        code.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(l -> out.append(l).append('\n'));
        return out.toString();
    }
}

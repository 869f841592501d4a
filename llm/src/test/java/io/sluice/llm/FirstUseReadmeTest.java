package io.sluice.llm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The README's first use is {@code examples/first-use}'s code, line for line: each Java block of
 * the README's "First use" section is the code between a {@code // readme:NAME} and its
 * {@code // end} in {@code FirstUse.java}, in order, indentation aside. The example itself is
 * compiled and run against {@code sluice serve} by {@code .ci/run}.
 */
class FirstUseReadmeTest {
    private static final Path ROOT = Path.of("..");

    @Test
    void theReadmesFirstUseBlocksAreTheExamplesCode() throws IOException {
        String source = Files.readString(ROOT.resolve(
                "examples/first-use/src/main/java/io/sluice/examples/firstuse/FirstUse.java"), StandardCharsets.UTF_8);
        List<String> marked = new ArrayList<>();
        Matcher region = Pattern.compile("// readme:\\w+\\n(.*?)\\n\\s*// end", Pattern.DOTALL).matcher(source);
        while (region.find()) {
            marked.add(normalize(region.group(1)));
        }
        String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
        int start = readme.indexOf("<!-- first-use -->");
        String section = readme.substring(start, readme.indexOf("\n### ", start));
        List<String> shown = new ArrayList<>();
        Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(section);
        while (block.find()) {
            shown.add(normalize(block.group(1)));
        }
        assertEquals(2, marked.size(), "FirstUse.java marks the listener form and the queue form");
        assertEquals(marked, shown);
    }

    private static String normalize(String code) {
        StringBuilder out = new StringBuilder();
        for (String line : code.split("\n")) {
            out.append(line.strip()).append('\n');
        }
        return out.toString().strip();
    }
}

package io.sluice.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The README's tour of the {@code sluice} command (the blocks after {@code <!-- cli-tour -->}) runs
 * and prints what it shows. Each {@code $ sluice ...} line is run (in this JVM, or as a process of
 * its own when it ends with {@code &}); the lines shown under it must come out in that order, the
 * first shown being the first printed. A shown line ending in {@code ...} is the start of a printed
 * line; a line that is only {@code ...} stands for lines left out. Ports 8080 and 8081 become free
 * ones, and {@code samples/} the module's {@code ../samples/}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReadmeTourTest {
    private static final String ELLIPSIS = "...";

    /** One command of the tour and the lines the README shows it printing. */
    private record Step(List<String> args, boolean background, List<String> shown) {
    }

    @Test
    void theReadmesTourRunsAndPrintsTheLinesItShows() throws Exception {
        List<Step> tour = tour(Files.readString(Path.of("../README.md"), StandardCharsets.UTF_8));
        assertEquals(6, tour.size(), "the tour's commands: " + tour);
        String upstream = Integer.toString(freePort());
        String relay = Integer.toString(freePort());
        UnaryOperator<String> here = line -> line.replace("samples/", "../samples/")
                .replace("8080", upstream).replace("8081", relay);
        List<Background> started = new ArrayList<>();
        try {
            for (Step step : tour) {
                String[] args = step.args().stream().map(here).toArray(String[]::new);
                List<String> shown = step.shown().stream().map(here).toList();
                if (step.background()) {
                    Background process = Background.start(args);
                    started.add(process);
                    assertShows(shown, List.of(process.firstLine()), String.join(" ", args));
                } else {
                    SluiceRunner.Result result = SluiceRunner.run(args);
                    assertEquals(0, result.exit(), () -> String.join(" ", args) + ": " + result.err());
                    assertShows(shown, result.out().lines().toList(), String.join(" ", args));
                }
            }
        } finally {
            for (Background process : started) {
                process.close();
            }
        }
    }

    /** The tour's steps: every {@code $ sluice} line of the section's code blocks, with the lines under it. */
    static List<Step> tour(String readme) {
        int start = readme.indexOf("<!-- cli-tour -->");
        assertTrue(start >= 0, "README.md has no <!-- cli-tour --> marker");
        int end = readme.indexOf("\n#", start);
        List<Step> steps = new ArrayList<>();
        boolean fenced = false;
        for (String line : readme.substring(start, end < 0 ? readme.length() : end).split("\n")) {
            if (line.startsWith("```")) {
                fenced = !fenced;
            } else if (fenced && line.startsWith("$ sluice ")) {
                String command = line.substring("$ sluice ".length());
                boolean background = command.endsWith(" &");
                steps.add(new Step(words(background ? command.substring(0, command.length() - 2) : command),
                        background, new ArrayList<>()));
            } else if (fenced && !steps.isEmpty()) {
                steps.get(steps.size() - 1).shown().add(line);
            }
        }
        return steps;
    }

    /** A shell line's words: split at spaces, single quotes keeping what they hold together. */
    private static List<String> words(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean quoted = false;
        for (char c : command.toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
            } else if (c == ' ' && !quoted) {
                if (word.length() > 0) {
                    words.add(word.toString());
                    word.setLength(0);
                }
            } else {
                word.append(c);
            }
        }
        if (word.length() > 0) {
            words.add(word.toString());
        }
        return words;
    }

    private static void assertShows(List<String> shown, List<String> printed, String command) {
        assertTrue(!shown.isEmpty() && !printed.isEmpty(), command + " shows or printed nothing");
        assertTrue(matches(shown.get(0), printed.get(0)),
                () -> command + ": the first line printed is\n" + printed.get(0) + "\nnot\n" + shown.get(0));
        int at = 1;
        for (String line : shown.subList(1, shown.size())) {
            if (line.equals(ELLIPSIS)) {
                continue;
            }
            while (at < printed.size() && !matches(line, printed.get(at))) {
                at++;
            }
            if (at == printed.size()) {
                fail(command + " did not print, in the order shown:\n" + line + "\nprinted:\n" + String.join("\n", printed));
            }
            at++;
        }
    }

    private static boolean matches(String shown, String printed) {
        return shown.endsWith(ELLIPSIS) ? printed.startsWith(shown.substring(0, shown.length() - ELLIPSIS.length()))
                : printed.equals(shown);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** A {@code sluice} command run as its own process, as the README's {@code &} runs it; stopped by the test. */
    private static final class Background implements AutoCloseable {
        private final Process process;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        private Background(Process process) {
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    lines.add("(output unreadable: " + e + ")");
                }
            }, "readme-tour-output");
            reader.setDaemon(true);
            reader.start();
        }

        static Background start(String... args) throws IOException {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Sluice.class.getName()));
            command.addAll(List.of(args));
            return new Background(new ProcessBuilder(command).redirectErrorStream(true).start());
        }

        /** The first line it printed, once it did: serve and relay print it when they listen. */
        String firstLine() throws InterruptedException {
            String line = lines.poll(60, TimeUnit.SECONDS);
            assertNotNull(line, "no line printed in 60 s");
            return line;
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}

package io.sluice.fuzz;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Runs a property's tries from seeds a failure report can name. Try {@code t} of a run with base
 * seed {@code s} uses seed {@code s + t * GOLDEN}, so {@code -Dsluice.seed=<that seed>
 * -Dsluice.tries=1} replays one failing try and {@code -Dsluice.seed=<s>} the whole run. A failing
 * case is shrunk by the {@link Minimiser} with the same check before it is reported.
 *
 * <p>System properties (surefire passes {@code -D} options of the Maven command line through):
 * {@code sluice.seed} (decimal or {@code 0x} hex; default {@link #DEFAULT_SEED}) and
 * {@code sluice.tries} (overrides every property's default count), and {@code sluice.keepGoing}.
 */
final class Tries {
    /** Fixed, so a plain {@code mvn verify} is reproducible; change it with {@code -Dsluice.seed}. */
    static final long DEFAULT_SEED = 0x5_11CE_5EEDL;
    /** SplittableRandom's own increment: consecutive try seeds are far apart. */
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    /** Inputs longer than this are reported by length only; the minimised case is always shown. */
    private static final int MAX_SHOWN = 2048;

    /**
     * A failing case and the check that fails on it: the check returns null when the case passes
     * and a description of what went wrong otherwise. The minimiser keeps a candidate while the
     * check still fails.
     */
    record Counterexample(ChunkedInput input, Function<ChunkedInput, String> check, String context) {
    }

    /** One try: returns null when it passes. */
    @FunctionalInterface
    interface Try {
        Counterexample run(SplittableRandom random);
    }

    private Tries() {
    }

    static long baseSeed() {
        String seed = System.getProperty("sluice.seed");
        return seed == null || seed.isBlank() ? DEFAULT_SEED : Long.decode(seed.trim());
    }

    static int tries(int defaultTries) {
        String tries = System.getProperty("sluice.tries");
        return tries == null || tries.isBlank() ? defaultTries : Integer.parseInt(tries.trim());
    }

    /** Big runs: {@code -Dsluice.keepGoing=true} reports every distinct minimised failure at the end. */
    static boolean keepGoing() {
        return Boolean.getBoolean("sluice.keepGoing");
    }

    static void run(Class<?> suite, String property, int defaultTries, Try body) {
        long base = baseSeed();
        int tries = tries(defaultTries);
        // Minimised case -> first report and how many tries shrank to it.
        Map<ChunkedInput, String> distinct = new LinkedHashMap<>();
        Map<ChunkedInput, Integer> counts = new HashMap<>();
        for (int t = 0; t < tries; t++) {
            long seed = base + t * GOLDEN;
            Counterexample failure;
            try {
                failure = body.run(new SplittableRandom(seed));
            } catch (RuntimeException | AssertionError e) {
                throw new AssertionError(header(property, t, tries) + "it threw " + e + "\n"
                        + replay(suite, property, seed, base), e);
            }
            if (failure != null) {
                ChunkedInput small = Minimiser.minimise(failure.input(), in -> failure.check().apply(in) != null);
                String report = report(suite, property, t, tries, seed, base, failure, small);
                if (!keepGoing()) {
                    throw new AssertionError(report);
                }
                distinct.putIfAbsent(small, report);
                counts.merge(small, 1, Integer::sum);
            }
        }
        if (!distinct.isEmpty()) {
            StringBuilder b = new StringBuilder(property + ": " + counts.values().stream().mapToInt(i -> i).sum()
                    + " of " + tries + " tries failed, shrinking to " + distinct.size() + " distinct cases");
            distinct.forEach((small, report) -> b.append("\n\n[").append(counts.get(small)).append(" tries] ").append(report));
            throw new AssertionError(b.toString());
        }
    }

    private static String report(Class<?> suite, String property, int t, int tries, long seed, long base,
            Counterexample f, ChunkedInput small) {
        String original = f.check().apply(f.input());
        StringBuilder b = new StringBuilder(header(property, t, tries));
        if (!f.context().isEmpty()) {
            b.append(f.context()).append('\n');
        }
        b.append(original).append('\n');
        if (f.input().bytes().length <= MAX_SHOWN) {
            b.append("Input:\n").append(f.input().toJava()).append('\n');
        } else {
            b.append("Input: ").append(f.input().bytes().length).append(" bytes, ")
                    .append(f.input().cuts().length).append(" cuts\n");
        }
        b.append("Minimised:\n").append(small.toJava()).append('\n')
                .append("which fails with: ").append(f.check().apply(small)).append('\n');
        return b.append(replay(suite, property, seed, base)).toString();
    }

    private static String header(String property, int t, int tries) {
        return property + " failed on try " + (t + 1) + " of " + tries + ": ";
    }

    private static String replay(Class<?> suite, String property, long seed, long base) {
        String test = "-Dtest='" + suite.getSimpleName() + "#" + property + "'";
        // -am builds core from source: no Sluice artifact is ever installed for -pl fuzz alone to find.
        String mvn = "mvn -B -pl fuzz -am verify -Dsurefire.failIfNoSpecifiedTests=false ";
        return "Replay this try: " + mvn + test + " -Dsluice.seed=" + seed + " -Dsluice.tries=1\n"
                + "Replay the run:  " + mvn + test + " -Dsluice.seed=" + base;
    }
}

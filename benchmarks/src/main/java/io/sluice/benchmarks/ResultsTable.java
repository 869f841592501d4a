package io.sluice.benchmarks;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns a JMH JSON result file ({@code -rf json -rff FILE}) into the markdown table of
 * {@code RESULTS.md}, so the table is regenerated, never hand-typed:
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.sluice.benchmarks.ResultsTable /tmp/jmh.json
 * </pre>
 *
 * <p>One row per benchmark and parameter set: a column per {@code @Param}, then MB/s (the
 * {@code bytes} counter / 1e6, with JMH's 99.9% error), best MB/s (the fastest iteration), what
 * is counted ({@code events}, or {@code deltas} for {@code LlmBenchmark}) and its rate with JMH's
 * error, B/op ({@code gc.alloc.rate.norm}, present with {@code -prof gc}) and B per counted item
 * (B/op divided by items per operation, items/s / ops/s). A missing metric prints as an em dash.
 * Then, for {@code PeerBenchmark}, Sluice's ratio to the fastest peer and to each limit; and, given
 * the file {@code LoopbackBenchmark} and {@code LoopbackQueueBenchmark} write
 * ({@code -Dsluice.latencyOut}), their latency percentiles.
 */
public final class ResultsTable {

    private ResultsTable() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: ResultsTable <jmh-result.json> [<loopback latency file>]");
            System.exit(2);
        }
        String json = new String(Files.readAllBytes(Paths.get(args[0])), StandardCharsets.UTF_8);
        List<Object> results = toList(new JsonReader(json).value());
        write(results, System.out);
        peers(results, System.out);
        ratios(results, System.out);
        if (args.length == 2) {
            latency(Files.readAllLines(Paths.get(args[1]), StandardCharsets.UTF_8), System.out);
        }
    }

    static void write(List<Object> results, PrintStream out) {
        // The parameters that say what was parsed first, in this order; any others after them.
        Set<String> paramNames = new LinkedHashSet<>(List.of("corpus", "feed", "buffer"));
        Set<String> seen = new LinkedHashSet<>();
        String jdk = null;
        for (Object result : results) {
            Map<String, Object> r = toMap(result);
            if (r.get("params") != null) {
                seen.addAll(toMap(r.get("params")).keySet());
            }
            if (jdk == null && r.get("jdkVersion") != null) {
                jdk = r.get("jdkVersion") + ", " + r.get("vmName") + " " + r.get("vmVersion");
            }
        }
        paramNames.retainAll(seen);
        paramNames.addAll(seen);
        if (jdk != null) {
            out.println("JDK: " + jdk);
            out.println();
        }
        StringBuilder header = new StringBuilder("| benchmark |");
        StringBuilder rule = new StringBuilder("| --- |");
        for (String name : paramNames) {
            header.append(' ').append(name).append(" |");
            rule.append(" --- |");
        }
        out.println(header.append(" MB/s ± error | best MB/s | counted | per second ± error | B/op | B/counted |"));
        out.println(rule.append(" ---: | ---: | --- | ---: | ---: | ---: |"));
        for (Object result : results) {
            Map<String, Object> r = toMap(result);
            Map<String, Object> params = r.get("params") == null ? Map.of() : toMap(r.get("params"));
            Map<String, Object> secondary = secondary(r);
            StringBuilder row = new StringBuilder("| ").append(name(r)).append(" |");
            for (String name : paramNames) {
                Object value = params.get(name);
                row.append(' ').append(value == null ? "—" : value).append(" |");
            }
            // What one operation delivers: LLM deltas where counted, else SSE events.
            String counted = secondary.get("deltas") != null ? "deltas" : "events";
            double ops = score(r.get("primaryMetric"));
            double bytes = score(secondary.get("bytes"));
            double bytesError = error(secondary.get("bytes"));
            double units = score(secondary.get(counted));
            double unitsError = error(secondary.get(counted));
            boolean hasUnits = !Double.isNaN(units) && units > 0;
            double perOp = score(secondary.get("gc.alloc.rate.norm"));
            double perUnit = perOp / (units / ops);
            row.append(' ').append(Double.isNaN(bytes) ? "—" : format("%,.0f ± %,.0f", bytes / 1e6, bytesError / 1e6))
                    .append(" | ").append(Double.isNaN(bytes) ? "—" : format("%,.0f", best(secondary.get("bytes")) / 1e6))
                    .append(" | ").append(hasUnits ? counted : "—")
                    .append(" | ").append(hasUnits ? format("%,.0f ± %,.0f", units, unitsError) : "—")
                    .append(" | ").append(Double.isNaN(perOp) ? "—" : format("%,.0f", perOp))
                    .append(" | ").append(hasUnits && !Double.isNaN(perUnit) ? format("%,.3f", perUnit) : "—")
                    .append(" |");
            out.println(row);
        }
    }

    /**
     * {@code PeerBenchmark} pivoted, the table in docs/performance.md: a row per contestant, MB/s ± error per
     * corpus and feed, and the most bytes it allocated per event in any of them.
     */
    static void peers(List<Object> results, PrintStream out) {
        Map<String, Map<String, String>> rows = new LinkedHashMap<>();
        Map<String, Double> worstPerEvent = new LinkedHashMap<>();
        Set<String> cases = new LinkedHashSet<>();
        for (Object result : results) {
            Map<String, Object> r = toMap(result);
            String name = name(r);
            if (!name.startsWith("PeerBenchmark.") || r.get("params") == null) {
                continue;
            }
            String contestant = name.substring("PeerBenchmark.".length());
            Map<String, Object> params = toMap(r.get("params"));
            String key = params.get("corpus") + " " + params.get("feed");
            cases.add(key);
            Map<String, Object> secondary = secondary(r);
            double bytes = score(secondary.get("bytes"));
            rows.computeIfAbsent(contestant, k -> new LinkedHashMap<>())
                    .put(key, format("%,.0f ± %,.0f", bytes / 1e6, error(secondary.get("bytes")) / 1e6));
            double events = score(secondary.get("events"));
            double perEvent = score(secondary.get("gc.alloc.rate.norm")) / (events / score(r.get("primaryMetric")));
            if (events > 0 && !Double.isNaN(perEvent)) {
                worstPerEvent.merge(contestant, perEvent, Math::max);
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        out.println();
        StringBuilder header = new StringBuilder("| contestant (MB/s ± error) |");
        StringBuilder rule = new StringBuilder("| --- |");
        for (String c : cases) {
            header.append(' ').append(c).append(" |");
            rule.append(" ---: |");
        }
        out.println(header.append(" most B/event |"));
        out.println(rule.append(" ---: |"));
        for (Map.Entry<String, Map<String, String>> row : rows.entrySet()) {
            StringBuilder line = new StringBuilder("| ").append(row.getKey()).append(" |");
            for (String c : cases) {
                line.append(' ').append(row.getValue().getOrDefault(c, "—")).append(" |");
            }
            Double perEvent = worstPerEvent.get(row.getKey());
            out.println(line.append(' ').append(perEvent == null ? "—" : format("%,.1f", perEvent)).append(" |"));
        }
    }

    /**
     * For each corpus and feed of {@code PeerBenchmark}: Sluice's MB/s over the fastest peer's and
     * over each limit's (the {@code limit*} methods), from the mean scores.
     */
    static void ratios(List<Object> results, PrintStream out) {
        Map<String, Map<String, Double>> byCase = new LinkedHashMap<>();
        Map<String, Map<String, Double>> perCpuSecond = new LinkedHashMap<>();
        for (Object result : results) {
            Map<String, Object> r = toMap(result);
            String name = name(r);
            if (!name.startsWith("PeerBenchmark.") || r.get("params") == null) {
                continue;
            }
            Map<String, Object> params = toMap(r.get("params"));
            String key = params.get("corpus") + " " + params.get("feed");
            String contestant = name.substring("PeerBenchmark.".length());
            byCase.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(contestant, score(secondary(r).get("bytes")));
            Object cpu = secondary(r).get("cpuNanos");
            if (cpu != null && score(cpu) > 0) {
                perCpuSecond.computeIfAbsent(key, k -> new LinkedHashMap<>())
                        .put(contestant, score(secondary(r).get("bytes")) / score(cpu) * 1e9);
            }
        }
        if (byCase.isEmpty()) {
            return;
        }
        out.println();
        out.println("| corpus, feed | Sluice MB/s | fastest peer | Sluice / fastest peer | Sluice / SWAR LF scan"
                + " | Sluice / byte-loop LF scan | Sluice / Netty FIND_LF | Sluice / arraycopy |");
        out.println("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
        for (Map.Entry<String, Map<String, Double>> e : byCase.entrySet()) {
            Map<String, Double> mbs = e.getValue();
            Double sluice = mbs.get("sluice");
            if (sluice == null) {
                continue;
            }
            String fastest = null;
            for (Map.Entry<String, Double> peer : mbs.entrySet()) {
                String name = peer.getKey();
                if (!name.equals("sluice") && !name.startsWith("limit")
                        && (fastest == null || peer.getValue() > mbs.get(fastest))) {
                    fastest = name;
                }
            }
            out.println("| " + e.getKey() + " | " + format("%,.0f", sluice / 1e6)
                    + " | " + (fastest == null ? "—" : fastest + " " + format("%,.0f", mbs.get(fastest) / 1e6))
                    + " | " + ratio(sluice, fastest == null ? null : mbs.get(fastest))
                    + " | " + ratio(sluice, mbs.get("limitSwarLf"))
                    + " | " + ratio(sluice, mbs.get("limitLfByteLoop"))
                    + " | " + ratio(sluice, mbs.get("limitNettyFindLf"))
                    + " | " + ratio(sluice, mbs.get("limitArraycopy")) + " |");
        }
        // The same ratio per CPU-second of the benchmark thread, where both recorded it: on a
        // shared machine the preemption that bends MB/s does not reach this one.
        if (perCpuSecond.values().stream().anyMatch(m -> m.containsKey("sluice") && m.containsKey("limitSwarLf"))) {
            out.println();
            out.println("| corpus, feed | Sluice MB per CPU-s | SWAR LF scan MB per CPU-s | Sluice / SWAR LF scan, per CPU-s |");
            out.println("| --- | ---: | ---: | ---: |");
            for (Map.Entry<String, Map<String, Double>> e : perCpuSecond.entrySet()) {
                Double sluice = e.getValue().get("sluice");
                Double swar = e.getValue().get("limitSwarLf");
                if (sluice != null && swar != null) {
                    out.println("| " + e.getKey() + " | " + format("%,.0f", sluice / 1e6) + " | "
                            + format("%,.0f", swar / 1e6) + " | " + ratio(sluice, swar) + " |");
                }
            }
        }
    }

    /** The lines the loopback benchmarks append to {@code -Dsluice.latencyOut}, as a table. */
    static void latency(List<String> lines, PrintStream out) {
        out.println();
        out.println("| loopback run | events measured | process CPU ns/event | p50 µs | p99 µs | p99.9 µs | max µs |");
        out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            Map<String, String> fields = new LinkedHashMap<>();
            for (String field : line.trim().split(" ")) {
                int eq = field.indexOf('=');
                if (eq > 0) {
                    fields.put(field.substring(0, eq), field.substring(eq + 1));
                }
            }
            // LoopbackQueueBenchmark names its run; LoopbackBenchmark's lines carry its params.
            String run = fields.containsKey("run") ? fields.get("run").replace(':', ' ')
                    : "repeats=" + fields.get("repeats") + " flushEvery=" + fields.get("flushEvery");
            out.println("| " + run
                    + " | " + format("%,.0f", Double.parseDouble(fields.get("events")))
                    + " | " + fields.getOrDefault("cpu_ns_per_event", "—")
                    + " | " + fields.get("p50_us") + " | " + fields.get("p99_us") + " | " + fields.get("p99.9_us")
                    + " | " + fields.get("max_us") + " |");
        }
    }

    private static String ratio(double a, Double b) {
        return b == null || b == 0 ? "—" : format("%.2f×", a / b);
    }

    private static String name(Map<String, Object> r) {
        String benchmark = (String) r.get("benchmark");
        return benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1);
    }

    private static Map<String, Object> secondary(Map<String, Object> r) {
        return r.get("secondaryMetrics") == null ? Map.of() : toMap(r.get("secondaryMetrics"));
    }

    private static String format(String pattern, double value) {
        return String.format(Locale.ROOT, pattern, value);
    }

    private static String format(String pattern, double a, double b) {
        return String.format(Locale.ROOT, pattern, a, b);
    }

    private static double score(Object metric) {
        return metric == null ? Double.NaN : number(toMap(metric).get("score"));
    }

    private static double error(Object metric) {
        return metric == null ? Double.NaN : number(toMap(metric).get("scoreError"));
    }

    /** The fastest measured iteration: on a shared machine, interference only ever slows one down. */
    private static double best(Object metric) {
        double best = Double.NaN;
        Object raw = toMap(metric).get("rawData");
        if (raw != null) {
            for (Object fork : toList(raw)) {
                for (Object iteration : toList(fork)) {
                    double value = number(iteration);
                    if (Double.isNaN(best) || value > best) {
                        best = value;
                    }
                }
            }
        }
        return best;
    }

    /** JMH writes "NaN" as a string when a score has no error (one iteration). */
    private static double number(Object value) {
        return value instanceof Double d ? d : Double.NaN;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> toMap(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> toList(Object value) {
        return (List<Object>) value;
    }

    /** Just enough JSON for JMH's result files: objects, arrays, strings, numbers, literals. */
    static final class JsonReader {
        private final String text;
        private int pos;

        JsonReader(String text) {
            this.text = text;
        }

        Object value() {
            skipSpace();
            char c = text.charAt(pos);
            switch (c) {
                case '{':
                    return object();
                case '[':
                    return array();
                case '"':
                    return string();
                case 't':
                    return literal("true", Boolean.TRUE);
                case 'f':
                    return literal("false", Boolean.FALSE);
                case 'n':
                    return literal("null", null);
                default:
                    return number();
            }
        }

        private Map<String, Object> object() {
            Map<String, Object> map = new LinkedHashMap<>();
            pos++;
            skipSpace();
            if (text.charAt(pos) == '}') {
                pos++;
                return map;
            }
            while (true) {
                skipSpace();
                String key = string();
                skipSpace();
                expect(':');
                map.put(key, value());
                skipSpace();
                if (text.charAt(pos++) == '}') {
                    return map;
                }
            }
        }

        private List<Object> array() {
            List<Object> list = new ArrayList<>();
            pos++;
            skipSpace();
            if (text.charAt(pos) == ']') {
                pos++;
                return list;
            }
            while (true) {
                list.add(value());
                skipSpace();
                if (text.charAt(pos++) == ']') {
                    return list;
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder out = new StringBuilder();
            for (char c; (c = text.charAt(pos++)) != '"'; ) {
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char e = text.charAt(pos++);
                switch (e) {
                    case 'n' -> out.append('\n');
                    case 't' -> out.append('\t');
                    case 'r' -> out.append('\r');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'u' -> {
                        out.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                        pos += 4;
                    }
                    default -> out.append(e); // \" \\ \/
                }
            }
            return out.toString();
        }

        private Double number() {
            int start = pos;
            while (pos < text.length() && "+-0123456789.eE".indexOf(text.charAt(pos)) >= 0) {
                pos++;
            }
            if (start == pos) {
                throw new IllegalArgumentException("unexpected '" + text.charAt(pos) + "' at " + pos);
            }
            return Double.valueOf(text.substring(start, pos));
        }

        private Object literal(String word, Object value) {
            if (!text.startsWith(word, pos)) {
                throw new IllegalArgumentException("expected " + word + " at " + pos);
            }
            pos += word.length();
            return value;
        }

        private void expect(char c) {
            if (text.charAt(pos) != c) {
                throw new IllegalArgumentException("expected '" + c + "' at " + pos + ", found '" + text.charAt(pos) + "'");
            }
            pos++;
        }

        private void skipSpace() {
            while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
                pos++;
            }
        }
    }
}

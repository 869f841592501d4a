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
 * {@code bytes} counter / 1e6, with JMH's 99.9% error), best MB/s (the fastest iteration), events/s (the {@code events} counter),
 * B/op ({@code gc.alloc.rate.norm}, present with {@code -prof gc}) and B/event (B/op divided by
 * events per operation, events/s / ops/s). A missing metric prints as an em dash.
 */
public final class ResultsTable {

    private ResultsTable() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ResultsTable <jmh-result.json>");
            System.exit(2);
        }
        String json = new String(Files.readAllBytes(Paths.get(args[0])), StandardCharsets.UTF_8);
        write(toList(new JsonReader(json).value()), System.out);
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
        out.println(header.append(" MB/s ± error | best MB/s | events/s | B/op | B/event |"));
        out.println(rule.append(" ---: | ---: | ---: | ---: | ---: |"));
        for (Object result : results) {
            Map<String, Object> r = toMap(result);
            Map<String, Object> params = r.get("params") == null ? Map.of() : toMap(r.get("params"));
            Map<String, Object> secondary = r.get("secondaryMetrics") == null ? Map.of() : toMap(r.get("secondaryMetrics"));
            String benchmark = (String) r.get("benchmark");
            benchmark = benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1);
            StringBuilder row = new StringBuilder("| ").append(benchmark).append(" |");
            for (String name : paramNames) {
                Object value = params.get(name);
                row.append(' ').append(value == null ? "—" : value).append(" |");
            }
            double ops = score(r.get("primaryMetric"));
            double bytes = score(secondary.get("bytes"));
            double bytesError = error(secondary.get("bytes"));
            double events = score(secondary.get("events"));
            double perOp = score(secondary.get("gc.alloc.rate.norm"));
            double perEvent = perOp / (events / ops);
            row.append(' ').append(Double.isNaN(bytes) ? "—" : format("%,.0f ± %,.0f", bytes / 1e6, bytesError / 1e6))
                    .append(" | ").append(Double.isNaN(bytes) ? "—" : format("%,.0f", best(secondary.get("bytes")) / 1e6))
                    .append(" | ").append(Double.isNaN(events) ? "—" : format("%,.0f", events))
                    .append(" | ").append(Double.isNaN(perOp) ? "—" : format("%,.0f", perOp))
                    .append(" | ").append(Double.isNaN(perEvent) ? "—" : format("%,.3f", perEvent))
                    .append(" |");
            out.println(row);
        }
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

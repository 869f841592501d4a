package io.sluice.llm;

import com.fasterxml.jackson.core.JsonGenerator;
import io.sluice.llm.internal.Json;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Property: an accumulator fed the deltas a generator derives from a random final message builds
 * that message back. Usage counts are spread over the start and a usage delta, some said twice with
 * the later value winning. Texts and tool arguments are cut into random fragments (empty ones and split
 * surrogate pairs included), blocks are interleaved and arrive out of index order, and pings and
 * unknown deltas are sprinkled in.
 */
class AccumulatorRoundTripTest {
    private static final int RUNS = 500;

    @Test
    void deltasGeneratedFromARandomMessageBuildThatMessage() {
        for (long seed = 1; seed <= RUNS; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            LlmMessage message = randomMessage(random);
            MessageAccumulator accumulator = new MessageAccumulator();
            for (TestDelta d : deltas(message, random)) {
                accumulator.onDelta(d);
            }
            for (long e = 0; e < message.events(); e++) {
                accumulator.countEvent();
            }
            LlmMessage rebuilt = accumulator.snapshot();
            assertEquals(message, rebuilt, "seed " + seed);
            assertEquals(message.toJson(), rebuilt.toJson(), "seed " + seed);
        }
    }

    static LlmMessage randomMessage(SplittableRandom r) {
        Provider provider = Provider.values()[r.nextInt(Provider.values().length)];
        List<ContentBlock> content = new ArrayList<>();
        int blocks = r.nextInt(6);
        for (int i = 0; i < blocks; i++) {
            switch (r.nextInt(3)) {
                case 0 -> content.add(new ContentBlock.Text(text(r, 40)));
                case 1 -> content.add(new ContentBlock.Thinking(text(r, 40), r.nextBoolean() ? null : "sig" + text(r, 10)));
                default -> {
                    String input = r.nextInt(5) == 0 ? "" : jsonObject(r);
                    content.add(new ContentBlock.ToolUse(r.nextBoolean() ? null : "call_" + r.nextInt(1000),
                            "tool" + r.nextInt(10), input.isEmpty() ? "{}" : input, input, true));
                }
            }
        }
        Usage usage = randomUsage(r);
        return new LlmMessage(provider, maybe(r, "msg_" + r.nextInt(1_000_000)), maybe(r, "model-" + r.nextInt(9)),
                content, maybe(r, r.nextBoolean() ? "end_turn" : "max_tokens"), usage.inputTokens(), usage.outputTokens(),
                r.nextBoolean(), r.nextInt(4) == 0 ? new LlmError("overloaded_error", text(r, 12)) : null, r.nextInt(200),
                usage);
    }

    /** Every count null half the time; server tool counts absent, an empty object, or a few names. */
    static Usage randomUsage(SplittableRandom r) {
        Usage.Builder b = Usage.builder()
                .inputTokens(r.nextBoolean() ? null : (long) r.nextInt(100_000))
                .outputTokens(r.nextBoolean() ? null : r.nextLong(0, Long.MAX_VALUE))
                .cacheReadInputTokens(r.nextBoolean() ? null : (long) r.nextInt(100_000))
                .cacheCreationInputTokens(r.nextBoolean() ? null : (long) r.nextInt(100_000))
                .reasoningTokens(r.nextBoolean() ? null : (long) r.nextInt(100_000))
                .cacheCreation5mInputTokens(r.nextBoolean() ? null : (long) r.nextInt(100_000))
                .cacheCreation1hInputTokens(r.nextBoolean() ? null : (long) r.nextInt(100_000))
                .toolUsePromptTokens(r.nextBoolean() ? null : (long) r.nextInt(100_000));
        int tools = r.nextInt(4) - 1;
        if (tools >= 0) {
            b.serverToolUseReported();
        }
        for (int i = 0; i < tools; i++) {
            b.serverToolUse("tool_" + i + "_requests", r.nextInt(5));
        }
        return b.build();
    }

    /** The deltas a decoder would produce for {@code m}, block streams interleaved at random. */
    static List<TestDelta> deltas(LlmMessage m, SplittableRandom r) {
        List<TestDelta> out = new ArrayList<>();
        TestDelta start = new TestDelta(DeltaKind.MESSAGE_START, m.provider());
        start.id = m.id();
        start.model = m.model();
        out.add(start);
        TestDelta usage = new TestDelta(DeltaKind.USAGE, m.provider());
        usageDeltas(m.usage(), start, usage, r);
        // block i gets index 3 * i + 1 (gaps, as openai-responses keys have), started in random order
        List<List<TestDelta>> perBlock = new ArrayList<>();
        for (int i = 0; i < m.content().size(); i++) {
            perBlock.add(blockDeltas(m.provider(), m.content().get(i), 3 * i + 1, r));
        }
        List<TestDelta> merged = new ArrayList<>();
        while (!perBlock.isEmpty()) {
            int pick = r.nextInt(perBlock.size());
            List<TestDelta> list = perBlock.get(pick);
            merged.add(list.remove(0));
            if (list.isEmpty()) {
                perBlock.remove(pick);
            }
            if (r.nextInt(8) == 0) {
                TestDelta noise = new TestDelta(r.nextBoolean() ? DeltaKind.PING : DeltaKind.OTHER, m.provider());
                noise.typeName = "citations_delta";
                noise.index = 3 * r.nextInt(8) + 1;
                merged.add(noise);
            }
        }
        out.addAll(merged);
        if (m.stopReason() != null) {
            TestDelta d = new TestDelta(DeltaKind.STOP_REASON, m.provider());
            d.stopReason = m.stopReason();
            out.add(d);
        }
        out.add(usage);
        if (m.error() != null) {
            TestDelta d = new TestDelta(DeltaKind.ERROR, m.provider());
            d.errorType = m.error().type();
            d.errorMessage = m.error().message();
            out.add(d);
        }
        if (m.complete()) {
            out.add(new TestDelta(DeltaKind.DONE, m.provider()));
        }
        return out;
    }

    /**
     * Spreads {@code u} over the message start and the later usage delta as Anthropic does: each
     * count said in the start only, in the usage delta only, or in both with the start's an older
     * value the usage delta replaces; a count not reported is said by neither.
     */
    private static void usageDeltas(Usage u, TestDelta start, TestDelta usage, SplittableRandom r) {
        long[] counts = {count(u.inputTokens()), count(u.outputTokens()), count(u.cacheReadInputTokens()),
                count(u.cacheCreationInputTokens()), count(u.reasoningTokens()), count(u.cacheCreation5mInputTokens()),
                count(u.cacheCreation1hInputTokens()), count(u.toolUsePromptTokens())};
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] < 0) {
                continue;
            }
            switch (r.nextInt(3)) {
                case 0 -> start.counts[i] = counts[i];
                case 1 -> usage.counts[i] = counts[i];
                default -> {
                    start.counts[i] = r.nextInt(1000);
                    usage.counts[i] = counts[i];
                }
            }
        }
        if (u.serverToolUse() != null) {
            // The first keys said by the start, the rest by the usage delta (the start perhaps saying
            // older counts for those), so the order first reported is the message's order.
            List<Map.Entry<String, Long>> tools = new ArrayList<>(u.serverToolUse().entrySet());
            int split = r.nextInt(tools.size() + 1);
            boolean olderInStart = r.nextBoolean();
            (r.nextBoolean() ? start : usage).toolNames = new ArrayList<>(); // said, even if empty
            for (int i = 0; i < tools.size(); i++) {
                Map.Entry<String, Long> e = tools.get(i);
                if (i < split) {
                    start.tool(e.getKey(), e.getValue());
                } else {
                    if (olderInStart) {
                        start.tool(e.getKey(), r.nextInt(9));
                    }
                    usage.tool(e.getKey(), e.getValue());
                }
            }
        }
    }

    private static long count(Long value) {
        return value == null ? Delta.ABSENT : value;
    }

    private static List<TestDelta> blockDeltas(Provider p, ContentBlock block, int index, SplittableRandom r) {
        List<TestDelta> out = new ArrayList<>();
        TestDelta start = new TestDelta(DeltaKind.BLOCK_START, p);
        start.index = index;
        start.blockType = block.type();
        out.add(start);
        if (block instanceof ContentBlock.Text t) {
            fragments(p, DeltaKind.TEXT, index, t.text(), r, out);
        } else if (block instanceof ContentBlock.Thinking t) {
            fragments(p, DeltaKind.THINKING, index, t.thinking(), r, out);
            if (t.signature() != null) {
                fragments(p, DeltaKind.SIGNATURE, index, t.signature(), r, out);
            }
        } else if (block instanceof ContentBlock.ToolUse t) {
            start.id = t.id();
            start.name = t.name();
            fragments(p, DeltaKind.TOOL_INPUT, index, t.partialJson(), r, out);
        }
        TestDelta stop = new TestDelta(DeltaKind.BLOCK_STOP, p);
        stop.index = index;
        out.add(stop);
        return out;
    }

    /** {@code text} cut at random char positions (a surrogate pair may be split), with empty fragments now and then. */
    private static void fragments(Provider p, DeltaKind kind, int index, String text, SplittableRandom r, List<TestDelta> out) {
        int from = 0;
        while (from < text.length() || r.nextInt(4) == 0) {
            int to = Math.min(text.length(), from + r.nextInt(8));
            TestDelta d = new TestDelta(kind, p);
            d.index = index;
            d.chars = ("##" + text.substring(from, to) + "#").toCharArray(); // text at an offset, as views have it
            d.offset = 2;
            d.length = to - from;
            out.add(d);
            from = to;
            if (from >= text.length() && r.nextBoolean()) {
                break;
            }
        }
    }

    private static String maybe(SplittableRandom r, String s) {
        return r.nextInt(5) == 0 ? null : s;
    }

    private static final String ALPHABET = "ab Z\n\t\"\\/é—☕🚲\u0000\u001f{}[]:,";

    static String text(SplittableRandom r, int max) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(max + 1);
        for (int i = 0; i < n; i++) {
            int cp = ALPHABET.codePointAt(ALPHABET.offsetByCodePoints(0, r.nextInt(ALPHABET.codePointCount(0, ALPHABET.length()))));
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    /** A random JSON object, compact, as the accumulator re-serialises it. */
    static String jsonObject(SplittableRandom r) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = Json.FACTORY.createGenerator(w)) {
            writeValue(g, r, 0, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    private static void writeValue(JsonGenerator g, SplittableRandom r, int depth, boolean object) throws IOException {
        int kind = object ? 0 : r.nextInt(depth > 2 ? 6 : 8);
        switch (kind) {
            case 0 -> {
                g.writeStartObject();
                int n = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    g.writeFieldName("k" + i + text(r, 3));
                    writeValue(g, r, depth + 1, false);
                }
                g.writeEndObject();
            }
            case 1 -> g.writeString(text(r, 10));
            case 2 -> g.writeNumber(Long.toString(r.nextLong()));
            case 3 -> g.writeNumber(r.nextInt(1000) + "." + r.nextInt(1000) + "e-" + r.nextInt(30)); // exact, not a double
            case 4 -> g.writeBoolean(r.nextBoolean());
            case 5 -> g.writeNull();
            default -> {
                g.writeStartArray();
                int n = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    writeValue(g, r, depth + 1, false);
                }
                g.writeEndArray();
            }
        }
    }

    /** A plain, mutable delta. */
    static final class TestDelta implements Delta {
        final DeltaKind kind;
        final Provider provider;
        int index = -1;
        BlockType blockType;
        String typeName;
        String id;
        String model;
        String name;
        char[] chars = new char[0];
        int offset;
        int length;
        /** input, output, cache read, cache creation, reasoning, 5m, 1h, tool-use prompt: Delta's order. */
        final long[] counts = {ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT};
        /** Server tool names, null when the delta says none. */
        List<String> toolNames;
        final List<Long> toolCounts = new ArrayList<>();
        String stopReason;
        String errorType;
        String errorMessage;

        TestDelta(DeltaKind kind, Provider provider) {
            this.kind = kind;
            this.provider = provider;
        }

        void tool(String name, long count) {
            if (toolNames == null) {
                toolNames = new ArrayList<>();
            }
            toolNames.add(name);
            toolCounts.add(count);
        }

        @Override public DeltaKind kind() { return kind; }
        @Override public Provider provider() { return provider; }
        @Override public int index() { return index; }
        @Override public BlockType blockType() { return blockType; }
        @Override public String typeName() { return typeName; }
        @Override public String id() { return id; }
        @Override public String model() { return model; }
        @Override public String name() { return name; }
        @Override public char[] textChars() { return chars; }
        @Override public int textOffset() { return offset; }
        @Override public int textLength() { return length; }
        @Override public long inputTokens() { return counts[0]; }
        @Override public long outputTokens() { return counts[1]; }
        @Override public long cacheReadInputTokens() { return counts[2]; }
        @Override public long cacheCreationInputTokens() { return counts[3]; }
        @Override public long reasoningTokens() { return counts[4]; }
        @Override public long cacheCreation5mInputTokens() { return counts[5]; }
        @Override public long cacheCreation1hInputTokens() { return counts[6]; }
        @Override public long toolUsePromptTokens() { return counts[7]; }
        @Override public int serverToolUseCounts() { return toolNames == null ? -1 : toolNames.size(); }
        @Override public String serverToolUseName(int i) { return toolNames.get(i); }
        @Override public long serverToolUseCount(int i) { return toolCounts.get(i); }
        @Override public String stopReason() { return stopReason; }
        @Override public String errorType() { return errorType; }
        @Override public String errorMessage() { return errorMessage; }
    }
}

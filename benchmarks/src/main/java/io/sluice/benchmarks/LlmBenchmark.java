package io.sluice.benchmarks;

import io.netty.buffer.ByteBuf;
import io.sluice.core.SseParser;
import io.sluice.llm.DeltaKind;
import io.sluice.llm.MessageCollector;
import io.sluice.llm.Provider;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

/**
 * From wire bytes to the final message: one operation turns a whole LLM stream into its final
 * message, and the figure that matters is deltas per second (a delta: a text, thinking, signature
 * or tool-input fragment). With {@code -prof gc}, bytes allocated per delta =
 * {@code gc.alloc.rate.norm} / deltas per corpus (ResultsTable does the division).
 *
 * <ul>
 *   <li>{@link #sluice}: {@code SseParser} feeding {@code io.sluice.llm.MessageCollector} (provider
 *       given), pieces as in {@code ParserBenchmark}, then {@code message()};</li>
 *   <li>{@link #sdk}: the provider's own SDK over the same bytes, as its streaming call runs
 *       it: the SDK's {@code sseHandler} over a stub response (see {@code PeerBenchmark}), each
 *       message read as the SDK's event type by the SDK's own {@code JsonMapper}
 *       ({@code RawMessageStreamEvent}, {@code ChatCompletionChunk}, what its {@code mapJson} does),
 *       then its accumulator ({@code MessageAccumulator}, {@code ChatCompletionAccumulator}) and
 *       the final {@code message()} / {@code chatCompletion()}.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LlmBenchmark {

    /** {@code ANTHROPIC_LONG}: the real capture {@code samples/anthropic-long.sse}. */
    @Param({"ANTHROPIC_LONG", "OPENAI_CHAT"})
    public Corpus corpus;

    @Param({"whole", "segments1460"})
    public String feed;

    private byte[] bytes;
    private ByteBuf[] pieces;
    private Provider provider;
    private long deltasPerCorpus;
    private PeerBenchmark.Peers peers;

    /** Per-iteration totals; JMH divides them by the iteration's time. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Deltas {
        public long bytes;
        public long deltas;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
            deltas = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        bytes = corpus.load().bytes();
        int size = feed.equals("whole") ? bytes.length : ParserBenchmark.SEGMENT;
        pieces = ParserBenchmark.cut(bytes, size, "heap");
        provider = corpus == Corpus.OPENAI_CHAT ? Provider.OPENAI_CHAT : Provider.ANTHROPIC;
        peers = new PeerBenchmark.Peers();
        long[] deltas = {0};
        MessageCollector collector = MessageCollector.create(provider, delta -> {
            DeltaKind kind = delta.kind();
            if (kind == DeltaKind.TEXT || kind == DeltaKind.THINKING || kind == DeltaKind.SIGNATURE
                    || kind == DeltaKind.TOOL_INPUT) {
                deltas[0]++;
            }
        });
        parse(collector);
        deltasPerCorpus = deltas[0];
        // Both sides must build the same text, or the comparison means nothing.
        String ours = collector.message().text();
        String theirs = sdkText();
        if (deltasPerCorpus == 0 || !ours.equals(theirs)) {
            throw new IllegalStateException(corpus + ": " + deltasPerCorpus + " deltas; Sluice's text ("
                    + ours.length() + " chars) differs from the SDK's (" + theirs.length() + " chars)");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (ByteBuf piece : pieces) {
            piece.release();
        }
    }

    @Benchmark
    public Object sluice(Deltas t) {
        MessageCollector collector = MessageCollector.create(provider);
        parse(collector);
        t.deltas += deltasPerCorpus;
        t.bytes += bytes.length;
        return collector.message();
    }

    @Benchmark
    public Object sdk(Deltas t) {
        Object message = corpus == Corpus.OPENAI_CHAT ? openAi() : anthropic();
        t.deltas += deltasPerCorpus;
        t.bytes += bytes.length;
        return message;
    }

    private void parse(MessageCollector collector) {
        SseParser parser = SseParser.create(collector);
        for (ByteBuf piece : pieces) {
            piece.readerIndex(0);
            parser.feed(piece);
        }
        parser.end();
    }

    private com.anthropic.models.messages.Message anthropic() {
        var accumulator = com.anthropic.helpers.MessageAccumulator.create();
        try (var response = peers.anthropicSse.handle(new PeerBenchmark.Peers.AnthropicResponse(new ByteArrayInputStream(bytes)))) {
            for (var it = response.stream().iterator(); it.hasNext(); ) {
                var message = it.next();
                accumulator.accumulate(message.getJsonMapper().readValue(message.getData(),
                        com.anthropic.models.messages.RawMessageStreamEvent.class));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return accumulator.message();
    }

    private com.openai.models.chat.completions.ChatCompletion openAi() {
        var accumulator = com.openai.helpers.ChatCompletionAccumulator.create();
        try (var response = peers.openAiSse.handle(new PeerBenchmark.Peers.OpenAiResponse(new ByteArrayInputStream(bytes)))) {
            for (var it = response.stream().iterator(); it.hasNext(); ) {
                var message = it.next();
                accumulator.accumulate(message.getJsonMapper().readValue(message.getData(),
                        com.openai.models.chat.completions.ChatCompletionChunk.class));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return accumulator.chatCompletion();
    }

    private String sdkText() {
        StringBuilder text = new StringBuilder();
        if (corpus == Corpus.OPENAI_CHAT) {
            openAi().choices().forEach(choice -> choice.message().content().ifPresent(text::append));
        } else {
            anthropic().content().forEach(block -> block.text().ifPresent(t -> text.append(t.text())));
        }
        return text.toString();
    }
}

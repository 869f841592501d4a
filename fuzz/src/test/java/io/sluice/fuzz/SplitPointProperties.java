package io.sluice.fuzz;

import io.sluice.core.SseBoundExceededException;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.SseHandler;
import io.sluice.core.SseParser;
import io.sluice.core.testing.Chunking;
import io.sluice.core.testing.LeakCheckExtension;
import io.sluice.core.testing.RecordingHandler;
import io.sluice.core.testing.SseRecord;
import io.sluice.fuzz.Tries.Counterexample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The parser's answer must not depend on where the network cut the stream, and must be the
 * standard's answer, as {@link ModelParser} computes it. Each property runs seeded tries
 * ({@link Tries}: {@code -Dsluice.seed}, {@code -Dsluice.tries}); a failure is shrunk by the
 * {@link Minimiser} and reported with the command that replays it. Core's
 * {@code LeakCheckExtension} (auto-detected) fails the class on any buffer leak.
 *
 * <p>Default tries keep {@code mvn -pl fuzz verify} under a minute on two cores (58 s wall, 32 s CPU,
 * measured on a loaded machine); raise them with {@code -Dsluice.tries} for a long run.
 */
class SplitPointProperties {
    private static final int SINGLE_CUT_TRIES = 400;
    private static final int PAIR_CUT_TRIES = 150;
    private static final int RANDOM_CUT_TRIES = 120;
    private static final int MODEL_TRIES = 3000;
    private static final int ENCODER_TRIES = 1000;
    private static final int BOUNDS_TRIES = 1500;
    private static final int LEAK_TRIES = 400;

    /** Every cut of inputs this long is cheap: the n parses of n bytes stay well under a millisecond. */
    private static final int SINGLE_CUT_MAX_LENGTH = 300;
    /** Every pair of cuts is n²/2 parses: about 800 for 40 bytes. */
    private static final int PAIR_CUT_MAX_LENGTH = 40;
    private static final int LONG_MAX_LENGTH = 12 * 1024;

    @Test
    void everySingleCutGivesTheWholeInputsRecords(TestInfo test) {
        run(test, SINGLE_CUT_TRIES, random -> {
            byte[] input = StreamGenerator.generate(random, SINGLE_CUT_MAX_LENGTH);
            List<SseRecord> whole = Chunking.whole().parse(input);
            for (int cut = 1; cut < input.length; cut++) {
                ChunkedInput in = new ChunkedInput(input, new int[] {cut});
                if (differsFrom(whole, in) != null) {
                    return new Counterexample(in, SplitPointProperties::differsFromWhole, "");
                }
            }
            return null;
        });
    }

    @Test
    void everyPairOfCutsGivesTheWholeInputsRecords(TestInfo test) {
        run(test, PAIR_CUT_TRIES, random -> {
            byte[] input = StreamGenerator.generate(random, PAIR_CUT_MAX_LENGTH);
            List<SseRecord> whole = Chunking.whole().parse(input);
            for (int first = 1; first < input.length; first++) {
                for (int second = first + 1; second < input.length; second++) {
                    ChunkedInput in = new ChunkedInput(input, new int[] {first, second});
                    if (differsFrom(whole, in) != null) {
                        return new Counterexample(in, SplitPointProperties::differsFromWhole, "");
                    }
                }
            }
            return null;
        });
    }

    @Test
    void seededRandomCutsGiveTheWholeInputsRecords(TestInfo test) {
        run(test, RANDOM_CUT_TRIES, random -> {
            byte[] input = StreamGenerator.generate(random, LONG_MAX_LENGTH);
            List<SseRecord> whole = Chunking.whole().parse(input);
            for (int k = 0; k < 3; k++) {
                int[] cuts = random.nextInt(8) == 0 ? Chunkings.everyByte(input.length) : Chunkings.random(random, input);
                ChunkFeeder feeder = ChunkFeeder.random(random);
                ChunkedInput in = new ChunkedInput(input, cuts);
                if (RecordDiff.describe("whole input", whole, "cut", parse(in, Limits.DEFAULT, feeder)) != null) {
                    return new Counterexample(in, c -> {
                        List<SseRecord> wholeOfCandidate = Chunking.whole().parse(c.bytes());
                        return RecordDiff.describe("whole input", wholeOfCandidate, "cut", parse(c, Limits.DEFAULT, feeder));
                    }, "fed as " + feeder);
                }
            }
            return null;
        });
    }

    @Test
    void parserAgreesWithTheModel(TestInfo test) {
        run(test, MODEL_TRIES, random -> {
            byte[] input = StreamGenerator.generate(random, random.nextInt(4) == 0 ? 4096 : 256);
            ChunkFeeder feeder = ChunkFeeder.random(random);
            for (ChunkedInput in : List.of(ChunkedInput.whole(input), new ChunkedInput(input, Chunkings.random(random, input)))) {
                if (agreesWithModel(in, Limits.DEFAULT, feeder) != null) {
                    return new Counterexample(in, c -> agreesWithModel(c, Limits.DEFAULT, feeder), "fed as " + feeder);
                }
            }
            return null;
        });
    }

    @Test
    void encodeThenParseIsIdentity(TestInfo test) {
        run(test, ENCODER_TRIES, random -> {
            EncoderScript script = EncoderScript.generate(random);
            ChunkedInput in = new ChunkedInput(script.encoded(), Chunkings.random(random, script.encoded()));
            ChunkFeeder feeder = ChunkFeeder.random(random);
            String diff = RecordDiff.describe("written", script.expected(), "parsed", parse(in, Limits.DEFAULT, feeder));
            if (diff == null) {
                return null;
            }
            String context = "written: " + script.written() + "\nfed as " + feeder;
            if (agreesWithModel(in, Limits.DEFAULT, feeder) != null) {
                // The parser misreads these bytes: shrink them against the model.
                return new Counterexample(in, c -> agreesWithModel(c, Limits.DEFAULT, feeder), context);
            }
            // Parser and model agree, so the encoder wrote the wrong bytes: nothing smaller to look for.
            return new Counterexample(in, c -> c.equals(in) ? diff : null, context);
        });
    }

    @Test
    void boundsYieldRecordsOrTheTypedErrorAndMemoryStaysUnderThem(TestInfo test) {
        run(test, BOUNDS_TRIES, random -> {
            // Bounds of one to three bytes are the edge cases: a BOM, a CRLF, one multi-byte character.
            Limits limits = new Limits(1 + random.nextInt(random.nextInt(4) == 0 ? 3 : 64),
                    1 + random.nextInt(random.nextInt(4) == 0 ? 3 : 64), random.nextBoolean());
            byte[] input = StreamGenerator.generate(random, 512);
            ChunkFeeder feeder = ChunkFeeder.random(random);
            String context = "limits " + limits + ", fed as " + feeder;
            for (ChunkedInput in : List.of(ChunkedInput.whole(input), new ChunkedInput(input, Chunkings.random(random, input)))) {
                if (agreesWithModel(in, limits, feeder) != null) {
                    return new Counterexample(in, c -> agreesWithModel(c, limits, feeder), context);
                }
            }
            if (limits.skipOversizedEvents()) {
                List<SseRecord> whole = Chunking.whole().parse(input, limits.builder());
                for (Chunking chunking : Chunking.standard(input.length)) {
                    ChunkedInput in = new ChunkedInput(input, chunking.cuts());
                    if (RecordDiff.describe("whole input", whole, chunking.toString(), chunking.parse(input, limits.builder())) != null) {
                        return new Counterexample(in, c -> RecordDiff.describe("whole input",
                                Chunking.whole().parse(c.bytes(), limits.builder()), "cut",
                                Chunking.at(c.cuts()).parse(c.bytes(), limits.builder())), context);
                    }
                }
            }
            return null;
        });
    }

    @Test
    void noBufferLeaksAfterEndCloseOrErrors(TestInfo test) {
        run(test, LEAK_TRIES, random -> {
            byte[] input = StreamGenerator.generate(random, 1024);
            Limits limits = random.nextBoolean() ? Limits.DEFAULT
                    : new Limits(1 + random.nextInt(128), 1 + random.nextInt(128), random.nextBoolean());
            Ending ending = Ending.values()[random.nextInt(Ending.values().length)];
            int throwAt = random.nextInt(8);
            ChunkedInput in = new ChunkedInput(input, Chunkings.random(random, input));
            String context = "limits " + limits + ", " + ending + ", a handler throwing at callback " + throwAt;
            Function<ChunkedInput, String> check = c -> retainsNothingAfterward(c, limits, ending, throwAt);
            return check.apply(in) == null ? null : new Counterexample(in, check, context);
        });
        assertEquals(List.of(), LeakCheckExtension.collectLeaks(), "buffer leaks reported");
    }

    // ---------------------------------------------------------------------------------------------
    // Checks: each returns null when the case passes, else what went wrong.

    private static String differsFromWhole(ChunkedInput in) {
        return differsFrom(Chunking.whole().parse(in.bytes()), in);
    }

    private static String differsFrom(List<SseRecord> whole, ChunkedInput in) {
        try {
            return RecordDiff.describe("whole input", whole, "cut at " + Arrays.toString(in.cuts()),
                    Chunking.at(in.cuts()).parse(in.bytes()));
        } catch (RuntimeException e) {
            return "the parser threw " + describe(e);
        }
    }

    /**
     * The parser, fed {@code in}, reports what the model does (records, errors, tail), every error
     * is the typed bound error with the configured limit, and between feeds it never holds more
     * than its two bounds.
     */
    static String agreesWithModel(ChunkedInput in, Limits limits, ChunkFeeder feeder) {
        List<SseRecord> expected = ModelParser.parse(in.bytes(), limits).recorded();
        TypedErrorHandler handler = new TypedErrorHandler(limits);
        List<String> problems = handler.problems();
        long bound = (long) limits.maxLineLength() + limits.maxEventSize();
        SseParser parser = limits.builder().build(handler);
        try {
            feeder.feed(parser, in, p -> {
                if (p.retainedBytes() > bound) {
                    problems.add("retainedBytes " + p.retainedBytes() + " > maxLineLength + maxEventSize = " + bound
                            + " after " + p.bytesFed() + " bytes");
                }
            });
            parser.end();
        } catch (RuntimeException e) {
            return "the parser threw " + describe(e);
        } finally {
            parser.close();
        }
        String diff = RecordDiff.describe("model ", expected, "parser", handler.records());
        if (diff == null && problems.isEmpty()) {
            return null;
        }
        return (diff == null ? "" : diff + "\n") + String.join("\n", problems);
    }

    /** How a leak-check try leaves the parser. */
    enum Ending { END, CLOSE, END_THEN_CLOSE, HANDLER_THROWS, BOUND_ERROR_RETHROWN }

    /**
     * Whatever way the parser stops (end, close, a handler that throws, a bound error the handler
     * rethrows), it holds no buffer afterwards; and a failed parser holds none right after the
     * failing feed.
     */
    private static String retainsNothingAfterward(ChunkedInput in, Limits limits, Ending ending, int throwAt) {
        return retainsNothingAfterward(in, limits, limits.builder(), ChunkFeeder.TRACKED, ending, throwAt);
    }

    /**
     * As above, for a parser from {@code builder} (configured with {@code limits}) fed by
     * {@code feeder}; also checks the retained memory after every feed, as {@link #agreesWithModel}
     * does.
     */
    static String retainsNothingAfterward(ChunkedInput in, Limits limits, SseParser.Builder builder, ChunkFeeder feeder,
                                          Ending ending, int throwAt) {
        long bound = (long) limits.maxLineLength() + limits.maxEventSize();
        SseHandler handler = switch (ending) {
            case HANDLER_THROWS -> new ThrowingHandler(throwAt);
            case BOUND_ERROR_RETHROWN -> event -> { }; // the default onError rethrows
            default -> new RecordingHandler();
        };
        SseParser parser = builder.build(handler);
        List<String> problems = new ArrayList<>();
        Consumer<SseParser> underBound = p -> {
            if (p.retainedBytes() > bound) {
                problems.add("retainedBytes " + p.retainedBytes() + " > maxLineLength + maxEventSize = " + bound
                        + " after " + p.bytesFed() + " bytes");
            }
        };
        try {
            try {
                feeder.feed(parser, in, underBound);
            } catch (ThrowingHandler.Thrown | SseBoundExceededException e) {
                if (parser.retainedBytes() != 0) {
                    problems.add("after " + e + " the failed parser retains " + parser.retainedBytes() + " bytes");
                }
                feeder.feed(parser, in, underBound); // a failed parser ignores further input
            }
            try {
                switch (ending) {
                    case CLOSE -> parser.close();
                    case END_THEN_CLOSE -> {
                        parser.end();
                        parser.close();
                    }
                    default -> parser.end();
                }
            } catch (ThrowingHandler.Thrown | SseBoundExceededException e) {
                // onEnd threw, or end() met a bound (a stream ending inside a BOM prefix longer than
                // the line bound) that the handler rethrew: end() must still have let go of
                // everything, checked below.
            }
        } catch (RuntimeException e) {
            return "the parser threw " + describe(e);
        } finally {
            if (parser.retainedBytes() != 0) {
                problems.add("after " + ending + " the parser retains " + parser.retainedBytes() + " bytes");
            }
            parser.close();
        }
        return problems.isEmpty() ? null : String.join("\n", problems);
    }

    /** Throws from the {@code n}-th callback, as a buggy consumer would. */
    private static final class ThrowingHandler implements SseHandler {
        static final class Thrown extends RuntimeException {
            private static final long serialVersionUID = 1L;

            Thrown() {
                super("handler failure", null, false, false);
            }
        }

        private int remaining;

        ThrowingHandler(int n) {
            this.remaining = n;
        }

        private void call() {
            if (remaining-- == 0) {
                throw new Thrown();
            }
        }

        @Override
        public void onEvent(SseEvent event) {
            call();
        }

        @Override
        public void onRetry(long millis) {
            call();
        }

        @Override
        public void onComment(io.netty.buffer.ByteBuf buffer, int index, int length) {
            call();
        }

        @Override
        public void onError(SseException error) {
            // Skipping parsers go on after a bound error; this handler only fails on callbacks.
        }

        @Override
        public void onEnd(long incompleteTailBytes) {
            call();
        }
    }

    // ---------------------------------------------------------------------------------------------

    private static List<SseRecord> parse(ChunkedInput in, Limits limits, ChunkFeeder feeder) {
        RecordingHandler handler = new RecordingHandler();
        SseParser parser = limits.builder().build(handler);
        try {
            feeder.feed(parser, in, p -> { });
            parser.end();
        } finally {
            parser.close();
        }
        return handler.records();
    }

    private static String describe(Throwable e) {
        StackTraceElement[] trace = e.getStackTrace();
        return e + (trace.length > 0 ? " at " + trace[0] : "");
    }

    private void run(TestInfo test, int defaultTries, Tries.Try body) {
        Tries.run(getClass(), test.getTestMethod().orElseThrow().getName(), defaultTries, body);
    }
}

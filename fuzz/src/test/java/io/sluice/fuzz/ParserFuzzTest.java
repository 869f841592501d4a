package io.sluice.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing over the oracles of {@link SplitPointProperties}: the fuzzer picks the
 * stream, its cuts, the bounds and the buffers ({@link FuzzCase}).
 *
 * <p>A plain {@code mvn verify} runs each method once per file of its committed corpus,
 * {@code src/test/resources/io/sluice/fuzz/ParserFuzzTestInputs/<method>/} (seeded from core's
 * conformance vectors and the small samples, see {@link SeedCorpusTest}, plus the inputs real
 * fuzzing found new coverage with). {@code JAZZER_FUZZ=1} with {@code -Dtest=ParserFuzzTest#<method>}
 * fuzzes one method for real; an input that fails is written into that directory and so becomes a
 * regression test of every later build.
 */
class ParserFuzzTest {
    // The grammar's tokens are in sse.dict, not @DictionaryEntries: Jazzer writes those entries
    // with the backslashes of \xNN escaped, and a raw line end in one made the file unparsable.

    /** Differential: whatever the cuts and bounds, the parser reports what the model does. */
    @FuzzTest(maxDuration = "10m")
    @DictionaryFile(resourcePath = "sse.dict")
    void parserAgreesWithTheModelUnderAnyChunking(FuzzedDataProvider data) {
        FuzzCase c = FuzzCase.consume(data);
        String problem = SplitPointProperties.agreesWithModel(c.split(), c.limits(), c.feeder());
        if (problem != null) {
            throw new AssertionError(problem + "\n" + c.describe());
        }
    }

    /**
     * Nothing crashes, leaks or grows: the only exceptions are the typed bound error and the
     * handler's own; the parser never holds more than its bounds; every buffer it allocated is
     * released when it stops, however it stops.
     */
    @FuzzTest(maxDuration = "10m")
    @DictionaryFile(resourcePath = "sse.dict")
    void noInputCrashesLeaksOrOutgrowsTheBounds(FuzzedDataProvider data) {
        FuzzCase c = FuzzCase.consume(data);
        RecordingAllocator alloc = new RecordingAllocator();
        RecordingAllocator chunks = RecordingAllocator.untracked();
        String problem = SplitPointProperties.retainsNothingAfterward(c.split(), c.limits(),
                c.limits().builder().allocator(alloc), c.feeder().withChunksFrom(chunks), c.ending(), c.throwAt());
        if (problem == null && alloc.unreleased() != 0) {
            problem = alloc.unreleased() + " of the parser's " + alloc.allocations() + " buffers are not released";
        }
        if (problem == null && chunks.unreleased() != 0) {
            problem = "the parser kept " + chunks.unreleased() + " of the " + chunks.allocations() + " chunks fed to it";
        }
        if (problem != null) {
            throw new AssertionError(problem + "\n" + c.describe());
        }
    }
}

/**
 * Checks that the parser's answer depends neither on where the stream is cut nor on how hostile
 * its bytes are. {@link io.sluice.fuzz.SplitPointProperties} runs seeded properties over
 * {@link io.sluice.fuzz.StreamGenerator}'s streams, comparing against
 * {@link io.sluice.fuzz.ModelParser}, an independent model of the WHATWG steps, and shrinking
 * failures with the {@link io.sluice.fuzz.Minimiser}; {@link io.sluice.fuzz.ParserFuzzTest} runs
 * the same oracles under Jazzer, each input decoded by {@link io.sluice.fuzz.FuzzCase}, over the
 * corpus in {@code ParserFuzzTestInputs/} ({@link io.sluice.fuzz.SeedCorpusTest} keeps its seeds).
 *
 * <p>Everything runs on the test thread, one parser per case; each case owns the buffers it feeds
 * and releases them, and {@link io.sluice.fuzz.RecordingAllocator} checks that the parser released
 * its own.
 */
package io.sluice.fuzz;

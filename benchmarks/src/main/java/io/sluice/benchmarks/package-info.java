/**
 * The JMH suite: {@code java -jar benchmarks/target/benchmarks.jar}. Each benchmark names the
 * hot-path choice it backs, and {@code RESULTS.md} beside the module's pom holds the figures
 * (regenerated from JMH's JSON by {@link io.sluice.benchmarks.ResultsTable}).
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li>Inputs come from {@link io.sluice.benchmarks.Corpus}: generated in code from a fixed seed,
 *       so every run measures the same bytes; the one real capture is read from
 *       {@code samples/} (or {@code -Dsluice.samples=DIR}). No benchmark touches the network.</li>
 *   <li>Throughput is reported through {@code @AuxCounters(OPERATIONS)} fields: {@code bytes}
 *       (MB/s = bytes/s / 1e6) and {@code events}. One operation is one whole input, so
 *       {@code gc.alloc.rate.norm} from {@code -prof gc} is bytes allocated per input; divide by
 *       events per operation for bytes per event.</li>
 *   <li>Ownership: every {@link io.netty.buffer.ByteBuf} a benchmark feeds is made in
 *       {@code @Setup(Level.Trial)}, owned by the benchmark's state, never retained by the parser,
 *       and released in {@code @TearDown}. Parsers are created per invocation and ended in it.</li>
 *   <li>Threading: every state is {@code Scope.Thread}; one benchmark thread per fork.</li>
 * </ul>
 */
package io.sluice.benchmarks;

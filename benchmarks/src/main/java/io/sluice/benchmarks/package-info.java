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
 *       (MB/s = bytes/s / 1e6) and {@code events}; the parser benchmarks also count the benchmark
 *       thread's CPU time ({@code cpuNanos}: bytes / cpuNanos is MB per CPU-second, the figure to
 *       compare on a shared machine). One operation is one whole input, so
 *       {@code gc.alloc.rate.norm} from {@code -prof gc} is bytes allocated per input; divide by
 *       events per operation for bytes per event.</li>
 *   <li>Ownership: every {@link io.netty.buffer.ByteBuf} a benchmark feeds is made in
 *       {@code @Setup(Level.Trial)}, owned by the benchmark's state, never retained by the parser,
 *       and released in {@code @TearDown}. Parsers are created per invocation and ended in it.</li>
 *   <li>Threading: one benchmark thread per fork; states are {@code Scope.Thread}, except
 *       {@link io.sluice.benchmarks.LoopbackBenchmark}'s, which owns a server and a client event
 *       loop (one thread each, 127.0.0.1 only) for the trial and shuts both down in teardown, and
 *       {@link io.sluice.benchmarks.LoopbackQueueBenchmark}'s, the same with an {@code SseClient}
 *       queue stream drained by the benchmark thread: its one endless stream lives for the trial,
 *       so an operation (1,000 events) measures the steady state, backpressure included.</li>
 *   <li>Peers ({@link io.sluice.benchmarks.PeerBenchmark}, {@link io.sluice.benchmarks.LlmBenchmark})
 *       are driven in-process over the same bytes as Sluice; each class's javadoc says how. OkHttp 4
 *       comes relocated from the {@code benchmarks/okhttp4-relocated} module, so it can share the
 *       class path with OkHttp 5.</li>
 * </ul>
 */
package io.sluice.benchmarks;

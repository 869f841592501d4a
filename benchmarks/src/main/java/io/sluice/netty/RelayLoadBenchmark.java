package io.sluice.netty;

import io.netty.buffer.ByteBufAllocator;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.List;

/**
 * S concurrent streams of E events through an {@link SseRelay} on loopback ({@link RelayLoad}: an
 * upstream Netty server, the relay on its own group, S {@link SseClient} readers, all on 127.0.0.1),
 * and what they cost. Each round reports:
 *
 * <ul>
 *   <li><b>open:</b> all S clients open at once; from each open to its response head, which the
 *       relay sends when its upstream's head arrives (issue 15), so a relayed round trip;</li>
 *   <li><b>first event:</b> with all S streams open, the upstreams write their first events, paced
 *       ({@value RelayLoad#FIRST_EVENTS_PER_MILLI} a millisecond) and stamped with
 *       {@link System#nanoTime()}, and hold the rest until every client has its first; so the time
 *       from that write to the client's parse is the relay's pass-through latency with every
 *       upstream still open, not an end-of-stream figure;</li>
 *   <li><b>throughput:</b> then every upstream writes its other E-1 events as fast as it can, each
 *       flushed; events/s from that release to the last client's end, and each event's age at the
 *       client (queueing included: all S streams burst at once);</li>
 *   <li><b>memory high water:</b> sampled about every millisecond: the Netty allocator's used
 *       direct and heap memory ({@code ByteBufAllocator.DEFAULT}, which every channel here uses)
 *       and the heap in use (garbage included); and the live heap that the S open streams hold
 *       (after a full collection, with all of them open).</li>
 * </ul>
 *
 * A main class rather than JMH: the figure is a whole system's. Round 1 warms the JIT. Stops by
 * itself. Run (docs/gateway.md):
 * {@code java -cp benchmarks/target/benchmarks.jar io.sluice.netty.RelayLoadBenchmark 1000 100 3
 * [each|consolidated] [h1|h2|h2-upstream|h2-downstream] [capture]}
 * (streams, events per stream, rounds; {@link SseRelay.Builder#consolidateFlushes} off or on;
 * HTTP/1.1 at both hops, the default, or h2c at both, upstream only or downstream only; the
 * relay's client recording every stream for {@link SseClient.Builder#captureFailures}).
 */
public final class RelayLoadBenchmark {
    private static final int RELAY_THREADS = 2;

    private RelayLoadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int streams = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int events = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        boolean consolidate = args.length <= 3 || !args[3].equals("each");
        String protocols = args.length > 4 ? args[4] : "h1";
        if (!List.of("h1", "h2", "h2-upstream", "h2-downstream").contains(protocols)) {
            throw new IllegalArgumentException("protocols: h1, h2, h2-upstream or h2-downstream, not " + protocols);
        }
        boolean upstreamHttp2 = protocols.equals("h2") || protocols.equals("h2-upstream");
        boolean downstreamHttp2 = protocols.equals("h2") || protocols.equals("h2-downstream");
        // "capture": the relay's client keeps every stream's bytes for SseFailureCapture (none fails, so nothing is written).
        SseFailureCapture capture = args.length > 5 && args[5].equals("capture")
                ? SseFailureCapture.builder(java.nio.file.Files.createTempDirectory("sluice-capture")).build() : null;
        System.out.println("# " + System.getProperty("java.vm.name") + " " + Runtime.version() + ", "
                + Runtime.getRuntime().availableProcessors() + " cpus, relay on " + RelayLoad.RELAY_TRANSPORT + ", " + RELAY_THREADS
                + " threads, flushes " + (consolidate ? "consolidated" : "each") + (capture != null ? ", failures captured" : "")
                + ", allocator " + ByteBufAllocator.DEFAULT.getClass().getSimpleName() + ", max heap "
                + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        System.out.println("# " + streams + " concurrent streams x " + events + " events of "
                + RelayLoad.PAD.length() + "-byte deltas, upstream -> relay -> client on 127.0.0.1, upstream "
                + (upstreamHttp2 ? "h2c" : "HTTP/1.1") + ", downstream " + (downstreamHttp2 ? "h2c" : "HTTP/1.1"));
        try (RelayLoad load = new RelayLoad(RELAY_THREADS, consolidate, upstreamHttp2, downstreamHttp2, capture)) {
            for (int round = 1; round <= rounds; round++) {
                RelayLoad.Round r = load.run(streams, events, Duration.ofSeconds(Long.getLong("sluice.phaseSeconds", 60)));
                if (!r.failures().isEmpty()) {
                    throw new IllegalStateException(r.failures().size() + " streams failed, first: " + r.failures().get(0));
                }
                long clean = r.outcomes().stream().filter(o -> o.error() == null && !o.clientGone()).count();
                RelayLoad.Memory m = r.memory();
                System.out.printf("round %d%s: %,d events in %.2f s = %,.0f events/s (%d/%d streams ended clean, every event in order)%n",
                        round, round == 1 ? " (warm-up)" : "", r.restEvents(), r.restNanos() / 1e9, r.restEventsPerSecond(),
                        clean, streams);
                System.out.printf("  open -> relay's response head (all at once):      %s%n", percentiles(r.openToHead()));
                System.out.printf("  first event, upstream write -> client (paced):  %s%n", percentiles(r.firstEventPassThrough()));
                System.out.printf("  other events, upstream write -> client (burst): %s%n", percentiles(r.restPassThrough()));
                System.out.printf("  relay event loops allocated %.0f bytes per relayed event (heap, pooled buffers aside)%n",
                        r.relayBytesPerEvent());
                System.out.printf("  relay event loops' CPU: %.2f us per relayed event (%,.0f events per relay CPU-second)%n",
                        r.relayCpuNanosPerEvent() / 1e3, 1e9 / r.relayCpuNanosPerEvent());
                System.out.printf("  memory high water: allocator direct %.1f MiB, allocator heap %.1f MiB, heap used %.0f MiB; "
                                + "live heap with all %d streams open %.1f MiB (%.1f KiB per stream)%n",
                        mib(m.allocatorDirectHighWater()), mib(m.allocatorHeapHighWater()), mib(m.heapUsedHighWater()),
                        streams, mib(m.liveHeapAllOpen() - m.liveHeapBefore()), m.liveHeapPerStream(streams) / 1024.0);
                System.out.printf("  connections so far: relay -> upstream %d, clients -> relay %d%n",
                        load.upstreamConnections(), load.downstreamConnections());
            }
        }
    }

    private static String percentiles(Histogram h) {
        return String.format("p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms",
                h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(90) / 1e6,
                h.getValueAtPercentile(99) / 1e6, h.getMaxValue() / 1e6);
    }

    private static double mib(long bytes) {
        return bytes / (double) (1 << 20);
    }
}

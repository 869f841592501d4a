package io.sluice.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.HttpRequest;
import io.sluice.core.SseEvent;
import io.sluice.llm.MessageCollector;
import io.sluice.llm.StreamStart;
import io.sluice.netty.SseClient;
import io.sluice.netty.SseObservation;
import io.sluice.netty.SseObserver;
import io.sluice.netty.SseRequest;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * Sluice's streams as Micrometer meters: an {@link SseObserver} to give to
 * {@link SseClient.Builder#observer} and {@link io.sluice.netty.SseRelay.Builder#observer}. Each
 * client and relayed stream is counted, timed and sized under a {@code kind} tag ({@code client},
 * {@code relay}); an LLM stream adds the OpenTelemetry GenAI client metrics, tagged by provider,
 * operation and (a bounded set of) response models. {@code docs/metrics.md} lists every meter.
 *
 * <pre>{@code
 * SluiceMetrics metrics = SluiceMetrics.builder(registry).build();
 * SseClient client = SseClient.builder().observer(metrics).build();
 * metrics.bindConnections(client);
 * }</pre>
 *
 * <p>Where the LLM numbers come from: for a relayed stream, its tap when that is a
 * {@link MessageCollector} (as {@code sluice relay} taps); for a client stream, a collector of the
 * metrics' own when {@link Builder#collectClientMessages} is on. Without a message, an LLM stream
 * still has its duration and chunk timings, its provider told from its first events, but no token
 * usage. Thread-safe; one instance serves any number of clients and relays.
 */
public final class SluiceMetrics implements SseObserver {
    /** Gauge, {@code kind}: streams open now. */
    public static final String STREAMS_ACTIVE = "sluice.streams.active";
    /** Counter, {@code kind}, {@code end}: streams ended, by how. */
    public static final String STREAMS_ENDED = "sluice.streams.ended";
    /** Timer, {@code kind}: from the request to the first event. */
    public static final String TIME_TO_FIRST_EVENT = "sluice.stream.first.event";
    /** Timer, {@code kind}: from the request to the first content event (an LLM stream's first token). */
    public static final String TIME_TO_FIRST_CONTENT = "sluice.stream.first.content";
    /** Timer, {@code kind}: between one event and the next. */
    public static final String EVENT_GAP = "sluice.stream.event.gap";
    /** Timer, {@code kind}, {@code end}: from the request to the end. */
    public static final String DURATION = "sluice.stream.duration";
    /** Counter, {@code kind}: events received (client) or written downstream (relay). */
    public static final String EVENTS = "sluice.stream.events";
    /** Counter in bytes, {@code kind}: event-stream body bytes received (client) or written downstream (relay). */
    public static final String BYTES = "sluice.stream.bytes";
    /** Timer, {@code kind}: each backpressure pause; its count is the pauses, its total the time paused. */
    public static final String PAUSED = "sluice.stream.paused";
    /** Counter, {@code kind}, {@code end}: a relayed stream's upstream attempts, by how each ended. */
    public static final String RELAY_ATTEMPTS = "sluice.relay.attempts";
    /** Counter, {@code kind}: attempts that went to another upstream than the one before (fallbacks). */
    public static final String RELAY_FALLBACKS = "sluice.relay.fallbacks";
    /** Function counter: connections a bound client opened. */
    public static final String CONNECTIONS_OPENED = "sluice.connections.opened";
    /** Function counter: streams that went over a kept-alive connection of a bound client. */
    public static final String CONNECTIONS_REUSED = "sluice.connections.reused";
    /** Function counter: idle connections a bound client's pool closed. */
    public static final String CONNECTIONS_EVICTED = "sluice.connections.evicted";
    /** Distribution summary, GenAI semantic conventions: tokens by {@code gen_ai.token.type}. */
    public static final String GEN_AI_TOKEN_USAGE = "gen_ai.client.token.usage";
    /** Timer, GenAI semantic conventions: the operation's duration, with {@code error.type}. */
    public static final String GEN_AI_OPERATION_DURATION = "gen_ai.client.operation.duration";
    /** Timer, GenAI semantic conventions: from the request to the first chunk. */
    public static final String GEN_AI_TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk";
    /** Timer, GenAI semantic conventions: each chunk after the first, since the one before. */
    public static final String GEN_AI_TIME_PER_OUTPUT_CHUNK = "gen_ai.client.operation.time_per_output_chunk";

    /** Default of {@link Builder#maxModels}. */
    public static final int DEFAULT_MAX_MODELS = 20;

    private final MeterRegistry registry;
    private final StreamMeters client;
    private final StreamMeters relay;
    private final GenAiMeters genAi;
    private final Predicate<SseEvent> clientContent;
    private final boolean collectClientMessages;

    private SluiceMetrics(Builder b) {
        registry = b.registry;
        client = new StreamMeters(registry, "client");
        relay = new StreamMeters(registry, "relay");
        genAi = new GenAiMeters(registry, b.maxModels);
        clientContent = b.clientContent;
        collectClientMessages = b.collectClientMessages;
    }

    public static Builder builder(MeterRegistry registry) {
        return new Builder(registry);
    }

    @Override
    public SseObservation clientStream(SseRequest request) {
        return new StreamObservation(client, genAi, clientContent, collectClientMessages ? MessageCollector.create() : null);
    }

    @Override
    public SseObservation relayedStream(HttpRequest request) {
        return new StreamObservation(relay, genAi, null, null);
    }

    /**
     * Registers {@code client}'s connection counters ({@link #CONNECTIONS_OPENED},
     * {@link #CONNECTIONS_REUSED}, {@link #CONNECTIONS_EVICTED}), read when scraped. One client per
     * registry: a second client's are not registered, the first's names being taken. The registry
     * holds the client weakly, as Micrometer's function counters do.
     */
    public void bindConnections(SseClient client) {
        FunctionCounter.builder(CONNECTIONS_OPENED, client, SseClient::connectionsOpened)
                .description("Connections opened (each a TCP and, for https, a TLS handshake)").register(registry);
        FunctionCounter.builder(CONNECTIONS_REUSED, client, SseClient::connectionsReused)
                .description("Streams that went over a kept-alive connection instead of a new one").register(registry);
        FunctionCounter.builder(CONNECTIONS_EVICTED, client, SseClient::connectionsEvicted)
                .description("Idle kept-alive connections closed by the pool").register(registry);
    }

    /** Options of the metrics; every one has a default. */
    public static final class Builder {
        private final MeterRegistry registry;
        private int maxModels = DEFAULT_MAX_MODELS;
        private Predicate<SseEvent> clientContent = StreamStart::isContent;
        private boolean collectClientMessages;

        private Builder(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /**
         * The most distinct {@code gen_ai.response.model} values (default {@value #DEFAULT_MAX_MODELS}):
         * the first seen are kept, any later one is tagged {@code other}, so a gateway's
         * registry does not grow with every model name its clients ask for.
         */
        public Builder maxModels(int maxModels) {
            if (maxModels < 0) {
                throw new IllegalArgumentException("maxModels must not be negative: " + maxModels);
            }
            this.maxModels = maxModels;
            return this;
        }

        /**
         * What a client stream's first content is, for {@link #TIME_TO_FIRST_CONTENT} (default
         * sluice-llm's {@link StreamStart#isContent}: an LLM stream's first token, any event of a
         * plain stream). Asked of each event until it says yes, on the event loop. A relay uses its
         * own retry policy's predicate instead.
         */
        public Builder clientContent(Predicate<SseEvent> content) {
            this.clientContent = Objects.requireNonNull(content, "content");
            return this;
        }

        /**
         * Decodes each client stream's events into its final message, for the GenAI token usage
         * (default off: a JSON decode per event, on the event loop). A relayed stream's message
         * comes from its tap instead.
         */
        public Builder collectClientMessages(boolean collect) {
            this.collectClientMessages = collect;
            return this;
        }

        public SluiceMetrics build() {
            return new SluiceMetrics(this);
        }
    }
}

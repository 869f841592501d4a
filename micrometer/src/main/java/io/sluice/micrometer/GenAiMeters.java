package io.sluice.micrometer;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.sluice.llm.LlmMessage;
import io.sluice.llm.Provider;
import io.sluice.llm.Usage;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The OpenTelemetry GenAI client metrics (semantic conventions, {@code gen-ai-metrics.md}) for LLM
 * streams, with the conventions' names, attributes and bucket boundaries; {@code docs/metrics.md}
 * says what Sluice adds (the cache and reasoning token types) and leaves out.
 */
final class GenAiMeters {
    static final String OPERATION = "gen_ai.operation.name";
    static final String PROVIDER = "gen_ai.provider.name";
    static final String RESPONSE_MODEL = "gen_ai.response.model";
    static final String TOKEN_TYPE = "gen_ai.token.type";
    static final String ERROR_TYPE = "error.type";
    /** The conventions' value of {@link #ERROR_TYPE} is absent on success; Prometheus wants every series of a meter to have the same keys. */
    static final String NO_ERROR = "none";

    /** The conventions' ExplicitBucketBoundaries for {@code gen_ai.client.token.usage}. */
    static final double[] TOKEN_BUCKETS = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
            16777216, 67108864};
    /** The conventions' boundaries for {@code gen_ai.client.operation.duration}, in seconds. */
    static final Duration[] DURATION_BUCKETS = StreamMeters.seconds(0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28,
            2.56, 5.12, 10.24, 20.48, 40.96, 81.92);

    /** The most distinct {@code error.type} values: the providers' own error types come from the wire. */
    static final int MAX_ERROR_TYPES = 32;

    private final MeterRegistry registry;
    private final BoundedTagValues models;
    private final BoundedTagValues errorTypes = new BoundedTagValues(MAX_ERROR_TYPES);

    GenAiMeters(MeterRegistry registry, int maxModels) {
        this.registry = registry;
        this.models = new BoundedTagValues(maxModels);
    }

    /** {@code gen_ai.provider.name}: the conventions' well-known values. */
    static String providerName(Provider p) {
        return switch (p) {
            case ANTHROPIC -> "anthropic";
            case OPENAI_CHAT, OPENAI_RESPONSES -> "openai";
            case GEMINI -> "gcp.gemini";
        };
    }

    /** {@code gen_ai.operation.name}: Gemini's {@code generateContent} is {@code generate_content}, the rest chat. */
    static String operationName(Provider p) {
        return p == Provider.GEMINI ? "generate_content" : "chat";
    }

    /**
     * The timer of {@code gen_ai.client.operation.time_per_output_chunk} for {@code p}'s streams:
     * recorded as each chunk arrives, before the stream has told its model, so tagged by
     * operation and provider only.
     */
    Timer timePerOutputChunk(Provider p) {
        return Timer.builder(SluiceMetrics.GEN_AI_TIME_PER_OUTPUT_CHUNK)
                .description("Time per output chunk, for each chunk after the first, since the chunk before")
                .tags(OPERATION, operationName(p), PROVIDER, providerName(p))
                .serviceLevelObjectives(StreamMeters.GAP_BUCKETS).register(registry);
    }

    /**
     * One LLM stream's end.
     *
     * @param message its final message, or null when nobody collected it (then no token usage)
     * @param firstChunkNanos from the request to the first chunk; negative when none came
     * @param errorType the stream's error, the provider's or the transport's; null when none
     */
    void ended(Provider p, LlmMessage message, long durationNanos, long firstChunkNanos, String errorType) {
        Tags tags = Tags.of(OPERATION, operationName(p), PROVIDER, providerName(p),
                RESPONSE_MODEL, models.tagValue(message == null ? null : message.model()));
        Timer.builder(SluiceMetrics.GEN_AI_OPERATION_DURATION).description("GenAI operation duration")
                .tags(tags).tag(ERROR_TYPE, errorType == null ? NO_ERROR : errorTypes.tagValue(errorType))
                .serviceLevelObjectives(DURATION_BUCKETS).register(registry)
                .record(durationNanos, TimeUnit.NANOSECONDS);
        if (firstChunkNanos >= 0) {
            Timer.builder(SluiceMetrics.GEN_AI_TIME_TO_FIRST_CHUNK)
                    .description("From the request to the first chunk of the response stream")
                    .tags(tags).serviceLevelObjectives(StreamMeters.FIRST_BUCKETS).register(registry)
                    .record(firstChunkNanos, TimeUnit.NANOSECONDS);
        }
        if (message != null) {
            // input and output are the conventions' values; the other three are Sluice's, named
            // after the conventions' usage attributes gen_ai.usage.cache_read.input_tokens,
            // gen_ai.usage.cache_write.input_tokens (cache_creation before) and
            // gen_ai.usage.reasoning.output_tokens, and like them parts of input and output.
            Usage u = message.usage();
            tokens(tags, "input", inputTokens(p, u));
            tokens(tags, "output", outputTokens(p, u));
            tokens(tags, "cache_read", u.cacheReadInputTokens());
            tokens(tags, "cache_write", u.cacheCreationInputTokens());
            tokens(tags, "reasoning", u.reasoningTokens());
        }
    }

    /**
     * All the input, cached included, as the conventions' {@code gen_ai.usage.input_tokens} wants
     * it: Anthropic's {@code input_tokens} leaves out the cache read and written, so they are added;
     * OpenAI's and Gemini's prompt counts already hold them.
     */
    static Long inputTokens(Provider p, Usage u) {
        Long input = u.inputTokens();
        if (p != Provider.ANTHROPIC || input == null) {
            return input;
        }
        return input + orZero(u.cacheReadInputTokens()) + orZero(u.cacheCreationInputTokens());
    }

    /**
     * All the output, reasoning included ({@code gen_ai.usage.reasoning.output_tokens} is part of
     * {@code output_tokens}): Gemini's {@code candidatesTokenCount} leaves the thoughts out, so
     * they are added; OpenAI's completion count holds them, and Anthropic counts thinking as output.
     */
    static Long outputTokens(Provider p, Usage u) {
        Long output = u.outputTokens();
        if (p != Provider.GEMINI || output == null) {
            return output;
        }
        return output + orZero(u.reasoningTokens());
    }

    private static long orZero(Long count) {
        return count == null ? 0 : count;
    }

    /** A count the provider did not report is not recorded: "none" and "not said" stay apart. */
    private void tokens(Tags tags, String type, Long count) {
        if (count == null) {
            return;
        }
        DistributionSummary.builder(SluiceMetrics.GEN_AI_TOKEN_USAGE).description("Number of input and output tokens used")
                .tags(tags).tag(TOKEN_TYPE, type).serviceLevelObjectives(TOKEN_BUCKETS).register(registry)
                .record(count);
    }
}

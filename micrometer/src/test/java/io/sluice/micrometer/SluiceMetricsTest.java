package io.sluice.micrometer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.sluice.core.handoff.OwnedSseEvent;
import io.sluice.core.SseException;
import io.sluice.netty.SseObservation;
import io.sluice.netty.SseRequest;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The meters of client streams, driven through the observations {@link SluiceMetrics} hands out,
 * against a {@link SimpleMeterRegistry}: every stream meter, its tags, the GenAI meters of an
 * LLM stream and the cap on model names. Relayed streams: {@link SluiceMetricsRelayTest}.
 */
class SluiceMetricsTest {
    private static final SseRequest REQUEST = SseRequest.get(URI.create("http://127.0.0.1:1/events"));

    /** A short Anthropic stream: 10 input tokens besides 5 read from the cache and 3 written to it, 7 output. */
    static final String[][] ANTHROPIC = {
            {"message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
                    + "\"model\":\"claude-test-1\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":10,"
                    + "\"cache_read_input_tokens\":5,\"cache_creation_input_tokens\":3,\"output_tokens\":1}}}"},
            {"content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"},
            {"content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}"},
            {"content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"},
            {"message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":7}}"},
            {"message_stop", "{\"type\":\"message_stop\"}"},
    };

    private final MeterRegistry registry = new SimpleMeterRegistry();

    static void event(SseObservation observation, String type, String data, long streamBytes) {
        OwnedSseEvent event = OwnedSseEvent.of(type, Unpooled.copiedBuffer(data, StandardCharsets.UTF_8), "");
        try {
            observation.event(event, streamBytes);
        } finally {
            event.release();
        }
    }

    private static void anthropic(SseObservation observation, String model) {
        long bytes = 0;
        for (String[] e : ANTHROPIC) {
            String data = e[1].replace("claude-test-1", model);
            bytes += data.length();
            event(observation, e[0], data, bytes);
        }
        observation.ended("ok", ANTHROPIC.length, bytes, null);
    }

    private double counter(String name, String... tags) {
        return registry.get(name).tags(tags).counter().count();
    }

    private long timerCount(String name, String... tags) {
        return registry.get(name).tags(tags).timer().count();
    }

    private double tokens(String type) {
        return registry.get(SluiceMetrics.GEN_AI_TOKEN_USAGE).tags("gen_ai.token.type", type).summary().totalAmount();
    }

    @Test
    void aClientStreamIsCountedSizedAndTimedUnderKindClient() {
        SluiceMetrics metrics = SluiceMetrics.builder(registry).build();
        SseObservation stream = metrics.clientStream(REQUEST);
        event(stream, "message", "a", 10);
        event(stream, "message", "b", 20);
        event(stream, "message", "c", 30);
        stream.ended("ok", 3, 30, null);

        assertEquals(0, registry.get(SluiceMetrics.STREAMS_ACTIVE).tags("kind", "client").gauge().value());
        assertEquals(1, counter(SluiceMetrics.STREAMS_ENDED, "kind", "client", "end", "ok"));
        assertEquals(3, counter(SluiceMetrics.EVENTS, "kind", "client"));
        assertEquals(30, counter(SluiceMetrics.BYTES, "kind", "client"));
        assertEquals(1, timerCount(SluiceMetrics.TIME_TO_FIRST_EVENT, "kind", "client"));
        assertEquals(1, timerCount(SluiceMetrics.TIME_TO_FIRST_CONTENT, "kind", "client"), "a plain stream's first event is its content");
        assertEquals(2, timerCount(SluiceMetrics.EVENT_GAP, "kind", "client"), "a gap between each two events");
        assertEquals(1, timerCount(SluiceMetrics.DURATION, "kind", "client", "end", "ok"));
        assertEquals(0, counter(SluiceMetrics.EVENTS, "kind", "relay"), "the relay's meters are apart");
        assertNull(registry.find(SluiceMetrics.GEN_AI_OPERATION_DURATION).meter(), "no provider, no GenAI meter");
    }

    @Test
    void activeCountsTheStreamsNotYetEnded() {
        SluiceMetrics metrics = SluiceMetrics.builder(registry).build();
        SseObservation first = metrics.clientStream(REQUEST);
        metrics.clientStream(REQUEST);
        assertEquals(2, registry.get(SluiceMetrics.STREAMS_ACTIVE).tags("kind", "client").gauge().value());
        first.ended("ok", 0, 0, null);
        first.ended("ok", 0, 0, null); // a second end is not counted twice
        assertEquals(1, registry.get(SluiceMetrics.STREAMS_ACTIVE).tags("kind", "client").gauge().value());
        assertEquals(1, counter(SluiceMetrics.STREAMS_ENDED, "kind", "client", "end", "ok"));
    }

    @Test
    void theEndsTotalsSettleWhatTheEventsDidNotCarry() {
        SluiceMetrics metrics = SluiceMetrics.builder(registry).build();
        SseObservation stream = metrics.clientStream(REQUEST);
        event(stream, "message", "a", 10);
        stream.ended("upstream_closed_early", 2, 25, null);
        assertEquals(2, counter(SluiceMetrics.EVENTS, "kind", "client"));
        assertEquals(25, counter(SluiceMetrics.BYTES, "kind", "client"));
        assertEquals(1, counter(SluiceMetrics.STREAMS_ENDED, "kind", "client", "end", "upstream_closed_early"));
    }

    @Test
    void eachEndTypeIsItsOwnTag() {
        SluiceMetrics metrics = SluiceMetrics.builder(registry).build();
        SseException timeout = new SseException("idle") {
            @Override
            public String errorType() {
                return "upstream_timeout";
            }
        };
        metrics.clientStream(REQUEST).ended(timeout.errorType(), 0, 0, timeout);
        metrics.clientStream(REQUEST).ended("ok", 0, 0, null);
        assertEquals(1, counter(SluiceMetrics.STREAMS_ENDED, "kind", "client", "end", "upstream_timeout"));
        assertEquals(1, counter(SluiceMetrics.STREAMS_ENDED, "kind", "client", "end", "ok"));
    }

    @Test
    void aPauseIsTimedUntilResumedAndOneCutShortByTheEndStillCounts() {
        SluiceMetrics metrics = SluiceMetrics.builder(registry).build();
        SseObservation stream = metrics.clientStream(REQUEST);
        stream.paused();
        stream.paused(); // already paused: one pause
        stream.resumed();
        stream.resumed(); // not paused: nothing
        stream.paused();
        stream.ended("ok", 0, 0, null);
        assertEquals(2, timerCount(SluiceMetrics.PAUSED, "kind", "client"));
    }

    @Test
    void aClientLlmStreamRecordsTheGenAiMetersWithItsProviderAndModel() {
        SluiceMetrics metrics = SluiceMetrics.builder(registry).collectClientMessages(true).build();
        anthropic(metrics.clientStream(REQUEST), "claude-test-1");

        Tags tags = Tags.of("gen_ai.operation.name", "chat", "gen_ai.provider.name", "anthropic",
                "gen_ai.response.model", "claude-test-1");
        assertEquals(1, registry.get(SluiceMetrics.GEN_AI_OPERATION_DURATION).tags(tags).tag("error.type", "none").timer().count());
        assertEquals(1, registry.get(SluiceMetrics.GEN_AI_TIME_TO_FIRST_CHUNK).tags(tags).timer().count());
        assertEquals(ANTHROPIC.length - 1, registry.get(SluiceMetrics.GEN_AI_TIME_PER_OUTPUT_CHUNK)
                .tags("gen_ai.operation.name", "chat", "gen_ai.provider.name", "anthropic").timer().count(),
                "every chunk after the first");
        assertEquals(1, timerCount(SluiceMetrics.TIME_TO_FIRST_CONTENT, "kind", "client"));
        assertEquals(18, tokens("input"), "Anthropic's input_tokens leave the cache out: the conventions' input holds it");
        assertEquals(7, tokens("output"));
        assertEquals(5, tokens("cache_read"));
        assertEquals(3, tokens("cache_write"));
        assertNull(registry.find(SluiceMetrics.GEN_AI_TOKEN_USAGE).tag("gen_ai.token.type", "reasoning").meter(),
                "a count the provider did not report is not recorded as 0");
        assertEquals(1, registry.get(SluiceMetrics.GEN_AI_TOKEN_USAGE).tags(tags).tag("gen_ai.token.type", "input").summary().count());
    }

    @Test
    void withoutCollectingMessagesAClientLlmStreamHasTimingsButNoTokenUsage() {
        SluiceMetrics metrics = SluiceMetrics.builder(registry).build();
        anthropic(metrics.clientStream(REQUEST), "claude-test-1");
        assertEquals(1, registry.get(SluiceMetrics.GEN_AI_OPERATION_DURATION)
                .tags("gen_ai.provider.name", "anthropic", "gen_ai.response.model", "unknown").timer().count());
        assertNull(registry.find(SluiceMetrics.GEN_AI_TOKEN_USAGE).meter());
    }

    @Test
    void modelsPastTheCapAreTaggedOther() {
        SluiceMetrics metrics = SluiceMetrics.builder(registry).maxModels(2).collectClientMessages(true).build();
        anthropic(metrics.clientStream(REQUEST), "model-a");
        anthropic(metrics.clientStream(REQUEST), "model-b");
        anthropic(metrics.clientStream(REQUEST), "model-c");
        anthropic(metrics.clientStream(REQUEST), "model-d");
        anthropic(metrics.clientStream(REQUEST), "model-a");
        assertEquals(2, registry.get(SluiceMetrics.GEN_AI_OPERATION_DURATION).tag("gen_ai.response.model", "model-a").timer().count());
        assertEquals(1, registry.get(SluiceMetrics.GEN_AI_OPERATION_DURATION).tag("gen_ai.response.model", "model-b").timer().count());
        assertEquals(2, registry.get(SluiceMetrics.GEN_AI_OPERATION_DURATION).tag("gen_ai.response.model", "other").timer().count());
        assertEquals(3, registry.find(SluiceMetrics.GEN_AI_OPERATION_DURATION).timers().size(), "a, b and other: no more series");
        assertEquals(2 * 7, registry.get(SluiceMetrics.GEN_AI_TOKEN_USAGE).tags("gen_ai.response.model", "other",
                "gen_ai.token.type", "output").summary().totalAmount());
    }

    @Test
    void anLlmStreamThatFailedCarriesTheErrorType() {
        SluiceMetrics metrics = SluiceMetrics.builder(registry).collectClientMessages(true).build();
        SseObservation stream = metrics.clientStream(REQUEST);
        event(stream, ANTHROPIC[0][0], ANTHROPIC[0][1], 100);
        event(stream, "error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}", 200);
        stream.ended("ok", 2, 200, null);
        assertEquals(1, registry.get(SluiceMetrics.GEN_AI_OPERATION_DURATION).tag("error.type", "overloaded_error").timer().count());
        assertEquals(0, timerCount(SluiceMetrics.TIME_TO_FIRST_CONTENT, "kind", "client"), "an error is not content");
    }

    @Test
    void theClientsContentPredicateDecidesTheFirstContent() {
        SluiceMetrics metrics = SluiceMetrics.builder(registry).clientContent(e -> e.type().equals("token")).build();
        SseObservation stream = metrics.clientStream(REQUEST);
        event(stream, "hello", "x", 1);
        assertEquals(0, timerCount(SluiceMetrics.TIME_TO_FIRST_CONTENT, "kind", "client"));
        event(stream, "token", "x", 2);
        event(stream, "token", "y", 3);
        stream.ended("ok", 3, 3, null);
        assertEquals(1, timerCount(SluiceMetrics.TIME_TO_FIRST_CONTENT, "kind", "client"));
        assertTrue(registry.get(SluiceMetrics.TIME_TO_FIRST_CONTENT).tag("kind", "client").timer().totalTime(TimeUnit.NANOSECONDS)
                >= registry.get(SluiceMetrics.TIME_TO_FIRST_EVENT).tag("kind", "client").timer().totalTime(TimeUnit.NANOSECONDS));
    }
}

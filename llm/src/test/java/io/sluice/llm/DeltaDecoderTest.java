package io.sluice.llm;

import io.sluice.core.SseException;
import io.sluice.core.SseParser;
import io.sluice.core.testing.Chunking;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The decoders' and the collector's behaviour on inputs the samples do not cover. */
class DeltaDecoderTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Decodes {@code sse} with the given provider (null: detect) and returns the deltas as strings. */
    private static List<String> deltas(Provider provider, String sse) {
        List<String> out = new ArrayList<>();
        DeltaDecoder decoder = DeltaDecoder.create(provider, d -> out.add(describe(d)));
        try (SseParser parser = SseParser.create(decoder)) {
            Chunking.whole().feed(parser, utf8(sse));
            parser.end();
        }
        return out;
    }

    private static String describe(Delta d) {
        StringBuilder sb = new StringBuilder(d.kind().name());
        if (d.index() >= 0) {
            sb.append('#').append(d.index());
        }
        if (d.textLength() > 0) {
            sb.append(' ').append(d.text());
        }
        if (d.typeName() != null && d.kind() == DeltaKind.OTHER) {
            sb.append(' ').append(d.typeName());
        }
        if (d.errorType() != null) {
            sb.append(' ').append(d.errorType());
        }
        return sb.toString();
    }

    private static LlmMessage collect(Provider provider, String sse) {
        return Samples.collect(utf8(sse), Chunking.whole(), MessageCollector.create(provider)).message();
    }

    @Test
    void unknownEventBlockAndDeltaTypesPassThroughAsOther() {
        List<String> deltas = deltas(Provider.ANTHROPIC, """
                event: brand_new_event
                data: {"type":"brand_new_event","x":[1,2]}

                event: content_block_start
                data: {"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"s1","name":"web_search"}}

                event: content_block_delta
                data: {"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{}}}

                """);
        assertEquals(List.of("OTHER brand_new_event", "OTHER#0 server_tool_use", "OTHER#0 citations_delta"), deltas);
    }

    @Test
    void malformedJsonYieldsATypedErrorAndTheStreamGoesOn() {
        String sse = """
                event: message_start
                data: {"type":"message_start","message":{"id":"m1","model":"c","usage":{"input_tokens":3,"output_tokens":1}}}

                event: content_block_start
                data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

                event: content_block_delta
                data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lost"

                event: content_block_delta
                data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"kept"}}

                event: message_stop
                data: {"type":"message_stop"}

                """;
        List<String> deltas = deltas(Provider.ANTHROPIC, sse);
        assertTrue(deltas.get(2).startsWith("MALFORMED malformed_event"), deltas.toString());
        assertEquals("TEXT#0 kept", deltas.get(3));
        LlmMessage message = collect(Provider.ANTHROPIC, sse);
        assertEquals("kept", message.text());
        assertTrue(message.complete());
        assertEquals("malformed_event", message.error().type());
    }

    @Test
    void dataThatIsNotAnObjectIsMalformedNotAnException() {
        assertEquals(List.of("MALFORMED malformed_event", "MALFORMED malformed_event"),
                deltas(Provider.GEMINI, "data: 42\n\ndata: \n\n"));
    }

    @Test
    void anthropicPingAndErrorAreTyped() {
        assertEquals(List.of("PING", "ERROR overloaded_error"), deltas(null, """
                event: ping
                data: {"type": "ping"}

                event: error
                data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}

                """));
    }

    @Test
    void fieldsAreReadInAnyOrder() {
        List<String> deltas = deltas(Provider.ANTHROPIC, """
                data: {"delta":{"text":"hi","type":"text_delta"},"index":2,"type":"content_block_delta"}

                """);
        assertEquals(List.of("TEXT#2 hi"), deltas);
    }

    @Test
    void openAiChatToolArgumentsInterleavedByIndexAreParsedAtFinishReason() {
        LlmMessage message = collect(null, """
                data: {"id":"c1","model":"gpt","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"b","function":{"name":"g","arguments":"{\\"y\\""}},{"index":0,"id":"a","function":{"name":"f","arguments":""}}]}}]}

                data: {"id":"c1","model":"gpt","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"x\\":1}"}},{"index":1,"function":{"arguments":":[true]}"}}]},"finish_reason":"tool_calls"}]}

                data: [DONE]

                """);
        assertEquals(List.of(new ContentBlock.ToolUse("a", "f", "{\"x\":1}", "{\"x\":1}", true),
                new ContentBlock.ToolUse("b", "g", "{\"y\":[true]}", "{\"y\":[true]}", true)), message.content());
        assertEquals("tool_calls", message.stopReason());
        assertTrue(message.complete());
        assertEquals(Provider.OPENAI_CHAT, message.provider());
    }

    @Test
    void openAiChatErrorChunkBeforeAnyOtherIsRecorded() {
        LlmMessage message = collect(null, """
                data: {"error":{"message":"Rate limit reached","type":"rate_limit_exceeded","code":null}}

                """);
        assertEquals(new LlmError("rate_limit_exceeded", "Rate limit reached"), message.error());
        assertFalse(message.complete());
        assertEquals(1, message.events());
    }

    @Test
    void responsesFunctionCallUsesCallIdAndIncompleteIsVisibleAsTokenLimit() {
        LlmMessage message = collect(null, """
                event: response.created
                data: {"type":"response.created","response":{"id":"resp_1","model":"gpt-4.1","status":"in_progress"}}

                event: response.output_item.added
                data: {"type":"response.output_item.added","output_index":0,"item":{"type":"reasoning","id":"rs_1"}}

                event: response.output_item.added
                data: {"type":"response.output_item.added","output_index":1,"item":{"type":"function_call","id":"fc_1","call_id":"call_9","name":"lookup","arguments":""}}

                event: response.function_call_arguments.delta
                data: {"type":"response.function_call_arguments.delta","output_index":1,"delta":"{\\"q\\":"}

                event: response.function_call_arguments.delta
                data: {"type":"response.function_call_arguments.delta","output_index":1,"delta":"\\"x\\"}"}

                event: response.output_item.done
                data: {"type":"response.output_item.done","output_index":1,"item":{"type":"function_call","id":"fc_1","call_id":"call_9"}}

                event: response.incomplete
                data: {"type":"response.incomplete","response":{"id":"resp_1","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"usage":{"input_tokens":5,"output_tokens":9}}}

                """);
        assertEquals(List.of(new ContentBlock.ToolUse("call_9", "lookup", "{\"q\":\"x\"}", "{\"q\":\"x\"}", true)), message.content());
        assertEquals("max_output_tokens", message.stopReason());
        assertTrue(message.stoppedAtTokenLimit());
        assertEquals(5L, message.inputTokens());
        assertEquals(9L, message.outputTokens());
    }

    @Test
    void geminiFunctionCallEndsTheTextBlockAndArgsAreReserialisedExactly() {
        LlmMessage message = collect(null, """
                data: {"candidates":[{"content":{"parts":[{"text":"Let me "},{"text":"check."}]}}],"responseId":"r1","modelVersion":"gemini-2.5-pro"}

                data: {"candidates":[{"content":{"parts":[{"functionCall":{"name":"weather","args":{"city":"Oslo","days":3,"ratio":1.10}}},{"text":"Done"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":7}}

                """);
        assertEquals(List.of(new ContentBlock.Text("Let me check."),
                        new ContentBlock.ToolUse(null, "weather", "{\"city\":\"Oslo\",\"days\":3,\"ratio\":1.10}",
                                "{\"city\":\"Oslo\",\"days\":3,\"ratio\":1.10}", true),
                        new ContentBlock.Text("Done")),
                message.content());
        assertEquals("r1", message.id());
        assertEquals("STOP", message.stopReason());
        assertTrue(message.complete());
    }

    @Test
    void snapshotShowsRawToolJsonUntilTheBlockStopsThenTheParsedInput() {
        List<LlmMessage> snapshots = new ArrayList<>();
        MessageCollector[] holder = new MessageCollector[1];
        holder[0] = MessageCollector.create(null, d -> {
            if (d.kind() == DeltaKind.TOOL_INPUT || d.kind() == DeltaKind.BLOCK_STOP) {
                snapshots.add(holder[0].message());
            }
        });
        Samples.collect(Samples.sse("anthropic-tool-use"), Chunking.whole(), holder[0]);
        ContentBlock.ToolUse partial = (ContentBlock.ToolUse) snapshots.get(2).content().get(1);
        assertEquals("{\"locati", partial.partialJson());
        assertNull(partial.input());
        assertFalse(partial.complete());
        ContentBlock.ToolUse done = (ContentBlock.ToolUse) snapshots.get(snapshots.size() - 1).content().get(1);
        assertTrue(done.complete());
        assertEquals("{\"location\":\"São Paulo, SP\",\"unit\":\"celsius\",\"fields\":[\"temperature\",\"humidity\",\"wind\"]}", done.input());
    }

    @Test
    void transportErrorKeepsThePartialMessage() {
        byte[] input = Samples.sse("anthropic-truncated");
        MessageCollector collector = Samples.collect(input, Chunking.whole(), MessageCollector.create());
        collector.transportError("connection_reset", "Connection reset by peer");
        LlmMessage message = collector.message();
        assertEquals(new LlmError("connection_reset", "Connection reset by peer"), message.error());
        assertFalse(message.complete());
        assertTrue(message.text().startsWith("The TCP three-way handshake"));
        assertEquals(13, message.events());
    }

    @Test
    void aTransportErrorAfterTheTerminalEventLeavesTheMessageCompleteAndClean() {
        // A relay's reader that hangs up on message_stop, before the upstream's own end, ends the
        // stream with a cancel: the message was complete by then.
        MessageCollector collector = Samples.collect(Samples.sse("anthropic-text"), Chunking.whole(), MessageCollector.create());
        collector.onError(new SseException("cancelled"));
        collector.transportError("connection_reset", "Connection reset by peer");
        assertTrue(collector.message().complete());
        assertNull(collector.message().error());
    }

    @Test
    void providerErrorIsNotReplacedByALaterTransportError() {
        MessageCollector collector = Samples.collect(Samples.sse("anthropic-overloaded"), Chunking.whole(), MessageCollector.create());
        collector.transportError("connection_closed", "closed");
        assertEquals("overloaded_error", collector.message().error().type());
    }

    @Test
    void httpErrorBodyGivesAnEmptyMessageWithTheErrorAndWhoRefused() {
        MessageCollector collector = MessageCollector.create();
        byte[] body = utf8("{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Slow down\"}}");
        collector.httpError(429, body, 0, body.length);
        assertEquals("{\"provider\":\"anthropic\",\"id\":null,\"model\":null,\"content\":[],\"stop_reason\":null,"
                + "\"usage\":{\"input_tokens\":null,\"output_tokens\":null,\"cache_read_input_tokens\":null,"
                + "\"cache_creation_input_tokens\":null,\"reasoning_tokens\":null,\"cache_creation_5m_input_tokens\":null,"
                + "\"cache_creation_1h_input_tokens\":null,\"tool_use_prompt_tokens\":null,\"server_tool_use\":null},"
                + "\"complete\":false,\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Slow down\"},\"events\":0}",
                collector.message().toJson());
        MessageCollector gemini = MessageCollector.create();
        byte[] geminiBody = utf8("{\"error\":{\"code\":429,\"message\":\"Quota\",\"status\":\"RESOURCE_EXHAUSTED\"}}");
        gemini.httpError(429, geminiBody, 0, geminiBody.length);
        assertEquals(new LlmError("RESOURCE_EXHAUSTED", "Quota"), gemini.message().error());
        assertEquals(Provider.GEMINI, gemini.message().provider());
        MessageCollector html = MessageCollector.create();
        byte[] htmlBody = utf8("<html>Bad gateway</html>");
        html.httpError(502, htmlBody, 0, htmlBody.length);
        assertEquals("http_error", html.message().error().type());
        assertNull(html.message().provider(), "neither the body nor (unknown) headers tell");
    }

    @Test
    void givenProviderOverridesDetection() {
        // an anthropic-looking stream decoded as gemini: nothing matches, nothing throws
        MessageCollector collector = Samples.collect(Samples.sse("anthropic-text"), Chunking.whole(),
                MessageCollector.create(Provider.GEMINI));
        assertEquals(Provider.GEMINI, collector.provider());
        assertEquals(55, collector.message().events());
        assertTrue(collector.message().content().isEmpty());
    }

    @Test
    void randomlyCorruptedStreamsNeverThrowAndStillSerialise() {
        for (String name : Samples.NAMES) {
            byte[] original = Samples.sse(name);
            for (long seed = 1; seed <= 20; seed++) {
                SplittableRandom random = new SplittableRandom(seed * 31 + name.hashCode());
                byte[] input = original.clone();
                for (int i = 0; i < 1 + random.nextInt(20); i++) {
                    input[random.nextInt(input.length)] = (byte) random.nextInt(256);
                }
                LlmMessage message = Samples.collect(input, Chunking.random(seed, input.length));
                Samples.canonical(message.toJson()); // valid JSON
            }
        }
    }

    @Test
    void everyDispatchedEventIsCountedPingsAndDoneIncluded() {
        LlmMessage message = collect(null, "data: [DONE]\n\nevent: ping\ndata: {}\n\n: comment\n\ndata: x");
        assertEquals(2, message.events());
        assertTrue(message.complete());
    }
}

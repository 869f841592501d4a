package io.sluice.llm;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.core.SseEvent;
import io.sluice.core.SseHandler;
import io.sluice.core.SseParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IncludeUsageTest {
    private static final String CHAT = "/v1/chat/completions";

    private static String rewrite(String target, String body) {
        ByteBuf buf = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        try {
            byte[] out = IncludeUsage.rewrite(target, buf);
            assertEquals(0, buf.readerIndex(), "the body's indices are left alone");
            return out == null ? null : new String(out, StandardCharsets.UTF_8);
        } finally {
            buf.release();
        }
    }

    @Test
    void absentStreamOptionsAreAppendedAsTheLastMember() {
        assertEquals("{\"model\":\"gpt-5-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                        + "\"stream_options\":{\"include_usage\":true}}",
                rewrite(CHAT, "{\"model\": \"gpt-5-mini\", \"stream\": true,\n \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"));
    }

    @Test
    void streamOptionsWithoutIncludeUsageKeepTheirMembersAndGainIt() {
        assertEquals("{\"stream_options\":{\"include_obfuscation\":false,\"include_usage\":true},\"stream\":true,\"messages\":[]}",
                rewrite(CHAT, "{\"stream_options\":{\"include_obfuscation\":false},\"stream\":true,\"messages\":[]}"));
    }

    @Test
    void includeUsageFalseIsTurnedTrueInPlace() {
        assertEquals("{\"stream\":true,\"stream_options\":{\"include_usage\":true,\"x\":1},\"messages\":[]}",
                rewrite(CHAT, "{\"stream\":true,\"stream_options\":{\"include_usage\":false,\"x\":1},\"messages\":[]}"));
    }

    @Test
    void nullStreamOptionsAndNullIncludeUsageCountAsAbsent() {
        assertEquals("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
                rewrite(CHAT, "{\"stream\":true,\"stream_options\":null}"));
        assertEquals("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
                rewrite(CHAT, "{\"stream\":true,\"stream_options\":{\"include_usage\":null}}"));
    }

    @Test
    void aClientThatAlreadyAskedIsLeftAlone() {
        assertNull(rewrite(CHAT, "{\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[]}"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"messages\":[]}",                                     // not streaming: the answer carries usage
            "{\"stream\":false,\"messages\":[]}",
            "{\"stream\":\"true\",\"messages\":[]}",                 // a value OpenAI refuses: its refusal to make
            "{\"stream\":true,\"stream_options\":\"all\"}",
            "{\"stream\":true,\"stream_options\":{\"include_usage\":1}}",
            "{\"stream\":true,\"stream\":true}",                     // duplicates: no one reading to trust
            "{\"stream\":true,\"stream_options\":{},\"stream_options\":{}}",
            "{\"stream\":true,\"stream_options\":{\"include_usage\":false,\"include_usage\":false}}",
            "[{\"stream\":true}]",                                   // not an object
            "{\"stream\":true} {\"stream\":true}",                   // two values
            "{\"stream\":true}x",
            "{\"stream\":true,\"messages\":[",                       // cut
            "stream=true&messages=hi",                               // not JSON at all
            "",
    })
    void aRequestOutsideTheRulePassesUntouched(String body) {
        assertNull(rewrite(CHAT, body));
    }

    @Test
    void aCompressedBodyPassesUntouched() {
        byte[] gzip = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3};
        assertNull(IncludeUsage.rewrite(CHAT, Unpooled.wrappedBuffer(gzip)));
    }

    @Test
    void aBodyInAnotherEncodingThanUtf8PassesUntouched() {
        // jackson-core would read these; the copy, in UTF-8, would then belie the content type.
        byte[] utf16 = "{\"stream\":true}".getBytes(StandardCharsets.UTF_16BE);
        assertNull(IncludeUsage.rewrite(CHAT, Unpooled.wrappedBuffer(utf16)));
        byte[] bom = "\ufeff{\"stream\":true}".getBytes(StandardCharsets.UTF_8);
        assertNull(IncludeUsage.rewrite(CHAT, Unpooled.wrappedBuffer(bom)));
        assertEquals("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}", rewrite(CHAT, " \r\n\t{\"stream\":true}"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/chat/completions", "/v1/chat/completions?x=1", "/openai/deployments/d1/chat/completions?api-version=2024-10-21",
            "/api/v1/chat/completions", "/chat/completions"})
    void chatCompletionsPathsAreRewritten(String target) {
        assertEquals("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}", rewrite(target, "{\"stream\":true}"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/messages", "/v1/responses", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            "/v1/chat/completions/", "/v1/chat/completions/x", "/v1/completions", "/?p=/chat/completions"})
    void otherPathsAreNotEvenWhenTheBodyLooksLikeChat(String target) {
        // Anthropic's Messages body says stream and messages too, and Anthropic refuses unknown fields.
        assertNull(rewrite(target, "{\"model\":\"m\",\"stream\":true,\"messages\":[]}"));
    }

    @Test
    void everyValueIsCopiedAsItWas() {
        String body = "{\"stream\":true,\"temperature\":0.30000000000000004,\"seed\":123456789012345678901234567890,"
                + "\"n\":1e400,\"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9llo \\\"q\\\" \\n \u2603 \ud83d\ude00\"}],"
                + "\"logit_bias\":{\"50256\":-100},\"tools\":[],\"stop\":null,\"x\":{\"y\":[true,false,null,{}]}}";
        String out = rewrite(CHAT, body);
        assertEquals("{\"stream\":true,\"temperature\":0.30000000000000004,\"seed\":123456789012345678901234567890,"
                + "\"n\":1e400,\"messages\":[{\"role\":\"user\",\"content\":\"héllo \\\"q\\\" \\n \u2603 \ud83d\ude00\"}],"
                + "\"logit_bias\":{\"50256\":-100},\"tools\":[],\"stop\":null,\"x\":{\"y\":[true,false,null,{}]},"
                + "\"stream_options\":{\"include_usage\":true}}", out);
    }

    @Test
    void aHugeBodyIsRewrittenWhole() {
        StringBuilder body = new StringBuilder("{\"stream\":true,\"messages\":[");
        String message = "{\"role\":\"user\",\"content\":\"" + "x".repeat(1000) + "\"}";
        for (int i = 0; i < 4096; i++) {
            body.append(i == 0 ? "" : ",").append(message);
        }
        body.append("]}");
        String out = rewrite(CHAT, body.toString());
        assertEquals(body.substring(0, body.length() - 1) + ",\"stream_options\":{\"include_usage\":true}}", out);
    }

    @Test
    void aBodyPastTheReadConstraintsPassesUntouched() {
        // jackson-core's nesting bound: a body too deep to read is not ours to rewrite.
        String deep = "{\"stream\":true,\"x\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
        assertNull(rewrite(CHAT, deep));
    }

    @Test
    void aDirectBufferIsReadAsAHeapOne() {
        ByteBuf direct = Unpooled.directBuffer();
        direct.writeCharSequence("{\"stream\":true}", StandardCharsets.UTF_8);
        try {
            assertArrayEquals("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}".getBytes(StandardCharsets.UTF_8),
                    IncludeUsage.rewrite(CHAT, direct));
        } finally {
            direct.release();
        }
    }

    private static List<Boolean> usageChunks(String sse) {
        List<Boolean> out = new ArrayList<>();
        try (SseParser parser = SseParser.create(new SseHandler() {
            @Override
            public void onEvent(SseEvent event) {
                out.add(IncludeUsage.isUsageChunk(event));
            }
        })) {
            parser.feed(Unpooled.wrappedBuffer(sse.getBytes(StandardCharsets.UTF_8)));
            parser.end();
        }
        return out;
    }

    @Test
    void onlyTheFinalUsageChunkOfARecordedStreamIsTheUsageChunk() {
        List<Boolean> verdicts = usageChunks(new String(Samples.sse("openai-chat-reasoning"), StandardCharsets.UTF_8));
        int last = verdicts.size() - 1; // [DONE]
        assertFalse(verdicts.get(last));
        assertTrue(verdicts.get(last - 1));
        assertEquals(1, verdicts.stream().filter(v -> v).count());
    }

    @Test
    void aChunkWithEmptyChoicesButNoUsageIsNotTheUsageChunk() {
        // Azure's first chunk: its content filter's verdict on the prompt, before any choice.
        assertEquals(List.of(false, false, true, false), usageChunks(
                "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":[]}\n\n"
                        + "data: {\"choices\":[],\"usage\":null}\n\n"
                        + "data: {\"id\":\"c\", \"choices\": [ ], \"usage\": {\"prompt_tokens\": 1}}\n\n"
                        + "event: error\ndata: {\"choices\":[],\"usage\":{}}\n\n"));
    }

    @Test
    void chunksWithChoicesOrNotJsonAreNotTheUsageChunk() {
        assertEquals(List.of(false, false, false, false), usageChunks(
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"[]\"}}],\"usage\":{\"prompt_tokens\":1}}\n\n"
                        + "data: [DONE]\n\n"
                        + "data: {\"choices\":[],\"usage\":{\n\n"
                        + "data: \n\n"));
    }
}

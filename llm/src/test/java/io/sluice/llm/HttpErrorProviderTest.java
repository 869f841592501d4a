package io.sluice.llm;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A refusal before the stream (an HTTP error) names its provider from its body's shape, its headers, or the path (issue 19). */
class HttpErrorProviderTest {
    private static final String ANTHROPIC_BODY =
            "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},\"request_id\":\"req_011CV\"}";
    private static final String OPENAI_BODY =
            "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}";
    private static final String GEMINI_BODY =
            "{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted\",\"status\":\"RESOURCE_EXHAUSTED\"}}";
    private static final String HTML_BODY = "<html><body>502 Bad Gateway</body></html>";

    private static Provider detect(String path, List<Map.Entry<String, String>> headers, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return ProviderDetector.detectHttpError(path, headers, bytes, 0, bytes.length);
    }

    private static List<Map.Entry<String, String>> header(String name, String value) {
        return List.of(Map.entry("date", "Mon, 03 Nov 2025 14:11:51 GMT"), Map.entry(name, value));
    }

    @Test
    void eachProvidersErrorBodyNamesIt() {
        assertEquals(Provider.ANTHROPIC, detect(null, List.of(), ANTHROPIC_BODY));
        assertEquals(Provider.OPENAI_CHAT, detect(null, List.of(), OPENAI_BODY));
        assertEquals(Provider.GEMINI, detect(null, List.of(), GEMINI_BODY));
    }

    @Test
    void theRequestPathTellsOpenAisResponsesApiFromChatCompletions() {
        assertEquals(Provider.OPENAI_RESPONSES, detect("/v1/responses", List.of(), OPENAI_BODY));
        assertEquals(Provider.OPENAI_RESPONSES, detect("/v1/responses/?stream=true", List.of(), OPENAI_BODY));
        assertEquals(Provider.OPENAI_CHAT, detect("/v1/chat/completions", List.of(), OPENAI_BODY));
    }

    @Test
    void headersNameTheProviderWhenTheBodyDoesNot() {
        assertEquals(Provider.ANTHROPIC, detect(null, header("anthropic-organization-id", "041daab0"), HTML_BODY));
        assertEquals(Provider.ANTHROPIC, detect(null, header("Request-Id", "req_011CV"), ""));
        assertEquals(Provider.OPENAI_CHAT, detect(null, header("openai-processing-ms", "12"), HTML_BODY));
        assertEquals(Provider.OPENAI_RESPONSES, detect("/v1/responses", header("OpenAI-Version", "2020-10-01"), HTML_BODY));
        assertEquals(Provider.GEMINI, detect(null, header("server", "scaffolding on HTTPServer2"), HTML_BODY));
        assertEquals(Provider.GEMINI, detect(null, header("server", "ESF"), ""));
        assertEquals(Provider.GEMINI, detect(null, header("x-goog-request-id", "abc"), HTML_BODY));
    }

    @Test
    void theBodyOutranksTheHeadersForItIsWhatTheClientParses() {
        // an OpenAI-compatible gateway in front of Anthropic answers in OpenAI's shape
        assertEquals(Provider.OPENAI_CHAT, detect(null, header("anthropic-ratelimit-requests-limit", "4000"), OPENAI_BODY));
    }

    @Test
    void anOpenAiRequestIdAloneTellsNothing() {
        assertNull(detect(null, header("x-request-id", "req_4df1217a"), HTML_BODY));
    }

    @Test
    void thePathIsTheLastResort() {
        assertEquals(Provider.GEMINI, detect("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", List.of(), HTML_BODY));
        assertEquals(Provider.ANTHROPIC, detect("/v1/messages", List.of(), ""));
        assertNull(detect("/v1/other", List.of(), HTML_BODY));
        assertNull(detect(null, null, HTML_BODY));
    }

    @Test
    void anErrorBodyCutAtTheBoundStillTells() {
        String cut = ANTHROPIC_BODY.substring(0, ANTHROPIC_BODY.indexOf("Overloaded"));
        assertEquals(Provider.ANTHROPIC, detect(null, List.of(), cut));
    }

    @Test
    void aRefusedStreamsMessageNamesTheProviderAndKeepsAGivenOne() {
        byte[] body = GEMINI_BODY.getBytes(StandardCharsets.UTF_8);
        MessageCollector detected = MessageCollector.create();
        detected.httpError(429, null, header("server", "scaffolding on HTTPServer2"), body, 0, body.length);
        assertEquals(Provider.GEMINI, detected.message().provider());
        assertEquals(Provider.GEMINI, detected.provider());
        assertEquals(new LlmError("RESOURCE_EXHAUSTED", "Resource has been exhausted"), detected.message().error());

        MessageCollector given = MessageCollector.create(Provider.OPENAI_RESPONSES);
        given.httpError(429, null, header("server", "scaffolding on HTTPServer2"), body, 0, body.length);
        assertEquals(Provider.OPENAI_RESPONSES, given.message().provider(), "the caller's word stands");
    }
}

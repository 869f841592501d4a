package io.sluice.llm;

import io.netty.buffer.Unpooled;
import io.sluice.core.SseEvent;
import io.sluice.core.SseHandler;
import io.sluice.core.SseParser;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StreamStartTest {

    /** The verdict on each event of {@code sse}, {@code C} content, {@code E} error, {@code .} neither, up to the first content. */
    private static String verdicts(byte[] sse) {
        StringBuilder out = new StringBuilder();
        boolean[] seenContent = {false};
        try (SseParser parser = SseParser.create(new SseHandler() {
            @Override
            public void onEvent(SseEvent event) {
                if (seenContent[0]) {
                    return;
                }
                boolean error = StreamStart.isError(event);
                boolean content = StreamStart.isContent(event);
                out.append(error ? 'E' : content ? 'C' : '.');
                seenContent[0] = content;
            }
        })) {
            parser.feed(Unpooled.wrappedBuffer(sse));
            parser.end();
        }
        return out.toString();
    }

    private static String verdicts(String sse) {
        return verdicts(sse.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @CsvSource({
            // message_start, content_block_start (empty text), ping: held; the first text delta is content
            "anthropic-text, ...C",
            "anthropic-tool-use, ...C",
            "anthropic-max-tokens, ...C",
            "anthropic-overloaded, ...C",
            // thinking counts: its first delta ends the hold as text would
            "anthropic-thinking, ..C",
            "openai-chat-text, .C",
            "openai-chat-tools, C",
            "openai-responses-text, ....C",
            "gemini-text, C",
    })
    void theFirstContentOfEachRecordedStreamIsItsFirstToken(String sample, String expected) {
        assertEquals(expected, verdicts(Samples.sse(sample)));
    }

    @Test
    void anthropicsOverloadedErrorAfterMessageStartIsAnError() {
        assertEquals(".E", verdicts("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\"}}\n\n"
                + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"));
    }

    @Test
    void openAiAndGeminiErrorObjectsAndAFailedResponseAreErrors() {
        assertEquals("E", verdicts("data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n"));
        assertEquals("E", verdicts("data: {\"error\":{\"code\":503,\"message\":\"overloaded\",\"status\":\"UNAVAILABLE\"}}\n\n"));
        assertEquals(".E", verdicts("event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,"
                + "\"response\":{\"id\":\"r\",\"status\":\"in_progress\"}}\n\n"
                + "event: response.failed\ndata: {\"type\":\"response.failed\",\"sequence_number\":1,"
                + "\"response\":{\"id\":\"r\",\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"x\"}}}\n\n"));
    }

    @Test
    void dataThatIsNotTheProvidersJsonIsNotHeldBack() {
        assertEquals("C", verdicts("event: content_block_delta\ndata: {not json\n\n"));
    }

    @Test
    void aPlainStreamsEventsAreContentAndItsErrorEventAnError() {
        assertEquals("C", verdicts("data: hello\n\n"));
        assertEquals("E", verdicts("event: error\ndata: oops\n\n"));
    }

    @Test
    void pingsAreHeldAndTheEndIsContentForNothingIsLeftToFallBackFor() {
        assertEquals(".C", verdicts("event: ping\ndata: {\"type\":\"ping\"}\n\ndata: [DONE]\n\n"));
    }
}

package io.sluice.llm;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.sluice.core.SseParser;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Keeps the README's LLM example compiling and true: the code between the markers is the README's. */
class ReadmeExampleTest {

    @Test
    void readmeLlmExampleStreamsTextAndBuildsTheFinalMessage() throws IOException {
        byte[] body = Files.readAllBytes(Path.of("../samples/anthropic-text.sse"));
        List<ByteBuf> reads = new ArrayList<>();
        for (int i = 0; i < body.length; i += 1460) {
            reads.add(ByteBufAllocator.DEFAULT.heapBuffer().writeBytes(body, i, Math.min(1460, body.length - i)));
        }
        StringBuilder screen = new StringBuilder();

        // README example begins
        MessageCollector collector = MessageCollector.create(null, delta -> {   // null: detect the provider
            if (delta.kind() == DeltaKind.TEXT) {
                delta.appendText(screen);                                      // a view: no String per delta
            }
        });
        try (SseParser parser = SseParser.create(collector)) {
            for (ByteBuf read : reads) {
                parser.feed(read);
                read.release();
            }
            parser.end();
        }
        LlmMessage message = collector.message();    // during the stream: a live snapshot
        String json = message.toJson();               // the unified final message (docs/llm.md)
        // README example ends

        assertEquals(message.text(), screen.toString());
        assertTrue(message.complete());
        assertTrue(json.startsWith("{\"provider\":\"anthropic\""), json);
    }
}

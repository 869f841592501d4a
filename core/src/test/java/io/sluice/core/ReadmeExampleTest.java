package io.sluice.core;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Keeps the README's embedding example compiling and true: the code between the markers is the README's. */
class ReadmeExampleTest {

    @Test
    void readmeEmbeddingExampleParsesAStreamSplitAnywhere() {
        List<String> out = new ArrayList<>();
        List<ByteBuf> reads = new ArrayList<>();
        for (String piece : new String[] {"event: content_block_delta\r", "\ndata: {\"text\":\"Hi\"}\n", "\nda", "ta: cut"}) {
            reads.add(ByteBufAllocator.DEFAULT.heapBuffer().writeBytes(piece.getBytes(StandardCharsets.UTF_8)));
        }

        // README example begins
        SseParser parser = SseParser.builder()
                .maxEventSize(256 * 1024)              // bound what one event may make us hold
                .build(new SseHandler() {
                    @Override
                    public void onEvent(SseEvent event) {  // a view: copy what you keep
                        out.add(event.type() + " " + event.dataAsString());
                    }

                    @Override
                    public void onEnd(long incompleteTailBytes) {
                        out.add(incompleteTailBytes == 0 ? "clean end" : "cut off: " + incompleteTailBytes + " bytes lost");
                    }
                });
        for (ByteBuf read : reads) {                   // as the network delivers them, split anywhere
            parser.feed(read);                         // reads all of it; the caller still owns it
            read.release();
        }
        parser.end();                                  // the response is over
        // README example ends

        assertEquals(List.of("content_block_delta {\"text\":\"Hi\"}", "cut off: 9 bytes lost"), out);
    }
}

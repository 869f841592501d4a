package io.sluice.cli.capture;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP reader is Netty's client codec and decompressor: dechunked and inflated, its body is the
 * sample's {@code .sse} however the response is cut, and what the codec rejects is its failure.
 * Every buffer fed or handed out is released (the leak detector runs at PARANOID).
 */
class HttpResponseReaderTest {
    private static final Path SAMPLES = Path.of("../samples");

    private static final class Collected implements HttpResponseReader.Listener {
        final List<HttpResponse> heads = new ArrayList<>();
        final ByteArrayOutputStream body = new ByteArrayOutputStream();

        @Override
        public void head(HttpResponse response) {
            heads.add(response);
        }

        @Override
        public void body(ByteBuf content) {
            byte[] bytes = new byte[content.readableBytes()];
            content.getBytes(content.readerIndex(), bytes);
            body.writeBytes(bytes);
        }
    }

    private static Collected read(byte[] wire, int cut, HttpResponseReader[] keep) {
        Collected collected = new Collected();
        HttpResponseReader reader = new HttpResponseReader(collected);
        try {
            for (int at = 0; at < wire.length; at += cut) {
                reader.feed(Unpooled.wrappedBuffer(Arrays.copyOfRange(wire, at, Math.min(wire.length, at + cut))));
            }
            reader.end();
        } finally {
            reader.close();
        }
        keep[0] = reader;
        return collected;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 64, 1 << 20})
    void gzipInsideChunkedDecodesToTheBodyUnderEveryCut(int cut) throws IOException {
        HttpResponseReader[] reader = new HttpResponseReader[1];
        Collected c = read(Files.readAllBytes(SAMPLES.resolve("openai-chat-tools.http")), cut, reader);
        assertArrayEquals(Files.readAllBytes(SAMPLES.resolve("openai-chat-tools.sse")), c.body.toByteArray());
        assertEquals(1, c.heads.size());
        assertEquals(200, c.heads.get(0).status().code());
        assertTrue(reader[0].complete());
        assertNull(reader[0].failure());
    }

    @Test
    void bodyCutMidChunkIsIncompleteNotAFailure() throws IOException {
        HttpResponseReader[] reader = new HttpResponseReader[1];
        Collected c = read(Files.readAllBytes(SAMPLES.resolve("anthropic-truncated.http")), 1 << 20, reader);
        assertArrayEquals(Files.readAllBytes(SAMPLES.resolve("anthropic-truncated.sse")), c.body.toByteArray());
        assertFalse(reader[0].complete());
        assertNull(reader[0].failure());
    }

    @Test
    void interimResponsesAreSkipped() {
        byte[] wire = ("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                + "content-length: 9\r\n\r\ndata: x\n\n").getBytes(StandardCharsets.US_ASCII);
        HttpResponseReader[] reader = new HttpResponseReader[1];
        Collected c = read(wire, 5, reader);
        assertEquals(1, c.heads.size());
        assertEquals(200, c.heads.get(0).status().code());
        assertEquals("data: x\n\n", c.body.toString(StandardCharsets.US_ASCII));
        assertTrue(reader[0].complete());
    }

    @Test
    void corruptChunkSizeIsTheFailureAndNothingAfterItIsDecoded() {
        byte[] wire = ("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\ndata:\r\nzz\r\n12345\r\n0\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        HttpResponseReader[] reader = new HttpResponseReader[1];
        Collected c = read(wire, 1, reader);
        assertEquals("data:", c.body.toString(StandardCharsets.US_ASCII));
        assertNotNull(reader[0].failure());
        assertFalse(reader[0].complete());
    }

    @Test
    void aListenersExceptionReachesTheCallerNotTheCodec() {
        HttpResponseReader reader = new HttpResponseReader(new HttpResponseReader.Listener() {
            @Override
            public void head(HttpResponse response) {
                throw new IllegalStateException("output closed");
            }

            @Override
            public void body(ByteBuf content) {
            }
        });
        try {
            IllegalStateException thrown = assertThrows(IllegalStateException.class,
                    () -> reader.feed(Unpooled.wrappedBuffer("HTTP/1.1 200 OK\r\n\r\n".getBytes(StandardCharsets.US_ASCII))));
            assertEquals("output closed", thrown.getMessage());
        } finally {
            reader.close();
        }
    }
}

package io.sluice.cli.capture;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.SseParser;
import io.sluice.core.Utf8Decoder;
import io.sluice.netty.SseContentTypeException;
import io.sluice.netty.SseDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP reader is the live client's path (codec, decompressor, SseDecoder): a response's events
 * are its sample's {@code .sse} events however the response is cut, it is refused for what the
 * client refuses, and what the codec rejects is its failure. Every buffer fed or handed out is
 * released (the leak detector runs at PARANOID).
 */
class HttpResponseReaderTest {
    private static final Path SAMPLES = Path.of("../samples");
    private static final SseDecoder.Settings SETTINGS = SseDecoder.Settings.DEFAULTS;

    /** What the listener heard: heads, then records as text, in order. */
    private static class Collected implements HttpResponseReader.Listener {
        final List<HttpResponse> heads = new ArrayList<>();
        final List<String> records = new ArrayList<>();

        @Override
        public void head(HttpResponse response) {
            heads.add(response);
        }

        @Override
        public void onEvent(SseEvent event) {
            records.add(event.type() + "|" + event.dataAsString() + "|" + event.lastEventId());
        }

        @Override
        public void onRetry(long millis) {
            records.add("retry " + millis);
        }

        @Override
        public void onComment(ByteBuf buffer, int index, int length) {
            records.add("comment [" + Utf8Decoder.decode(buffer, index, length) + "]");
        }

        @Override
        public void onError(SseException error) {
            records.add("error " + error.getMessage());
        }

        @Override
        public void onEnd(long incompleteTailBytes) {
            records.add("end " + incompleteTailBytes);
        }
    }

    private static HttpResponseReader read(byte[] wire, int cut, SseDecoder.Settings settings, boolean anyType,
                                           Collected collected) {
        HttpResponseReader reader = new HttpResponseReader(settings, anyType, collected);
        try {
            for (int at = 0; at < wire.length; at += cut) {
                reader.feed(Unpooled.wrappedBuffer(Arrays.copyOfRange(wire, at, Math.min(wire.length, at + cut))));
            }
            reader.end();
        } finally {
            reader.close();
        }
        return reader;
    }

    /** The records the parser alone gives for a raw body, ending with its end. */
    private static List<String> parsed(byte[] body) {
        Collected collected = new Collected();
        try (SseParser parser = SseParser.builder().build(collected)) {
            parser.feed(Unpooled.wrappedBuffer(body));
            parser.end();
        }
        return collected.records;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 64, 1 << 20})
    void gzipInsideChunkedGivesTheBodysEventsUnderEveryCut(int cut) throws IOException {
        Collected c = new Collected();
        HttpResponseReader reader = read(Files.readAllBytes(SAMPLES.resolve("openai-chat-tools.http")), cut, SETTINGS, false, c);
        assertEquals(parsed(Files.readAllBytes(SAMPLES.resolve("openai-chat-tools.sse"))), c.records);
        assertEquals(1, c.heads.size());
        assertEquals(200, c.heads.get(0).status().code());
        assertTrue(reader.complete());
        assertNull(reader.codecFailure());
        assertNull(reader.failure());
    }

    @Test
    void bodyCutMidChunkIsIncompleteAndEndsWithTheCutTailNotAFailure() throws IOException {
        Collected c = new Collected();
        HttpResponseReader reader = read(Files.readAllBytes(SAMPLES.resolve("anthropic-truncated.http")), 1 << 20, SETTINGS, false, c);
        assertEquals(parsed(Files.readAllBytes(SAMPLES.resolve("anthropic-truncated.sse"))), c.records);
        assertEquals("end 117", c.records.get(c.records.size() - 1));
        assertFalse(reader.complete());
        assertNull(reader.codecFailure());
        assertNull(reader.failure());
    }

    @Test
    void interimResponsesAreSkipped() {
        byte[] wire = ascii("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                + "content-length: 9\r\n\r\ndata: x\n\n");
        Collected c = new Collected();
        HttpResponseReader reader = read(wire, 5, SETTINGS, false, c);
        assertEquals(1, c.heads.size());
        assertEquals(200, c.heads.get(0).status().code());
        assertEquals(List.of("message|x|", "end 0"), c.records);
        assertTrue(reader.complete());
    }

    @Test
    void corruptChunkSizeIsTheCodecFailureAndNothingAfterItIsDecoded() {
        byte[] wire = ascii("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                + "9\r\ndata: a\n\n\r\nzz\r\n12345\r\n0\r\n\r\n");
        Collected c = new Collected();
        HttpResponseReader reader = read(wire, 1, SETTINGS, false, c);
        assertEquals(List.of("message|a|"), c.records);
        assertNotNull(reader.codecFailure());
        assertNotNull(reader.failure());
        assertFalse(reader.complete());
    }

    /** Issue 17: replay used to read a response without a content type; the client never did. */
    @Test
    void responseWithoutAContentTypeIsRefusedAsTheClientRefusesIt() {
        byte[] wire = ascii("HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\ndata: x\n\n");
        Collected c = new Collected();
        HttpResponseReader reader = read(wire, 4, SETTINGS, false, c);
        SseContentTypeException refused = assertInstanceOf(SseContentTypeException.class, reader.failure());
        assertNull(refused.contentType());
        assertEquals(List.of(), c.records);
        assertEquals(1, c.heads.size());
    }

    /** Issue 17: replay matched text/event-stream by prefix; the client matches the media type. */
    @Test
    void contentTypeThatOnlyBeginsLikeAnEventStreamIsRefused() {
        byte[] wire = ascii("HTTP/1.1 200 OK\r\ncontent-type: text/event-streaming\r\ncontent-length: 9\r\n\r\ndata: x\n\n");
        Collected c = new Collected();
        assertInstanceOf(SseContentTypeException.class, read(wire, 1 << 20, SETTINGS, false, c).failure());
        assertEquals(List.of(), c.records);
    }

    @Test
    void acceptingAnyContentTypeReadsTheBodyAndReportsTheHeadAsCaptured() {
        byte[] wire = ascii("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 9\r\n\r\ndata: x\n\n");
        Collected c = new Collected();
        HttpResponseReader reader = read(wire, 2, SETTINGS, true, c);
        assertNull(reader.failure());
        assertEquals(List.of("message|x|", "end 0"), c.records);
        assertEquals("text/plain", c.heads.get(0).headers().get(HttpHeaderNames.CONTENT_TYPE));
        assertEquals("text/plain", reader.head().headers().get(HttpHeaderNames.CONTENT_TYPE));
    }

    @Test
    void acceptingAnyContentTypeStillRefusesACodingNobodyDecodes() {
        byte[] wire = ascii("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: br\r\n"
                + "content-length: 4\r\n\r\nabcd");
        Collected c = new Collected();
        SseContentTypeException refused = assertInstanceOf(SseContentTypeException.class,
                read(wire, 1 << 20, SETTINGS, true, c).failure());
        assertTrue(refused.undecodedEncoding());
    }

    @Test
    void commentsAndRetryAreReportedInStreamOrderWhenTheSettingsAskForComments() {
        byte[] wire = ascii("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
                + ": hi\nretry: 5\ndata: a\n\n:\n");
        SseDecoder.Settings comments = new SseDecoder.Settings(1024, 1024, false, 1024, true);
        Collected c = new Collected();
        read(wire, 3, comments, false, c);
        assertEquals(List.of("comment [ hi]", "retry 5", "message|a|", "comment []", "end 0"), c.records);
    }

    @Test
    void aListenersExceptionReachesTheCallerNotTheCodec() {
        HttpResponseReader reader = new HttpResponseReader(SETTINGS, false, new Collected() {
            @Override
            public void head(HttpResponse response) {
                throw new IllegalStateException("output closed");
            }
        });
        try {
            IllegalStateException thrown = assertThrows(IllegalStateException.class,
                    () -> reader.feed(Unpooled.wrappedBuffer(ascii("HTTP/1.1 200 OK\r\n\r\n"))));
            assertEquals("output closed", thrown.getMessage());
        } finally {
            reader.close();
        }
    }
}

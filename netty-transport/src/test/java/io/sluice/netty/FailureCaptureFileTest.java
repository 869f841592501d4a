package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code .http} a failure leaves: its two forms, its redaction, its notes. */
class FailureCaptureFileTest {
    private static final Instant AT = Instant.parse("2026-12-02T06:15:00.123Z");
    private static final String REQUEST = "POST /v1beta/models/g:streamGenerateContent?alt=sse&key=SECRET-KEY HTTP/1.1\r\n"
            + "host: api.example.com\r\nAuthorization: Bearer SECRET-TOKEN\r\nx-api-key: SECRET-API-KEY\r\n"
            + "Cookie: session=SECRET-COOKIE\r\ncontent-length: 2\r\n\r\n{}";
    private static final String HEAD = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            + "set-cookie: id=SECRET-SET-COOKIE;\r\n  folded=SECRET-FOLDED\r\ntransfer-encoding: chunked\r\nrequest-id: req_1\r\n\r\n";

    static void feed(FailureRecorder.HeadBytes head, String text) {
        ByteBuf buf = Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
        head.append(buf, 0, buf.readableBytes());
        buf.release();
    }

    static void feed(CaptureRing ring, String text) {
        ByteBuf buf = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
        ring.append(buf);
        buf.release();
    }

    private static FailureRecorder recorder(int maxBody) {
        FailureRecorder r = new FailureRecorder(SseFailureCapture.builder(Path.of("unused")).maxBodyBytes(maxBody).build());
        feed(r.requestHead, REQUEST);
        feed(r.responseHead, HEAD);
        r.flow = "127.0.0.1:8080-127.0.0.1:50000";
        return r;
    }

    private static SseRequest request() {
        return SseRequest.post(URI.create("https://api.example.com/v1beta/models/g:streamGenerateContent?alt=sse&key=SECRET-KEY"),
                "{}".getBytes(StandardCharsets.UTF_8));
    }

    private static String render(FailureRecorder r, io.sluice.core.SseException error) {
        return new String(FailureCaptureFile.render(r, request(), error, AT), StandardCharsets.ISO_8859_1);
    }

    @Test
    void aBodyThatFittedIsWrittenByteForByteAfterTheAnnotatedHead() {
        FailureRecorder r = recorder(1024);
        String wire = "e\r\ndata: one\n\n\r\n\r\n" + "5\r\ndata:"; // a chunk, then a cut inside the next
        feed(r.rawBody, wire);
        feed(r.decodedBody, "data: one\n\ndata:");
        String file = render(r, new SseClosedEarlyException(1, 15, 5, null));
        assertTrue(file.startsWith("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"), file);
        assertTrue(file.endsWith("\r\n\r\n" + wire), file);
        assertTrue(file.contains("\r\ntransfer-encoding: chunked\r\n"), "the framing stays: " + file);
        assertTrue(file.contains("\r\nx-sluice-capture-end: upstream_closed_early\r\n"), file);
        assertTrue(file.contains("\r\nx-sluice-capture-body: wire\r\n"), file);
        assertTrue(file.contains("\r\nx-sluice-capture-events: 1\r\n"), file);
        assertTrue(file.contains("\r\nx-sluice-capture-flow: 127.0.0.1:8080-127.0.0.1:50000\r\n"), file);
        assertTrue(file.contains("\r\nx-sluice-capture-time: 2026-12-02T06:15:00.123Z\r\n"), file);
        assertTrue(file.contains("\r\nrequest-id: req_1\r\n"), file);
        assertFalse(file.contains("x-sluice-capture-truncated"), file);
    }

    @Test
    void secretsNeverReachTheFile() {
        FailureRecorder r = recorder(1024);
        feed(r.rawBody, "0\r\n\r\n");
        String file = render(r, new SseClosedEarlyException(0, 0, 0, null));
        assertFalse(file.contains("SECRET"), file);
        assertTrue(file.contains("\r\nx-sluice-capture-request: Authorization: <redacted>\r\n"), file);
        assertTrue(file.contains("\r\nx-sluice-capture-request: x-api-key: <redacted>\r\n"), file);
        assertTrue(file.contains("\r\nx-sluice-capture-request: Cookie: <redacted>\r\n"), file);
        assertTrue(file.contains("\r\nset-cookie: <redacted>\r\n"), "the response's cookie too, with its folded line: " + file);
        assertTrue(file.contains("\r\nx-sluice-capture-request: POST /v1beta/models/g:streamGenerateContent?alt=sse&key=<redacted> HTTP/1.1\r\n"), file);
        assertTrue(file.contains("\r\nx-sluice-capture-upstream: https://api.example.com:443/v1beta/models/g:streamGenerateContent?alt=sse&key=<redacted>\r\n"), file);
        assertFalse(file.contains("{}"), "the request body is not kept: " + file);
    }

    @Test
    void redactionListsAreTheCallers() {
        Set<String> headers = Set.of("x-custom-secret");
        assertEquals("X-Custom-Secret: <redacted>", FailureCaptureFile.redactHeaderLine("X-Custom-Secret: s3cret", headers));
        assertEquals("authorization: Bearer t", FailureCaptureFile.redactHeaderLine("authorization: Bearer t", headers));
        assertEquals("/p?sig=<redacted>&a=1&SIG=<redacted>", FailureCaptureFile.redactTarget("/p?sig=x&a=1&SIG=y", Set.of("sig")));
        assertEquals("/p?flag&a=1", FailureCaptureFile.redactTarget("/p?flag&a=1", Set.of("flag")));
    }

    @Test
    void aBodyThatDidNotFitIsWrittenDecodedFromItsFirstWholeEventAndSaysSo() {
        FailureRecorder r = recorder(19);
        feed(r.rawBody, "x".repeat(40)); // dropped: the wire form cannot be written
        feed(r.decodedBody, "data: 0123456789\n\ndata: A\n\ndata: B\n\ndata: C"); // keeps "A\n\ndata: B\n\ndata: C"
        String file = render(r, new SseClosedEarlyException(3, 44, 7, null));
        int blank = file.indexOf("\r\n\r\n");
        String head = file.substring(0, blank + 2);
        String body = file.substring(blank + 4);
        assertFalse(head.contains("transfer-encoding: chunked\r\nrequest-id"), "the recorded framing goes: " + head);
        assertTrue(head.contains("\r\ntransfer-encoding: chunked\r\nx-sluice-capture-end"), "its own comes: " + head);
        assertTrue(head.contains("\r\nx-sluice-capture-body: decoded\r\n"), head);
        assertTrue(head.contains("\r\nx-sluice-capture-truncated: 27\r\n"), "24 dropped, then the cut event's end: " + head);
        assertEquals("10\r\ndata: B\n\ndata: C\r\n", body, "one chunk and no last one: cut, as the stream was");
    }

    @Test
    void aMalformedStreamsDecodedFormEndsInAChunkSizeNoDecoderTakes() {
        FailureRecorder r = recorder(4);
        feed(r.rawBody, "zzzzzzzz");
        feed(r.decodedBody, "xx\n\nda");
        String file = render(r, new SseMalformedResponseException(0, 4, null));
        assertTrue(file.endsWith("\r\n\r\n2\r\nda\r\n" + FailureCaptureFile.MALFORMED_CHUNK_SIZE + "\r\n"), file);
    }

    @Test
    void theFirstWholeEventStartsAfterTheFirstBlankLineWhateverTheLineEnds() {
        for (String[] c : new String[][] {
                {"ta: a\n\ndata: b\n\n", "data: b\n\n"},
                {"ta: a\r\n\r\ndata: b\r\n\r\n", "data: b\r\n\r\n"},
                {"ta: a\r\rdata: b\r\r", "data: b\r\r"},
                {"\n\r\ndata: b\n\n", "data: b\n\n"}, // began in a CR LF CR LF: its LF is a line end
                {"\ndata: b\n\n", ""}, // no blank line before the last one: nothing whole before the end
                {"data: b\n", ""},
        }) {
            byte[] body = c[0].getBytes(StandardCharsets.US_ASCII);
            assertEquals(c[1], new String(body, FailureCaptureFile.firstEventStart(body), body.length
                    - FailureCaptureFile.firstEventStart(body), StandardCharsets.US_ASCII), c[0]);
        }
    }

    @Test
    void theWireTapKeepsTheFinalHeadAfterAnInterimOneAndTheBodyBehindIt() {
        FailureRecorder r = new FailureRecorder(SseFailureCapture.builder(Path.of("unused")).build());
        io.netty.channel.embedded.EmbeddedChannel ch = new io.netty.channel.embedded.EmbeddedChannel(r.wire());
        ch.writeOutbound(Unpooled.copiedBuffer("POST / HTTP/1.1\r\nexpect: 100-continue\r\n\r\n{\"a\":1}", StandardCharsets.US_ASCII));
        for (String part : new String[] {"HTTP/1.1 100 Continue\r\n\r", "\nHTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\nda",
                "ta: x\n\n"}) {
            ch.writeInbound(Unpooled.copiedBuffer(part, StandardCharsets.US_ASCII));
        }
        for (Object o; (o = ch.readInbound()) != null || (o = ch.readOutbound()) != null; ) {
            io.netty.util.ReferenceCountUtil.release(o);
        }
        ch.finishAndReleaseAll();
        assertEquals("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n",
                new String(r.responseHead.toByteArray(), StandardCharsets.US_ASCII));
        assertEquals("data: x\n\n", new String(r.rawBody.toByteArray(), StandardCharsets.US_ASCII));
        assertEquals("POST / HTTP/1.1\r\nexpect: 100-continue\r\n\r\n", new String(r.requestHead.toByteArray(),
                StandardCharsets.US_ASCII), "the head as sent, not the body");
    }

    @Test
    void headLinesDropLineEndsAndTheBlankLine() {
        assertEquals(List.of("HTTP/1.1 200 OK", "a: b"),
                FailureCaptureFile.headLines("HTTP/1.1 200 OK\r\na: b\n\r\n".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void messagesBecomeOnePrintableLine() {
        assertEquals("a b ? c", FailureCaptureFile.printable("a\r\nb \u00e9 c").replace("  ", " "));
        assertEquals(300, FailureCaptureFile.printable("x".repeat(1000)).length());
    }
}

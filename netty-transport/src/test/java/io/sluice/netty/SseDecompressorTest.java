package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The decompressor behind a real HttpClientCodec in an EmbeddedChannel: every cut of the
 * compressed bytes inflates to the same body, a step never exceeds its bound, a paused pipeline
 * gets nothing more, and every broken body ends with a failed LastHttpContent. Every buffer read
 * is released (the leak detector runs at PARANOID).
 */
class SseDecompressorTest {

    /** Collects the body the pipeline receives, the size of each piece, and how it ended. */
    static final class Body extends ChannelInboundHandlerAdapter {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<Integer> pieces = new ArrayList<>();
        HttpResponse head;
        LastHttpContent end;
        Throwable failure;
        int inactive;
        int readCompletes;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse response) {
                    head = response;
                }
                if (msg instanceof HttpContent content) {
                    ByteBuf b = content.content();
                    if (b.isReadable()) {
                        pieces.add(b.readableBytes());
                        byte[] a = new byte[b.readableBytes()];
                        b.getBytes(b.readerIndex(), a);
                        bytes.writeBytes(a);
                    }
                    if (msg instanceof LastHttpContent last) {
                        end = last;
                        if (last.decoderResult().isFailure()) {
                            failure = last.decoderResult().cause();
                        }
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            readCompletes++;
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            inactive++;
        }

        /** The body bytes received when an exception arrived: -1 for none. */
        int exceptionAfterBytes = -1;

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            exceptionAfterBytes = bytes.size();
        }
    }

    private final Body body = new Body();

    private EmbeddedChannel channel(int maxStep) {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpClientCodec(), new SseDecompressor(maxStep), body);
        ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
        ByteBuf written;
        while ((written = ch.readOutbound()) != null) {
            written.release();
        }
        return ch;
    }

    private static byte[] head(String encoding, boolean chunked, int length) {
        return ("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: " + encoding + "\r\n"
                + (chunked ? "transfer-encoding: chunked\r\n" : "content-length: " + length + "\r\n") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] events(int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append("event: content_block_delta\ndata: {\"type\":\"text_delta\",\"text\":\"token ").append(i).append("\"}\n\n");
        }
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] gzip(byte[]... members) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] m : members) {
            try (GZIPOutputStream gz = new GZIPOutputStream(out) {
                @Override
                public void close() throws IOException {
                    finish(); // one member each, in the same stream
                }
            }) {
                gz.write(m);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        return out.toByteArray();
    }

    private static byte[] deflate(byte[] data, boolean raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream d = new DeflaterOutputStream(out, new Deflater(Deflater.DEFAULT_COMPRESSION, raw))) {
            d.write(data);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static void feed(EmbeddedChannel ch, byte[] wire, int... cuts) {
        int from = 0;
        for (int cut : cuts) {
            ch.writeInbound(Unpooled.wrappedBuffer(wire, from, cut - from));
            from = cut;
        }
        ch.writeInbound(Unpooled.wrappedBuffer(wire, from, wire.length - from));
    }

    /** A channel with autoRead off that asked for one read and got {@code gzip} whole: one step came out. */
    private EmbeddedChannel oneReadOf(byte[] gzip, int maxStep) {
        EmbeddedChannel ch = channel(maxStep);
        ch.config().setAutoRead(false);
        ch.read();
        feed(ch, concat(head("gzip", false, gzip.length), gzip));
        return ch;
    }

    @Test
    void gzipBodyCutAtEveryByteInflatesToTheSameBytes() {
        byte[] plain = events(3);
        byte[] compressed = gzip(plain);
        byte[] head = head("gzip", false, compressed.length);
        for (int cut = 1; cut < compressed.length; cut++) {
            Body b = new Body();
            EmbeddedChannel ch = new EmbeddedChannel(new HttpClientCodec(), new SseDecompressor(16), b);
            ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
            ReferenceCountUtil.release(ch.readOutbound());
            byte[] wire = concat(head, compressed);
            feed(ch, wire, head.length + cut);
            assertArrayEquals(plain, b.bytes.toByteArray(), "cut at " + cut);
            assertNull(b.failure, "cut at " + cut);
            assertTrue(b.end != null, "the body ends, cut at " + cut);
            assertTrue(b.pieces.stream().allMatch(n -> n <= 16), "no step over its bound: " + b.pieces);
            assertFalse(ch.finish());
        }
    }

    @Test
    void gzipBodyInRandomChunksAndSeveralMembersInflatesWhole() {
        SplittableRandom random = new SplittableRandom(14);
        byte[] one = events(200);
        byte[] two = events(50);
        byte[] compressed = gzip(one, two);
        StringBuilder wire = new StringBuilder();
        int at = 0;
        EmbeddedChannel ch = channel(1000);
        ch.writeInbound(Unpooled.wrappedBuffer(head("x-gzip", true, 0)));
        while (at < compressed.length) {
            int n = Math.min(compressed.length - at, 1 + random.nextInt(300));
            ch.writeInbound(Unpooled.wrappedBuffer((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII)));
            ch.writeInbound(Unpooled.wrappedBuffer(compressed, at, n));
            ch.writeInbound(Unpooled.wrappedBuffer("\r\n".getBytes(StandardCharsets.US_ASCII)));
            at += n;
        }
        ch.writeInbound(Unpooled.wrappedBuffer("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(0, wire.length());
        assertArrayEquals(concat(one, two), body.bytes.toByteArray());
        assertNull(body.failure);
        assertTrue(body.pieces.stream().allMatch(n -> n <= 1000), "no step over its bound");
        assertNull(body.head.headers().get(HttpHeaderNames.CONTENT_ENCODING), "the head no longer names the coding");
        assertFalse(ch.finish());
    }

    @Test
    void deflateInZlibAndRawFormsBothInflate() {
        byte[] plain = events(40);
        for (boolean raw : new boolean[] {false, true}) {
            Body b = new Body();
            EmbeddedChannel ch = new EmbeddedChannel(new HttpClientCodec(), new SseDecompressor(), b);
            ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
            ReferenceCountUtil.release(ch.readOutbound());
            byte[] compressed = deflate(plain, raw);
            feed(ch, concat(head("deflate", false, compressed.length), compressed), 100);
            assertArrayEquals(plain, b.bytes.toByteArray(), raw ? "raw deflate" : "zlib");
            assertNull(b.failure);
            assertFalse(ch.finish());
        }
    }

    @Test
    void identityAndUnknownCodingsPassThroughUntouched() {
        EmbeddedChannel ch = channel(8);
        byte[] bytes = "not really brotli".getBytes(StandardCharsets.US_ASCII);
        feed(ch, concat(head("br", false, bytes.length), bytes));
        assertArrayEquals(bytes, body.bytes.toByteArray());
        assertEquals("br", body.head.headers().get(HttpHeaderNames.CONTENT_ENCODING), "left for the decoder to refuse");
        assertFalse(ch.finish());
    }

    @Test
    void corruptGzipEndsTheBodyWithADecompressionFailureAndDropsTheRest() {
        byte[] compressed = gzip(events(20));
        for (int i = 20; i < 40; i++) {
            compressed[i] ^= 0x5a;
        }
        EmbeddedChannel ch = channel(64);
        feed(ch, concat(head("gzip", false, compressed.length), compressed), 100, 130);
        assertInstanceOf(DecompressionException.class, body.failure);
        assertFalse(ch.finish());
    }

    @Test
    void gzipWhoseChecksumDoesNotMatchFails() {
        byte[] compressed = gzip(events(5));
        compressed[compressed.length - 6] ^= 1; // inside the trailer's CRC32
        EmbeddedChannel ch = channel(64);
        feed(ch, concat(head("gzip", false, compressed.length), compressed));
        assertInstanceOf(DecompressionException.class, body.failure);
        assertTrue(body.failure.getMessage().contains("CRC32"), body.failure.getMessage());
        assertFalse(ch.finish());
    }

    @Test
    void gzipBodyThatEndsBeforeItsTrailerFails() {
        byte[] compressed = gzip(events(5));
        byte[] cut = java.util.Arrays.copyOf(compressed, compressed.length - 3);
        EmbeddedChannel ch = channel(64);
        feed(ch, concat(head("gzip", false, cut.length), cut));
        assertInstanceOf(DecompressionException.class, body.failure);
        assertFalse(ch.finish());
    }

    @Test
    void bytesAfterTheLastGzipMemberFail() {
        byte[] compressed = concat(gzip(events(2)), "garbage!!!".getBytes(StandardCharsets.US_ASCII));
        EmbeddedChannel ch = channel(64);
        feed(ch, concat(head("gzip", false, compressed.length), compressed));
        assertInstanceOf(DecompressionException.class, body.failure);
        assertArrayEquals(events(2), body.bytes.toByteArray(), "the member before the garbage arrives whole");
        assertFalse(ch.finish());
    }

    @Test
    void autoReadTurnedOffStopsInflatingAndTheReadThatTurnsItOnResumes() {
        byte[] plain = new byte[1 << 20]; // a megabyte of zeros: a kilobyte compressed
        byte[] compressed = gzip(plain);
        EmbeddedChannel ch = channel(4096);
        ch.pipeline().addBefore(ch.pipeline().context(body).name(), "pauser", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.channel().config().setAutoRead(false); // a queue at its high water after the first piece
                ctx.fireChannelRead(msg);
            }
        });
        feed(ch, concat(head("gzip", false, compressed.length), compressed));
        // The head turned autoRead off: the read in flight (the one autoRead issued when the channel
        // became active) gets its one step, and nothing more comes.
        assertEquals(List.of(4096), body.pieces);
        int before = body.pieces.size();
        ch.pipeline().remove("pauser");
        ch.config().setAutoRead(true); // issues read(): the held input resumes in a task
        ch.runPendingTasks();
        assertTrue(body.pieces.size() > before);
        assertEquals(plain.length, body.bytes.size());
        assertNull(body.failure);
        assertTrue(body.end != null);
        assertFalse(ch.finish());
    }

    @Test
    void withAutoReadOffEachReadYieldsOneStepInATaskOfItsOwn() {
        byte[] plain = new byte[256 * 1024];
        byte[] compressed = gzip(plain);
        EmbeddedChannel ch = channel(32 * 1024);
        ch.config().setAutoRead(false);
        ch.read(); // the read the socket answers
        feed(ch, concat(head("gzip", false, compressed.length), compressed));
        assertEquals(List.of(32 * 1024), body.pieces, "one step answers the read");
        for (int read = 2; read <= 8; read++) {
            ch.read();
            ch.runPendingTasks();
            assertEquals(read, body.pieces.size(), "one step per read");
        }
        assertNull(body.end, "the last step has not been asked for");
        ch.read();
        ch.runPendingTasks();
        assertEquals(plain.length, body.bytes.size());
        assertTrue(body.end != null, "the body's end follows its last byte");
        assertTrue(body.readCompletes >= 8, "each step from a task is followed by channelReadComplete");
        assertFalse(ch.finish());
    }

    @Test
    void withoutHalfClosureTheServersCloseInflatesWhatIsHeldAtOnceAndComesLast() {
        byte[] plain = events(2000);
        byte[] compressed = gzip(plain);
        EmbeddedChannel ch = oneReadOf(compressed, 4096);
        assertEquals(1, body.pieces.size());
        ch.pipeline().fireChannelInactive(); // Netty tears the pipeline down next: nothing can wait
        assertArrayEquals(plain, body.bytes.toByteArray());
        assertTrue(body.end != null);
        assertEquals(1, body.inactive);
        assertFalse(ch.finish());
    }

    @Test
    void theServersEndOfInputWaitsBehindTheHeldBodyAndComesLast() {
        byte[] plain = events(2000);
        byte[] compressed = gzip(plain);
        EmbeddedChannel ch = oneReadOf(compressed, 4096);
        List<Object> events = new ArrayList<>();
        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                events.add(evt);
            }
        });
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertEquals(List.of(), events, "held behind the body");
        for (int i = 0; i < 1000 && body.end == null; i++) {
            ch.read();
            ch.runPendingTasks();
        }
        assertArrayEquals(plain, body.bytes.toByteArray());
        assertEquals(List.of(ChannelInputShutdownEvent.INSTANCE), events, "after the body's end");
        assertFalse(ch.finish());
    }

    @Test
    void aReadFailureAfterTheHeldInputComesAfterItsEvents() {
        byte[] plain = new byte[100_000];
        byte[] compressed = gzip(plain);
        EmbeddedChannel ch = oneReadOf(compressed, 4096);
        ch.pipeline().fireExceptionCaught(new java.io.IOException("Connection reset by peer"));
        assertEquals(-1, body.exceptionAfterBytes, "held behind the bytes that came before it");
        for (int i = 0; i < 100 && body.end == null; i++) {
            ch.read();
            ch.runPendingTasks();
        }
        assertEquals(plain.length, body.exceptionAfterBytes);
        assertFalse(ch.finish());
    }

    @Test
    void heldInputIsReleasedWhenTheChannelCloses() {
        byte[] compressed = gzip(new byte[1 << 20]);
        EmbeddedChannel ch = oneReadOf(compressed, 1024);
        assertEquals(1, body.pieces.size());
        ch.close(); // the stream was cancelled: the held input must not leak (PARANOID leak detection)
        assertFalse(ch.finish());
    }

    @Test
    void stepBoundMustBePositive() {
        try {
            new SseDecompressor(0);
            throw new AssertionError("accepted a step of 0");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("maxStep"));
        }
    }
}

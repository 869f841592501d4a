package io.sluice.core.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class EventTypeTableTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String viaArray(EventTypeTable table, String type) {
        byte[] padded = bytes("xx" + type + "yy"); // an offset into a larger array, as a fed buffer's
        return table.resolve(padded, 2, padded.length - 4);
    }

    private static String viaDirect(EventTypeTable table, String type) {
        byte[] b = bytes("xx" + type + "yy");
        ByteBuf buf = Unpooled.directBuffer(b.length).writeBytes(b);
        try {
            return table.resolve(buf, 2, b.length - 4);
        } finally {
            buf.release();
        }
    }

    @Test
    void arrayAndDirectLookupsReturnTheSameKnownInstance() {
        EventTypeTable table = new EventTypeTable();
        String fromArray = viaArray(table, "content_block_delta");
        assertSame(fromArray, viaDirect(table, "content_block_delta"));
        assertSame(fromArray, viaArray(new EventTypeTable(), "content_block_delta"));
    }

    @Test
    void typeOfSameLengthAsTheLastOneIsNotMistakenForIt() {
        EventTypeTable table = new EventTypeTable();
        // Same length (19), differing only in the last of the bytes past the first eight-byte word.
        assertEquals("content_block_delta", viaDirect(table, "content_block_delta"));
        assertEquals("content_block_delte", viaDirect(table, "content_block_delte"));
        assertEquals("content_block_delta", viaArray(table, "content_block_delta"));
        assertEquals("content_block_delte", viaArray(table, "content_block_delte"));
        assertEquals("abcd", viaArray(table, "abcd"));
        assertEquals("abce", viaDirect(table, "abce"));
        assertEquals("abcd", viaDirect(table, "abcd"));
    }

    @Test
    void learnedTypeIsOneInstanceWhicheverWayItIsRead() {
        EventTypeTable table = new EventTypeTable();
        String first = viaDirect(table, "tool.progress");
        viaArray(table, "ping"); // another type in between, so the last-type shortcut does not answer
        assertSame(first, viaArray(table, "tool.progress"));
        viaDirect(table, "ping");
        assertSame(first, viaDirect(table, "tool.progress"));
    }
}

package io.sluice.core.internal;

import io.netty.buffer.ByteBuf;
import io.sluice.core.Utf8Decoder;

import java.nio.charset.StandardCharsets;

/**
 * Turns the bytes of an {@code event} field's value into a String without allocating for types
 * seen before.
 *
 * <p>The well-known types (the WHATWG default, and the types the LLM providers stream) are String
 * literals, so they are the same instance in every parser and {@code ==} works on them. Other types
 * are decoded once and remembered, up to {@value #MAX_LEARNED} of them of at most
 * {@value #MAX_LEARNED_LENGTH} bytes per table, so a hostile stream of ever-new types costs one
 * String per event and never unbounded memory.
 */
public final class EventTypeTable {
    static final int MAX_LEARNED = 64;
    static final int MAX_LEARNED_LENGTH = 128;
    private static final int SLOTS = 256; // power of two, at most half full with every type in

    private static final String[] KNOWN = {
        "message", "error", "ping", "open", "close", "done", "update", "heartbeat", "keepalive",
        // Anthropic Messages
        "message_start", "message_delta", "message_stop",
        "content_block_start", "content_block_delta", "content_block_stop",
        // OpenAI Responses
        "response.created", "response.in_progress", "response.queued", "response.completed",
        "response.failed", "response.incomplete", "response.output_item.added",
        "response.output_item.done", "response.content_part.added", "response.content_part.done",
        "response.output_text.delta", "response.output_text.done",
        "response.output_text.annotation.added", "response.refusal.delta", "response.refusal.done",
        "response.function_call_arguments.delta", "response.function_call_arguments.done",
        "response.reasoning_summary_part.added", "response.reasoning_summary_part.done",
        "response.reasoning_summary_text.delta", "response.reasoning_summary_text.done",
        "response.reasoning_text.delta", "response.reasoning_text.done",
    };
    private static final byte[][] KNOWN_KEYS = new byte[SLOTS][];
    private static final String[] KNOWN_VALUES = new String[SLOTS];

    static {
        for (String type : KNOWN) {
            byte[] key = type.getBytes(StandardCharsets.US_ASCII);
            int slot = hash(key, 0, key.length) & (SLOTS - 1);
            while (KNOWN_KEYS[slot] != null) {
                slot = (slot + 1) & (SLOTS - 1);
            }
            KNOWN_KEYS[slot] = key;
            KNOWN_VALUES[slot] = type;
        }
    }

    private byte[][] learnedKeys;
    private String[] learnedValues;
    private int learned;

    /** The type named by {@code buf[index, index + length)}, {@code length > 0}. */
    public String resolve(ByteBuf buf, int index, int length) {
        int h = hash(buf, index, length);
        for (int slot = h & (SLOTS - 1); KNOWN_KEYS[slot] != null; slot = (slot + 1) & (SLOTS - 1)) {
            if (equals(KNOWN_KEYS[slot], buf, index, length)) {
                return KNOWN_VALUES[slot];
            }
        }
        if (learnedKeys != null) {
            for (int slot = h & (SLOTS - 1); learnedKeys[slot] != null; slot = (slot + 1) & (SLOTS - 1)) {
                if (equals(learnedKeys[slot], buf, index, length)) {
                    return learnedValues[slot];
                }
            }
        }
        String type = Utf8Decoder.decode(buf, index, length);
        if (learned < MAX_LEARNED && length <= MAX_LEARNED_LENGTH) {
            learn(h, buf, index, length, type);
        }
        return type;
    }

    private void learn(int h, ByteBuf buf, int index, int length, String type) {
        if (learnedKeys == null) {
            learnedKeys = new byte[SLOTS][];
            learnedValues = new String[SLOTS];
        }
        int slot = h & (SLOTS - 1);
        while (learnedKeys[slot] != null) {
            slot = (slot + 1) & (SLOTS - 1);
        }
        byte[] key = new byte[length];
        buf.getBytes(index, key);
        learnedKeys[slot] = key;
        learnedValues[slot] = type;
        learned++;
    }

    private static boolean equals(byte[] key, ByteBuf buf, int index, int length) {
        if (key.length != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (key[i] != buf.getByte(index + i)) {
                return false;
            }
        }
        return true;
    }

    private static int hash(ByteBuf buf, int index, int length) {
        int h = length;
        for (int i = 0; i < length; i++) {
            h = 31 * h + buf.getByte(index + i);
        }
        return h ^ (h >>> 16);
    }

    private static int hash(byte[] bytes, int index, int length) {
        int h = length;
        for (int i = 0; i < length; i++) {
            h = 31 * h + bytes[index + i];
        }
        return h ^ (h >>> 16);
    }
}

package io.sluice.core.internal;

import io.netty.buffer.ByteBuf;
import io.sluice.core.Utf8Decoder;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

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
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

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
    /** The last type resolved, and its bytes: LLM streams name the same type event after event. */
    private byte[] lastKey = new byte[0];
    private String lastValue;

    /**
     * The type named by {@code bytes[index, index + length)}, {@code length > 0}. Why an array
     * overload: the parser reads heap buffers through their arrays, where the comparison with the
     * last type is one vectorised {@code Arrays.equals} rather than a virtual {@code getByte} call
     * per byte, and a repeated type costs no hash at all. Figures: the comment in
     * {@code SseParser.feed} (ANTHROPIC, an {@code event:} line per event, gains most).
     */
    public String resolve(byte[] bytes, int index, int length) {
        byte[] last = lastKey;
        if (last.length == length && Arrays.equals(last, 0, length, bytes, index, index + length)) {
            return lastValue;
        }
        int h = hash(bytes, index, length);
        for (int slot = h & (SLOTS - 1); KNOWN_KEYS[slot] != null; slot = (slot + 1) & (SLOTS - 1)) {
            byte[] key = KNOWN_KEYS[slot];
            if (key.length == length && Arrays.equals(key, 0, length, bytes, index, index + length)) {
                return remember(key, KNOWN_VALUES[slot]);
            }
        }
        if (learnedKeys != null) {
            for (int slot = h & (SLOTS - 1); learnedKeys[slot] != null; slot = (slot + 1) & (SLOTS - 1)) {
                byte[] key = learnedKeys[slot];
                if (key.length == length && Arrays.equals(key, 0, length, bytes, index, index + length)) {
                    return remember(key, learnedValues[slot]);
                }
            }
        }
        String type = Utf8Decoder.decode(bytes, index, length);
        if (learned < MAX_LEARNED && length <= MAX_LEARNED_LENGTH) {
            byte[] key = Arrays.copyOfRange(bytes, index, index + length);
            learn(h, key, type);
            return remember(key, type);
        }
        return type;
    }

    private String remember(byte[] key, String value) {
        lastKey = key;
        lastValue = value;
        return value;
    }

    /** The type named by {@code buf[index, index + length)}, {@code length > 0}. */
    public String resolve(ByteBuf buf, int index, int length) {
        if (equals(lastKey, buf, index, length)) {
            return lastValue;
        }
        int h = hash(buf, index, length);
        for (int slot = h & (SLOTS - 1); KNOWN_KEYS[slot] != null; slot = (slot + 1) & (SLOTS - 1)) {
            if (equals(KNOWN_KEYS[slot], buf, index, length)) {
                return remember(KNOWN_KEYS[slot], KNOWN_VALUES[slot]);
            }
        }
        if (learnedKeys != null) {
            for (int slot = h & (SLOTS - 1); learnedKeys[slot] != null; slot = (slot + 1) & (SLOTS - 1)) {
                if (equals(learnedKeys[slot], buf, index, length)) {
                    return remember(learnedKeys[slot], learnedValues[slot]);
                }
            }
        }
        String type = Utf8Decoder.decode(buf, index, length);
        if (learned < MAX_LEARNED && length <= MAX_LEARNED_LENGTH) {
            byte[] key = new byte[length];
            buf.getBytes(index, key);
            learn(h, key, type);
            return remember(key, type);
        }
        return type;
    }

    private void learn(int h, byte[] key, String type) {
        if (learnedKeys == null) {
            learnedKeys = new byte[SLOTS][];
            learnedValues = new String[SLOTS];
        }
        int slot = h & (SLOTS - 1);
        while (learnedKeys[slot] != null) {
            slot = (slot + 1) & (SLOTS - 1);
        }
        learnedKeys[slot] = key;
        learnedValues[slot] = type;
        learned++;
    }

    /**
     * Eight bytes a compare where it can: on a direct buffer each getByte is a checked call. With
     * the last-type check in {@link #resolve(ByteBuf, int, int)}: ParserBenchmark#parse's loop,
     * ANTHROPIC direct, timed by thread CPU time (see SseParser.feed), best MB per CPU-second,
     * two runs each: whole 1144/1146 -> 1389/1307, segments1460 1067/1123 -> 1319/1320.
     */
    private static boolean equals(byte[] key, ByteBuf buf, int index, int length) {
        if (key.length != length) {
            return false;
        }
        int i = 0;
        for (; i <= length - Long.BYTES; i += Long.BYTES) {
            if ((long) LONG_LE.get(key, i) != buf.getLongLE(index + i)) {
                return false;
            }
        }
        for (; i < length; i++) {
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

package io.sluice.llm.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.llm.DeltaHandler;
import io.sluice.llm.DeltaKind;
import io.sluice.llm.Provider;

import java.io.IOException;

/**
 * Turns one provider's SSE events into deltas. One instance per stream, confined to the thread
 * that feeds it.
 *
 * <p>Every event goes through the same two phases. <b>Parse</b>: a hand-written walk over the
 * JSON tokens, straight from the event's bytes, that copies the values it needs into per-event
 * fields and text into {@link DeltaSlots}; fields may come in any order, unknown fields are
 * skipped with {@code skipChildren()}. <b>Finish</b>: only if the whole event parsed, the decoder
 * orders the deltas, updates its state across events (which blocks are open, whether the message
 * started), and they are emitted. A malformed event changes no state and yields a single
 * {@link DeltaKind#MALFORMED} delta.
 *
 * <h2>Allocation per event</h2>
 * What remains, and why:
 * <ul>
 *   <li>One {@link JsonParser} per event (with its {@code IOContext} and child symbol table):
 *       Jackson has no way to re-point a parser at new bytes. Its char and byte buffers are recycled
 *       by the factory's buffer recycler, and field names resolve to canonical Strings, so the
 *       parser is a few small objects.</li>
 *   <li>Strings for values the message keeps (id, model, tool id and name, stop reason, error
 *       strings) and for unknown type names: once per message or per block, never per text delta.</li>
 * </ul>
 * Text is copied once, from the parser's char buffer into the reused {@link DeltaSlots} array, and
 * the consumer appends it from there (the accumulator to a {@code StringBuilder} per block).
 */
public abstract class EventDecoder {
    /** Type of a {@link DeltaKind#MALFORMED} delta, as the final message records it. */
    public static final String MALFORMED_TYPE = "malformed_event";

    protected final DeltaSlots out;

    protected EventDecoder(Provider provider) {
        this.out = new DeltaSlots(provider);
    }

    /** The decoder for {@code provider}. */
    public static EventDecoder of(Provider provider) {
        return switch (provider) {
            case ANTHROPIC -> new AnthropicDecoder();
            case OPENAI_CHAT -> new OpenAiChatDecoder();
            case OPENAI_RESPONSES -> new OpenAiResponsesDecoder();
            case GEMINI -> new GeminiDecoder();
        };
    }

    /**
     * Decodes one event's data, {@code data[offset, offset + length)}, and hands its deltas to
     * {@code handler}. Never throws for bad input; an exception from the handler propagates.
     */
    public final void decode(String eventType, byte[] data, int offset, int length, DeltaHandler handler) {
        out.reset();
        try {
            if (!decodeRaw(eventType, data, offset, length)) {
                try (JsonParser p = Json.FACTORY.createParser(data, offset, length)) {
                    if (p.nextToken() != JsonToken.START_OBJECT) {
                        throw new IOException("event data is not a JSON object");
                    }
                    resetEvent();
                    parseObject(eventType, p);
                }
                finish(eventType);
            }
        } catch (IOException | RuntimeException e) {
            // Nothing of the event is kept: the partial slots are dropped and finish() never ran.
            out.reset();
            String message = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            out.add(DeltaKind.MALFORMED).error(MALFORMED_TYPE, "event '" + eventType + "': " + message);
        }
        out.emit(handler);
    }

    /** A hook for data that is not JSON ({@code [DONE]}); returns true if it handled the event. */
    protected boolean decodeRaw(String eventType, byte[] data, int offset, int length) {
        return false;
    }

    /** Clears the per-event fields. */
    protected abstract void resetEvent();

    /** Parses the top-level object; the parser is at its START_OBJECT. Adds body deltas, keeps no cross-event state. */
    protected abstract void parseObject(String eventType, JsonParser p) throws IOException;

    /** Orders and completes the event's deltas and updates the state across events. */
    protected abstract void finish(String eventType);

    // ---- token helpers: all allocation-free unless they return a String ----

    /** Advances to the next field of the current object and onto its value; null at the object's end. */
    protected static String nextField(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.FIELD_NAME) {
            return null;
        }
        String name = p.currentName(); // canonical instance: no allocation, hash cached
        p.nextToken();
        return name;
    }

    /** Index of the current string value in {@code names}, or -1; compares chars, makes no String. */
    protected static int lookup(JsonParser p, char[][] names) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            p.skipChildren();
            return -1;
        }
        char[] buf = p.getTextCharacters();
        int off = p.getTextOffset();
        int len = p.getTextLength();
        outer:
        for (int i = 0; i < names.length; i++) {
            char[] n = names[i];
            if (n.length != len) {
                continue;
            }
            for (int j = 0; j < len; j++) {
                if (buf[off + j] != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    protected static char[][] names(String... names) {
        char[][] out = new char[names.length][];
        for (int i = 0; i < names.length; i++) {
            out[i] = names[i].toCharArray();
        }
        return out;
    }

    /** The current value as a String if it is one (allocates), else null (skipping an object or array). */
    protected static String string(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_STRING) {
            return p.getText();
        }
        p.skipChildren();
        return null;
    }

    /**
     * The current value as a token count: a non-negative integer, else {@link io.sluice.llm.Delta#ABSENT}
     * (a negative count is no count, and the delta's contract keeps -1 the only "absent").
     */
    protected static long count(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
            long value = p.getLongValue();
            return value >= 0 ? value : io.sluice.llm.Delta.ABSENT;
        }
        p.skipChildren();
        return io.sluice.llm.Delta.ABSENT;
    }

    /**
     * Reads an object of counts under the provider's own names (Anthropic's {@code server_tool_use})
     * into {@code usage}; values that are not counts are skipped. Anything but an object is skipped
     * and leaves the counts unreported.
     */
    protected static void parseServerToolUse(JsonParser p, UsageCounts usage) throws IOException {
        if (!isObject(p)) {
            return;
        }
        usage.serverToolUseSeen();
        for (String f; (f = nextField(p)) != null; ) {
            long n = count(p);
            if (n >= 0) {
                usage.serverTool(f, n);
            }
        }
    }

    /** The current value as an int if it is an integer, else -1. */
    protected static int smallNumber(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
            return p.getIntValue();
        }
        p.skipChildren();
        return -1;
    }

    /** True if the current value is an object (to descend into); otherwise skips it. */
    protected static boolean isObject(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.START_OBJECT) {
            return true;
        }
        p.skipChildren();
        return false;
    }

    /** True if the current value is an array (to descend into); otherwise skips it. */
    protected static boolean isArray(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.START_ARRAY) {
            return true;
        }
        p.skipChildren();
        return false;
    }

    /** Length of the text the last {@link #copyText(JsonParser)} copied (0 when it was not a string). */
    protected int copiedLength;

    /**
     * Copies the current string value into the slots' text array and returns its offset (its length
     * in {@link #copiedLength}), or -1 if it is not a string.
     */
    protected int copyText(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            p.skipChildren();
            copiedLength = 0;
            return -1;
        }
        copiedLength = p.getTextLength();
        return out.copy(p.getTextCharacters(), p.getTextOffset(), copiedLength);
    }
}

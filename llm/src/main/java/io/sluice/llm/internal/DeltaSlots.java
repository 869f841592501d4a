package io.sluice.llm.internal;

import io.sluice.llm.BlockType;
import io.sluice.llm.Delta;
import io.sluice.llm.DeltaHandler;
import io.sluice.llm.DeltaKind;
import io.sluice.llm.Provider;

import java.io.Writer;
import java.util.Arrays;
import java.util.Objects;

/**
 * The deltas of the event being decoded, held until the event has parsed completely and then
 * handed out in order: a JSON object's fields may come in any order (Gemini sends
 * {@code responseId} last), and a malformed event must produce no content deltas at all.
 *
 * <p>Slots and the text array are reused event after event: in steady state filling and emitting
 * allocates nothing. Texts of all slots share one char array; a slot holds its range.
 */
public final class DeltaSlots {
    private final Provider provider;
    private Slot[] slots = new Slot[8];
    private int size;
    /** The texts of this event's slots, back to back. */
    char[] chars = new char[256];
    int charsUsed;
    private final Writer charWriter = new CharWriter();

    public DeltaSlots(Provider provider) {
        this.provider = provider;
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot();
        }
    }

    public void reset() {
        size = 0;
        charsUsed = 0;
    }

    public int size() {
        return size;
    }

    /** A cleared slot of the given kind, appended. */
    public Slot add(DeltaKind kind) {
        if (size == slots.length) {
            Slot[] grown = Arrays.copyOf(slots, size * 2);
            for (int i = size; i < grown.length; i++) {
                grown[i] = new Slot();
            }
            slots = grown;
        }
        Slot s = slots[size++];
        s.clear(kind);
        return s;
    }

    public Slot add(DeltaKind kind, int index) {
        Slot s = add(kind);
        s.index = index;
        return s;
    }

    /** Copies chars into the shared text array and returns where they start. */
    public int copy(char[] src, int offset, int length) {
        ensure(length);
        System.arraycopy(src, offset, chars, charsUsed, length);
        int start = charsUsed;
        charsUsed += length;
        return start;
    }

    /** Where the next text written through {@link #writer()} starts. */
    public int mark() {
        return charsUsed;
    }

    /** A writer appending to the shared text array (for re-serialised JSON). */
    public Writer writer() {
        return charWriter;
    }

    private void ensure(int more) {
        if (charsUsed + more > chars.length) {
            chars = Arrays.copyOf(chars, Math.max(chars.length * 2, charsUsed + more));
        }
    }

    public void emit(DeltaHandler handler) {
        for (int i = 0; i < size; i++) {
            handler.onDelta(slots[i]);
        }
    }

    /** One delta: a mutable view over this event's decoded values. */
    public final class Slot implements Delta {
        DeltaKind kind;
        int index;
        BlockType blockType;
        String typeName;
        String id;
        String model;
        String name;
        int textOffset;
        int textLength;
        /** Reused: a usage delta copies its event's counts in, never allocates. */
        final UsageCounts usage = new UsageCounts();
        String stopReason;
        String errorType;
        String errorMessage;

        void clear(DeltaKind kind) {
            this.kind = kind;
            index = -1;
            blockType = null;
            typeName = null;
            id = null;
            model = null;
            name = null;
            textOffset = 0;
            textLength = 0;
            usage.reset();
            stopReason = null;
            errorType = null;
            errorMessage = null;
        }

        public Slot text(int offset, int length) {
            textOffset = offset;
            textLength = length;
            return this;
        }

        public Slot block(BlockType type, String typeName, String id, String name) {
            this.blockType = type;
            this.typeName = typeName;
            this.id = id;
            this.name = name;
            return this;
        }

        public Slot typeName(String typeName) {
            this.typeName = typeName;
            return this;
        }

        public Slot message(String id, String model) {
            this.id = id;
            this.model = model;
            return this;
        }

        public Slot usage(UsageCounts counts) {
            usage.copyFrom(counts);
            return this;
        }

        public Slot stopReason(String reason) {
            stopReason = reason;
            return this;
        }

        public Slot error(String type, String message) {
            errorType = type;
            errorMessage = message;
            return this;
        }

        @Override
        public DeltaKind kind() {
            return kind;
        }

        @Override
        public Provider provider() {
            return provider;
        }

        @Override
        public int index() {
            return index;
        }

        @Override
        public BlockType blockType() {
            return blockType;
        }

        @Override
        public String typeName() {
            return typeName;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public String model() {
            return model;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public char[] textChars() {
            return chars;
        }

        @Override
        public int textOffset() {
            return textOffset;
        }

        @Override
        public int textLength() {
            return textLength;
        }

        @Override
        public long inputTokens() {
            return usage.input;
        }

        @Override
        public long outputTokens() {
            return usage.output;
        }

        @Override
        public long cacheReadInputTokens() {
            return usage.cacheRead;
        }

        @Override
        public long cacheCreationInputTokens() {
            return usage.cacheCreation;
        }

        @Override
        public long cacheCreation5mInputTokens() {
            return usage.cacheCreation5m;
        }

        @Override
        public long cacheCreation1hInputTokens() {
            return usage.cacheCreation1h;
        }

        @Override
        public long reasoningTokens() {
            return usage.reasoning;
        }

        @Override
        public long toolUsePromptTokens() {
            return usage.toolUsePrompt;
        }

        @Override
        public int serverToolUseCounts() {
            return usage.serverTools;
        }

        @Override
        public String serverToolUseName(int i) {
            return usage.serverToolNames[Objects.checkIndex(i, Math.max(usage.serverTools, 0))];
        }

        @Override
        public long serverToolUseCount(int i) {
            return usage.serverToolCounts[Objects.checkIndex(i, Math.max(usage.serverTools, 0))];
        }

        @Override
        public String stopReason() {
            return stopReason;
        }

        @Override
        public String errorType() {
            return errorType;
        }

        @Override
        public String errorMessage() {
            return errorMessage;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(kind.name());
            if (index >= 0) {
                sb.append(" #").append(index);
            }
            if (textLength > 0) {
                sb.append(' ').append('"').append(chars, textOffset, textLength).append('"');
            }
            return sb.toString();
        }
    }

    private final class CharWriter extends Writer {
        @Override
        public void write(char[] cbuf, int off, int len) {
            copy(cbuf, off, len);
        }

        @Override
        public void write(String str, int off, int len) {
            ensure(len);
            str.getChars(off, off + len, chars, charsUsed);
            charsUsed += len;
        }

        @Override
        public void write(int c) {
            ensure(1);
            chars[charsUsed++] = (char) c;
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}

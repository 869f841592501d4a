package io.sluice.llm;

import com.fasterxml.jackson.core.JsonGenerator;
import io.sluice.llm.internal.ErrorBodyDecoder;
import io.sluice.llm.internal.Json;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the unified message from deltas, as the Anthropic SDK's {@code MessageStream} builds its
 * {@code current_message_snapshot}: {@link #snapshot()} at any time gives the message so far, and
 * after the stream the final one.
 *
 * <p>Rules: blocks are kept in {@link Delta#index()} order; deltas for a block that was never
 * started (an unknown block type) or of the wrong kind for it are ignored. Text is appended to a
 * {@code StringBuilder} per block. A tool's argument fragments are kept raw (exposed as
 * {@link ContentBlock.ToolUse#partialJson()}) and parsed once, when the block stops. Each usage
 * count present replaces the previous one (they are cumulative) and one absent keeps it, server
 * tool counts name by name. {@code complete} becomes true at
 * {@link DeltaKind#DONE} only.
 *
 * <p>Errors: a provider's {@link DeltaKind#ERROR} is recorded (the first one; it replaces a
 * malformed-event error); a {@link DeltaKind#MALFORMED} event or a {@link #transportError(String,
 * String)} is recorded only when no error is yet (a transport error, only before the message is
 * complete). The partial message is kept in every case.
 *
 * <p>Confined to one thread; {@link #snapshot()} copies, so the result may be handed to others.
 */
public final class MessageAccumulator implements DeltaHandler {
    private Provider provider;
    private String id;
    private String model;
    private final List<Block> blocks = new ArrayList<>();
    /** The block the last delta went to: consecutive deltas almost always go to the same one. */
    private Block last;
    private String stopReason;
    private long inputTokens = Delta.ABSENT;
    private long outputTokens = Delta.ABSENT;
    private long cacheReadInputTokens = Delta.ABSENT;
    private long cacheCreationInputTokens = Delta.ABSENT;
    private long cacheCreation5mInputTokens = Delta.ABSENT;
    private long cacheCreation1hInputTokens = Delta.ABSENT;
    private long reasoningTokens = Delta.ABSENT;
    private long toolUsePromptTokens = Delta.ABSENT;
    /** Server tool counts by the provider's names, in the order first reported; null until reported. */
    private Map<String, Long> serverToolUse;
    private boolean complete;
    private LlmError error;
    private boolean errorFromProvider;
    private long events;

    public MessageAccumulator() {
    }

    /** An accumulator whose provider is known up front (it is otherwise taken from the deltas). */
    public MessageAccumulator(Provider provider) {
        this.provider = provider;
    }

    /** Counts one dispatched SSE event (the message's {@code events}). */
    public void countEvent() {
        events++;
    }

    @Override
    public void onDelta(Delta d) {
        if (provider == null && d.provider() != null) {
            provider = d.provider();
        }
        switch (d.kind()) {
            case MESSAGE_START -> {
                id = d.id();
                model = d.model();
                usage(d);
            }
            case BLOCK_START -> start(d);
            case TEXT -> {
                Block b = block(d.index(), BlockType.TEXT);
                if (b != null) {
                    d.appendText(b.text);
                }
            }
            case THINKING -> {
                Block b = block(d.index(), BlockType.THINKING);
                if (b != null) {
                    d.appendText(b.text);
                }
            }
            case SIGNATURE -> {
                Block b = block(d.index(), BlockType.THINKING);
                if (b != null) {
                    if (b.signature == null) {
                        b.signature = new StringBuilder(d.textLength());
                    }
                    d.appendText(b.signature);
                }
            }
            case TOOL_INPUT -> {
                Block b = block(d.index(), BlockType.TOOL_USE);
                if (b != null) {
                    d.appendText(b.text);
                }
            }
            case BLOCK_STOP -> {
                Block b = block(d.index(), null);
                if (b != null) {
                    b.stop();
                }
            }
            case STOP_REASON -> stopReason = d.stopReason();
            case USAGE -> usage(d);
            case ERROR -> {
                if (!errorFromProvider) {
                    error = new LlmError(d.errorType(), d.errorMessage());
                    errorFromProvider = true;
                }
            }
            case MALFORMED -> {
                if (error == null) {
                    error = new LlmError(d.errorType(), d.errorMessage());
                }
            }
            case DONE -> complete = true;
            case PING, OTHER -> {
            }
        }
    }

    /** Each count said replaces the one before; a count not said keeps it (Anthropic's message_delta repeats some, not all). */
    private void usage(Delta d) {
        inputTokens = latest(inputTokens, d.inputTokens());
        outputTokens = latest(outputTokens, d.outputTokens());
        cacheReadInputTokens = latest(cacheReadInputTokens, d.cacheReadInputTokens());
        cacheCreationInputTokens = latest(cacheCreationInputTokens, d.cacheCreationInputTokens());
        cacheCreation5mInputTokens = latest(cacheCreation5mInputTokens, d.cacheCreation5mInputTokens());
        cacheCreation1hInputTokens = latest(cacheCreation1hInputTokens, d.cacheCreation1hInputTokens());
        reasoningTokens = latest(reasoningTokens, d.reasoningTokens());
        toolUsePromptTokens = latest(toolUsePromptTokens, d.toolUsePromptTokens());
        int tools = d.serverToolUseCounts();
        if (tools >= 0) {
            if (serverToolUse == null) {
                serverToolUse = new LinkedHashMap<>();
            }
            for (int i = 0; i < tools; i++) {
                long count = d.serverToolUseCount(i);
                if (count >= 0) {
                    serverToolUse.put(d.serverToolUseName(i), count);
                }
            }
        }
    }

    private static long latest(long before, long said) {
        return said >= 0 ? said : before;
    }

    private void start(Delta d) {
        if (d.blockType() == null || find(d.index()) != null) {
            return; // a second start for the same index changes nothing
        }
        Block b = new Block(d.index(), d.blockType(), d.id(), d.name());
        int at = blocks.size();
        while (at > 0 && blocks.get(at - 1).index > b.index) {
            at--;
        }
        blocks.add(at, b);
        last = b;
    }

    private Block block(int index, BlockType type) {
        Block b = find(index);
        return b == null || (type != null && b.type != type) ? null : b;
    }

    private Block find(int index) {
        Block b = last;
        if (b != null && b.index == index) {
            return b;
        }
        for (int i = blocks.size() - 1; i >= 0; i--) {
            b = blocks.get(i);
            if (b.index == index) {
                last = b;
                return b;
            }
        }
        return null;
    }

    /**
     * Records an error of the transport (the connection was reset, an idle timeout, a bound
     * exceeded), keeping the partial message. Ignored if an error is already recorded (the first
     * cause is the one worth reporting) or the message is complete: what happens to the connection
     * after the provider's terminal event (a reader that hangs up on it, a reset) takes nothing
     * from the message.
     */
    public void transportError(String type, String message) {
        if (error == null && !complete) {
            error = new LlmError(type, message);
        }
    }

    /**
     * Records an HTTP error response (a non-2xx status, no event stream): the body's
     * {@code error.type} (Gemini: {@code error.status}) and {@code error.message}; when the body is
     * not such JSON, type {@code "http_error"} and a message naming the status. A provider not yet
     * known is told from the body's shape alone; the overload with headers tells more.
     */
    public void httpError(int status, byte[] body, int offset, int length) {
        httpError(status, null, null, body, offset, length);
    }

    /**
     * As {@link #httpError(int, byte[], int, int)}, and when the provider is not yet known, it is
     * taken from the refusal itself ({@link ProviderDetector#detectHttpError}): a message that
     * says who refused it, so a refused request is attributed like a streamed one (issue 19).
     *
     * @param requestPath the request's path, or null when unknown
     * @param headers the response's header fields, or null when unknown
     */
    public void httpError(int status, String requestPath, Iterable<? extends Map.Entry<String, String>> headers,
                          byte[] body, int offset, int length) {
        if (provider == null) {
            provider = ProviderDetector.detectHttpError(requestPath, headers, body, offset, length);
        }
        LlmError[] found = new LlmError[1];
        new ErrorBodyDecoder(provider).decode("message", body, offset, length, d -> {
            if (d.kind() == DeltaKind.ERROR) {
                found[0] = new LlmError(d.errorType(), d.errorMessage());
            }
        });
        LlmError e = found[0] != null ? found[0] : new LlmError("http_error", "HTTP status " + status);
        error = e;
        errorFromProvider = true;
    }

    public Provider provider() {
        return provider;
    }

    /** True once the provider's terminal event arrived. */
    public boolean complete() {
        return complete;
    }

    public long events() {
        return events;
    }

    /** The message so far: a copy, consistent as of the last delta. */
    public LlmMessage snapshot() {
        List<ContentBlock> content = new ArrayList<>(blocks.size());
        for (Block b : blocks) {
            content.add(b.toContent());
        }
        Usage.Builder usage = Usage.builder()
                .inputTokens(count(inputTokens))
                .outputTokens(count(outputTokens))
                .cacheReadInputTokens(count(cacheReadInputTokens))
                .cacheCreationInputTokens(count(cacheCreationInputTokens))
                .reasoningTokens(count(reasoningTokens))
                .cacheCreation5mInputTokens(count(cacheCreation5mInputTokens))
                .cacheCreation1hInputTokens(count(cacheCreation1hInputTokens))
                .toolUsePromptTokens(count(toolUsePromptTokens));
        if (serverToolUse != null) {
            usage.serverToolUseReported();
            serverToolUse.forEach(usage::serverToolUse);
        }
        return new LlmMessage(provider, id, model, content, stopReason, count(inputTokens), count(outputTokens),
                complete, error, events, usage.build());
    }

    private static Long count(long value) {
        return value < 0 ? null : value;
    }

    /** Writes {@link #snapshot()} as JSON. */
    public void writeJson(JsonGenerator g) throws IOException {
        snapshot().writeJson(g);
    }

    /** {@link #snapshot()} as compact JSON. */
    public String toJson() {
        return snapshot().toJson();
    }

    /** One content block under construction. */
    private static final class Block {
        final int index;
        final BlockType type;
        final String id;
        final String name;
        /** The text, the thinking, or the tool's raw argument fragments. */
        final StringBuilder text = new StringBuilder();
        StringBuilder signature;
        boolean stopped;
        /** The tool's arguments parsed and re-serialised, set when the block stops; null if they do not parse. */
        String input;

        Block(int index, BlockType type, String id, String name) {
            this.index = index;
            this.type = type;
            this.id = id;
            this.name = name;
        }

        void stop() {
            if (stopped) {
                return;
            }
            stopped = true;
            if (type == BlockType.TOOL_USE) {
                input = text.length() == 0 ? "{}" : Json.normalize(text.toString());
            }
        }

        ContentBlock toContent() {
            return switch (type) {
                case TEXT -> new ContentBlock.Text(text.toString());
                case THINKING -> new ContentBlock.Thinking(text.toString(), signature == null ? null : signature.toString());
                case TOOL_USE -> new ContentBlock.ToolUse(id, name, input, text.toString(), stopped);
            };
        }
    }
}

package io.sluice.llm;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import io.sluice.llm.internal.Json;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The unified final message (docs/llm.md, "Final message schema"), or a snapshot of it during the stream.
 * Immutable. {@link #writeJson(JsonGenerator)} writes exactly the schema, keys in its order, with
 * {@link Usage}'s keys past the schema's first five inside {@code usage}.
 *
 * @param provider null when not known (an HTTP error whose body, headers and request path do not tell)
 * @param content text, thinking and tool blocks in content order
 * @param stopReason the provider's own value, null when none arrived
 * @param inputTokens null when unknown; the same as {@code usage.inputTokens()}
 * @param outputTokens null when unknown; the same as {@code usage.outputTokens()}
 * @param complete true only if the provider's terminal event arrived
 * @param error the provider's error, a transport error the caller recorded, or a malformed event; null when none
 * @param events the number of SSE events dispatched
 * @param usage every token count the provider reported (issue 19); null stands for a usage of
 *     {@code inputTokens} and {@code outputTokens} alone
 */
public record LlmMessage(Provider provider, String id, String model, List<ContentBlock> content, String stopReason,
                         Long inputTokens, Long outputTokens, boolean complete, LlmError error, long events,
                         Usage usage) {

    /** The providers' stop reasons for "the output token limit was reached". */
    private static final Set<String> TOKEN_LIMIT = Set.of("max_tokens", "length", "max_output_tokens", "MAX_TOKENS");

    /**
     * @throws IllegalArgumentException if {@code usage} disagrees with {@code inputTokens} or
     *     {@code outputTokens} (they are kept as components so that code written before
     *     {@code usage} existed still compiles; two answers to one question would be a bug)
     */
    public LlmMessage {
        content = List.copyOf(content);
        if (usage == null) {
            usage = Usage.builder().inputTokens(inputTokens).outputTokens(outputTokens).build();
        } else if (!Objects.equals(usage.inputTokens(), inputTokens) || !Objects.equals(usage.outputTokens(), outputTokens)) {
            throw new IllegalArgumentException("usage " + usage + " disagrees with inputTokens " + inputTokens
                    + " and outputTokens " + outputTokens);
        }
    }

    /** A message whose usage is its input and output tokens only (the constructor before {@code usage}). */
    public LlmMessage(Provider provider, String id, String model, List<ContentBlock> content, String stopReason,
                      Long inputTokens, Long outputTokens, boolean complete, LlmError error, long events) {
        this(provider, id, model, content, stopReason, inputTokens, outputTokens, complete, error, events, null);
    }

    /** True when the provider stopped the message at its output token limit (the text is cut off). */
    public boolean stoppedAtTokenLimit() {
        return stopReason != null && TOKEN_LIMIT.contains(stopReason);
    }

    /** The text blocks, concatenated. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        for (ContentBlock b : content) {
            if (b instanceof ContentBlock.Text t) {
                sb.append(t.text());
            }
        }
        return sb.toString();
    }

    /**
     * Writes the message as one JSON object. A tool's {@code input} is its parsed arguments
     * re-serialised (through the generator, so a pretty printer applies); {@code {}} when no
     * fragment arrived; for a block that never stopped, the fragments if they happen to parse, else
     * null.
     */
    public void writeJson(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("provider", provider == null ? null : provider.id());
        g.writeStringField("id", id);
        g.writeStringField("model", model);
        g.writeArrayFieldStart("content");
        for (ContentBlock block : content) {
            g.writeStartObject();
            if (block instanceof ContentBlock.Text t) {
                g.writeStringField("type", "text");
                g.writeStringField("text", t.text());
            } else if (block instanceof ContentBlock.Thinking t) {
                g.writeStringField("type", "thinking");
                g.writeStringField("thinking", t.thinking());
                g.writeStringField("signature", t.signature());
            } else if (block instanceof ContentBlock.ToolUse t) {
                g.writeStringField("type", "tool_use");
                g.writeStringField("id", t.id());
                g.writeStringField("name", t.name());
                g.writeFieldName("input");
                String input = t.input();
                if (input == null && !t.complete()) {
                    input = t.partialJson().isEmpty() ? "{}" : Json.normalize(t.partialJson());
                }
                if (input == null) {
                    g.writeNull();
                } else {
                    Json.writeParsed(input, g);
                }
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeStringField("stop_reason", stopReason);
        g.writeFieldName("usage");
        usage.writeJson(g);
        g.writeBooleanField("complete", complete);
        if (error == null) {
            g.writeNullField("error");
        } else {
            g.writeObjectFieldStart("error");
            g.writeStringField("type", error.type());
            g.writeStringField("message", error.message());
            g.writeEndObject();
        }
        g.writeNumberField("events", events);
        g.writeEndObject();
    }

    /** The message as compact JSON, on one line. */
    public String toJson() {
        return toJson(false);
    }

    /** The message as JSON, indented when {@code pretty}. */
    public String toJson(boolean pretty) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
            if (pretty) {
                g.setPrettyPrinter(new DefaultPrettyPrinter());
            }
            writeJson(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return toJson();
    }
}

package io.sluice.llm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import io.netty.buffer.ByteBuf;
import io.sluice.core.SseEvent;
import io.sluice.llm.internal.Json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Usage a gateway can count on from OpenAI Chat Completions streams (issue 19): such a stream
 * reports its token usage only when its request says {@code "stream_options": {"include_usage": true}},
 * in one extra chunk before {@code [DONE]} whose {@code choices} is empty. A relay asks for it on
 * the client's behalf ({@link #rewrite}) and keeps that chunk from a client that had not asked
 * ({@link #isUsageChunk}), so the client sees the stream it asked for and the relay's tap still
 * reads the usage. sluice-netty-transport's {@code SseRelay.Builder.rewrite} takes both:
 * <pre>{@code
 * relay.rewrite(request -> {
 *     byte[] body = IncludeUsage.rewrite(request.uri(), request.content());
 *     return body == null ? null : SseRelayRewrite.body(body).hiding(IncludeUsage::isUsageChunk);
 * });
 * }</pre>
 *
 * <p>The rule, in full. A request is rewritten when all of these hold, and otherwise passes as it came:
 * <ul>
 *   <li>its path (the request target up to any {@code ?}) ends with {@code /chat/completions}:
 *       OpenAI's, Azure's deployments' and the OpenAI-compatible servers'. The body alone cannot
 *       tell: Anthropic's Messages requests also say {@code "stream": true} and {@code messages},
 *       and Anthropic refuses fields it does not know;</li>
 *   <li>its body is exactly one JSON object in UTF-8 (not compressed, no BOM, no trailing data) with a top-level
 *       {@code "stream": true};</li>
 *   <li>{@code stream_options} is absent or {@code null}, or an object whose {@code include_usage}
 *       is absent, {@code null} or {@code false}. A client that said {@code false} gets what it
 *       said, no usage chunk, and the relay learns the usage all the same: the flag is turned to
 *       {@code true} and the chunk hidden, exactly as when it was absent. Already {@code true}: the
 *       client asked, and gets the chunk;</li>
 *   <li>neither {@code stream} nor {@code stream_options} (nor {@code include_usage} in it) appears
 *       twice, and any value there has a type OpenAI accepts; an invalid request is the
 *       upstream's to refuse, as it was sent.</li>
 * </ul>
 * The new body is the old one copied token by token with jackson-core, compact: every member in
 * its order and every value as it was (numbers as their text), {@code include_usage} set in place
 * in an existing {@code stream_options}, or {@code "stream_options":{"include_usage":true}}
 * appended as the last member. A body the copy cannot write (a lone surrogate in a string), or
 * one past jackson-core's read constraints (nesting, string and number lengths), passes untouched.
 *
 * <p>What the client then sees differs in one way from the stream it would have had: OpenAI
 * writes {@code "usage": null} in every other chunk of a stream that asked for usage. Null and
 * absent read the same to the SDKs (the official ones model the field as optional), and
 * rewriting each chunk to drop it would cost a JSON copy of every event.
 */
public final class IncludeUsage {
    /** The path suffix of the requests rewritten. */
    public static final String CHAT_COMPLETIONS = "/chat/completions";

    /**
     * Writes the new bodies: a character beyond the BMP goes out as its four UTF-8 bytes, as
     * clients send it, not as the two escaped surrogates jackson-core writes by default.
     */
    private static final JsonFactory WRITER = JsonFactory.builder()
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .build();

    private IncludeUsage() {
    }

    /** What a request's body needs, told by one read of it. */
    private enum Plan { UNTOUCHED, APPEND, REPLACE_NULL, MERGE }

    /**
     * The body to send upstream in place of {@code body}, asking for usage; null when the request
     * is to pass as it came (the rule in the class comment). {@code body}'s readable bytes are
     * read, its indices unchanged; nothing is kept.
     *
     * @param requestTarget the request's target as the client sent it: a path, with any query
     */
    public static byte[] rewrite(String requestTarget, ByteBuf body) {
        if (!isChatCompletions(requestTarget) || body.readableBytes() == 0) {
            return null;
        }
        if (body.hasArray()) {
            return rewrite(body.array(), body.arrayOffset() + body.readerIndex(), body.readableBytes());
        }
        byte[] copy = new byte[body.readableBytes()];
        body.getBytes(body.readerIndex(), copy);
        return rewrite(copy, 0, copy.length);
    }

    /** As {@link #rewrite(String, ByteBuf)}, for a body in {@code data[offset, offset + length)}. */
    public static byte[] rewrite(String requestTarget, byte[] data, int offset, int length) {
        return isChatCompletions(requestTarget) ? rewrite(data, offset, length) : null;
    }

    /** Whether {@code requestTarget}'s path ends with {@link #CHAT_COMPLETIONS}. */
    static boolean isChatCompletions(String requestTarget) {
        int end = requestTarget.length();
        int query = requestTarget.indexOf('?');
        if (query >= 0) {
            end = query;
        }
        int fragment = requestTarget.indexOf('#');
        if (fragment >= 0 && fragment < end) {
            end = fragment;
        }
        return requestTarget.startsWith(CHAT_COMPLETIONS, end - CHAT_COMPLETIONS.length());
    }

    private static byte[] rewrite(byte[] data, int offset, int length) {
        if (!startsAnObject(data, offset, length)) {
            return null;
        }
        Plan plan = plan(data, offset, length);
        if (plan == Plan.UNTOUCHED) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 48);
        try (JsonParser p = Json.FACTORY.createParser(data, offset, length);
             JsonGenerator g = WRITER.createGenerator(out)) {
            p.nextToken();
            g.writeStartObject();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                g.writeFieldName(name);
                if (!"stream_options".equals(name)) {
                    Json.copyValue(p, g);
                } else if (plan == Plan.REPLACE_NULL) {
                    writeIncludeUsage(g);
                } else {
                    mergeIncludeUsage(p, g);
                }
            }
            if (plan == Plan.APPEND) {
                g.writeFieldName("stream_options");
                writeIncludeUsage(g);
            }
            g.writeEndObject();
        } catch (IOException | RuntimeException e) {
            return null; // plan() read it whole, so this is the generator's refusal: pass it as it came
        }
        return out.toByteArray();
    }

    /**
     * Whether the body's first byte past JSON whitespace is {@code {}: UTF-8 JSON, as OpenAI takes
     * it. jackson-core would also read UTF-16 and UTF-32 (and skip a BOM), and the copy, written
     * in UTF-8, would then disagree with the request's content type: such a body passes untouched.
     */
    private static boolean startsAnObject(byte[] data, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            byte b = data[i];
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return b == '{';
            }
        }
        return false;
    }

    /** Reads the body once, whole, and says what it needs; anything unreadable or out of the rule is UNTOUCHED. */
    private static Plan plan(byte[] data, int offset, int length) {
        try (JsonParser p = Json.FACTORY.createParser(data, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return Plan.UNTOUCHED;
            }
            JsonToken stream = null;
            JsonToken options = null;
            JsonToken include = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "stream" -> {
                        if (stream != null) {
                            return Plan.UNTOUCHED;
                        }
                        stream = value;
                    }
                    case "stream_options" -> {
                        if (options != null) {
                            return Plan.UNTOUCHED;
                        }
                        options = value;
                        if (value == JsonToken.START_OBJECT) {
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                boolean isInclude = "include_usage".equals(p.currentName());
                                JsonToken v = p.nextToken();
                                if (isInclude) {
                                    if (include != null) {
                                        return Plan.UNTOUCHED;
                                    }
                                    include = v;
                                }
                                p.skipChildren();
                            }
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (p.nextToken() != null) {
                return Plan.UNTOUCHED; // a second value after the object: not one JSON body
            }
            if (stream != JsonToken.VALUE_TRUE) {
                return Plan.UNTOUCHED;
            }
            if (options == null) {
                return Plan.APPEND;
            }
            if (options == JsonToken.VALUE_NULL) {
                return Plan.REPLACE_NULL;
            }
            if (options == JsonToken.START_OBJECT
                    && (include == null || include == JsonToken.VALUE_NULL || include == JsonToken.VALUE_FALSE)) {
                return Plan.MERGE;
            }
            return Plan.UNTOUCHED; // include_usage already true, or a value OpenAI would refuse
        } catch (IOException | RuntimeException e) {
            return Plan.UNTOUCHED; // not JSON, cut, or past the read constraints
        }
    }

    private static void writeIncludeUsage(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeBooleanField("include_usage", true);
        g.writeEndObject();
    }

    /** Copies the {@code stream_options} object at the parser with {@code include_usage} true, in place or appended. */
    private static void mergeIncludeUsage(JsonParser p, JsonGenerator g) throws IOException {
        g.writeStartObject();
        boolean written = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            if ("include_usage".equals(name)) {
                g.writeBooleanField(name, true);
                written = true;
            } else {
                g.writeFieldName(name);
                Json.copyValue(p, g);
            }
        }
        if (!written) {
            g.writeBooleanField("include_usage", true);
        }
        g.writeEndObject();
    }

    /**
     * Whether {@code event} is the usage chunk that {@code include_usage} adds: an unnamed event
     * whose data is a JSON object with an empty {@code choices} array and a {@code usage} object.
     * Azure's first chunk (empty {@code choices}, {@code prompt_filter_results}, no usage) is not
     * one. Reads the event's view during the call; a chunk with content is told from its
     * {@code choices} without reading further.
     */
    public static boolean isUsageChunk(SseEvent event) {
        if (!"message".equals(event.type())) {
            return false;
        }
        ByteBuf data = event.dataBuffer();
        int length = event.dataLength();
        if (data.hasArray()) {
            return isUsageChunk(data.array(), data.arrayOffset() + event.dataIndex(), length);
        }
        byte[] copy = new byte[length];
        data.getBytes(event.dataIndex(), copy);
        return isUsageChunk(copy, 0, length);
    }

    /** As {@link #isUsageChunk(SseEvent)}, for an unnamed event's data in {@code data[offset, offset + length)}. */
    public static boolean isUsageChunk(byte[] data, int offset, int length) {
        try (JsonParser p = Json.FACTORY.createParser(data, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            boolean emptyChoices = false;
            boolean usage = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if ("choices".equals(name)) {
                    if (value != JsonToken.START_ARRAY || p.nextToken() != JsonToken.END_ARRAY) {
                        return false;
                    }
                    emptyChoices = true;
                } else if ("usage".equals(name)) {
                    if (value != JsonToken.START_OBJECT) {
                        return false;
                    }
                    usage = true;
                    p.skipChildren();
                } else {
                    p.skipChildren();
                }
            }
            return emptyChoices && usage;
        } catch (IOException | RuntimeException e) {
            return false; // [DONE], or not JSON: never hidden
        }
    }
}

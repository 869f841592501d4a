package io.sluice.llm.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.SerializedString;

import java.io.IOException;
import java.io.StringWriter;

/** The one {@link JsonFactory} of the module, and the few JSON chores the decoders and the message share. */
public final class Json {

    /**
     * Shared by every decoder: a factory is thread-safe, and reusing it is what lets parsers share
     * the canonical field-name table (so {@code currentName()} returns the same String instance
     * each event, no allocation) and recycle their char buffers.
     */
    public static final JsonFactory FACTORY = JsonFactory.builder().build();

    private Json() {
    }

    /**
     * Copies the value at the parser's current token (a scalar, or a whole object or array) to the
     * generator. Numbers are copied as their text, so no value changes on the way (no double
     * rounding, no exponent rewriting).
     */
    public static void copyValue(JsonParser p, JsonGenerator g) throws IOException {
        int depth = 0;
        JsonToken t = p.currentToken();
        while (t != null) {
            switch (t) {
                case START_OBJECT -> {
                    g.writeStartObject();
                    depth++;
                }
                case START_ARRAY -> {
                    g.writeStartArray();
                    depth++;
                }
                case END_OBJECT -> {
                    g.writeEndObject();
                    depth--;
                }
                case END_ARRAY -> {
                    g.writeEndArray();
                    depth--;
                }
                case FIELD_NAME -> g.writeFieldName(new SerializedString(p.currentName()));
                case VALUE_STRING -> g.writeString(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> g.writeNumber(p.getText());
                case VALUE_TRUE -> g.writeBoolean(true);
                case VALUE_FALSE -> g.writeBoolean(false);
                case VALUE_NULL -> g.writeNull();
                default -> throw new IOException("unexpected JSON token " + t);
            }
            if (depth == 0) {
                return;
            }
            t = p.nextToken();
        }
        throw new IOException("unexpected end of JSON input");
    }

    /** {@code raw} parsed and re-serialised compactly, or null if it is not exactly one JSON value. */
    public static String normalize(String raw) {
        try (JsonParser p = FACTORY.createParser(raw)) {
            if (p.nextToken() == null) {
                return null;
            }
            StringWriter out = new StringWriter(raw.length());
            try (JsonGenerator g = FACTORY.createGenerator(out)) {
                copyValue(p, g);
            }
            return p.nextToken() == null ? out.toString() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Writes the JSON text {@code json} (known to be valid) through the generator, so its pretty printer applies. */
    public static void writeParsed(String json, JsonGenerator g) throws IOException {
        try (JsonParser p = FACTORY.createParser(json)) {
            p.nextToken();
            copyValue(p, g);
        }
    }
}

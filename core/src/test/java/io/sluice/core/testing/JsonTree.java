package io.sluice.core.testing;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * JSON text read into plain values for a structural comparison: objects as sorted maps (key order
 * and layout do not matter), numbers as exact decimals without trailing zeros.
 */
public final class JsonTree {
    private static final JsonFactory FACTORY = new JsonFactory();

    private JsonTree() {
    }

    public static Object of(String json) {
        try (JsonParser p = FACTORY.createParser(json)) {
            p.nextToken();
            Object value = read(p);
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("trailing content after the JSON value");
            }
            return value;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code actual} (a tree read by {@link #of}) with every object under the key {@code open} cut
     * down to the keys of the object at the same place in {@code expected}; everything else is kept
     * whole. Comparing the result with {@code expected} compares a document with a file that
     * predates keys added at that place (docs/llm.md: the final message's {@code usage} grows, and
     * its checker compares the keys a file has).
     */
    public static Object trimmedTo(Object expected, Object actual, String open) {
        if (actual instanceof Map<?, ?> a && expected instanceof Map<?, ?> e) {
            Map<String, Object> out = new TreeMap<>();
            for (Map.Entry<?, ?> entry : a.entrySet()) {
                String key = (String) entry.getKey();
                Object value = entry.getValue();
                if (key.equals(open) && value instanceof Map<?, ?> v && e.get(key) instanceof Map<?, ?> kept) {
                    Map<String, Object> cut = new TreeMap<>();
                    for (Map.Entry<?, ?> field : v.entrySet()) {
                        if (kept.containsKey(field.getKey())) {
                            cut.put((String) field.getKey(), trimmedTo(kept.get(field.getKey()), field.getValue(), open));
                        }
                    }
                    out.put(key, cut);
                } else {
                    out.put(key, e.containsKey(key) ? trimmedTo(e.get(key), value, open) : value);
                }
            }
            return out;
        }
        if (actual instanceof List<?> a && expected instanceof List<?> e && a.size() == e.size()) {
            List<Object> out = new ArrayList<>(a.size());
            for (int i = 0; i < a.size(); i++) {
                out.add(trimmedTo(e.get(i), a.get(i), open));
            }
            return out;
        }
        return actual;
    }

    private static Object read(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> map = new TreeMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    if (map.put(name, read(p)) != null) {
                        throw new IllegalArgumentException("duplicate key " + name);
                    }
                }
                return map;
            }
            case START_ARRAY: {
                List<Object> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    list.add(read(p));
                }
                return list;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                BigDecimal number = p.getDecimalValue().stripTrailingZeros();
                return number.signum() == 0 ? BigDecimal.ZERO : number; // 0.0 and 0 are one value
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw new IllegalArgumentException("unexpected token " + t);
        }
    }
}

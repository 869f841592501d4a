package io.sluice.llm;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.core.SseParser;
import io.sluice.core.testing.Chunking;
import io.sluice.core.testing.JsonTree;
import io.sluice.llm.internal.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The shared sample streams, a way to run them through a collector, and a structural JSON comparison. */
final class Samples {
    /** Every small sample of the repository's samples folder. */
    static final List<String> NAMES = List.of("anthropic-text", "anthropic-tool-use", "anthropic-thinking",
            "anthropic-overloaded", "anthropic-max-tokens", "anthropic-truncated", "anthropic-cache", "openai-chat-text",
            "openai-chat-tools", "openai-chat-reasoning", "openai-responses-text", "openai-responses-reasoning",
            "gemini-text", "gemini-thinking");

    /**
     * The repository's samples folder, beside the module (Surefire runs in the module's folder), read
     * in place as every other module's tests read it: never copied into test resources.
     */
    static final Path REPOSITORY_SAMPLES = Path.of("..", "samples");

    private Samples() {
    }

    static byte[] resource(String file) {
        try {
            return Files.readAllBytes(largeSample(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] sse(String name) {
        return resource(name + ".sse");
    }

    static String expected(String name) {
        return new String(resource(name + ".expected.json"), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A file of the repository's samples folder; fails if it is not there. */
    static Path largeSample(String file) {
        Path p = REPOSITORY_SAMPLES.resolve(file);
        if (!Files.isReadable(p)) {
            throw new IllegalStateException("no " + p.toAbsolutePath() + ": the samples folder is part of the repository");
        }
        return p;
    }

    /** Feeds {@code input} to a parser around {@code collector}, cut as {@code chunking} says, and ends it. */
    static MessageCollector collect(byte[] input, Chunking chunking, MessageCollector collector) {
        try (SseParser parser = SseParser.create(collector)) {
            chunking.feed(parser, input);
            parser.end();
        }
        return collector;
    }

    static LlmMessage collect(byte[] input, Chunking chunking) {
        return collect(input, chunking, MessageCollector.create()).message();
    }

    /** JSON text as plain values for a structural comparison (core's test {@link JsonTree}). */
    static Object canonical(String json) {
        return JsonTree.of(json);
    }

    /**
     * Fails unless {@code actual} is the message {@code expected} describes: equal everywhere, except
     * that inside {@code usage} only the keys the expected file has are compared (docs/llm.md, "Final message schema": the
     * older samples predate the cache and reasoning counts; the new ones carry every key).
     */
    static void assertSameMessage(String expected, String actual, String name) {
        Object e = JsonTree.of(expected);
        assertEquals(e, JsonTree.trimmedTo(e, JsonTree.of(actual), "usage"), name);
    }

    /** The keys of the {@code usage} object, in document order. */
    static List<String> usageKeys(String json) {
        try (JsonParser p = Json.FACTORY.createParser(json)) {
            List<String> keys = new ArrayList<>();
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals("usage")) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        keys.add(p.currentName());
                        p.nextToken();
                        p.skipChildren();
                    }
                } else {
                    p.skipChildren();
                }
            }
            return keys;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The keys of the top-level object, in document order. */
    static List<String> topLevelKeys(String json) {
        try (JsonParser p = Json.FACTORY.createParser(json)) {
            List<String> keys = new ArrayList<>();
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                keys.add(p.currentName());
                p.nextToken();
                p.skipChildren();
            }
            return keys;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

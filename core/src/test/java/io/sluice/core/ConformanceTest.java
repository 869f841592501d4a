package io.sluice.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.core.testing.Chunking;
import io.sluice.core.testing.SseRecord;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every vector of the shared conformance set (copied into {@code src/test/resources/conformance},
 * each citing its source), through the parser under every chunking the runner uses and a few
 * more: the expected records, whatever the cuts.
 */
class ConformanceTest {
    private static final JsonFactory JSON = new JsonFactory();

    @TestFactory
    Stream<DynamicContainer> everyVectorUnderEveryChunking() throws IOException, URISyntaxException {
        Path dir = Path.of(ConformanceTest.class.getResource("/conformance").toURI());
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.toString().endsWith(".json")).sorted().collect(Collectors.toList());
        }
        if (files.size() < 90) {
            throw new IllegalStateException("expected the conformance vectors in " + dir + ", found " + files.size());
        }
        return files.stream().map(ConformanceTest::vector);
    }

    private static DynamicContainer vector(Path file) {
        Vector v = Vector.read(file);
        return DynamicContainer.dynamicContainer(v.name, Chunking.standard(v.input.length).stream()
                .map(c -> DynamicTest.dynamicTest(c.toString(), () -> assertEquals(
                        v.expected.stream().map(SseRecord::toString).collect(Collectors.joining("\n")),
                        c.parse(v.input).stream()
                                .filter(r -> r.kind() == SseRecord.Kind.EVENT || r.kind() == SseRecord.Kind.RETRY
                                        || (v.comments && r.kind() == SseRecord.Kind.COMMENT))
                                .map(SseRecord::toString).collect(Collectors.joining("\n")),
                        v.name + " [" + c + "] (" + v.source + ")"))));
    }

    /** A vector file: name, source, input bytes, whether comments count, and the expected records. */
    private static final class Vector {
        String name;
        String source;
        byte[] input;
        boolean comments;
        final List<SseRecord> expected = new ArrayList<>();

        static Vector read(Path file) {
            Vector v = new Vector();
            try (InputStream in = Files.newInputStream(file); JsonParser p = JSON.createParser(in)) {
                p.nextToken();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    p.nextToken();
                    switch (field) {
                        case "name" -> v.name = p.getText();
                        case "source" -> v.source = p.getText();
                        case "input_b64" -> v.input = Base64.getDecoder().decode(p.getText());
                        case "comments" -> v.comments = p.getBooleanValue();
                        case "expected" -> {
                            while (p.nextToken() == JsonToken.START_OBJECT) {
                                v.expected.add(record(p));
                            }
                        }
                        default -> p.skipChildren();
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("bad vector " + file, e);
            }
            return v;
        }

        private static SseRecord record(JsonParser p) throws IOException {
            String type = null;
            String event = null;
            String data = null;
            String id = null;
            String text = null;
            long ms = 0;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "type" -> type = p.getText();
                    case "event" -> event = p.getText();
                    case "data" -> data = p.getText();
                    case "id" -> id = p.getText();
                    case "text" -> text = p.getText();
                    case "ms" -> ms = p.getLongValue();
                    default -> p.skipChildren();
                }
            }
            switch (type) {
                case "event": return SseRecord.event(event, data, id);
                case "retry": return SseRecord.retry(ms);
                case "comment": return SseRecord.comment(text);
                default: throw new IOException("unknown record type " + type);
            }
        }
    }
}

package io.sluice.benchmarks;

import io.netty.buffer.Unpooled;
import io.sluice.core.SseParser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.SplittableRandom;

/**
 * The streams the benchmarks parse. All but {@link #ANTHROPIC_LONG} are generated here from
 * {@link #SEED}, so they are the same bytes on every machine and every run.
 */
public enum Corpus {
    /**
     * An Anthropic Messages stream of about 1 MB: {@code message_start}, {@code content_block_start},
     * text deltas of 5 to 40 characters (some not ASCII), a {@code ping} every 1500 deltas,
     * {@code content_block_stop}, {@code message_delta}, {@code message_stop}. LF line ends.
     */
    ANTHROPIC {
        @Override
        byte[] generate() {
            return anthropic(1_000_000);
        }
    },
    /** About 1 MB of OpenAI Chat Completions chunks (unnamed events), ending with {@code data: [DONE]}. */
    OPENAI_CHAT {
        @Override
        byte[] generate() {
            return openAiChat(1_000_000);
        }
    },
    /** About 4 MB of events whose {@code data} lines are 64 KiB each, CRLF line ends. */
    LARGE_CRLF {
        @Override
        byte[] generate() {
            return largeCrlf(64, 64 * 1024);
        }
    },
    /**
     * The real 2 MB capture {@code anthropic-long.sse} (16,371 events), read from the directory
     * named by {@code -Dsluice.samples}, by default {@code samples} under the working directory.
     */
    ANTHROPIC_LONG {
        @Override
        byte[] generate() {
            Path file = Paths.get(System.getProperty(SAMPLES_PROPERTY, "samples"), "anthropic-long.sse")
                    .toAbsolutePath();
            if (!Files.isReadable(file)) {
                throw new IllegalStateException("Corpus ANTHROPIC_LONG needs " + file + ": run from the"
                        + " repository root, or pass -D" + SAMPLES_PROPERTY + "=<directory holding anthropic-long.sse>"
                        + " (the repository's samples directory)");
            }
            try {
                return Files.readAllBytes(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    /** System property naming the directory of real samples. */
    public static final String SAMPLES_PROPERTY = "sluice.samples";
    static final long SEED = 0x5EED_5A1CE_2024L;

    /** A corpus's bytes and the number of events a parser dispatches from them. */
    public record Loaded(Corpus corpus, byte[] bytes, long events) {
    }

    abstract byte[] generate();

    /** Generates (or reads) the bytes and counts their events by parsing them once. */
    public Loaded load() {
        byte[] bytes = generate();
        long events = countEvents(bytes);
        if (events <= 0) {
            throw new IllegalStateException(this + ": " + bytes.length + " bytes hold no event");
        }
        return new Loaded(this, bytes, events);
    }

    /** Events in {@code bytes}, fed whole to a parser with the default bounds. */
    static long countEvents(byte[] bytes) {
        try (SseParser parser = SseParser.builder().build(event -> { })) {
            parser.feed(Unpooled.wrappedBuffer(bytes));
            long events = parser.eventsDispatched();
            parser.end();
            return events;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Generators

    /** Words the texts are made of; the non-ASCII ones put 2, 3 and 4-byte UTF-8 sequences on the wire. */
    private static final String[] WORDS = {
        "the", "stream", "parser", "event", "buffer", "a", "line", "of", "token", "model", "delta",
        "and", "to", "in", "is", "that", "with", "for", "as", "on", "Netty", "byte", "slice",
        "café", "naïve", "Zürich", "東京", "データ", "résumé", "Ελληνικά", "😀", "→", "—", "½",
        ".", ",", "!", "?", "\\n", "\\\"quoted\\\"",
    };

    static byte[] anthropic(int targetBytes) {
        SplittableRandom random = new SplittableRandom(SEED);
        StringBuilder out = new StringBuilder(targetBytes + 4096);
        out.append("event: message_start\n")
                .append("data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01")
                .append(alnum(random, 22))
                .append("\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\","
                        + "\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":2048,"
                        + "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1}}}\n\n")
                .append("event: content_block_start\n")
                .append("data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
        int deltas = 0;
        int utf8Bytes = 0; // tracked so the target is in bytes, not chars
        while (utf8Bytes < targetBytes) {
            if (deltas > 0 && deltas % 1500 == 0) {
                String ping = "event: ping\ndata: {\"type\": \"ping\"}\n\n";
                out.append(ping);
                utf8Bytes += ping.length();
            }
            String event = "event: content_block_delta\n"
                    + "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\""
                    + text(random) + "\"}}\n\n";
            out.append(event);
            utf8Bytes += event.getBytes(StandardCharsets.UTF_8).length;
            deltas++;
        }
        out.append("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n")
                .append("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
                        + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":").append(deltas).append("}}\n\n")
                .append("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] openAiChat(int targetBytes) {
        SplittableRandom random = new SplittableRandom(SEED);
        String prefix = "data: {\"id\":\"chatcmpl-" + alnum(random, 29)
                + "\",\"object\":\"chat.completion.chunk\",\"created\":1732147200,\"model\":\"gpt-4o\","
                + "\"choices\":[{\"index\":0,\"delta\":";
        StringBuilder out = new StringBuilder(targetBytes + 4096);
        out.append(prefix).append("{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");
        int utf8Bytes = out.length();
        while (utf8Bytes < targetBytes) {
            String chunk = prefix + "{\"content\":\"" + text(random) + "\"},\"finish_reason\":null}]}\n\n";
            out.append(chunk);
            utf8Bytes += chunk.getBytes(StandardCharsets.UTF_8).length;
        }
        out.append(prefix).append("{},\"finish_reason\":\"stop\"}]}\n\n").append("data: [DONE]\n\n");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** {@code events} events of {@code event}, {@code id} and one {@code data} line of exactly {@code lineLength} bytes. */
    static byte[] largeCrlf(int events, int lineLength) {
        SplittableRandom random = new SplittableRandom(SEED);
        StringBuilder out = new StringBuilder(events * (lineLength + 64));
        for (int i = 0; i < events; i++) {
            out.append("event: update\r\nid: ").append(i).append("\r\ndata: ")
                    .append(alnum(random, lineLength - "data: ".length())).append("\r\n\r\n");
        }
        return out.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** A text delta of 5 to 40 characters, cut at a code point. */
    private static String text(SplittableRandom random) {
        int target = random.nextInt(5, 41);
        StringBuilder text = new StringBuilder(48);
        while (text.length() < target) {
            if (text.length() > 0 || random.nextInt(4) != 0) {
                text.append(' ');
            }
            text.append(WORDS[random.nextInt(WORDS.length)]);
        }
        if (text.length() > 40) {
            text.setLength(Character.isHighSurrogate(text.charAt(39)) ? 39 : 40);
            // never end on a lone backslash of a JSON escape
            while (text.length() > 0 && text.charAt(text.length() - 1) == '\\') {
                text.setLength(text.length() - 1);
            }
        }
        return text.toString();
    }

    private static String alnum(SplittableRandom random, int length) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = alphabet.charAt(random.nextInt(alphabet.length()));
        }
        return new String(chars);
    }
}

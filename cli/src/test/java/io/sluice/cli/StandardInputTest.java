package io.sluice.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static io.sluice.cli.SluiceRunner.run;
import static io.sluice.cli.SluiceRunner.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sluice replay -} reads standard input: chunked as asked, or live, a read at a time. */
class StandardInputTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "whole", "1", "7", "random:42"})
    void dashReadsStandardInputUnderEveryChunking(String chunk) throws IOException {
        byte[] input = Files.readAllBytes(SAMPLES.resolve("gemini-text.sse"));
        SluiceRunner.Result result = chunk.isEmpty()
                ? run(input, "replay", "--format", "ndjson", "-")
                : run(input, "replay", "--format", "ndjson", "--chunk", chunk, "-");
        assertEquals(0, result.exit(), result.err());
        assertEquals(Files.readAllLines(SAMPLES.resolve("gemini-text.events.ndjson")), result.records("event"));
    }

    @Test
    void emptyStandardInputIsACleanEmptyStream() {
        SluiceRunner.Result result = run(utf8(""), "replay", "--format", "ndjson", "-");
        assertEquals(0, result.exit(), result.err());
        assertEquals("{\"type\":\"end\",\"events\":0,\"bytes\":0,\"clean\":true,\"incomplete_tail_bytes\":0}\n", result.out());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void liveStandardInputPrintsEachEventBeforeTheStreamEnds() throws Exception {
        PipedOutputStream feed = new PipedOutputStream();
        PipedInputStream stdin = new PipedInputStream(feed, 1 << 16);
        ByteArrayOutputStream stdout = new ByteArrayOutputStream(); // synchronized: read while the command writes
        CompletableFuture<SluiceRunner.Result> done = CompletableFuture.supplyAsync(
                () -> run(stdin, stdout, "replay", "--format", "ndjson", "-"));

        feed.write(utf8("data: one\n\n"));
        feed.flush();
        String first = "{\"type\":\"event\",\"event\":\"message\",\"data\":\"one\",\"id\":\"\"}\n";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!stdout.toString(StandardCharsets.UTF_8).equals(first) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(first, stdout.toString(StandardCharsets.UTF_8), "the first event is out while the input is open");

        feed.write(utf8("data: two\n\n"));
        feed.close();
        SluiceRunner.Result result = done.get(20, TimeUnit.SECONDS);
        assertEquals(0, result.exit(), result.err());
        assertTrue(stdout.toString(StandardCharsets.UTF_8).contains("\"data\":\"two\""));
    }
}

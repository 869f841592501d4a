package io.sluice.netty;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Capture files' names and the folder's bound. */
class FailureCaptureFolderTest {
    @TempDir
    Path dir;

    @Test
    void namesSayTimeUpstreamAndEndAndSortByTime() {
        try (FailureCaptureFolder folder = new FailureCaptureFolder(SseFailureCapture.builder(dir).build())) {
            Instant at = Instant.parse("2026-12-02T06:15:00.123Z");
            String first = folder.name(at, "api.anthropic.com", "upstream_closed_early");
            assertEquals("20261202T061500.123Z-api.anthropic.com-upstream_closed_early.http", first);
            String second = folder.name(at, "api.anthropic.com", "upstream_closed_early");
            assertNotEquals(first, second, "unique within one millisecond");
            assertTrue(FailureCaptureFolder.NAME.matcher(second).matches(), second);
            assertEquals("20261202T061500.124Z-__1-upstream_timeout.http", folder.name(at.plusMillis(1), "::1", "upstream_timeout"));
            assertTrue(first.compareTo(folder.name(at.plusSeconds(1), "a", "b")) < 0);
        }
    }

    @Test
    void namePartsCannotLeaveTheFolder() {
        assertEquals("_._x_y", FailureCaptureFolder.safe("../x/y"));
        assertEquals("unknown", FailureCaptureFolder.safe(""));
    }

    @Test
    void theOldestCapturesGoPastMaxFilesAndOtherFilesStay() throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "mine");
        Files.writeString(dir.resolve("20200101T000000.000Z-old-upstream_timeout.http"), "from an earlier run");
        List<Path> named = new java.util.ArrayList<>();
        try (FailureCaptureFolder folder = new FailureCaptureFolder(SseFailureCapture.builder(dir).maxFiles(3).build())) {
            for (int i = 0; i < 5; i++) {
                FailureRecorder r = new FailureRecorder(folder.options());
                FailureCaptureFileTest.feed(r.responseHead, "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n");
                FailureCaptureFileTest.feed(r.rawBody, "data: " + i + "\n");
                r.seal();
                named.add(folder.submit(r, SseRequest.get(URI.create("http://127.0.0.1:1/")),
                        new SseClosedEarlyException(0, 7, 7, null)));
                Thread.sleep(2); // distinct milliseconds, so the names' order is the writes'
            }
        } // close waits for the writes
        try (Stream<Path> files = Files.list(dir)) {
            List<String> left = files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
            assertEquals(List.of(named.get(2).getFileName().toString(), named.get(3).getFileName().toString(),
                    named.get(4).getFileName().toString(), "notes.txt"), left);
        }
        assertTrue(Files.readString(named.get(4)).endsWith("data: 4\n"));
    }

    @Test
    void theFolderIsMadeWhenMissing() {
        Path nested = dir.resolve("a/b");
        try (FailureCaptureFolder folder = new FailureCaptureFolder(SseFailureCapture.builder(nested).build())) {
            assertTrue(Files.isDirectory(nested));
        }
    }
}

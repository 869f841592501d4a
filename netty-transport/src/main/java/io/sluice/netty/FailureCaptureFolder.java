package io.sluice.netty;

import io.sluice.core.SseException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The folder of an {@link SseFailureCapture}: names each capture on the event loop (so the stream,
 * and a relay's access log, can say it at once) and writes it on a thread of its own, never on the
 * loop. The writes wait in a bounded queue ({@value SseFailureCapture#MAX_PENDING_WRITES}); a
 * failure that finds it full is not captured, so a storm of failures never blocks a loop nor
 * grows memory. Each file is written under a temporary name and moved into place, so a reader
 * never sees half a file; then the oldest captures past {@link SseFailureCapture#maxFiles()} are
 * deleted. Only files named as captures are counted or deleted.
 */
final class FailureCaptureFolder implements AutoCloseable {
    /** {@code 20261202T061500.123Z-api.anthropic.com-upstream_closed_early.http}, or {@code ...-2.http} within one millisecond. */
    static final Pattern NAME = Pattern.compile("\\d{8}T\\d{6}\\.\\d{3}Z-[A-Za-z0-9._-]+\\.http");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
    /** How long {@link #close()} waits for the captures still queued. */
    private static final long CLOSE_WAIT_SECONDS = 10;

    private final SseFailureCapture options;
    private final ThreadPoolExecutor writer;
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private String lastStamp = "";
    private int sameStamp;

    FailureCaptureFolder(SseFailureCapture options) {
        this.options = options;
        try {
            Files.createDirectories(options.directory());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the capture folder " + options.directory(), e);
        }
        writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(SseFailureCapture.MAX_PENDING_WRITES),
                task -> {
                    Thread t = new Thread(task, "sluice-failure-capture");
                    t.setDaemon(true);
                    return t;
                });
    }

    /**
     * Names the capture of {@code recorder} (sealed) and queues its writing; the file's path, or
     * null when the queue is full or the folder closed. On the event loop: nothing here blocks.
     */
    Path submit(FailureRecorder recorder, SseRequest request, SseException error) {
        Instant at = Instant.now();
        Path file = options.directory().resolve(name(at, request.uri().getHost(), error.errorType()));
        try {
            writer.execute(() -> write(file, FailureCaptureFile.render(recorder, request, error, at)));
        } catch (RejectedExecutionException e) {
            lost.incrementAndGet();
            return null;
        }
        return file;
    }

    /** A capture's file name: UTC time to the millisecond, upstream host, end; unique within this folder's names. */
    synchronized String name(Instant at, String host, String end) {
        String stamp = STAMP.format(at);
        if (stamp.equals(lastStamp)) {
            sameStamp++;
        } else {
            lastStamp = stamp;
            sameStamp = 1;
        }
        return stamp + '-' + safe(host) + '-' + safe(end) + (sameStamp > 1 ? "-" + sameStamp : "") + ".http";
    }

    /** A name part: letters, digits, dot, dash and underscore; anything else (an IPv6 colon) becomes an underscore. */
    static String safe(String part) {
        String s = part == null || part.isEmpty() ? "unknown" : part.replaceAll("[^A-Za-z0-9._-]", "_");
        return s.startsWith(".") ? "_" + s.substring(1) : s;
    }

    /** Writer thread: the file, then the folder pruned to its bound. */
    private void write(Path file, byte[] bytes) {
        Path temporary = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            Files.write(temporary, bytes);
            try {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
            written.incrementAndGet();
            prune();
        } catch (IOException | RuntimeException e) {
            // A full or unwritable disk: the capture is lost, the streams go on. Counted, never thrown.
            lost.incrementAndGet();
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // nothing more to do
            }
        }
    }

    /** Deletes the oldest captures (their names sort by time) past the folder's bound. */
    private void prune() throws IOException {
        List<Path> captures = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(options.directory())) {
            for (Path f : files) {
                if (NAME.matcher(f.getFileName().toString()).matches()) {
                    captures.add(f);
                }
            }
        }
        if (captures.size() <= options.maxFiles()) {
            return;
        }
        captures.sort(null);
        for (Path old : captures.subList(0, captures.size() - options.maxFiles())) {
            Files.deleteIfExists(old);
        }
    }

    SseFailureCapture options() {
        return options;
    }

    /** Captures written. */
    long written() {
        return written.get();
    }

    /** Captures not written: the queue was full, or the disk refused. */
    long lost() {
        return lost.get();
    }

    /** Writes what is queued (waiting up to {@value #CLOSE_WAIT_SECONDS} s), then stops the thread. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.sluice.cli;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponse;
import io.sluice.cli.capture.HttpResponseReader;
import io.sluice.cli.capture.TcpStream;
import io.sluice.core.SseEvent;
import io.sluice.core.SseException;
import io.sluice.core.SseParser;
import io.sluice.netty.SseContentTypeException;
import io.sluice.netty.SseDecoder;
import io.sluice.netty.SseStatusException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * {@code sluice replay}: feeds a recorded stream to an {@link SseParser}, read by read, and writes
 * what the parser reports (docs/replay.md). The input is a raw SSE body, a whole HTTP/1.x
 * response (decoded by Netty's client codec, {@link HttpResponseReader}) or a packet capture (the
 * server's TCP stream reassembled, {@link Recording}, then decoded as HTTP), sniffed unless
 * {@code --input} says. Problems with the input are reported after the records decoded before
 * them, as one line and exit status 1.
 */
@Command(name = "replay",
        mixinStandardHelpOptions = true,
        versionProvider = Sluice.Version.class,
        description = "Replays a recorded SSE body, HTTP response or packet capture through the parser "
                + "and prints what it reports.",
        sortOptions = false)
final class ReplayCommand implements Callable<Integer> {
    private static final String STDIN = "-";
    private static final int INPUT_BUFFER = 1 << 16;
    private static final int OUTPUT_BUFFER = 1 << 16;
    /** The body of an HTTP error response kept for the message: error bodies are small JSON documents. */
    private static final int MAX_ERROR_BODY = 1 << 20;
    /** A replay shows progress on a terminal once it has run this long. */
    private static final long PROGRESS_AFTER_NANOS = 1_000_000_000L;
    private static final long PROGRESS_EVERY_NANOS = 250_000_000L;

    @ParentCommand
    private Sluice sluice;

    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "FILE|-", description = "The recording to replay; - reads standard input.")
    private String file;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "Output: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    private OutputFormat format;

    @Option(names = "--chunk", paramLabel = "whole|N|random:SEED", converter = Chunking.Converter.class,
            description = {"How the input is cut into reads: at once, N bytes each, or random sizes 1..64 "
                    + "from SEED. Default: the captured segments for pcap input, whole for a file; for "
                    + "standard input, each read as it arrives."})
    private Chunking chunk;

    @Option(names = "--comments", description = "Also report comment lines.")
    private boolean comments;

    @Option(names = "--input", paramLabel = "KIND", defaultValue = "auto",
            description = "Input kind: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}, sniffed from the first bytes).")
    private InputKind input;

    @Option(names = "--flow", paramLabel = "FROM-TO|[ADDR:]PORT", converter = FlowConverter.class,
            description = "The TCP stream of a capture to replay: FROM-TO (e.g. 127.0.0.1:8080-127.0.0.1:51234) "
                    + "or the sender's [ADDR:]PORT. Default: the first stream carrying an HTTP response.")
    private String flow;

    @Option(names = "--timing", paramLabel = "none|original|xN", converter = Timing.Converter.class,
            defaultValue = "none",
            description = "Wait out the captured gaps between reads (pcap input): not at all, as captured, "
                    + "or N times faster (default: ${DEFAULT-VALUE}).")
    private Timing timing;

    @Option(names = "--max-line-length", paramLabel = "BYTES", converter = ByteCountConverter.class,
            defaultValue = "" + SseParser.DEFAULT_MAX_LINE_LENGTH,
            description = "Longest line accepted (default: ${DEFAULT-VALUE}).")
    private int maxLineLength;

    @Option(names = "--max-event-size", paramLabel = "BYTES", converter = ByteCountConverter.class,
            defaultValue = "" + SseParser.DEFAULT_MAX_EVENT_SIZE,
            description = "Largest event data accepted (default: ${DEFAULT-VALUE}).")
    private int maxEventSize;

    @Option(names = "--skip-oversized",
            description = "After a bound error, skip to the next event instead of stopping (exit status is still 1).")
    private boolean skipOversized;

    @Option(names = "--accept-any-content-type",
            description = "Read a 2xx HTTP response (http or pcap input) as an event stream whatever its content type "
                    + "says, or when it has none; by default it must be text/event-stream, as for a live client.")
    private boolean acceptAnyContentType;

    @Override
    public Integer call() throws InterruptedException {
        boolean stdin = file.equals(STDIN);
        String name = stdin ? "standard input" : file;
        RecordWriter writer = format.writerOn(new BufferedOutputStream(sluice.stdout(), OUTPUT_BUFFER));
        try (InputStream in = new BufferedInputStream(stdin ? unclosable(sluice.stdin()) : open(file), INPUT_BUFFER)) {
            InputKind kind = input != InputKind.AUTO ? input : sniffed(in);
            if (kind == InputKind.PCAP) {
                replayCapture(stdin ? new SpooledInput(in) : null, name, writer);
            } else {
                // Live standard input (tail -f | sluice replay -) must reach the parser a read at a time.
                Chunking chunking = chunk != null ? chunk : stdin ? Chunking.AS_READ : Chunking.WHOLE;
                replay(name, new ChunkReads(new ChunkReader(in, chunking)), kind == InputKind.HTTP, writer, stdin,
                        () -> new Ending(name, null, true));
            }
        } catch (IOException e) {
            writer.flush(); // the records before the failure, then the one line about it
            throw new InputException("cannot read " + name + ": " + reason(e), e);
        }
        return Sluice.EXIT_OK;
    }

    /**
     * Feeds every read to the parser, or to the client's HTTP path in front of it when {@code http},
     * then finishes the writer and throws what went wrong, after the records before it are out.
     */
    private void replay(String name, Reads reads, boolean http, RecordWriter writer, boolean flushEachRead,
                        Supplier<Ending> ending) throws IOException, InterruptedException {
        ReplayHandler handler = new ReplayHandler(writer, comments);
        Progress progress = Progress.onTerminal(spec.commandLine().getErr());
        Timing.Pacer pace = timing.pacer();
        String failure = null;
        Ending end;
        long events;
        long bytes;
        try (Decoding decoding = http ? new HttpDecoding(handler, writer) : new BodyDecoding(handler)) {
            ByteBuf read;
            long count = 0;
            while ((read = reads.next()) != null) {
                long time = reads.time();
                if (time >= 0) {
                    try {
                        pace.await(time);
                    } catch (InterruptedException e) {
                        read.release();
                        throw e;
                    }
                    writer.time(time);
                }
                decoding.feed(read);
                if (flushEachRead) {
                    writer.flush();
                }
                progress.update(++count, decoding.events(), time);
                if ((handler.firstError() != null && !skipOversized) || decoding.failed()) {
                    break; // the parser or the response has failed: do not wait for the rest
                }
            }
            end = ending.get();
            decoding.end();
            if (decoding instanceof HttpDecoding) {
                HttpResponseReader reader = ((HttpDecoding) decoding).reader;
                failure = ((HttpDecoding) decoding).failure();
                if (end.transport() == null && !reader.complete() && failure == null) {
                    end = new Ending(end.description(), "the HTTP body ended before its framing said it would (cut mid-chunk)",
                            end.transportClean());
                }
                end = new Ending(end.description(), end.transport(), end.transportClean() && reader.complete());
            }
            events = decoding.events();
            bytes = decoding.bytes();
        } finally {
            progress.clear();
        }
        if (handler.ended()) {
            writer.end(events, bytes, handler.incompleteTailBytes());
        }
        writer.finish(end.description(), end.transport(), end.transportClean());
        writer.flush();
        SseException error = handler.firstError();
        if (error != null) {
            throw new InputException(handler.errors() == 1 ? error.getMessage()
                    : error.getMessage() + " (and " + (handler.errors() - 1) + " more bound errors)", error);
        }
        if (failure != null) {
            throw new InputException(end.description() + ": " + failure);
        }
        if (events == 0) {
            // Not a failure (a body of comments alone is an event stream), but the likeliest reason is
            // the wrong file (issue 17); standard output, the contract, is as it would be without it.
            spec.commandLine().getErr().println(spec.qualifiedName() + ": warning: " + name + ": no events in " + bytes
                    + (bytes == 1 ? " byte" : " bytes") + "; it may not be an event stream");
        }
    }

    /**
     * Replays the chosen stream of a capture in two passes over it ({@link Recording}): a file is
     * opened once per pass, standard input is spooled by {@code spool} for the second. Records are
     * written as the second pass reads, so memory stays flat whatever the capture's size.
     */
    private void replayCapture(SpooledInput spool, String name, RecordWriter writer) throws IOException, InterruptedException {
        try (SpooledInput closing = spool) {
            Recording.Source source = spool != null ? spool : () -> new BufferedInputStream(open(file), INPUT_BUFFER);
            Recording recording = Recording.survey(source, name, flow);
            try (Recording.Pass pass = recording.open()) {
                Reads reads = chunk != null
                        ? new ChunkReads(new ChunkReader(pass.bytes(), chunk))
                        : new SegmentReads(pass, recording.originNanos());
                replay(name, reads, recording.http(), writer, timing.waits(),
                        () -> new Ending(pass.description(), pass.transport(), pass.transportClean()));
                if (pass.problem() != null) {
                    throw new InputException(name + ": " + pass.problem().getMessage(), pass.problem());
                }
            }
        }
    }

    /** What the summary says about how the input ended: known only once every read was fed. */
    private record Ending(String description, String transport, boolean transportClean) {
    }

    /** Where the reads go: the parser itself, or the client's HTTP path in front of it. Closing releases what it holds. */
    private interface Decoding extends AutoCloseable {
        /** Decodes the next read; takes ownership of it. */
        void feed(ByteBuf read);

        /** The input is over. */
        void end();

        /** True once nothing after this point can be decoded: the response failed. */
        boolean failed();

        long events();

        long bytes();

        @Override
        void close();
    }

    /** An SSE body: the reads go to the parser as they are. */
    private final class BodyDecoding implements Decoding {
        private final SseParser parser;

        BodyDecoding(ReplayHandler handler) {
            parser = SseParser.builder()
                    .maxLineLength(maxLineLength)
                    .maxEventSize(maxEventSize)
                    .skipOversizedEvents(skipOversized)
                    .build(handler);
        }

        @Override
        public void feed(ByteBuf read) {
            try {
                parser.feed(read);
            } finally {
                read.release(); // the parser never keeps the caller's buffer (core package doc)
            }
        }

        @Override
        public void end() {
            parser.end();
        }

        @Override
        public boolean failed() {
            return false;
        }

        @Override
        public long events() {
            return parser.eventsDispatched();
        }

        @Override
        public long bytes() {
            return parser.bytesFed();
        }

        @Override
        public void close() {
            parser.close(); // releases what the parser holds on the paths that did not reach end()
        }
    }

    /**
     * A whole HTTP response: decoded as a live client decodes it ({@link HttpResponseReader}), so
     * the events are the same and the response is refused for the same reasons; a refusal is
     * reported as its one line.
     */
    private final class HttpDecoding implements Decoding, HttpResponseReader.Listener {
        final HttpResponseReader reader;
        private final ReplayHandler handler;
        private final RecordWriter writer;

        HttpDecoding(ReplayHandler handler, RecordWriter writer) {
            this.handler = handler;
            this.writer = writer;
            this.reader = new HttpResponseReader(
                    new SseDecoder.Settings(maxLineLength, maxEventSize, skipOversized, MAX_ERROR_BODY, comments),
                    acceptAnyContentType, this);
        }

        @Override
        public void head(HttpResponse response) {
            writer.httpHead(response);
        }

        @Override
        public void onEvent(SseEvent event) {
            handler.onEvent(event);
        }

        @Override
        public void onRetry(long millis) {
            handler.onRetry(millis);
        }

        @Override
        public void onComment(ByteBuf buffer, int index, int length) {
            handler.onComment(buffer, index, length);
        }

        @Override
        public void onError(SseException error) {
            handler.onError(error);
        }

        @Override
        public void onEnd(long incompleteTailBytes) {
            handler.onEnd(incompleteTailBytes);
        }

        @Override
        public void feed(ByteBuf read) {
            reader.feed(read); // takes ownership
        }

        @Override
        public void end() {
            reader.end();
        }

        @Override
        public boolean failed() {
            return reader.ended() && (reader.failure() != null || reader.codecFailure() != null);
        }

        @Override
        public long events() {
            return reader.events();
        }

        @Override
        public long bytes() {
            return reader.bytes();
        }

        @Override
        public void close() {
            reader.close();
        }

        /** What went wrong with the response, reported to the writer, as the line to print; null when nothing did. */
        String failure() {
            Throwable broken = reader.codecFailure();
            if (broken != null) {
                String message = "corrupt HTTP response: " + (broken.getMessage() != null ? broken.getMessage() : broken.toString());
                writer.transportError("http_decode_error", message);
                return message;
            }
            SseException refused = reader.failure();
            if (refused instanceof SseStatusException) {
                SseStatusException status = (SseStatusException) refused;
                byte[] bytes = status.body();
                writer.httpError(status.status().code(), bytes);
                String text = new String(bytes, StandardCharsets.UTF_8).strip();
                return "HTTP error response " + status.status() + (text.isEmpty() ? "" : ": "
                        + (text.length() > 200 ? text.substring(0, 200) + "..." : text));
            }
            if (refused instanceof SseContentTypeException) {
                SseContentTypeException type = (SseContentTypeException) refused;
                // The client's own words (sluice get says the same), and the way out when it is only the label.
                return type.getMessage() + (type.undecodedEncoding() || acceptAnyContentType ? ""
                        : " (--accept-any-content-type reads it as one)");
            }
            if (reader.head() == null) {
                return "no HTTP response";
            }
            return refused == null ? null : refused.getMessage();
        }
    }

    /** The reads of an input, each owned by the caller, with the capture time of the last one returned. */
    private interface Reads {
        ByteBuf next() throws IOException;

        /** Nanoseconds from the capture's origin to the last read returned; -1 when the input has no times. */
        long time();
    }

    private static final class ChunkReads implements Reads {
        private final ChunkReader reader;

        ChunkReads(ChunkReader reader) {
            this.reader = reader;
        }

        @Override
        public ByteBuf next() throws IOException {
            return reader.next();
        }

        @Override
        public long time() {
            return -1;
        }
    }

    private static final class SegmentReads implements Reads {
        private final Recording.Pass pass;
        private final long origin;
        private long time = -1;

        SegmentReads(Recording.Pass pass, long origin) {
            this.pass = pass;
            this.origin = origin;
        }

        @Override
        public ByteBuf next() throws IOException {
            TcpStream.Segment s = pass.next();
            if (s == null) {
                return null;
            }
            time = Math.max(0, s.timeNanos() - origin);
            return Unpooled.wrappedBuffer(s.data());
        }

        @Override
        public long time() {
            return time;
        }
    }

    /** One progress line on standard error, rewritten in place: only on a terminal, only once a replay runs long. */
    private static final class Progress {
        private final PrintWriter err;
        private final long start = System.nanoTime();
        private long last;
        private boolean shown;

        private Progress(PrintWriter err) {
            this.err = err;
        }

        static Progress onTerminal(PrintWriter err) {
            return new Progress(Terminal.stderrIsTerminal() ? err : null);
        }

        void update(long reads, long events, long captureNanos) {
            if (err == null) {
                return;
            }
            long now = System.nanoTime();
            if (now - start < PROGRESS_AFTER_NANOS || now - last < PROGRESS_EVERY_NANOS) {
                return;
            }
            last = now;
            shown = true;
            err.print(String.format(Locale.ROOT, "\r\033[Kreplay: %d reads, %d events%s", reads, events,
                    captureNanos >= 0 ? String.format(Locale.ROOT, ", capture time %.1f s", captureNanos / 1e9) : ""));
            err.flush();
        }

        void clear() {
            if (shown) {
                err.print("\r\033[K");
                err.flush();
            }
        }
    }

    private static InputStream open(String file) throws IOException {
        Path path = Path.of(file);
        if (Files.isDirectory(path)) {
            throw new IOException("is a directory");
        }
        return Files.newInputStream(path);
    }

    private static InputKind sniffed(InputStream in) throws IOException {
        switch (InputSniffer.sniff(in)) {
            case HTTP:
                return InputKind.HTTP;
            case PCAP:
                return InputKind.PCAP;
            case SSE:
                return InputKind.SSE;
            default:
                throw new IllegalStateException("Unhandled sniffed kind");
        }
    }

    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Standard input belongs to the process (or the test), not to this command: closing it is not ours to do. */
    private static InputStream unclosable(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public void close() {
            }
        };
    }
}

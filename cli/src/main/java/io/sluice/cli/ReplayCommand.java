package io.sluice.cli;

import io.netty.buffer.ByteBuf;
import io.sluice.core.SseException;
import io.sluice.core.SseParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code sluice replay}: feeds a recorded SSE body to an {@link SseParser}, cut into reads as
 * {@code --chunk} says, and writes what the parser reports (design.md section 4).
 */
@Command(name = "replay",
        mixinStandardHelpOptions = true,
        versionProvider = Sluice.Version.class,
        description = "Replays a recorded SSE body through the parser and prints what it reports.",
        sortOptions = false)
final class ReplayCommand implements Callable<Integer> {
    private static final String STDIN = "-";
    private static final int INPUT_BUFFER = 1 << 16;
    private static final int OUTPUT_BUFFER = 1 << 16;

    @ParentCommand
    private Sluice sluice;

    @Parameters(paramLabel = "FILE|-", description = "The SSE body to replay; - reads standard input.")
    private String file;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "Output: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    private OutputFormat format;

    @Option(names = "--chunk", paramLabel = "whole|N|random:SEED", converter = Chunking.Converter.class,
            description = {"How the input is cut into reads: at once, N bytes each, or random sizes 1..64 "
                    + "from SEED. Default: whole for a file; for standard input, each read as it arrives."})
    private Chunking chunk;

    @Option(names = "--comments", description = "Also report comment lines.")
    private boolean comments;

    @Option(names = "--input", paramLabel = "KIND", defaultValue = "auto",
            description = "Input kind: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; auto refuses "
                    + "HTTP responses and packet captures, not supported yet).")
    private InputKind input;

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

    @Override
    public Integer call() {
        boolean stdin = file.equals(STDIN);
        String name = stdin ? "standard input" : file;
        // Live standard input (tail -f | sluice replay -) must reach the parser a read at a time.
        Chunking chunking = chunk != null ? chunk : stdin ? Chunking.AS_READ : Chunking.WHOLE;
        RecordWriter writer = format.writerOn(new BufferedOutputStream(sluice.stdout(), OUTPUT_BUFFER));
        try (InputStream in = new BufferedInputStream(stdin ? unclosable(sluice.stdin()) : open(file), INPUT_BUFFER)) {
            if (input == InputKind.AUTO) {
                refuseUnsupported(in, name);
            }
            replay(new ChunkReader(in, chunking), writer, stdin);
        } catch (IOException e) {
            writer.flush(); // the records before the failure, then the one line about it
            throw new InputException("cannot read " + name + ": " + reason(e), e);
        }
        return Sluice.EXIT_OK;
    }

    private void replay(ChunkReader reader, RecordWriter writer, boolean flushEachRead) throws IOException {
        ReplayHandler handler = new ReplayHandler(writer, comments);
        SseParser parser = SseParser.builder()
                .maxLineLength(maxLineLength)
                .maxEventSize(maxEventSize)
                .skipOversizedEvents(skipOversized)
                .build(handler);
        try {
            ByteBuf chunk;
            while ((chunk = reader.next()) != null) {
                try {
                    parser.feed(chunk);
                } finally {
                    chunk.release(); // the parser never keeps the caller's buffer (core package doc)
                }
                if (flushEachRead) {
                    writer.flush();
                }
                if (handler.firstError() != null && !skipOversized) {
                    break; // the parser has failed and drops the rest: do not wait for it
                }
            }
            parser.end();
        } finally {
            parser.close(); // releases what the parser holds on the paths that did not reach end()
        }
        if (handler.ended()) {
            writer.end(parser.eventsDispatched(), parser.bytesFed(), handler.incompleteTailBytes());
        }
        writer.flush();
        SseException error = handler.firstError();
        if (error != null) {
            throw new InputException(handler.errors() == 1 ? error.getMessage()
                    : error.getMessage() + " (and " + (handler.errors() - 1) + " more bound errors)", error);
        }
    }

    private static InputStream open(String file) throws IOException {
        Path path = Path.of(file);
        if (Files.isDirectory(path)) {
            throw new IOException("is a directory");
        }
        return Files.newInputStream(path);
    }

    private static void refuseUnsupported(InputStream in, String name) throws IOException {
        InputSniffer.Sniffed sniffed = InputSniffer.sniff(in);
        if (sniffed != InputSniffer.Sniffed.SSE) {
            throw new InputException(name + " looks like " + sniffed.description()
                    + ": HTTP and pcap input are not supported by this version yet; "
                    + "give the raw SSE body, or --input sse to read it as SSE anyway");
        }
    }

    private static String reason(IOException e) {
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

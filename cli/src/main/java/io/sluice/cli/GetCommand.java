package io.sluice.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.netty.handler.ssl.NotSslRecordException;
import io.sluice.core.SseException;
import io.sluice.core.handoff.OwnedSseEvent;
import io.sluice.core.handoff.SseEventQueue;
import io.sluice.llm.MessageCollector;
import io.sluice.netty.SseClient;
import io.sluice.netty.SseClosedEarlyException;
import io.sluice.netty.SseRequest;
import io.sluice.netty.SseResponseException;
import io.sluice.netty.SseStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * {@code sluice get URL}: what {@code curl -N} is for people, with SSE understood. Runs the
 * {@link SseClient} and takes its events from the queue on this thread, writing each record as it
 * arrives (flushed per event). A non-2xx answer, a wrong content type or a cut stream is one line on
 * standard error and exit status {@value Sluice#EXIT_INPUT}, after whatever events did arrive.
 */
@Command(name = "get",
        mixinStandardHelpOptions = true,
        versionProvider = Sluice.Version.class,
        description = "Streams Server-Sent Events from a URL and prints them as they arrive.",
        sortOptions = false)
final class GetCommand implements Callable<Integer> {
    private static final int OUTPUT_BUFFER = 1 << 16;
    private static final int ERROR_MESSAGE_MAX = 300;
    /** The largest {@code -d @FILE} body, 64 MiB: the request holds it in memory (see {@link #body()}). */
    static final int MAX_BODY = 64 << 20;
    private static final JsonFactory JSON = new JsonFactory();

    @ParentCommand
    private Sluice sluice;

    @Parameters(paramLabel = "URL", description = "An http or https URL.")
    private String url;

    @Option(names = {"-X", "--request"}, paramLabel = "METHOD",
            description = "HTTP method (default: GET, or POST with -d).")
    private String method;

    @Option(names = {"-H", "--header"}, paramLabel = "'NAME: VALUE'", description = "A request header; repeatable.")
    private List<String> headers = new ArrayList<>();

    @Option(names = {"-d", "--data"}, paramLabel = "BODY|@FILE",
            description = "Request body, or @FILE to send a file's bytes (at most 64 MiB).")
    private String data;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "Output: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}); message prints the "
                    + "provider's unified final message once the stream is over.")
    private GetFormat format;

    /** The record formats of replay, plus the final message; kept here so OutputFormat stays replay's. */
    enum GetFormat {
        TEXT, NDJSON, MESSAGE;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    @Option(names = {"-k", "--insecure"}, description = "Accept any TLS certificate (self-signed test servers).")
    private boolean insecure;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "600", converter = SecondsConverter.class,
            description = "Give up when no byte arrives for this long, before the response or in it; 0 waits forever "
                    + "(default: ${DEFAULT-VALUE}).")
    private double idleTimeout;

    @Option(names = "--connect-timeout", paramLabel = "SECONDS", defaultValue = "10", converter = SecondsConverter.class,
            description = "Longest wait for the connection (default: ${DEFAULT-VALUE}).")
    private double connectTimeout;

    @Option(names = "--capture", paramLabel = "FILE.pcap",
            description = "Also record the connection's plaintext traffic to a pcap file, to replay later.")
    private Path capture;

    @Option(names = "--http2",
            description = "Offer HTTP/2 to an https upstream by ALPN (HTTP/1.1 if it declines); http stays HTTP/1.1.")
    private boolean http2;

    @Option(names = "--h2c",
            description = "Speak HTTP/2 to an http upstream without asking (prior knowledge, as curl --http2-prior-knowledge); "
                    + "implies --http2 for https.")
    private boolean h2c;

    @Mixin
    private ProxyOptions proxy;

    @Mixin
    private CaptureFailureOptions captureFailures;

    @Override
    public Integer call() throws InterruptedException {
        SseRequest request = request();
        BufferedOutputStream out = new BufferedOutputStream(sluice.stdout(), OUTPUT_BUFFER);
        Output output = format == GetFormat.MESSAGE ? new MessageOutput(out, request.uri().getRawPath())
                : new RecordOutput((format == GetFormat.NDJSON ? OutputFormat.NDJSON : OutputFormat.TEXT).writerOn(out));
        SseClient.Builder options = SseClient.builder()
                .threads(1)
                .insecure(insecure)
                .connectTimeout(seconds(connectTimeout))
                .idleTimeout(seconds(idleTimeout))
                .firstByteTimeout(Duration.ZERO); // --idle-timeout bounds the wait for the response too
        if (capture != null) {
            options.capture(capture);
        }
        options.proxy(proxy.proxy());
        options.captureFailures(captureFailures.capture());
        options.protocol(upstreamProtocol(http2, h2c));
        SseClient client;
        try {
            client = options.build();
        } catch (java.io.UncheckedIOException e) {
            throw CaptureFailureOptions.folderFailed(e);
        } catch (RuntimeException e) {
            throw new InputException(e.getMessage(), e);
        }
        SseException failed = null;
        SseStream ended = null;
        try (client) {
            SseStream stream = client.openQueue(request);
            try {
                SseEventQueue queue = stream.queue();
                OwnedSseEvent event;
                while ((event = queue.take(1, TimeUnit.SECONDS)) != null || !queue.isDone()) {
                    if (event == null) {
                        continue;
                    }
                    try {
                        output.event(event);
                    } finally {
                        event.release();
                    }
                }
                SseException failure = queue.failure();
                output.end(failure, stream);
                failed = failure;
                ended = stream;
            } finally {
                stream.close();
            }
        } // the client's close waits for a failure's capture to be written
        if (failed != null) {
            Path captured = ended.failureCapture();
            throw new InputException(describe(failed, request) + (captured == null ? "" : " (captured to " + captured + ")"), failed);
        }
        return Sluice.EXIT_OK;
    }

    /** Where the taken events go. */
    private interface Output {
        void event(OwnedSseEvent event);

        /** {@code stream} is over; {@code failure} is null for a clean end. Flushes. */
        void end(SseException failure, SseStream stream);
    }

    /**
     * replay's record writers, flushed per event: a person (or a pipe) sees each event as it arrives.
     * A stream whose parser reached its end, cleanly or cut, ends with replay's end record (issue
     * 17: the same {@code end:} line for a live stream as for its recording); one refused before
     * its body (a status, a content type) has none, as in replay.
     */
    private static final class RecordOutput implements Output {
        private final RecordWriter writer;

        RecordOutput(RecordWriter writer) {
            this.writer = writer;
        }

        @Override
        public void event(OwnedSseEvent event) {
            writer.event(event);
            writer.flush();
        }

        @Override
        public void end(SseException failure, SseStream stream) {
            if (failure == null) {
                writer.end(stream.eventsAtEnd(), stream.bytesAtEnd(), 0);
            } else if (failure instanceof SseClosedEarlyException) {
                SseClosedEarlyException cut = (SseClosedEarlyException) failure;
                writer.end(cut.events(), cut.bytes(), cut.incompleteTailBytes());
            }
            writer.flush();
        }
    }

    /** The unified final message (docs/llm.md), one JSON line once the stream is over, failed or not. */
    private static final class MessageOutput implements Output {
        private final MessageCollector collector = MessageCollector.create();
        private final java.io.OutputStream out;
        /** Tells a refusal of OpenAI's Responses API from one of Chat Completions: their bodies are alike. */
        private final String requestPath;

        MessageOutput(java.io.OutputStream out, String requestPath) {
            this.out = out;
            this.requestPath = requestPath;
        }

        @Override
        public void event(OwnedSseEvent event) {
            collector.onEvent(event);
        }

        @Override
        public void end(SseException failure, SseStream stream) {
            if (failure instanceof SseResponseException) {
                SseResponseException refused = (SseResponseException) failure;
                byte[] body = refused.body();
                collector.httpError(refused.status().code(), requestPath, refused.headers(), body, 0, body.length);
            } else if (failure instanceof SseClosedEarlyException) {
                collector.transportError("closed_early", describe(failure));
            } else if (failure != null) {
                collector.transportError("stream_error", failure.getMessage());
            }
            try (JsonGenerator json = JSON.createGenerator(out)) {
                collector.writeJson(json);
                json.writeRaw('\n');
            } catch (IOException e) {
                throw new OutputFailedException(e);
            }
        }
    }

    private SseRequest request() {
        SseRequest request = getRequest(url);
        if (data != null) {
            request = request.withMethod("POST").withBody(body());
        }
        if (method != null) {
            request = request.withMethod(method);
        }
        return withHeaders(request, headers);
    }

    /**
     * A GET of {@code url}, which must be an http or https URL with a host and a port from 1 to
     * 65535; anything else is bad usage. Issue 17: {@code localhost:8080/path} parses as a URI
     * whose scheme is {@code localhost}, so a missing scheme is told apart and {@code http://}
     * offered; a port past 65535 made the client wait for ever instead of failing.
     */
    static SseRequest getRequest(String url) {
        if (!url.contains("://")) {
            throw new UsageException("no scheme in " + url + ": try http://" + url);
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new UsageException("not a URL: " + url + " (" + e.getReason() + ")");
        }
        if (uri.getPort() > PortConverter.MAX_PORT || uri.getPort() == 0) {
            throw new UsageException("not a port from 1 to " + PortConverter.MAX_PORT + ": " + uri.getPort() + " in " + url);
        }
        try {
            return SseRequest.get(uri);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage()); // not http or https, or no host
        }
    }

    /** {@code request} with each {@code NAME: VALUE} of {@code headers} added. */
    static SseRequest withHeaders(SseRequest request, List<String> headers) {
        for (String header : headers) {
            int colon = header.indexOf(':');
            if (colon <= 0) {
                throw new UsageException("not a header (NAME: VALUE): " + header);
            }
            request = request.withHeader(header.substring(0, colon).trim(), header.substring(colon + 1).trim());
        }
        return request;
    }

    /**
     * The body of {@code -d}: the text, or the bytes of {@code @FILE}, which must be at most
     * {@value #MAX_BODY} bytes. The bound is the CLI's because {@link SseRequest} keeps its body as
     * one array, to send it again on every reconnect; a larger file is one line and exit status 1,
     * before anything is read or sent.
     */
    private byte[] body() {
        if (!data.startsWith("@")) {
            return data.getBytes(StandardCharsets.UTF_8);
        }
        Path file = Path.of(data.substring(1));
        try {
            // The size first, so a huge file costs nothing; the bounded read catches pipes and growing files.
            if (Files.isRegularFile(file) && Files.size(file) > MAX_BODY) {
                throw tooLarge(file, Files.size(file));
            }
            try (InputStream in = Files.newInputStream(file)) {
                byte[] body = in.readNBytes(MAX_BODY + 1);
                if (body.length > MAX_BODY) {
                    throw tooLarge(file, -1);
                }
                return body;
            }
        } catch (IOException e) {
            throw new InputException("cannot read " + file + ": " + ReplayCommand.reason(e), e);
        }
    }

    private static InputException tooLarge(Path file, long size) {
        return new InputException("request body " + file + (size >= 0 ? " is " + size + " bytes," : " is")
                + " over the " + MAX_BODY + "-byte limit of -d @FILE");
    }

    /** The client's protocol for {@code --http2} and {@code --h2c} (relay: {@code --upstream-http2}, {@code --upstream-h2c}). */
    static SseClient.Protocol upstreamProtocol(boolean http2, boolean h2c) {
        return h2c ? SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE : http2 ? SseClient.Protocol.HTTP_2 : SseClient.Protocol.HTTP_1_1;
    }

    static Duration seconds(double seconds) {
        return Duration.ofNanos((long) (seconds * 1e9));
    }

    /**
     * The one line about a failure of {@code request}; a TLS failure says so first. Issue 17: an
     * https URL for a plain HTTP server failed as "connection closed before the response" with
     * Netty's hex dump of the server's answer, which is what its {@code NotSslRecordException} says.
     */
    static String describe(SseException failure, SseRequest request) {
        for (Throwable cause = failure.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof NotSslRecordException) {
                URI uri = request.uri();
                return "TLS handshake failed: the server at " + uri.getHost() + ":" + (uri.getPort() < 0 ? 443 : uri.getPort())
                        + " does not speak TLS (try http://)";
            }
            if (cause instanceof SSLException) {
                return "TLS handshake failed: " + cause.getMessage();
            }
        }
        return describe(failure);
    }

    /** The one line about a failure: for an HTTP error, the status and the body's own message. */
    static String describe(SseException failure) {
        if (failure instanceof SseResponseException) {
            SseResponseException response = (SseResponseException) failure;
            String message = errorMessage(response.body());
            return message.isEmpty() ? failure.getMessage() : failure.getMessage() + ": " + message;
        }
        if (failure instanceof SseClosedEarlyException) {
            SseClosedEarlyException cut = (SseClosedEarlyException) failure;
            return (cut.tailCut() ? "stream cut mid-event" : "stream cut between events") + " after "
                    + cut.events() + (cut.events() == 1 ? " event, " : " events, ") + cut.bytes()
                    + (cut.bytes() == 1 ? " byte" : " bytes")
                    + (cut.tailCut() ? " (" + cut.incompleteTailBytes() + " bytes of the last event lost)" : "");
        }
        return failure.getMessage();
    }

    /**
     * A provider's error message: the first string field named {@code message} in a JSON body
     * (Anthropic, OpenAI and Gemini all nest one under {@code error}), else the body's first line.
     */
    static String errorMessage(byte[] body) {
        try (JsonParser json = JSON.createParser(body)) {
            JsonToken token;
            while ((token = json.nextToken()) != null) {
                if (token == JsonToken.FIELD_NAME && json.currentName().equals("message")
                        && json.nextToken() == JsonToken.VALUE_STRING) {
                    return clip(json.getText());
                }
            }
        } catch (IOException notJson) {
            // Plain text or HTML: the first line says it, if anything does.
        }
        String text = new String(body, StandardCharsets.UTF_8).strip();
        int lf = text.indexOf('\n');
        return clip(lf < 0 ? text : text.substring(0, lf));
    }

    private static String clip(String text) {
        StringBuilder safe = new StringBuilder();
        TextRecordWriter.appendEscaped(safe, text.length() > ERROR_MESSAGE_MAX ? text.substring(0, ERROR_MESSAGE_MAX) + "..." : text);
        return safe.toString().replace('\n', ' ');
    }
}

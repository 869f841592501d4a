package io.sluice.cli;

import io.netty.buffer.Unpooled;
import io.sluice.cli.capture.TcpStream;
import io.sluice.llm.Provider;
import io.sluice.netty.SseFailureCapture;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code sluice serve FILE}: stands in for the provider of a recorded incident. A live HTTP/1.1
 * server on loopback answers every request with the recording ({@link ReplayServer}): a capture's
 * server stream byte for byte in its captured segments and gaps, an HTTP response file as it is,
 * an SSE body behind a synthesised {@code 200 text/event-stream} head. Each connection reads the
 * file its own way through, so a recording of any size is served in one write's memory per
 * connection. Ctrl-C stops it cleanly.
 *
 * <p>With {@code --fault} (issue 19, item 5) it serves a failure instead, the same on every
 * connection, for a gateway's CI: the recording is decoded once ({@link DecodedRecording}) and each
 * connection gets a response synthesised from it with the faults applied ({@link FaultedResponse}).
 */
@Command(name = "serve",
        mixinStandardHelpOptions = true,
        versionProvider = Sluice.Version.class,
        description = "Serves a recorded response (.pcap, .http or .sse) as a live HTTP/1.1 SSE server on loopback.",
        sortOptions = false)
final class ServeCommand implements Callable<Integer> {
    /** The head given to a raw SSE body: the connection's close ends the body, so no framing is needed. */
    static final String SSE_HEAD = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
            + "connection: close\r\n\r\n";

    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The recording: a packet capture, an HTTP response or an SSE body.")
    private Path file;

    @Option(names = "--port", paramLabel = "P", required = true, converter = PortConverter.class,
            description = "The port to listen on (0: any free port).")
    private int port;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "The address to listen on (default: ${DEFAULT-VALUE}).")
    private String host;

    @Option(names = "--timing", paramLabel = "none|original|xN", converter = Timing.Converter.class,
            defaultValue = "original",
            description = "Captured gaps between writes: kept, N times shorter, or none (default: ${DEFAULT-VALUE}).")
    private Timing timing;

    @Option(names = "--loop", description = "Serve every connection until stopped; without it, stop after the first replay.")
    private boolean loop;

    @Option(names = "--input", paramLabel = "KIND", defaultValue = "auto",
            description = "Input kind: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}, sniffed).")
    private InputKind input;

    @Option(names = "--flow", paramLabel = "FROM-TO|[ADDR:]PORT", converter = FlowConverter.class,
            description = "The TCP stream of a capture to serve (default: the first carrying an HTTP response).")
    private String flow;

    @Option(names = "--fault", paramLabel = "SPEC", converter = Fault.Converter.class,
            description = "Serve a failure, the same on every connection; repeatable, combinable: cut:N[:rst] (stop after "
                    + "event N with a FIN, or a RST), stall:N:SECONDS, status:CODE[:retry-after=SECONDS] (the provider's "
                    + "error body instead of the stream), error:N (the provider's error event, then the end), "
                    + "drip:BYTES_PER_SECOND. N counts the recording's events. Default: none, the recording byte for byte.")
    private List<Fault> faults = new ArrayList<>();

    @Option(names = "--fault-provider", paramLabel = "PROVIDER", converter = ProviderConverter.class,
            description = "Whose error shape status: and error: faults send: anthropic, openai-chat, openai-responses or "
                    + "gemini (default: told from the recording's events).")
    private Provider faultProvider;

    @Mixin
    private FrontDoorOptions door;

    @Mixin
    private ProtocolOptions protocolOptions;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        FaultPlan plan;
        try {
            plan = FaultPlan.of(faults);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (faultProvider != null && !plan.needsProvider()) {
            throw new ParameterException(spec.commandLine(), "--fault-provider shapes the errors of --fault status: and error:; "
                    + (plan.isEmpty() ? "no --fault was given" : plan + " sends none"));
        }
        String name = file.toString();
        Served served;
        try {
            if (Files.isDirectory(file)) {
                throw new IOException("is a directory");
            }
            Recording.Source source = () -> new BufferedInputStream(Files.newInputStream(file), READ_BUFFER);
            InputKind kind = input != InputKind.AUTO ? input : sniffed(source);
            served = plan.isEmpty() ? served(kind, source, name, flow, err)
                    : faulted(kind, source, name, flow, plan, faultProvider, timing, err);
        } catch (IOException e) {
            throw new InputException("cannot read " + name + ": " + ReplayCommand.reason(e), e);
        }
        ProtocolOptions.Protocols protocols = protocolOptions.protocols(notice -> err.println("sluice serve: " + notice));
        ReplayServer server = ReplayServer.start(host, port, served.writes(), served.timing(timing), loop, served.reset(),
                door.guard(), warning -> err.println("sluice serve: " + warning), protocols);
        err.println(String.format(Locale.ROOT, "sluice serve: %s on %s://%s:%d/ (%s; %s over %.3f s, timing %s%s%s); Ctrl-C stops",
                name, protocols.scheme(), host.indexOf(':') >= 0 ? "[" + host + "]" : host, server.port(), protocols.describe(),
                plan.isEmpty() ? served.count() + " writes" : served.count() + " events",
                timing.delayNanos(served.spanNanos()) / 1e9, timing, plan.isEmpty() ? "" : ", faults " + plan + served.faultsNote(),
                loop ? ", looping" : ", stops after the first replay"));
        err.flush();
        CommandServer.runUntilStopped(server, "sluice-serve",
                () -> err.println("sluice serve: stopped after " + server.served() + " complete replays"));
        return Sluice.EXIT_OK;
    }

    /**
     * What serve sends for a recording: each connection's own pass over it, how many writes a pass
     * makes (with faults: how many events the recording has) over what capture time, whether the
     * connection ends with a RST, and, with faults, whose error shape they send (null: none or no faults).
     */
    record Served(ReplayServer.Recorded writes, long count, long spanNanos, boolean reset, boolean faulted, Provider errors) {
        Served(ReplayServer.Recorded writes, long count, long spanNanos, boolean reset) {
            this(writes, count, spanNanos, reset, false, null);
        }

        /**
         * The timing the server applies to the writes' delays: {@code timing}, or for faulted
         * writes, which carry wall-clock delays with {@code timing} applied already, none of its own.
         */
        Timing timing(Timing timing) {
            return faulted ? Timing.ORIGINAL : timing;
        }

        String faultsNote() {
            return errors == null ? "" : " in " + errors.id() + "'s error shape";
        }
    }

    /**
     * What serve sends with {@code plan}: the recording decoded once ({@link DecodedRecording}),
     * each connection's response synthesised from it ({@link FaultedResponse}).
     *
     * @throws InputException when the recording cannot be faulted (no event stream, too few events,
     *     no provider to shape an error like)
     */
    static Served faulted(InputKind kind, Recording.Source source, String name, String flow, FaultPlan plan,
                          Provider provider, Timing timing, PrintWriter err) throws IOException {
        DecodedRecording recording = DecodedRecording.decode(kind, source, name, flow, err);
        FaultedResponse response = FaultedResponse.of(recording, plan, provider, timing);
        return new Served(response, recording.events(), recording.endNanos(), recording.reset(), true,
                plan.needsProvider() ? response.provider() : null);
    }

    /** {@link #faulted(InputKind, Recording.Source, String, String, FaultPlan, Provider, Timing, PrintWriter)} of a recording in memory. */
    static Served faulted(InputKind kind, byte[] bytes, String name, FaultPlan plan, Provider provider, Timing timing) {
        try {
            return faulted(kind, () -> new ByteArrayInputStream(bytes), name, null, plan, provider, timing,
                    new PrintWriter(new StringWriter()));
        } catch (IOException e) {
            throw new UncheckedIOException("a byte array cannot fail to read", e);
        }
    }

    /** {@code --fault-provider}: a provider by its id, as the final message names it. */
    static final class ProviderConverter implements ITypeConverter<Provider> {
        @Override
        public Provider convert(String text) {
            try {
                return Provider.fromId(text);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@link #served(InputKind, Recording.Source, String, String, PrintWriter)} of a recording in memory. */
    static Served served(InputKind kind, byte[] bytes, String name, String flow, PrintWriter err) {
        try {
            return served(kind, () -> new ByteArrayInputStream(bytes), name, flow, err);
        } catch (IOException e) {
            throw new UncheckedIOException("a byte array cannot fail to read", e);
        }
    }

    /**
     * The writes for the recording {@code source} holds, of {@code kind}, read anew by each
     * connection (issue 14: a connection holds one write, whatever the recording's size): a
     * capture's server stream as its segments, an HTTP response file as it is, an SSE body behind
     * {@link #SSE_HEAD}, files in writes of {@value #WRITE_SIZE} bytes. A capture is read once here
     * to count its writes and find its problem, which is a warning on {@code err}: what comes before
     * it is served. A recording in which a client would find no event is a warning too
     * ({@link EventProbe}); it is served all the same.
     */
    static Served served(InputKind kind, Recording.Source source, String name, String flow, PrintWriter err) throws IOException {
        switch (kind) {
            case PCAP: {
                Recording r = Recording.survey(source, name, flow);
                long count = 0;
                long first = -1;
                long last = 0;
                boolean reset;
                try (Recording.Pass pass = r.open(); EventProbe probe = new EventProbe(r.http())) {
                    TcpStream.Segment s;
                    while ((s = pass.next()) != null) {
                        first = first < 0 ? s.timeNanos() : first;
                        last = s.timeNanos();
                        count++;
                        probe.feed(Unpooled.wrappedBuffer(s.data()));
                    }
                    if (pass.problem() != null) {
                        if (count == 0) {
                            throw new InputException(name + ": " + pass.problem().getMessage() + "; nothing before it to serve");
                        }
                        err.println("sluice serve: warning: " + pass.problem().getMessage() + "; serving what comes before it");
                    }
                    reset = pass.end() == TcpStream.End.RST;
                    warnWithoutEvents(probe, name, err);
                }
                return new Served(() -> HeadFirst.unless(r.http(), new CaptureWrites(r.open())), count + (r.http() ? 0 : 1),
                        Math.max(0, last - first), reset);
            }
            case HTTP:
            case SSE:
            case AUTO: {
                boolean head = kind != InputKind.HTTP;
                long size = size(source);
                try (InputStream in = source.open(); EventProbe probe = new EventProbe(!head)) {
                    byte[] read = new byte[READ_BUFFER];
                    for (int n; !probe.done() && (n = in.read(read)) >= 0; ) {
                        probe.feed(Unpooled.copiedBuffer(read, 0, n));
                    }
                    warnWithoutEvents(probe, name, err);
                }
                boolean hold = !head && capturedTimeout(source);
                return new Served(() -> HeadFirst.unless(!head, new FileWrites(source.open(), hold)), (head ? 1 : 0) + (size + WRITE_SIZE - 1) / WRITE_SIZE,
                        0, false);
            }
            default:
                throw new IllegalStateException("Unhandled input " + kind);
        }
    }

    private static void warnWithoutEvents(EventProbe probe, String name, PrintWriter err) {
        String warning = probe.warning();
        if (warning != null) {
            err.println("sluice serve: warning: " + name + ": " + warning);
        }
    }

    private static final int READ_BUFFER = 1 << 16;
    /** A file's body is sent in writes of this size, each read when the one before it was written. */
    static final int WRITE_SIZE = 1 << 16;
    private static final byte[] SSE_HEAD_BYTES = SSE_HEAD.getBytes(StandardCharsets.US_ASCII);

    /** A capture's stream, a pass per connection: each read one write at its captured delay from the first. */
    private static final class CaptureWrites implements ReplayServer.Writes {
        private final Recording.Pass pass;
        private long first = -1;

        CaptureWrites(Recording.Pass pass) {
            this.pass = pass;
        }

        @Override
        public ReplayServer.Write next() throws IOException {
            TcpStream.Segment s = pass.next();
            if (s == null) {
                return null;
            }
            first = first < 0 ? s.timeNanos() : first;
            return new ReplayServer.Write(Math.max(0, s.timeNanos() - first), s.data());
        }

        @Override
        public void close() throws IOException {
            pass.close();
        }
    }

    /** {@link #SSE_HEAD} first, for a recording that is a body without its response head; then the recording. */
    private static final class HeadFirst implements ReplayServer.Writes {
        private final ReplayServer.Writes body;
        private boolean head = true;

        private HeadFirst(ReplayServer.Writes body) {
            this.body = body;
        }

        static ReplayServer.Writes unless(boolean hasHead, ReplayServer.Writes recording) {
            return hasHead ? recording : new HeadFirst(recording);
        }

        @Override
        public ReplayServer.Write next() throws IOException {
            if (head) {
                head = false;
                return new ReplayServer.Write(0, SSE_HEAD_BYTES);
            }
            return body.next();
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    /** A file as it is, in writes of {@value #WRITE_SIZE} bytes. */
    /**
     * Whether an {@code .http} file is the capture of a stream that timed out
     * ({@code x-sluice-capture-end: upstream_timeout} in its head, as {@code --capture-failures}
     * writes it): then each connection is held open after the last byte, silent, until the client
     * leaves, so the client times out as the captured one did instead of seeing a close.
     */
    static boolean capturedTimeout(Recording.Source source) throws IOException {
        try (InputStream in = source.open()) {
            String head = new String(in.readNBytes(2 * SseFailureCapture.MAX_HEAD_BYTES), StandardCharsets.ISO_8859_1);
            int end = head.indexOf("\r\n\r\n");
            return (end < 0 ? head : head.substring(0, end + 2)).toLowerCase(java.util.Locale.ROOT)
                    .contains("\r\nx-sluice-capture-end: upstream_timeout\r\n");
        }
    }

    private static final class FileWrites implements ReplayServer.Writes {
        private final InputStream in;
        private final boolean hold;

        FileWrites(InputStream in) {
            this(in, false);
        }

        FileWrites(InputStream in, boolean hold) {
            this.in = in;
            this.hold = hold;
        }

        @Override
        public ReplayServer.Ending ending() {
            return hold ? ReplayServer.Ending.HOLD : ReplayServer.Ending.AS_RECORDED;
        }

        @Override
        public ReplayServer.Write next() throws IOException {
            byte[] data = in.readNBytes(WRITE_SIZE);
            return data.length == 0 ? null : new ReplayServer.Write(0, data);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** The bytes {@code source} holds, skipped over rather than read where the stream allows. */
    private static long size(Recording.Source source) throws IOException {
        try (InputStream in = source.open()) {
            long size = 0;
            while (true) {
                long skipped = in.skip(Long.MAX_VALUE);
                if (skipped > 0) {
                    size += skipped;
                } else if (in.read() >= 0) {
                    size++;
                } else {
                    return size;
                }
            }
        }
    }

    private static InputKind sniffed(Recording.Source source) throws IOException {
        try (InputStream in = new BufferedInputStream(source.open(), InputSniffer.MAX_LOOKAHEAD)) {
            switch (InputSniffer.sniff(in)) {
                case HTTP:
                    return InputKind.HTTP;
                case PCAP:
                    return InputKind.PCAP;
                default:
                    return InputKind.SSE;
            }
        }
    }
}

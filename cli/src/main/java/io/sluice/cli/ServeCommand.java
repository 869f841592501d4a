package io.sluice.cli;

import io.sluice.cli.capture.TcpStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
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
 * an SSE body behind a synthesised {@code 200 text/event-stream} head. Ctrl-C stops it cleanly.
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

    @Option(names = "--port", paramLabel = "P", required = true, description = "The port to listen on (0: any free port).")
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

    @Option(names = "--flow", paramLabel = "FROM-TO|[ADDR:]PORT",
            description = "The TCP stream of a capture to serve (default: the first carrying an HTTP response).")
    private String flow;

    @Mixin
    private FrontDoorOptions door;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        String name = file.toString();
        byte[] bytes;
        InputKind kind;
        try {
            if (Files.isDirectory(file)) {
                throw new IOException("is a directory");
            }
            bytes = Files.readAllBytes(file);
            kind = input != InputKind.AUTO ? input : sniffed(bytes);
        } catch (IOException e) {
            throw new InputException("cannot read " + name + ": " + ReplayCommand.reason(e), e);
        }
        Served served = served(kind, bytes, name, flow, err);
        List<ReplayServer.Write> writes = served.writes();
        ReplayServer server = ReplayServer.start(host, port, writes, timing, loop, served.reset(), door.guard(),
                warning -> err.println("sluice serve: " + warning));
        long span = writes.get(writes.size() - 1).delayNanos();
        err.println(String.format(Locale.ROOT, "sluice serve: %s on http://%s:%d/ (%d writes over %.3f s, timing %s%s); Ctrl-C stops",
                name, host.indexOf(':') >= 0 ? "[" + host + "]" : host, server.port(), writes.size(),
                timing.delayNanos(span) / 1e9, timing, loop ? ", looping" : ", stops after the first replay"));
        err.flush();
        CommandServer.runUntilStopped(server, "sluice-serve",
                () -> err.println("sluice serve: stopped after " + server.served() + " complete replays"));
        return Sluice.EXIT_OK;
    }

    /** What serve sends for a recording: its writes, and whether the connection ends with a RST. */
    record Served(List<ReplayServer.Write> writes, boolean reset) {
    }

    /**
     * The writes for {@code bytes}, a recording of {@code kind}: a capture's server stream as its
     * segments (a problem in the capture is a warning on {@code err}: what comes before it is
     * served), an HTTP response file as one write, an SSE body behind {@link #SSE_HEAD}.
     */
    static Served served(InputKind kind, byte[] bytes, String name, String flow, PrintWriter err) {
        List<ReplayServer.Write> writes = new ArrayList<>();
        boolean reset = false;
        switch (kind) {
            case PCAP: {
                Recording r = Recording.fromPcap(bytes, name, flow);
                if (r.problem() != null) {
                    err.println("sluice serve: warning: " + r.problem().getMessage() + "; serving what comes before it");
                }
                if (!r.http()) {
                    writes.add(new ReplayServer.Write(0, SSE_HEAD.getBytes(StandardCharsets.US_ASCII)));
                }
                long first = r.segments().get(0).timeNanos();
                for (TcpStream.Segment s : r.segments()) {
                    writes.add(new ReplayServer.Write(Math.max(0, s.timeNanos() - first), s.data()));
                }
                reset = r.end() == TcpStream.End.RST;
                break;
            }
            case HTTP:
                writes.add(new ReplayServer.Write(0, bytes));
                break;
            case SSE:
            case AUTO:
                writes.add(new ReplayServer.Write(0, SSE_HEAD.getBytes(StandardCharsets.US_ASCII)));
                writes.add(new ReplayServer.Write(0, bytes));
                break;
            default:
                throw new IllegalStateException("Unhandled input " + kind);
        }
        return new Served(writes, reset);
    }

    private static InputKind sniffed(byte[] bytes) throws IOException {
        switch (InputSniffer.sniff(new BufferedInputStream(new ByteArrayInputStream(bytes)))) {
            case HTTP:
                return InputKind.HTTP;
            case PCAP:
                return InputKind.PCAP;
            default:
                return InputKind.SSE;
        }
    }
}

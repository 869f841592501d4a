package io.sluice.cli;

import io.sluice.llm.LlmMessage;
import io.sluice.micrometer.SluiceMetrics;
import io.sluice.llm.MessageCollector;
import io.sluice.llm.StreamStart;
import io.sluice.llm.Usage;
import io.sluice.netty.SseRequestAuthenticator;
import io.sluice.netty.SseFailureCapture;
import io.sluice.netty.SseRelay;
import io.sluice.netty.SseRelayRetry;
import io.sluice.netty.SseRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code sluice relay}: a runnable gateway. Every request it receives opens the upstream stream
 * (with the request's method and body) and relays its events as they arrive ({@link SseRelay}),
 * one access log line per stream on standard output.
 */
@Command(name = "relay",
        mixinStandardHelpOptions = true,
        versionProvider = Sluice.Version.class,
        description = "Relays an upstream SSE stream to every GET and POST it receives, event by event, never buffering.",
        sortOptions = false)
final class RelayCommand implements Callable<Integer> {
    @ParentCommand
    private Sluice sluice;

    @Spec
    private CommandSpec spec;

    @Option(names = "--listen", paramLabel = "HOST:PORT", required = true, converter = ListenAddress.Converter.class,
            description = "The address to serve on (port 0: any free port; [::1]:PORT for IPv6).")
    private ListenAddress listen;

    @Option(names = "--upstream", paramLabel = "URL", required = true,
            description = "The upstream's base URL (http or https): each request goes there with its method, body, "
                    + "headers, and its path and query under the URL's path (https://api.anthropic.com fronts /v1/messages). "
                    + "Repeat it for fallbacks, tried in order when one fails before the first token.")
    private List<String> upstreams = new ArrayList<>();

    @Option(names = "--attempts", paramLabel = "N", defaultValue = "3",
            description = "Upstream attempts in all, before the first token: a retryable refusal (408, 409, 429, 5xx), no answer, "
                    + "or an error event before the first content moves to the next --upstream, or retries one whose "
                    + "retry-after is short; 1 for none (default: ${DEFAULT-VALUE}).")
    private int attempts;

    @Option(names = "--max-retry-after", paramLabel = "SECONDS", defaultValue = "2", converter = SecondsConverter.class,
            description = "The longest retry-after waited out to retry the same upstream; longer moves on (default: ${DEFAULT-VALUE}).")
    private double maxRetryAfter;

    @Option(names = "--fallback-window", paramLabel = "SECONDS", defaultValue = "10", converter = SecondsConverter.class,
            description = "How long after a request the relay may still fall back; a stream that may is held until its first "
                    + "token, and no longer than this (default: ${DEFAULT-VALUE}).")
    private double fallbackWindow;

    @Option(names = "--drop-client-credentials",
            description = "Do not send the clients' authorization, x-api-key and x-goog-api-key headers upstream "
                    + "(the relay supplies its own with -H).")
    private boolean dropClientCredentials;

    @Option(names = {"-H", "--header"}, paramLabel = "'NAME: VALUE'",
            description = "A header for every upstream request (an API key, say); repeatable.")
    private List<String> headers = new ArrayList<>();

    @Option(names = "--require-header", paramLabel = "'NAME: VALUE'",
            description = "Serve only requests with this header and value, others get 401; repeatable, each required. "
                    + "Without it or --token-file the relay serves anyone who reaches --listen.")
    private List<String> requiredHeaders = new ArrayList<>();

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "Serve only requests with 'Authorization: Bearer T', T one line of FILE (blank and # lines skipped); "
                    + "others get 401. Read at start.")
    private Path tokenFile;

    @Option(names = "--path", paramLabel = "PATH",
            description = "Relay requests to this path only (others are answered 404); default: every path.")
    private String path;

    @Option(names = "--static", paramLabel = "DIR",
            description = "Also serve the files in DIR (GET /page.html; / is index.html), so a page and its stream share an origin.")
    private Path files;

    @Option(names = "--heartbeat", paramLabel = "SECONDS", defaultValue = "15", converter = SecondsConverter.class,
            description = "Idle time before a comment keeps a downstream stream open; 0 for none (default: ${DEFAULT-VALUE}).")
    private double heartbeat;

    @Option(names = "--write-stall-timeout", paramLabel = "SECONDS", defaultValue = "60", converter = SecondsConverter.class,
            description = "Drop a client that reads nothing this long (its connection's buffer full) and cancel its upstream; "
                    + "0 for none (default: ${DEFAULT-VALUE}).")
    private double writeStallTimeout;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "600", converter = SecondsConverter.class,
            description = "Fail an upstream silent this long, before or after its head (an error event downstream); "
                    + "0 for none (default: ${DEFAULT-VALUE}: a reasoning model's silence, not a stalled server's).")
    private double idleTimeout;

    @Option(names = "--first-byte-timeout", paramLabel = "SECONDS", defaultValue = "300", converter = SecondsConverter.class,
            description = "Fail an upstream that sends no response byte this long after the request; 0 for none "
                    + "(default: ${DEFAULT-VALUE}).")
    private double firstByteTimeout;

    @Option(names = "--max-body", paramLabel = "BYTES", converter = ByteCountConverter.class, defaultValue = "1048576",
            description = "The largest request body relayed; larger is answered 413 (default: ${DEFAULT-VALUE}).")
    private int maxBody;

    @Option(names = "--include-usage",
            description = "Ask OpenAI Chat streams for their usage: a streaming POST to .../chat/completions that does not set "
                    + "stream_options.include_usage true goes upstream with it set, and the usage chunk it adds is kept from "
                    + "the client (the access log still counts it).")
    private boolean includeUsage;

    @Option(names = {"-k", "--insecure"}, description = "Accept any TLS certificate from the upstream (self-signed test servers).")
    private boolean insecure;

    @Option(names = "--metrics", paramLabel = "HOST:PORT", converter = ListenAddress.Converter.class,
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics: streams, ends, time to first token, "
                    + "gaps, bytes, fallbacks, and each LLM stream's token usage by type (port 0: any free port).")
    private ListenAddress metrics;

    @Option(names = "--no-message", negatable = true, defaultValue = "true",
            description = "Log each LLM stream's provider, stop reason and token counts (decodes every event's JSON; default: on).")
    private boolean message = true;

    @Option(names = "--upstream-http2",
            description = "Offer HTTP/2 to https upstreams by ALPN (HTTP/1.1 if they decline): the streams to one upstream "
                    + "share its connections.")
    private boolean upstreamHttp2;

    @Option(names = "--upstream-h2c",
            description = "Speak HTTP/2 to http upstreams without asking (prior knowledge); implies --upstream-http2 for https.")
    private boolean upstreamH2c;

    @Mixin
    private FrontDoorOptions door;

    @Mixin
    private ProtocolOptions protocolOptions;

    @Mixin
    private ProxyOptions proxy;

    @Mixin
    private CaptureFailureOptions captureFailures;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        String host = listen.host();
        int port = listen.port();
        if (attempts < 1) {
            throw new UsageException("--attempts must be at least 1: " + attempts);
        }
        if (path != null && !path.startsWith("/")) {
            throw new UsageException("--path must start with /: " + path);
        }
        if (files != null && !Files.isDirectory(files)) {
            throw new InputException("not a folder: " + files);
        }
        List<SseRequest> requests = new ArrayList<>(upstreams.size());
        for (String upstream : upstreams) {
            requests.add(GetCommand.withHeaders(GetCommand.getRequest(upstream), headers));
        }
        ProtocolOptions.Protocols protocols = protocolOptions.protocols(notice -> err.println("sluice relay: " + notice));
        SseRelayRetry retry = retryPolicy(attempts, GetCommand.seconds(maxRetryAfter), GetCommand.seconds(fallbackWindow));
        PrintWriter log = new PrintWriter(new OutputStreamWriter(sluice.stdout(), StandardCharsets.UTF_8), true);
        SseRequestAuthenticator authenticator = RelayCredentials.authenticator(requiredHeaders, tokenFile, (client, refused) ->
                log.println(refusedLogLine(Instant.now().truncatedTo(ChronoUnit.MILLIS), client, refused.method().name(), refused.uri())));
        MetricsEndpoint endpoint = null;
        if (metrics != null) {
            try {
                endpoint = MetricsEndpoint.start(metrics.host(), metrics.port());
            } catch (IOException e) {
                throw new InputException("cannot serve metrics on " + metrics.host() + ":" + metrics.port() + ": " + e.getMessage(), e);
            }
        }
        SseFailureCapture capture = captureFailures.capture();
        if (capture != null) {
            try {
                Files.createDirectories(capture.directory()); // here, so a folder refused is one line of its own
            } catch (IOException e) {
                closeQuietly(endpoint);
                throw new InputException("cannot make the capture folder " + capture.directory() + " (" + ReplayCommand.reason(e) + ")", e);
            }
        }
        RelayServer server;
        try {
            server = RelayServer.start(new RelayServer.Options(host, port, requests, retry, protocols, path, files,
                    GetCommand.seconds(heartbeat), GetCommand.seconds(idleTimeout),
                    GetCommand.seconds(firstByteTimeout), insecure, maxBody, message, dropClientCredentials, includeUsage,
                    GetCommand.seconds(writeStallTimeout)),
                    door.guard(), warning -> err.println("sluice relay: " + warning),
                    outcome -> log.println(accessLogLine(Instant.now().truncatedTo(ChronoUnit.MILLIS), outcome)), authenticator,
                    proxy.proxy(), endpoint == null ? null : SluiceMetrics.builder(endpoint.registry()).build(), capture,
                    GetCommand.upstreamProtocol(upstreamHttp2, upstreamH2c));
        } catch (UncheckedIOException e) {
            closeQuietly(endpoint);
            throw new InputException("cannot serve " + files + ": " + e.getCause().getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(endpoint);
            throw e;
        }
        err.println(String.format(Locale.ROOT, "sluice relay: listening on %s://%s:%d/ (%s), relaying to %s%s%s; Ctrl-C stops",
                protocols.scheme(), host.indexOf(':') >= 0 ? "[" + host + "]" : host, server.port(), protocols.describe(),
                requests.stream().map(r -> r.uri().toString()).collect(Collectors.joining(", then ")),
                files == null ? "" : ", files from " + files,
                endpoint == null ? "" : String.format(Locale.ROOT, ", metrics on http://%s:%d%s",
                        metrics.host().indexOf(':') >= 0 ? "[" + metrics.host() + "]" : metrics.host(), endpoint.port(),
                        MetricsEndpoint.PATH)));
        err.flush();
        MetricsEndpoint served = endpoint;
        try {
            CommandServer.runUntilStopped(server, "sluice-relay", () -> closeQuietly(served));
        } finally {
            closeQuietly(served);
        }
        return Sluice.EXIT_OK;
    }

    private static void closeQuietly(MetricsEndpoint endpoint) {
        if (endpoint != null) {
            endpoint.close();
        }
    }

    /**
     * The relay's retries, LLM-aware: a stream is held past {@code message_start}, pings and
     * role-only chunks, until its first token, thinking included ({@link StreamStart}).
     */
    static SseRelayRetry retryPolicy(int attempts, Duration maxRetryAfter, Duration window) {
        return SseRelayRetry.builder()
                .maxAttempts(attempts)
                .maxRetryAfter(maxRetryAfter)
                .window(window)
                .content(StreamStart::isContent)
                .error(StreamStart::isError)
                .build();
    }

    /**
     * One stream's access log line: time, client, request, then {@code key=value} fields
     * ({@code upstream} status, 0 if none answered; {@code events} and {@code bytes} written
     * downstream; {@code first_event_ms}, -1 if none; {@code total_ms}; {@code end}: ok,
     * client_gone, or the error event's type; {@code answer}: event_stream, upstream_response (the
     * upstream's own, passed on as it came), relay_error (the relay's 502 or 504) or none;
     * {@code attempts}: upstream attempts, more than 1 when it retried or fell back; with
     * {@code --capture-failures}, {@code capture}: the files the stream's failed attempts left,
     * joined by commas, only when there are some), so it greps and splits without a parser. An LLM
     * stream adds its final message's {@code provider}, {@code stop} reason and every usage count
     * under its key in the final message, in that order ({@code -} where the stream did not say;
     * {@code server_tool_use} as {@code name:count} pairs joined by commas), then its {@code error}
     * type ({@code -} for none): a provider's error event, or a refusal passed on to the client,
     * which names its provider from its body and headers.
     */
    static String accessLogLine(Instant at, SseRelay.Outcome o) {
        String line = String.format(Locale.ROOT, "%s %s %s %s upstream=%d events=%d bytes=%d first_event_ms=%s total_ms=%.1f end=%s answer=%s attempts=%d",
                at, address(o), o.method(), o.uri().replace(' ', '+'), o.upstreamStatus(), o.events(), o.bytes(),
                o.firstEventNanos() < 0 ? "-1" : String.format(Locale.ROOT, "%.1f", o.firstEventNanos() / 1e6),
                o.totalNanos() / 1e6, o.end(), o.answer().name().toLowerCase(Locale.ROOT), o.attempts().size());
        if (!o.captures().isEmpty()) {
            line += " capture=" + o.captures().stream().map(p -> p.toString().replace(' ', '+')).collect(Collectors.joining(","));
        }
        if (o.tap() instanceof MessageCollector collector && collector.message().provider() != null) {
            line += messageFields(collector.message());
        }
        return line;
    }

    /** An LLM stream's part of its access log line: its provider, stop reason and every usage count, each after a space. */
    static String messageFields(LlmMessage m) {
        Usage u = m.usage();
        return " provider=" + m.provider().id() + " stop=" + orDash(m.stopReason())
                + " input_tokens=" + orDash(u.inputTokens()) + " output_tokens=" + orDash(u.outputTokens())
                + " cache_read_input_tokens=" + orDash(u.cacheReadInputTokens())
                + " cache_creation_input_tokens=" + orDash(u.cacheCreationInputTokens())
                + " reasoning_tokens=" + orDash(u.reasoningTokens())
                + " cache_creation_5m_input_tokens=" + orDash(u.cacheCreation5mInputTokens())
                + " cache_creation_1h_input_tokens=" + orDash(u.cacheCreation1hInputTokens())
                + " tool_use_prompt_tokens=" + orDash(u.toolUsePromptTokens())
                + " server_tool_use=" + serverToolUse(u.serverToolUse())
                + " error=" + (m.error() == null ? "-" : orDash(m.error().type()));
    }

    /** {@code web_search_requests:1,web_fetch_requests:0}; {@code -} when none was reported. */
    private static String serverToolUse(Map<String, Long> counts) {
        if (counts == null || counts.isEmpty()) {
            return "-";
        }
        StringJoiner joined = new StringJoiner(",");
        counts.forEach((name, count) -> joined.add(orDash(name).replace(',', '_').replace(':', '_') + ":" + count));
        return joined.toString();
    }

    /**
     * The access log line of a request refused for want of a credential: the same fields as
     * {@link #accessLogLine}, nothing relayed, {@code end=unauthorized}. Never the credential.
     */
    static String refusedLogLine(Instant at, SocketAddress client, String method, String uri) {
        return String.format(Locale.ROOT, "%s %s %s %s upstream=0 events=0 bytes=0 first_event_ms=-1 total_ms=0.0 end=unauthorized",
                at, address(client), method, uri.replace(' ', '+'));
    }

    private static String orDash(Object value) {
        return value == null ? "-" : value.toString().replace(' ', '_');
    }

    private static String address(SseRelay.Outcome o) {
        return address(o.client());
    }

    private static String address(SocketAddress client) {
        return client == null ? "-" : client.toString().replaceFirst("^.*/", "");
    }
}

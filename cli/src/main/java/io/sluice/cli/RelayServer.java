package io.sluice.cli;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.sluice.llm.IncludeUsage;
import io.sluice.llm.MessageCollector;
import io.sluice.netty.SseRequestAuthenticator;
import io.sluice.netty.SseClient;
import io.sluice.netty.SseFailureCapture;
import io.sluice.netty.SseHeaderPolicy;
import io.sluice.netty.SseProxy;
import io.sluice.micrometer.SluiceMetrics;
import io.sluice.netty.SseRelay;
import io.sluice.netty.SseRelayRetry;
import io.sluice.netty.SseRelayRewrite;
import io.sluice.netty.SseRequest;
import io.sluice.netty.SseRequestGuard;
import io.sluice.netty.SseServerProtocols;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The server behind {@code sluice relay}: HTTP/1.1 on the given address, each request relayed by
 * {@link SseRelay} to one upstream request, and, with a folder of files, GETs for those files
 * answered from it ({@link StaticFiles}).
 *
 * <p>Threads: one loop accepts; the serving loops (Netty's default count) run both the downstream
 * connections and their upstream streams, so a relayed event never changes thread.
 */
final class RelayServer extends CommandServer {
    /**
     * What to relay where.
     *
     * @param upstreams the bases of every relayed stream's request, the first tried first and the
     *     others in order as fallbacks: the downstream's path and query go under each URI, its
     *     method and body replace the configured ones, and the client's headers (all but hop-by-hop
     *     ones) go under the configured ones
     * @param retry when to try again before the first token, and what to hold meanwhile
     * @param protocols HTTP/1.1 only, or TLS with HTTP/2, or h2c beside HTTP/1.1
     * @param path the one request path relayed; null for every path
     * @param files a folder served for GETs that name a file in it; null for none
     * @param maxBody the largest request body read, in bytes; a larger one is answered 413
     * @param collectMessages tap each stream with a {@link MessageCollector}, so the access log
     *     can say the final message's provider, stop reason and token counts
     * @param dropClientCredentials the clients' {@code authorization}, {@code x-api-key} and
     *     {@code x-goog-api-key} stay here: the relay supplies the upstream's own
     * @param includeUsage streaming OpenAI Chat requests ask for usage, and the usage chunk a
     *     client did not ask for is kept from it ({@link IncludeUsage})
     * @param writeStallTimeout how long a client may read nothing before it is dropped
     *     ({@link SseRelay.Builder#writeStallTimeout}); zero for no bound
     */
    record Options(String host, int port, List<SseRequest> upstreams, SseRelayRetry retry, ProtocolOptions.Protocols protocols,
                   String path, Path files, Duration heartbeat, Duration idleTimeout, Duration firstByteTimeout,
                   boolean insecure, int maxBody, boolean collectMessages, boolean dropClientCredentials, boolean includeUsage,
                   Duration writeStallTimeout) {
        Options {
            upstreams = List.copyOf(upstreams);
            if (upstreams.isEmpty()) {
                throw new IllegalArgumentException("no upstream");
            }
        }

        /** With the relay's default {@code writeStallTimeout}. */
        Options(String host, int port, List<SseRequest> upstreams, SseRelayRetry retry, ProtocolOptions.Protocols protocols,
                String path, Path files, Duration heartbeat, Duration idleTimeout, Duration firstByteTimeout,
                boolean insecure, int maxBody, boolean collectMessages, boolean dropClientCredentials, boolean includeUsage) {
            this(host, port, upstreams, retry, protocols, path, files, heartbeat, idleTimeout, firstByteTimeout, insecure, maxBody,
                    collectMessages, dropClientCredentials, includeUsage, SseRelay.DEFAULT_WRITE_STALL_TIMEOUT);
        }

        /** Without {@code includeUsage}. */
        Options(String host, int port, List<SseRequest> upstreams, SseRelayRetry retry, ProtocolOptions.Protocols protocols,
                String path, Path files, Duration heartbeat, Duration idleTimeout, Duration firstByteTimeout,
                boolean insecure, int maxBody, boolean collectMessages, boolean dropClientCredentials) {
            this(host, port, upstreams, retry, protocols, path, files, heartbeat, idleTimeout, firstByteTimeout, insecure, maxBody,
                    collectMessages, dropClientCredentials, false);
        }

        /** These options, with {@code includeUsage} as given. */
        Options withIncludeUsage(boolean include) {
            return new Options(host, port, upstreams, retry, protocols, path, files, heartbeat, idleTimeout, firstByteTimeout,
                    insecure, maxBody, collectMessages, dropClientCredentials, include, writeStallTimeout);
        }

        /** One upstream, with the default retries: what most relays and tests want. */
        Options(String host, int port, SseRequest upstream, String path, Path files, Duration heartbeat, Duration idleTimeout,
                Duration firstByteTimeout, boolean insecure, int maxBody, boolean collectMessages, boolean dropClientCredentials) {
            this(host, port, List.of(upstream), SseRelayRetry.DEFAULT, ProtocolOptions.Protocols.PLAIN, path, files, heartbeat,
                    idleTimeout, firstByteTimeout, insecure, maxBody, collectMessages, dropClientCredentials);
        }
    }

    private SseClient client;

    private RelayServer() {
    }

    /** A relay bound to the options' address (port 0 picks a free one), already accepting, with the guard's defaults; open to anyone. */
    static RelayServer start(Options options, Consumer<SseRelay.Outcome> accessLog) {
        return start(options, SseRequestGuard.withDefaults(), System.err::println, accessLog, null);
    }

    /** As {@link #start(Options, Consumer)}, every request, a file's included, to satisfy {@code authenticator}. */
    static RelayServer start(Options options, Consumer<SseRelay.Outcome> accessLog, SseRequestAuthenticator authenticator) {
        return start(options, SseRequestGuard.withDefaults(), System.err::println, accessLog, authenticator);
    }

    /**
     * A relay bound to the options' address (port 0 picks a free one), already accepting;
     * {@code guard} bounds its clients, {@code warnings} takes the lines saying accepting fails
     * and recovers, and every request, a file's included, must satisfy {@code authenticator}
     * (null: none), checked on the request head before anything else reads it, so a refused client
     * opens no upstream request and sends no body.
     */
    static RelayServer start(Options options, SseRequestGuard guard, Consumer<String> warnings,
                             Consumer<SseRelay.Outcome> accessLog, SseRequestAuthenticator authenticator) {
        return start(options, guard, warnings, accessLog, authenticator, null);
    }

    /** As above, every upstream connection through {@code proxy} (null: direct). */
    static RelayServer start(Options options, SseRequestGuard guard, Consumer<String> warnings,
                             Consumer<SseRelay.Outcome> accessLog, SseRequestAuthenticator authenticator, SseProxy proxy) {
        return start(options, guard, warnings, accessLog, authenticator, proxy, SseClient.Protocol.HTTP_1_1);
    }

    /** As above, speaking {@code upstreamProtocol} to the upstreams. */
    static RelayServer start(Options options, SseRequestGuard guard, Consumer<String> warnings,
                             Consumer<SseRelay.Outcome> accessLog, SseRequestAuthenticator authenticator, SseProxy proxy,
                             SseClient.Protocol upstreamProtocol) {
        return start(options, guard, warnings, accessLog, authenticator, proxy, null, null, upstreamProtocol);
    }

    /** As above, over HTTP/1.1, with {@code metrics} and {@code captureFailures} as below. */
    static RelayServer start(Options options, SseRequestGuard guard, Consumer<String> warnings,
                             Consumer<SseRelay.Outcome> accessLog, SseRequestAuthenticator authenticator, SseProxy proxy,
                             SluiceMetrics metrics, SseFailureCapture captureFailures) {
        return start(options, guard, warnings, accessLog, authenticator, proxy, metrics, captureFailures, SseClient.Protocol.HTTP_1_1);
    }

    /**
     * As above, each relayed stream and the upstream client's connections recorded by
     * {@code metrics} (null: none; the LLM meters take their numbers from the access log's
     * message collector, so they need {@link Options#collectMessages()}), each failed upstream
     * attempt written to a file by {@code captureFailures} (null: none), and
     * {@code upstreamProtocol} spoken to the upstreams.
     */
    static RelayServer start(Options options, SseRequestGuard guard, Consumer<String> warnings,
                             Consumer<SseRelay.Outcome> accessLog, SseRequestAuthenticator authenticator, SseProxy proxy,
                             SluiceMetrics metrics, SseFailureCapture captureFailures, SseClient.Protocol upstreamProtocol) {
        RelayServer s = new RelayServer();
        try {
            s.client = SseClient.builder()
                    .eventLoopGroup(s.workers, NioSocketChannel.class)
                    .insecure(options.insecure())
                    .idleTimeout(options.idleTimeout())
                    .firstByteTimeout(options.firstByteTimeout())
                    .proxy(proxy)
                    .captureFailures(captureFailures)
                    .protocol(upstreamProtocol)
                    .build();
            List<String> dropped = new ArrayList<>();
            if (authenticator != null) {
                dropped.addAll(authenticator.credentialHeaders()); // the relay's own credential stays here
            }
            if (options.dropClientCredentials()) {
                dropped.addAll(SseHeaderPolicy.CREDENTIALS);
            }
            SseRelay.Builder relay = SseRelay.builder(s.client, request -> upstreamFor(options.upstreams().get(0), request))
                    .retry(options.retry())
                    .headerPolicy(SseHeaderPolicy.DEFAULT.dropping(dropped))
                    .heartbeat(options.heartbeat())
                    .writeStallTimeout(options.writeStallTimeout())
                    .observer(metrics)
                    .onDone(options.collectMessages() ? outcome -> {
                        attributeRefusal(outcome);
                        accessLog.accept(outcome);
                    } : accessLog);
            if (metrics != null) {
                metrics.bindConnections(s.client);
            }
            for (SseRequest fallback : options.upstreams().subList(1, options.upstreams().size())) {
                relay.fallback(request -> upstreamFor(fallback, request));
            }
            if (options.includeUsage()) {
                relay.rewrite(RelayServer::includeUsage);
            }
            if (options.collectMessages()) {
                // JSON-decodes every event on the event loop, after it is written downstream: a
                // cost the access log's stop reason and token counts are worth in a command for
                // on-call use; --no-message drops it.
                relay.tap(request -> MessageCollector.create());
            }
            SseRelay handler = relay.build();
            StaticFiles files = options.files() == null ? null : new StaticFiles(options.files());
            RelayGate gate = new RelayGate(options.path());
            s.bind(new ServerBootstrap()
                    .childOption(ChannelOption.TCP_NODELAY, true) // each event leaves as its own packet, at once
                    .childHandler(options.protocols().applyTo(SseServerProtocols.builder(stream -> {
                        if (authenticator != null) {
                            stream.addLast(authenticator);
                        }
                        // The aggregator answers Expect: 100-continue itself, after checking the
                        // declared length: 413 (and close) without inviting a body over
                        // --max-body, 100 Continue only for one it will take.
                        stream.addLast(new HttpObjectAggregator(options.maxBody(), true));
                        if (files != null) {
                            stream.addLast(files);
                        }
                        stream.addLast(gate, handler);
                    }))
                            .http1(connection -> connection.addLast(guard))
                            .connection(connection -> s.clients.add(connection.channel()))
                            .build()), options.host(), options.port(), warnings);
        } catch (IOException e) {
            s.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /**
     * The upstream request for one downstream request: the request's method, body, path and query
     * on the configured base URL, with the configured headers (the relay adds the client's under
     * them, by its header policy).
     */
    private static SseRequest upstreamFor(SseRequest configured, FullHttpRequest request) {
        byte[] body = new byte[request.content().readableBytes()];
        request.content().getBytes(request.content().readerIndex(), body);
        return configured.withUri(under(configured.uri(), request.uri())).withMethod(request.method().name()).withBody(body);
    }

    /**
     * A refusal passed on to the client sent no event, so the stream's {@link MessageCollector}
     * knows nothing of it: it is told the refusal's status, headers and body start, so the access
     * log names the provider that refused and its error type, as for a streamed error.
     */
    static void attributeRefusal(SseRelay.Outcome outcome) {
        byte[] body = outcome.refusalBody();
        if (body != null && outcome.tap() instanceof MessageCollector collector && collector.provider() == null) {
            String uri = outcome.uri();
            int query = uri.indexOf('?');
            collector.httpError(outcome.upstreamStatus(), query < 0 ? uri : uri.substring(0, query), outcome.refusalHeaders(),
                    body, 0, body.length);
        }
    }

    /**
     * {@code --include-usage}: a streaming OpenAI Chat request that did not ask for usage goes
     * upstream asking, and its stream's usage chunk is kept from the client (the tap still reads
     * it); any other request, and its stream, pass untouched.
     */
    static SseRelayRewrite includeUsage(FullHttpRequest request) {
        byte[] body = IncludeUsage.rewrite(request.uri(), request.content());
        return body == null ? null : SseRelayRewrite.body(body).hiding(IncludeUsage::isUsageChunk);
    }

    /**
     * {@code target} (a request's path and query) under {@code base}: {@code https://api.anthropic.com}
     * and {@code /v1/messages} are {@code https://api.anthropic.com/v1/messages}; a base path is a
     * prefix ({@code http://h/proxy} and {@code /v1/models?x=1} are {@code http://h/proxy/v1/models?x=1}),
     * and a base query goes first.
     */
    static URI under(URI base, String target) {
        String basePath = base.getRawPath() == null ? "" : base.getRawPath();
        if (basePath.endsWith("/")) {
            basePath = basePath.substring(0, basePath.length() - 1);
        }
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        String query = q < 0 ? null : target.substring(q + 1);
        if (!path.startsWith("/")) {
            path = "/" + path; // an absolute-form or asterisk target never reaches here: the gate takes paths only
        }
        String baseQuery = base.getRawQuery();
        String joined = baseQuery == null ? query : query == null ? baseQuery : baseQuery + "&" + query;
        return URI.create(base.getScheme() + "://" + base.getRawAuthority() + basePath + path
                + (joined == null || joined.isEmpty() ? "" : "?" + joined));
    }

    @Override
    void afterClose() {
        if (client != null) {
            client.close(); // the group is ours, not the client's: this only waits for its failure captures' writes
        }
    }
}

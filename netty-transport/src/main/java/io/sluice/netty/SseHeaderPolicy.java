package io.sluice.netty;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which headers cross an {@link SseRelay}, each way (issue 15). To the upstream go the client's
 * request headers, and to the client the upstream's response headers ({@code request-id},
 * {@code retry-after}, {@code anthropic-ratelimit-*}, {@code x-ratelimit-*}, {@code openai-*} ...),
 * each without:
 * <ul>
 *   <li>the hop-by-hop headers (RFC 9110, 7.6.1): {@code connection} and the names it lists,
 *       {@code keep-alive}, {@code proxy-*}, {@code te}, {@code trailer}, {@code transfer-encoding},
 *       {@code upgrade};</li>
 *   <li>what the relay sets itself: {@code content-length} (it reframes each body) and, to the
 *       upstream, {@code host}, {@code expect} and {@code accept-encoding} (its client asks for what
 *       it decodes), to the client {@code content-encoding} (it decoded the body) and {@code date}
 *       (the answer is the relay's own message);</li>
 *   <li>the request headers named by {@link #dropping}: a relay that requires its own credential
 *       from clients, or supplies the upstream's, drops the clients' ({@link #CREDENTIALS}).</li>
 * </ul>
 * Immutable and thread-safe.
 */
public final class SseHeaderPolicy {
    /** The headers that carry an LLM API's credential. */
    public static final List<String> CREDENTIALS = List.of("authorization", "x-api-key", "x-goog-api-key");

    /** Everything but the headers above crosses. */
    public static final SseHeaderPolicy DEFAULT = new SseHeaderPolicy(Set.of());

    private static final Set<AsciiString> HOP_BY_HOP = Set.of(HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.TE, HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE);
    private static final Set<AsciiString> SET_BY_THE_RELAY_UPSTREAM = Set.of(HttpHeaderNames.HOST,
            HttpHeaderNames.CONTENT_LENGTH, HttpHeaderNames.EXPECT, HttpHeaderNames.ACCEPT_ENCODING);
    // DATE: the client's answer is the relay's own message, framed anew (and a replayed recording's
    // date is months stale).
    private static final Set<AsciiString> SET_BY_THE_RELAY_DOWNSTREAM = Set.of(HttpHeaderNames.CONTENT_LENGTH,
            HttpHeaderNames.CONTENT_ENCODING, HttpHeaderNames.DATE);

    private final Set<AsciiString> droppedRequestHeaders;

    private SseHeaderPolicy(Set<AsciiString> droppedRequestHeaders) {
        this.droppedRequestHeaders = droppedRequestHeaders;
    }

    /** This policy, and the clients' request headers {@code names} are not sent upstream either. */
    public SseHeaderPolicy dropping(Iterable<String> names) {
        Set<AsciiString> dropped = new HashSet<>(droppedRequestHeaders);
        for (String name : names) {
            dropped.add(AsciiString.of(name.trim().toLowerCase(Locale.ROOT)));
        }
        return new SseHeaderPolicy(Set.copyOf(dropped));
    }

    /** The client's request headers that go upstream; the upstream request's own are set over them. */
    public HttpHeaders toUpstream(HttpHeaders client) {
        return copy(client, SET_BY_THE_RELAY_UPSTREAM, droppedRequestHeaders);
    }

    /** The upstream's response headers that reach the client; the relay's own framing is set over them. */
    public HttpHeaders toClient(HttpHeaders upstream) {
        return copy(upstream, SET_BY_THE_RELAY_DOWNSTREAM, Set.of());
    }

    private static HttpHeaders copy(HttpHeaders from, Set<AsciiString> setByTheRelay, Set<AsciiString> dropped) {
        Set<AsciiString> listed = new HashSet<>(); // the names Connection lists are hop-by-hop too
        for (String value : from.getAll(HttpHeaderNames.CONNECTION)) {
            for (String name : value.split(",")) {
                listed.add(AsciiString.of(name.trim().toLowerCase(Locale.ROOT)));
            }
        }
        HttpHeaders to = new DefaultHttpHeaders();
        for (Map.Entry<String, String> header : from) {
            AsciiString name = AsciiString.of(header.getKey().toLowerCase(Locale.ROOT));
            if (!HOP_BY_HOP.contains(name) && !name.startsWith("proxy-") && !setByTheRelay.contains(name)
                    && !dropped.contains(name) && !listed.contains(name)) {
                to.add(name, header.getValue());
            }
        }
        return to;
    }
}

package io.sluice.netty;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * What to ask for: a method, an {@code http} or {@code https} URI, headers and an optional body
 * (an LLM API's JSON request). Immutable; the {@code with...} methods return a changed copy.
 */
public final class SseRequest {
    private static final byte[] NO_BODY = new byte[0];

    private final HttpMethod method;
    private final URI uri;
    private final HttpHeaders headers;
    private final byte[] body;

    private SseRequest(HttpMethod method, URI uri, HttpHeaders headers, byte[] body) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("not an http or https URI: " + uri);
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("no host in " + uri);
        }
        if (uri.getPort() > 65_535) { // URI takes any number; a socket address would throw on the event loop
            throw new IllegalArgumentException("port " + uri.getPort() + " out of range in " + uri);
        }
        this.method = Objects.requireNonNull(method, "method");
        this.uri = uri;
        this.headers = headers;
        this.body = body;
    }

    public static SseRequest get(URI uri) {
        return new SseRequest(HttpMethod.GET, uri, new DefaultHttpHeaders(), NO_BODY);
    }

    public static SseRequest post(URI uri, byte[] body) {
        return new SseRequest(HttpMethod.POST, uri, new DefaultHttpHeaders(), body.clone());
    }

    /** A POST of a UTF-8 JSON body with {@code Content-Type: application/json}. */
    public static SseRequest postJson(URI uri, String json) {
        return post(uri, json.getBytes(StandardCharsets.UTF_8)).withHeader("content-type", "application/json");
    }

    /** The same request with another method (any, {@code -X PUT} included). */
    public SseRequest withMethod(String name) {
        return new SseRequest(HttpMethod.valueOf(name.toUpperCase(Locale.ROOT)), uri, headers.copy(), body);
    }

    /** The same request with a header added (repeated names are sent repeated). */
    public SseRequest withHeader(String name, String value) {
        HttpHeaders copy = headers.copy();
        copy.add(name, value);
        return new SseRequest(method, uri, copy, body);
    }

    /** The same request to another URI. */
    public SseRequest withUri(URI uri) {
        return new SseRequest(method, uri, headers.copy(), body);
    }

    /**
     * The same request with each header of {@code defaults} whose name it does not set itself: a
     * relay's client headers under its configured ones.
     */
    public SseRequest withDefaultHeaders(HttpHeaders defaults) {
        HttpHeaders merged = headers.copy();
        for (String name : defaults.names()) {
            if (!headers.contains(name)) {
                merged.add(name, defaults.getAll(name));
            }
        }
        return new SseRequest(method, uri, merged, body);
    }

    /** The same request with {@code body}. */
    public SseRequest withBody(byte[] body) {
        return new SseRequest(method, uri, headers.copy(), body.clone());
    }

    public HttpMethod method() {
        return method;
    }

    public URI uri() {
        return uri;
    }

    /** The headers (a copy). */
    public HttpHeaders headers() {
        return headers.copy();
    }

    HttpHeaders headersView() {
        return headers;
    }

    byte[] bodyView() {
        return body;
    }

    boolean isTls() {
        return uri.getScheme().equalsIgnoreCase("https");
    }

    int port() {
        return uri.getPort() != -1 ? uri.getPort() : isTls() ? 443 : 80;
    }

    /** The request target: path and query, {@code /} when empty. */
    String target() {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return uri.getRawQuery() == null ? path : path + '?' + uri.getRawQuery();
    }

    @Override
    public String toString() {
        return method + " " + uri;
    }
}

package io.sluice.netty;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * An outbound proxy for {@link SseClient}: an HTTP proxy reached with {@code CONNECT} (optionally
 * with Basic credentials) or a SOCKS5 proxy (optionally with a username and password), and the
 * hosts reached directly instead. Immutable; the {@code with...} methods return a changed copy.
 *
 * <pre>{@code
 * SseClient client = SseClient.builder()
 *         .proxy(SseProxy.http("proxy.corp", 3128).withCredentials("me", secret).withNoProxy(".corp", "localhost"))
 *         .build();
 * }</pre>
 *
 * <p>Every connection goes through a tunnel: through an HTTP proxy, plain {@code http} upstreams
 * are tunnelled with {@code CONNECT} too (not forwarded in absolute form), so both schemes take the
 * same path, TLS runs end to end and the request keeps its origin-form target. The proxy resolves
 * the upstream's name (SOCKS5 is always sent the name, as {@code socks5h} does), so a network
 * that reaches names only through its proxy works.
 *
 * <p>{@link #fromEnvironment()} and {@link #fromSystemProperties()} read the usual settings, and
 * only when called: a client never picks a proxy up by itself.
 *
 * <h2>No-proxy patterns</h2>
 * Matched against the upstream's host name or IP literal, ignoring case (IPv6 with or without
 * brackets); ports and address ranges are not understood:
 * <table>
 *   <caption>Patterns</caption>
 *   <tr><th>pattern</th><th>matches</th></tr>
 *   <tr><td>{@code *}</td><td>every host: the proxy is never used</td></tr>
 *   <tr><td>{@code .example.com}, {@code *.example.com}</td><td>{@code example.com} and every name under it</td></tr>
 *   <tr><td>{@code *example.com}</td><td>every host ending so</td></tr>
 *   <tr><td>{@code 127.*}</td><td>every host starting so (the JDK's {@code http.nonProxyHosts} form)</td></tr>
 *   <tr><td>{@code api.example.com}, {@code 10.0.0.7}</td><td>that host only</td></tr>
 * </table>
 *
 * <p>Credentials appear in no message and not in {@link #toString()}.
 */
public final class SseProxy {
    /** The port of an {@code http://} proxy URL that names none. */
    public static final int DEFAULT_HTTP_PORT = 80;
    /** The port of a {@code socks5://} proxy URL that names none, and of {@code socksProxyPort}'s absence. */
    public static final int DEFAULT_SOCKS5_PORT = 1080;

    /**
     * The JDK's own default for {@code http.nonProxyHosts} and {@code socksNonProxyHosts}, applied
     * by {@link #fromSystemProperties()} when the property is not set, as the JDK's selector does.
     */
    static final String JDK_DEFAULT_NON_PROXY_HOSTS = "localhost|127.*|[::1]|0.0.0.0|[::0]";

    /** Read in this order by {@link #fromEnvironment()}; the first set one wins. */
    static final List<String> PROXY_VARIABLES =
            List.of("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy");

    /** The protocol spoken to the proxy. */
    public enum Protocol {
        /** HTTP/1.1 {@code CONNECT} (RFC 9110, 9.3.6), with {@code Proxy-Authorization: Basic} when given credentials. */
        HTTP,
        /** SOCKS5 (RFC 1928), with username/password authentication (RFC 1929) when given credentials. */
        SOCKS5
    }

    private final Protocol protocol;
    private final String host;
    private final int port;
    private final String username;
    private final String password;
    private final List<String> noProxy;

    private SseProxy(Protocol protocol, String host, int port, String username, String password, List<String> noProxy) {
        this.protocol = protocol;
        this.host = host;
        this.port = port;
        this.username = username;
        this.password = password;
        this.noProxy = noProxy;
    }

    /** An HTTP proxy reached with {@code CONNECT}. */
    public static SseProxy http(String host, int port) {
        return new SseProxy(Protocol.HTTP, checkHost(host), checkPort(port), null, null, List.of());
    }

    /** A SOCKS5 proxy. */
    public static SseProxy socks5(String host, int port) {
        return new SseProxy(Protocol.SOCKS5, checkHost(host), checkPort(port), null, null, List.of());
    }

    /**
     * A proxy from a URL as {@code HTTPS_PROXY} and curl take it: {@code http://host:port},
     * {@code http://user:password@host:port} (percent-encoded), {@code socks5://host:port} or
     * {@code socks5h://...} (the same here: the proxy always resolves the name), or a bare
     * {@code host:port} for HTTP. Without a port: {@value #DEFAULT_HTTP_PORT} for HTTP,
     * {@value #DEFAULT_SOCKS5_PORT} for SOCKS5.
     *
     * @throws IllegalArgumentException when it is not one; the message leaves any credentials out
     */
    public static SseProxy parse(String url) {
        Objects.requireNonNull(url, "url");
        String text = url.strip();
        String shown = redacted(text);
        if (!text.contains("://")) {
            text = "http://" + text;
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a proxy URL: " + shown);
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        Protocol protocol;
        switch (scheme) {
            case "http":
                protocol = Protocol.HTTP;
                break;
            case "socks5":
            case "socks5h":
                protocol = Protocol.SOCKS5;
                break;
            default:
                // https:// (TLS to the proxy itself), socks4: not spoken here.
                throw new IllegalArgumentException("unsupported proxy scheme " + scheme + "://, use http:// or socks5://: " + shown);
        }
        if (uri.getHost() == null || (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
                || uri.getRawQuery() != null) {
            throw new IllegalArgumentException("not a proxy URL (scheme://[user:password@]host[:port]): " + shown);
        }
        int port = uri.getPort() != -1 ? uri.getPort() : protocol == Protocol.HTTP ? DEFAULT_HTTP_PORT : DEFAULT_SOCKS5_PORT;
        SseProxy proxy = new SseProxy(protocol, unbracketed(uri.getHost()), checkPort(port), null, null, List.of());
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null) {
            // URI has checked every escape already, so decoding cannot fail (and quote a credential).
            int colon = userInfo.indexOf(':');
            proxy = proxy.withCredentials(decode(colon < 0 ? userInfo : userInfo.substring(0, colon)),
                    colon < 0 ? "" : decode(userInfo.substring(colon + 1)));
        }
        return proxy;
    }

    /**
     * The proxy the process environment names, if any: the first set of {@code HTTPS_PROXY},
     * {@code https_proxy}, {@code HTTP_PROXY}, {@code http_proxy}, {@code ALL_PROXY} and
     * {@code all_proxy} (each a URL for {@link #parse}, {@code socks5://} included), with the
     * comma-separated hosts of {@code NO_PROXY} (or {@code no_proxy}) reached directly. One proxy
     * serves both schemes, since plain {@code http} is tunnelled too: the {@code https} one is
     * preferred, as LLM providers are reached over TLS.
     *
     * @throws IllegalArgumentException when the variable set is not a proxy URL (credentials left out of the message)
     */
    public static Optional<SseProxy> fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** {@link #fromEnvironment()} over the given variables. */
    static Optional<SseProxy> fromEnvironment(Map<String, String> env) {
        for (String name : PROXY_VARIABLES) {
            String value = env.get(name);
            if (value == null || value.isBlank()) {
                continue;
            }
            SseProxy proxy;
            try {
                proxy = parse(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
            }
            String noProxy = env.get("NO_PROXY");
            if (noProxy == null || noProxy.isBlank()) {
                noProxy = env.get("no_proxy");
            }
            return Optional.of(noProxy == null ? proxy : proxy.withNoProxy(split(noProxy, "[,\\s]+")));
        }
        return Optional.empty();
    }

    /**
     * The proxy the JDK's networking properties name, if any: {@code https.proxyHost} (port
     * {@code https.proxyPort}, default 443), else {@code http.proxyHost} ({@code http.proxyPort},
     * default 80), else SOCKS5 at {@code socksProxyHost} ({@code socksProxyPort}, default
     * {@value #DEFAULT_SOCKS5_PORT}). Hosts reached directly: {@code http.nonProxyHosts} (or
     * {@code socksNonProxyHosts}), {@code |}-separated, defaulting as in the JDK to
     * {@code localhost|127.*|[::1]|0.0.0.0|[::0]}. The JDK keeps proxy credentials in an
     * {@code Authenticator}, not in properties: add them with {@link #withCredentials}.
     *
     * @throws IllegalArgumentException when a port property is not a port
     */
    public static Optional<SseProxy> fromSystemProperties() {
        return fromSystemProperties(System.getProperties());
    }

    /** {@link #fromSystemProperties()} over the given properties. */
    static Optional<SseProxy> fromSystemProperties(Properties properties) {
        String[][] candidates = {
            {"https.proxyHost", "https.proxyPort", "443", "http.nonProxyHosts"},
            {"http.proxyHost", "http.proxyPort", "80", "http.nonProxyHosts"},
            {"socksProxyHost", "socksProxyPort", Integer.toString(DEFAULT_SOCKS5_PORT), "socksNonProxyHosts"},
        };
        for (String[] c : candidates) {
            String host = properties.getProperty(c[0]);
            if (host == null || host.isBlank()) {
                continue;
            }
            String portText = properties.getProperty(c[1], c[2]).strip();
            int port;
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(c[1] + " is not a port: " + portText);
            }
            SseProxy proxy = c[0].startsWith("socks") ? socks5(host.strip(), port) : http(host.strip(), port);
            String nonProxy = properties.getProperty(c[3], JDK_DEFAULT_NON_PROXY_HOSTS);
            return Optional.of(proxy.withNoProxy(split(nonProxy, "\\|")));
        }
        return Optional.empty();
    }

    /**
     * The same proxy with credentials: Basic ({@code Proxy-Authorization}) for HTTP, RFC 1929
     * username/password for SOCKS5. Neither appears in any message or in {@link #toString()}.
     */
    public SseProxy withCredentials(String username, String password) {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        if (protocol == Protocol.SOCKS5 && (username.getBytes(StandardCharsets.UTF_8).length > 255
                || password.getBytes(StandardCharsets.UTF_8).length > 255)) {
            throw new IllegalArgumentException("SOCKS5 allows a username and password of at most 255 bytes each");
        }
        return new SseProxy(protocol, host, port, username, password, noProxy);
    }

    /** The same proxy, bypassed for hosts matching any of {@code patterns} (see the class javadoc); replaces the list. */
    public SseProxy withNoProxy(String... patterns) {
        return withNoProxy(Arrays.asList(patterns));
    }

    /** The same proxy, bypassed for hosts matching any of {@code patterns} (see the class javadoc); replaces the list. */
    public SseProxy withNoProxy(List<String> patterns) {
        List<String> kept = new ArrayList<>(patterns.size());
        for (String pattern : patterns) {
            String p = Objects.requireNonNull(pattern, "pattern").strip();
            if (!p.isEmpty()) {
                kept.add(unbracketed(p).toLowerCase(Locale.ROOT));
            }
        }
        return new SseProxy(protocol, host, port, username, password, List.copyOf(kept));
    }

    public Protocol protocol() {
        return protocol;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** The no-proxy patterns, lower case, IPv6 literals without brackets. */
    public List<String> noProxy() {
        return noProxy;
    }

    /** Whether credentials were given (they are not readable back). */
    public boolean hasCredentials() {
        return username != null;
    }

    String username() {
        return username;
    }

    String password() {
        return password;
    }

    /** Whether a connection to {@code upstreamHost} goes direct: it matches a no-proxy pattern. */
    boolean bypasses(String upstreamHost) {
        String h = unbracketed(upstreamHost).toLowerCase(Locale.ROOT);
        for (String p : noProxy) {
            if (p.equals("*")) {
                return true;
            } else if (p.startsWith(".") || p.startsWith("*.")) {
                String domain = p.substring(p.indexOf('.') + 1);
                if (h.equals(domain) || h.endsWith("." + domain)) {
                    return true;
                }
            } else if (p.startsWith("*")) {
                if (h.endsWith(p.substring(1))) {
                    return true;
                }
            } else if (p.endsWith("*")) {
                if (h.startsWith(p.substring(0, p.length() - 1))) {
                    return true;
                }
            } else if (h.equals(p)) {
                return true;
            }
        }
        return false;
    }

    /** {@code host:port}, IPv6 in brackets: how messages name the proxy. */
    String address() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ':' + port;
    }

    /** Without credentials, always: {@code http proxy 127.0.0.1:3128 with credentials, no proxy for [localhost]}. */
    @Override
    public String toString() {
        return protocol.name().toLowerCase(Locale.ROOT) + " proxy " + address()
                + (username != null ? " with credentials" : "")
                + (noProxy.isEmpty() ? "" : ", no proxy for " + noProxy);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SseProxy p && protocol == p.protocol && host.equals(p.host) && port == p.port
                && Objects.equals(username, p.username) && Objects.equals(password, p.password) && noProxy.equals(p.noProxy);
    }

    @Override
    public int hashCode() {
        return Objects.hash(protocol, host, port, username, password, noProxy);
    }

    private static String checkHost(String host) {
        if (Objects.requireNonNull(host, "host").isBlank()) {
            throw new IllegalArgumentException("empty proxy host");
        }
        return unbracketed(host.strip());
    }

    private static int checkPort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("not a port: " + port);
        }
        return port;
    }

    private static String unbracketed(String host) {
        return host.length() > 1 && host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private static String decode(String part) {
        // URLDecoder turns '+' into a space, which a URL's user info never means.
        return URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static List<String> split(String list, String separator) {
        return Arrays.asList(list.strip().split(separator));
    }

    /** {@code url} with any user info replaced by {@code ***}, for messages. */
    static String redacted(String url) {
        int at = url.lastIndexOf('@');
        if (at < 0) {
            return url;
        }
        int scheme = url.indexOf("://");
        int start = scheme >= 0 && scheme < at ? scheme + 3 : 0;
        return url.substring(0, start) + "***" + url.substring(at);
    }
}

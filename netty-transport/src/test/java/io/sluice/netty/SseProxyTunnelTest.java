package io.sluice.netty;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.sluice.netty.testing.LoopbackProxy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.sluice.netty.LoopbackServer.SSE_HEADERS_CLOSE;
import static io.sluice.netty.LoopbackServer.writeAndClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SseClient} through an HTTP CONNECT proxy and a SOCKS5 proxy ({@link LoopbackProxy}), to
 * plain and TLS upstreams ({@link LoopbackServer}), all real Netty sockets on 127.0.0.1; and each
 * way a proxy can fail, as the typed {@link SseProxyException}.
 */
@Timeout(60)
class SseProxyTunnelTest {
    private static final String EVENTS = "event: delta\ndata: through\nid: 1\n\ndata: the tunnel\n\n";
    private static final List<String> EXPECTED = List.of("delta|through|1", "message|the tunnel|1");
    private static final String USER = "sluice";
    private static final String SECRET = "s3cr\u00e9t:with colon";

    private static final EventLoopGroup group = TestLoops.nio(2);
    @RegisterExtension
    static final AfterAllCallback SHUT_DOWN = TestLoops.shutDownAfterAll(group);

    private static X509Bundle cert;
    private static SslContext serverTls;

    @BeforeAll
    static void makeCertificate() throws Exception {
        cert = new CertificateBuilder().subject("CN=localhost").addSanIpAddress("127.0.0.1")
                .setIsCertificateAuthority(true).ecp256().buildSelfSigned();
        serverTls = SslContextBuilder.forServer(cert.toKeyManagerFactory()).sslProvider(SslProvider.JDK).build();
    }

    private static LoopbackServer upstream() {
        return LoopbackServer.start(group, (ch, request) -> writeAndClose(ch, SSE_HEADERS_CLOSE + EVENTS));
    }

    private static LoopbackServer tlsUpstream() {
        return LoopbackServer.startTls(group, serverTls, (ch, request) -> writeAndClose(ch, SSE_HEADERS_CLOSE + EVENTS));
    }

    /** Trusts the test certificate and verifies the host name: TLS really runs end to end through the tunnel. */
    private static SseClient.Builder client(SseProxy proxy) throws Exception {
        return SseClient.builder().threads(1).trustManager(cert.toTrustManagerFactory()).proxy(proxy);
    }

    private static Recorder stream(SseClient client, URI uri) throws Exception {
        Recorder recorder = new Recorder();
        client.open(SseRequest.get(uri), recorder);
        recorder.awaitEnd();
        return recorder;
    }

    private static SseProxyException proxyError(SseProxy proxy, URI uri) throws Exception {
        try (SseClient client = client(proxy).connectTimeout(Duration.ofSeconds(2)).build()) {
            Recorder recorder = stream(client, uri);
            assertEquals(List.of(), recorder.events);
            SseProxyException error = assertInstanceOf(SseProxyException.class, recorder.awaitEnd(),
                    () -> String.valueOf(recorder.end.join()));
            assertFalse(error.getMessage().contains(SECRET) || error.toString().contains(SECRET), error.toString());
            return error;
        }
    }

    @Test
    void aStreamArrivesThroughAnHttpConnectProxyThatRequiresBasicAuth() throws Exception {
        try (LoopbackServer upstream = upstream();
             LoopbackProxy proxy = LoopbackProxy.http(group, USER, SECRET);
             SseClient client = client(SseProxy.http("127.0.0.1", proxy.port()).withCredentials(USER, SECRET)).build()) {
            URI uri = upstream.uri("/v1/events?x=1");
            Recorder recorder = stream(client, uri);
            assertNull(recorder.awaitEnd());
            assertEquals(EXPECTED, recorder.events);
            assertEquals(List.of("CONNECT 127.0.0.1:" + uri.getPort() + " auth=Basic "
                    + java.util.Base64.getEncoder().encodeToString((USER + ":" + SECRET).getBytes(StandardCharsets.UTF_8))),
                    proxy.handshakes());
            // Through a tunnel the request keeps its origin-form target, not an absolute URI.
            assertTrue(upstream.requests.peek().startsWith("GET /v1/events?x=1\n"), upstream.requests.peek());
        }
    }

    @Test
    void tlsRunsEndToEndThroughAnHttpConnectTunnel() throws Exception {
        try (LoopbackServer upstream = tlsUpstream();
             LoopbackProxy proxy = LoopbackProxy.http(group, USER, SECRET);
             SseClient client = client(SseProxy.http("127.0.0.1", proxy.port()).withCredentials(USER, SECRET)).build()) {
            URI uri = upstream.uri("/v1/messages");
            Recorder recorder = stream(client, uri);
            assertNull(recorder.awaitEnd());
            assertEquals(EXPECTED, recorder.events);
            assertEquals(1, proxy.handshakes().size());
            assertTrue(upstream.requests.peek().startsWith("GET /v1/messages\n"), upstream.requests.peek());
        }
    }

    @Test
    void aStreamArrivesThroughASocks5ProxyWithAndWithoutCredentials() throws Exception {
        try (LoopbackServer upstream = upstream();
             LoopbackProxy open = LoopbackProxy.socks5(group, null, null);
             LoopbackProxy guarded = LoopbackProxy.socks5(group, USER, SECRET)) {
            for (SseProxy proxy : List.of(SseProxy.socks5("127.0.0.1", open.port()),
                    SseProxy.socks5("127.0.0.1", guarded.port()).withCredentials(USER, SECRET))) {
                try (SseClient client = client(proxy).build()) {
                    Recorder recorder = stream(client, upstream.uri("/events"));
                    assertNull(recorder.awaitEnd(), proxy.toString());
                    assertEquals(EXPECTED, recorder.events, proxy.toString());
                }
            }
            // The proxy is sent the name to resolve (a literal here), never an address resolved by the client.
            assertEquals(List.of("SOCKS5 DOMAIN(3) 127.0.0.1:" + upstream.uri("/").getPort()), open.handshakes());
            assertEquals(1, guarded.handshakes().size());
        }
    }

    @Test
    void tlsRunsEndToEndThroughASocks5Tunnel() throws Exception {
        try (LoopbackServer upstream = tlsUpstream();
             LoopbackProxy proxy = LoopbackProxy.socks5(group, USER, SECRET);
             SseClient client = client(SseProxy.socks5("127.0.0.1", proxy.port()).withCredentials(USER, SECRET)).build()) {
            Recorder recorder = stream(client, upstream.uri("/events"));
            assertNull(recorder.awaitEnd());
            assertEquals(EXPECTED, recorder.events);
        }
    }

    @Test
    void anHttpProxyAnswering407WithoutOrWithWrongCredentialsIsATypedAuthenticationError() throws Exception {
        try (LoopbackServer upstream = upstream();
             LoopbackProxy proxy = LoopbackProxy.http(group, USER, "right")) {
            URI uri = upstream.uri("/events");
            SseProxy bare = SseProxy.http("127.0.0.1", proxy.port());
            for (SseProxy attempt : List.of(bare, bare.withCredentials(USER, SECRET))) {
                SseProxyException error = proxyError(attempt, uri);
                assertEquals("proxy 127.0.0.1:" + proxy.port() + " refused the tunnel to 127.0.0.1:" + uri.getPort()
                        + ": 407 Proxy Authentication Required", error.getMessage());
                assertEquals(SseProxyException.Kind.AUTHENTICATION, error.kind());
                assertEquals(407, error.status());
                assertEquals("127.0.0.1:" + proxy.port(), error.proxy());
                assertEquals("127.0.0.1:" + uri.getPort(), error.destination());
                assertInstanceOf(SseConnectException.class, error);
                assertFalse(error.retryable(), "the same credentials would be refused again");
                assertEquals("upstream_unreachable", error.errorType());
            }
            assertTrue(upstream.requests.isEmpty(), "nothing reached the upstream");
        }
    }

    @Test
    void aTunnelTheHttpProxyCannotOpenIsARefusalWithItsStatus() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (LoopbackProxy proxy = LoopbackProxy.http(group, null, null)) {
            SseProxyException error = proxyError(SseProxy.http("127.0.0.1", proxy.port()),
                    URI.create("http://127.0.0.1:" + closedPort + "/events"));
            assertEquals("proxy 127.0.0.1:" + proxy.port() + " refused the tunnel to 127.0.0.1:" + closedPort
                    + ": 502 Bad Gateway", error.getMessage());
            assertEquals(SseProxyException.Kind.REFUSED, error.kind());
            assertEquals(502, error.status());
        }
    }

    @Test
    void aSocks5ProxyRejectingOrRequiringCredentialsIsATypedAuthenticationError() throws Exception {
        try (LoopbackServer upstream = upstream();
             LoopbackProxy proxy = LoopbackProxy.socks5(group, USER, "right")) {
            URI uri = upstream.uri("/events");
            String prefix = "proxy 127.0.0.1:" + proxy.port() + " refused the tunnel to 127.0.0.1:" + uri.getPort() + ": ";
            SseProxyException wrong = proxyError(SseProxy.socks5("127.0.0.1", proxy.port()).withCredentials(USER, SECRET), uri);
            assertEquals(prefix + "SOCKS5 username and password rejected", wrong.getMessage());
            assertEquals(SseProxyException.Kind.AUTHENTICATION, wrong.kind());
            SseProxyException none = proxyError(SseProxy.socks5("127.0.0.1", proxy.port()), uri);
            assertEquals(prefix + "SOCKS5 proxy requires a username and password", none.getMessage());
            assertEquals(SseProxyException.Kind.AUTHENTICATION, none.kind());
            assertEquals(0, none.status());
        }
    }

    @Test
    void aTunnelTheSocks5ProxyCannotOpenIsARefusalWithItsReply() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (LoopbackProxy proxy = LoopbackProxy.socks5(group, null, null)) {
            SseProxyException error = proxyError(SseProxy.socks5("127.0.0.1", proxy.port()),
                    URI.create("http://127.0.0.1:" + closedPort + "/events"));
            assertEquals(SseProxyException.Kind.REFUSED, error.kind());
            assertTrue(error.getMessage().startsWith("proxy 127.0.0.1:" + proxy.port() + " refused the tunnel to 127.0.0.1:"
                    + closedPort + ": SOCKS5 reply CONNECTION_REFUSED"), error.getMessage());
        }
    }

    @Test
    void aProxyThatCannotBeReachedIsATypedUnreachableError() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        URI uri = URI.create("https://api.example.test/v1/messages");
        for (SseProxy proxy : List.of(SseProxy.http("127.0.0.1", closedPort).withCredentials(USER, SECRET),
                SseProxy.socks5("127.0.0.1", closedPort))) {
            SseProxyException error = proxyError(proxy, uri);
            assertEquals(SseProxyException.Kind.UNREACHABLE, error.kind());
            assertTrue(error.getMessage().startsWith("cannot reach proxy 127.0.0.1:" + closedPort
                    + " for api.example.test:443: "), error.getMessage());
        }
    }

    @Test
    void aProxyThatAcceptsButNeverAnswersTimesOutWithinTheConnectTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress());
             SseClient client = client(SseProxy.http("127.0.0.1", silent.getLocalPort()))
                     .connectTimeout(Duration.ofMillis(300)).build()) {
            long start = System.nanoTime();
            Recorder recorder = stream(client, URI.create("http://upstream.example.test/events"));
            SseProxyException error = assertInstanceOf(SseProxyException.class, recorder.awaitEnd());
            assertEquals(SseProxyException.Kind.TIMEOUT, error.kind());
            assertEquals("proxy 127.0.0.1:" + silent.getLocalPort()
                    + " did not open the tunnel to upstream.example.test:80 within 300 ms", error.getMessage());
            assertTrue(System.nanoTime() - start < 5_000_000_000L, "ended by the connect timeout");
        }
    }

    @Test
    void aProxyThatClosesBeforeAnsweringIsATypedClosedError() throws Exception {
        try (ServerSocket closing = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
            Thread closer = new Thread(() -> {
                try (Socket accepted = closing.accept()) {
                    accepted.getInputStream().read(); // the handshake has begun: now hang up
                } catch (java.io.IOException ignored) {
                    // the test is over
                }
            });
            closer.start();
            SseProxyException error = proxyError(SseProxy.socks5("127.0.0.1", closing.getLocalPort()),
                    URI.create("http://upstream.example.test/events"));
            assertEquals(SseProxyException.Kind.CLOSED, error.kind());
            assertTrue(error.getMessage().startsWith("proxy 127.0.0.1:" + closing.getLocalPort()
                    + " closed the connection before opening the tunnel to upstream.example.test:80"), error.getMessage());
            closer.join();
        }
    }

    @Test
    void hostsOnTheNoProxyListAreReachedDirectly() throws Exception {
        try (LoopbackServer upstream = upstream();
             LoopbackProxy proxy = LoopbackProxy.http(group, null, null)) {
            for (String pattern : List.of("127.0.0.1", "127.*", "*")) {
                try (SseClient client = client(SseProxy.http("127.0.0.1", proxy.port()).withNoProxy("localhost", pattern)).build()) {
                    Recorder recorder = stream(client, upstream.uri("/events"));
                    assertNull(recorder.awaitEnd(), pattern);
                    assertEquals(EXPECTED, recorder.events, pattern);
                }
            }
            assertEquals(List.of(), proxy.handshakes(), "the proxy was never asked");
            try (SseClient client = client(SseProxy.http("127.0.0.1", proxy.port()).withNoProxy(".example.com")).build()) {
                assertNull(stream(client, upstream.uri("/events")).awaitEnd());
            }
            assertEquals(1, proxy.handshakes().size(), "a host off the list goes through the proxy");
        }
    }

    @Test
    void theCaptureHoldsTheUpstreamsHttpNotTheProxyHandshake(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("through-proxy.pcap");
        try (LoopbackServer upstream = upstream();
             LoopbackProxy proxy = LoopbackProxy.http(group, USER, SECRET)) {
            try (SseClient client = client(SseProxy.http("127.0.0.1", proxy.port()).withCredentials(USER, SECRET))
                    .capture(pcap).build()) {
                assertNull(stream(client, upstream.uri("/events")).awaitEnd());
            }
            String text = new String(Files.readAllBytes(pcap), StandardCharsets.ISO_8859_1);
            assertTrue(text.contains("GET /events HTTP/1.1"), "request captured");
            assertTrue(text.contains("data: the tunnel"), "response captured");
            assertFalse(text.contains("CONNECT "), "the CONNECT request is not the upstream's");
            assertFalse(text.contains("Proxy-Authorization") || text.contains("proxy-authorization"), "no proxy credentials");
            assertFalse(text.contains("Connection established"), "the proxy's answer is not the upstream's");
        }
    }
}

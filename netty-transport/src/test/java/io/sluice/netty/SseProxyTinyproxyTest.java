package io.sluice.netty;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.sluice.netty.LoopbackServer.SSE_HEADERS_CLOSE;
import static io.sluice.netty.LoopbackServer.writeAndClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link SseClient} through a real proxy: Debian's tinyproxy, started here on a free loopback port
 * with Basic auth, so the tunnel is checked against a proxy this project did not write. Skips itself
 * when {@code tinyproxy} is not on the path; {@code .ci/run} installs it and fails when this class
 * was skipped.
 */
@Timeout(60)
class SseProxyTinyproxyTest {
    private static final String USER = "sluice";
    private static final String SECRET = "tiny-s3cret";
    private static final String EVENTS = "event: delta\ndata: via tinyproxy\n\n";

    private static final EventLoopGroup group = TestLoops.nio(1);
    @RegisterExtension
    static final AfterAllCallback SHUT_DOWN = TestLoops.shutDownAfterAll(group);

    private static Path dir;
    private static Process tinyproxy;
    private static int port;

    @BeforeAll
    static void startTinyproxy() throws Exception {
        Path executable = onPath("tinyproxy");
        assumeTrue(executable != null, "tinyproxy is not installed (apt-get install tinyproxy)");
        dir = Files.createTempDirectory("sluice-tinyproxy");
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        Path config = dir.resolve("tinyproxy.conf");
        // No ConnectPort line: CONNECT is allowed to any port, the upstreams' ephemeral ones included.
        Files.writeString(config, String.join("\n",
                "Port " + port,
                "Listen 127.0.0.1",
                "Allow 127.0.0.1",
                "Timeout 30",
                "MaxClients 20",
                "LogLevel Info",
                "DisableViaHeader Yes",
                "BasicAuth " + USER + " " + SECRET,
                ""));
        Path log = dir.resolve("tinyproxy.log");
        tinyproxy = new ProcessBuilder(executable.toString(), "-d", "-c", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return;
            } catch (IOException notYet) {
                if (!tinyproxy.isAlive() || System.nanoTime() > deadline) {
                    fail("tinyproxy did not start on port " + port + ":\n" + Files.readString(log, StandardCharsets.UTF_8));
                }
                Thread.sleep(50);
            }
        }
    }

    @AfterAll
    static void stopTinyproxy() throws Exception {
        if (tinyproxy != null) {
            tinyproxy.destroy();
            if (!tinyproxy.waitFor(5, TimeUnit.SECONDS)) {
                tinyproxy.destroyForcibly().waitFor();
            }
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(dir);
        }
    }

    private static Path onPath(String name) {
        for (String entry : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(entry, name);
            if (!entry.isEmpty() && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static SseProxy tinyproxy() {
        return SseProxy.http("127.0.0.1", port);
    }

    @Test
    void aStreamArrivesThroughTinyproxyWithBasicAuthToPlainAndTlsUpstreams() throws Exception {
        X509Bundle cert = new CertificateBuilder().subject("CN=localhost").addSanIpAddress("127.0.0.1")
                .setIsCertificateAuthority(true).ecp256().buildSelfSigned();
        SslContext serverTls = SslContextBuilder.forServer(cert.toKeyManagerFactory()).sslProvider(SslProvider.JDK).build();
        try (LoopbackServer plain = LoopbackServer.start(group, (ch, request) -> writeAndClose(ch, SSE_HEADERS_CLOSE + EVENTS));
             LoopbackServer tls = LoopbackServer.startTls(group, serverTls, (ch, request) -> writeAndClose(ch, SSE_HEADERS_CLOSE + EVENTS));
             SseClient client = SseClient.builder().threads(1).trustManager(cert.toTrustManagerFactory())
                     .proxy(tinyproxy().withCredentials(USER, SECRET)).build()) {
            for (LoopbackServer upstream : List.of(plain, tls)) {
                Recorder recorder = new Recorder();
                client.open(SseRequest.get(upstream.uri("/v1/messages")), recorder);
                assertNull(recorder.awaitEnd(), upstream.uri("/").toString());
                assertEquals(List.of("delta|via tinyproxy|"), recorder.events);
                String request = upstream.requests.peek();
                assertTrue(request.startsWith("GET /v1/messages\n"), request);
                assertTrue(!request.toLowerCase(java.util.Locale.ROOT).contains("proxy-authorization"),
                        "the proxy's credentials stay with the proxy: " + request);
            }
        }
    }

    /** tinyproxy answers a CONNECT without credentials 407, and one with wrong credentials 401. */
    @Test
    void tinyproxysRefusalsWithoutOrWithWrongCredentialsAreAuthenticationErrors() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> writeAndClose(ch, SSE_HEADERS_CLOSE + EVENTS))) {
            URI uri = upstream.uri("/v1/messages");
            String prefix = "proxy 127.0.0.1:" + port + " refused the tunnel to 127.0.0.1:" + uri.getPort() + ": ";
            SseProxyException none = refusal(tinyproxy(), uri);
            assertEquals(prefix + "407 Proxy Authentication Required", none.getMessage());
            assertEquals(407, none.status());
            SseProxyException wrong = refusal(tinyproxy().withCredentials(USER, "wrong"), uri);
            assertEquals(prefix + "401 Unauthorized", wrong.getMessage());
            assertEquals(401, wrong.status());
            assertTrue(upstream.requests.isEmpty(), "nothing reached the upstream");
        }
    }

    private static SseProxyException refusal(SseProxy proxy, URI uri) throws Exception {
        try (SseClient client = SseClient.builder().threads(1).proxy(proxy).connectTimeout(Duration.ofSeconds(5)).build()) {
            Recorder recorder = new Recorder();
            client.open(SseRequest.get(uri), recorder);
            SseProxyException error = assertInstanceOf(SseProxyException.class, recorder.awaitEnd());
            assertEquals(SseProxyException.Kind.AUTHENTICATION, error.kind());
            return error;
        }
    }
}

package io.sluice.cli;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.sluice.netty.testing.LoopbackProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static io.sluice.cli.SluiceRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --proxy} and {@code --no-proxy} of {@code sluice get} and {@code sluice relay}: a recorded
 * stream served by {@link ReplayServer} and read through the transport's loopback HTTP CONNECT and
 * SOCKS5 proxies ({@link LoopbackProxy}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProxyOptionsTest {
    private static final String SAMPLE = "anthropic-text";
    private static EventLoopGroup group;

    @BeforeAll
    static void startGroup() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopGroup() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static ReplayServer serve() throws IOException {
        ServeCommand.Served served = ServeCommand.served(InputKind.PCAP, Files.readAllBytes(SAMPLES.resolve(SAMPLE + ".pcap")),
                SAMPLE + ".pcap", null, new PrintWriter(new StringWriter()));
        return ReplayServer.start("127.0.0.1", 0, served.writes(), Timing.NONE, true, served.reset());
    }

    private static List<String> expectedEvents() throws IOException {
        return Files.readAllLines(SAMPLES.resolve(SAMPLE + ".events.ndjson"));
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void getReadsARecordedStreamThroughAnHttpConnectProxyWithCredentials(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("through-proxy.pcap");
        try (ReplayServer upstream = serve();
             LoopbackProxy proxy = LoopbackProxy.http(group, "u", "p@ss")) {
            SluiceRunner.Result result = run("get", "--format", "ndjson", "-d", "{}", "--capture", pcap.toString(),
                    "--proxy", "http://u:p%40ss@127.0.0.1:" + proxy.port(), "http://127.0.0.1:" + upstream.port() + "/v1/messages");
            assertEquals(Sluice.EXIT_OK, result.exit(), result.err());
            assertEquals(expectedEvents(), result.records("event"));
            assertEquals(1, proxy.handshakes().size());
            assertTrue(proxy.handshakes().get(0).startsWith("CONNECT 127.0.0.1:" + upstream.port() + " auth=Basic "),
                    proxy.handshakes().get(0));
            // The capture holds the upstream's HTTP, not the tunnel's handshake: it replays to the same events.
            SluiceRunner.Result replayed = run("replay", "--format", "ndjson", pcap.toString());
            assertEquals(0, replayed.exit(), replayed.err());
            assertEquals(expectedEvents(), replayed.records("event"));
        }
    }

    @Test
    void getReadsThroughASocks5ProxyAndSkipsItForANoProxyHost() throws Exception {
        try (ReplayServer upstream = serve();
             LoopbackProxy proxy = LoopbackProxy.socks5(group, null, null)) {
            String url = "http://127.0.0.1:" + upstream.port() + "/v1/messages";
            SluiceRunner.Result socks = run("get", "--format", "ndjson", "-d", "{}", "--proxy", "socks5://127.0.0.1:" + proxy.port(), url);
            assertEquals(Sluice.EXIT_OK, socks.exit(), socks.err());
            assertEquals(expectedEvents(), socks.records("event"));
            assertEquals(1, proxy.handshakes().size());
            // A proxy nobody listens on, bypassed for this host.
            SluiceRunner.Result direct = run("get", "--format", "ndjson", "-d", "{}",
                    "--proxy", "http://127.0.0.1:" + closedPort(), "--no-proxy", "localhost,127.0.0.1", url);
            assertEquals(Sluice.EXIT_OK, direct.exit(), direct.err());
            assertEquals(expectedEvents(), direct.records("event"));
        }
    }

    @Test
    void aProxyRefusingTheCredentialsIsOneLineThatNeverQuotesThem() throws Exception {
        try (ReplayServer upstream = serve();
             LoopbackProxy proxy = LoopbackProxy.http(group, "u", "right")) {
            SluiceRunner.Result result = run("get", "--proxy", "http://u:hunter2@127.0.0.1:" + proxy.port(),
                    "http://127.0.0.1:" + upstream.port() + "/v1/messages");
            result.assertOneLineOnStderr(Sluice.EXIT_INPUT);
            assertEquals("sluice get: proxy 127.0.0.1:" + proxy.port() + " refused the tunnel to 127.0.0.1:" + upstream.port()
                    + ": 407 Proxy Authentication Required", result.err().strip());
            assertEquals("", result.out());
        }
        int closed = closedPort();
        SluiceRunner.Result unreachable = run("get", "--proxy", "socks5://127.0.0.1:" + closed, "https://api.example.test/v1/messages");
        unreachable.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertTrue(unreachable.err().startsWith("sluice get: cannot reach proxy 127.0.0.1:" + closed + " for api.example.test:443: "),
                unreachable.err());
    }

    @Test
    void badProxyOptionsAreOneLineThatNeverQuotesAPassword() {
        SluiceRunner.Result scheme = run("get", "--proxy", "https://u:hunter2@proxy.corp:443", "http://127.0.0.1:9/");
        scheme.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertFalse(scheme.err().contains("hunter2"), scheme.err());
        assertTrue(scheme.err().contains("--proxy: unsupported proxy scheme https://"), scheme.err());
        SluiceRunner.Result port = run("relay", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9/",
                "--proxy", "http://u:hunter2@proxy.corp:http");
        port.assertOneLineOnStderr(Sluice.EXIT_INPUT);
        assertFalse(port.err().contains("hunter2"), port.err());
        run("get", "--no-proxy", "localhost", "http://127.0.0.1:9/").assertOneLineOnStderr(Sluice.EXIT_INPUT);
    }

    @Test
    void theRelayProcessTakesItsProxyFromTheEnvironmentWithProxyEnv(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = dir.resolve("stdout");
        Path err = dir.resolve("stderr");
        try (ReplayServer upstream = serve();
             LoopbackProxy proxy = LoopbackProxy.http(group, "relay", "s3cret")) {
            ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Sluice.class.getName(),
                    "relay", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:" + upstream.port(), "--proxy", "env")
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            Map<String, String> env = builder.environment();
            env.keySet().removeIf(name -> name.toLowerCase(Locale.ROOT).endsWith("_proxy"));
            env.put("HTTP_PROXY", "http://relay:s3cret@127.0.0.1:" + proxy.port());
            Process process = builder.start();
            try {
                Matcher port = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/").matcher("");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!port.reset(Files.readString(err)).find()) {
                    assertTrue(process.isAlive() && System.nanoTime() < deadline, () -> "no announcement: " + readQuietly(err));
                    Thread.sleep(50);
                }
                HttpResponse<String> response = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port.group(1) + "/v1/messages"))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"stream\":true}"))
                                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode());
                List<String> relayed = run(response.body().getBytes(StandardCharsets.UTF_8), "replay", "--format", "ndjson", "-")
                        .records("event");
                assertEquals(expectedEvents(), relayed);
                assertEquals(1, proxy.handshakes().size(), "the relay's upstream went through the proxy");
                assertFalse(readQuietly(err).contains("s3cret"), readQuietly(err));
            } finally {
                process.destroy();
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }
}

package io.sluice.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import org.HdrHistogram.Histogram;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Time to the first event of a stream over TLS on loopback, on a cold connection (the pool off:
 * TCP and TLS handshakes before each request) and on a pooled one (issue 16, item 6): R requests
 * one after another to a kept-alive {@link SseResponder} behind {@link SseServerProtocols}, each
 * timed from {@code open} to its first event, after W warm-up requests of each kind. The
 * handshakes are counted at the client ({@link SseClient#connectionsOpened()}).
 *
 * <p>A main class rather than JMH, as {@link RelayLoadBenchmark}: the figure is a whole client's and
 * server's. Stops by itself. Run (docs/transport.md):
 * {@code java -cp benchmarks/target/benchmarks.jar io.sluice.netty.FirstEventLatencyBenchmark 2000 500} (requests, warm-up).
 */
public final class FirstEventLatencyBenchmark {
    private FirstEventLatencyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int warmUp = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        System.out.println("# " + System.getProperty("java.vm.name") + " " + Runtime.version() + ", "
                + Runtime.getRuntime().availableProcessors() + " cpus; " + requests + " sequential TLS streams after "
                + warmUp + " warm-up, JDK TLS, 127.0.0.1");
        EventLoopGroup group = TestLoops.nio(2);
        X509Bundle cert = new CertificateBuilder().subject("CN=localhost").addSanIpAddress("127.0.0.1")
                .setIsCertificateAuthority(true).buildSelfSigned();
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(SseServerProtocols.builder(p -> p.addLast(new HttpObjectAggregator(1 << 16),
                                new SseResponder(Duration.ZERO, emitter -> emitter.end("message", "first", null))))
                        .tls(SseServerProtocols.alpn(SslContextBuilder.forServer(cert.toKeyManagerFactory())).build())
                        .build())
                .bind("127.0.0.1", 0).sync().channel();
        URI uri = URI.create("https://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort() + "/v1/messages");
        try {
            for (boolean pooled : new boolean[] {false, true}) {
                SseClient.Builder builder = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).insecure(true);
                try (SseClient client = (pooled ? builder : builder.connectionPool(0, Duration.ZERO)).build()) {
                    run(client, uri, warmUp);
                    long opened = client.connectionsOpened();
                    Histogram h = run(client, uri, requests);
                    System.out.printf("%-6s first event: p50 %7.1f us  p90 %7.1f us  p99 %7.1f us  max %8.1f us;"
                                    + " %d connections opened for %d streams%n",
                            pooled ? "pooled" : "cold", h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3,
                            h.getValueAtPercentile(99) / 1e3, h.getMaxValue() / 1e3, client.connectionsOpened() - opened, requests);
                }
            }
        } finally {
            server.close().sync();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static Histogram run(SseClient client, URI uri, int n) throws Exception {
        Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        for (int i = 0; i < n; i++) {
            CompletableFuture<Long> first = new CompletableFuture<>();
            CompletableFuture<Void> ended = new CompletableFuture<>();
            long start = System.nanoTime();
            client.open(SseRequest.get(uri), new SseListener() {
                @Override
                public void onEvent(io.sluice.core.SseEvent event) {
                    first.complete(System.nanoTime());
                }

                @Override
                public void onEnd() {
                    ended.complete(null);
                }

                @Override
                public void onError(io.sluice.core.SseException error) {
                    ended.completeExceptionally(error);
                }
            });
            h.recordValue(first.get(10, TimeUnit.SECONDS) - start);
            ended.get(10, TimeUnit.SECONDS);
        }
        return h;
    }
}

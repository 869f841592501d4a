package io.sluice.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code sluice relay --metrics HOST:PORT}: the relay's meters as Prometheus text at
 * {@code /metrics}. Micrometer's Prometheus registry writes the text ({@code scrape()}) and
 * offers no server, so the JDK's own HTTP server answers, as Micrometer's documentation shows:
 * on one thread of its own, away from the relay's event loops, a scrape a few kilobytes long.
 */
final class MetricsEndpoint implements AutoCloseable {
    /** The Prometheus text format, version 0.0.4: what every scraper reads. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    static final String PATH = "/metrics";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sluice-metrics");
        t.setDaemon(true);
        return t;
    });
    private final HttpServer server;

    private MetricsEndpoint(String host, int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(host, port), 16);
        server.setExecutor(thread);
        server.createContext("/", this::answer);
        server.start();
    }

    /** Serving on {@code host:port} (port 0: any free port), already accepting. */
    static MetricsEndpoint start(String host, int port) throws IOException {
        return new MetricsEndpoint(host, port);
    }

    /** The registry whose meters are served. */
    PrometheusMeterRegistry registry() {
        return registry;
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** {@code GET /metrics}: the text; {@code HEAD} its head; any other path 404 and method 405, with no body read. */
    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!PATH.equals(exchange.getRequestURI().getPath())) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("content-type", CONTENT_TYPE);
            if (method.equals("HEAD")) {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Stops answering at once (a scrape under way is cut) and closes the registry. */
    @Override
    public void close() {
        server.stop(0);
        thread.shutdownNow();
        registry.close();
    }
}

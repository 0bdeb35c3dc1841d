package io.nftpolicy.agent.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's HTTP endpoints, on the JDK's own server (one thread; the probes and a scrape are all it serves):
 * <ul>
 *   <li>{@code /metrics}: Prometheus text format;</li>
 *   <li>{@code /healthz}: 200 while the agent is alive (its sync loop running and not stuck), else 503;</li>
 *   <li>{@code /readyz}: 200 once the node's ruleset has been applied once, 503 before.</li>
 * </ul>
 * Anything else is 404; a method other than GET or HEAD is 405.
 */
public final class HealthServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HealthServer.class);
    /** Prometheus text exposition format 0.0.4. */
    static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;

    /**
     * Binds {@code address} (port 0: any free port) and starts serving.
     *
     * @param healthy answers /healthz
     * @param ready   answers /readyz
     */
    public HealthServer(InetSocketAddress address, PrometheusMeterRegistry registry, BooleanSupplier healthy,
                        BooleanSupplier ready) throws IOException {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(healthy, "healthy");
        Objects.requireNonNull(ready, "ready");
        server = HttpServer.create(address, 16);
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "nftpolicy-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", exchange -> respond(exchange, 200, METRICS_CONTENT_TYPE,
                registry.scrape()));
        server.createContext("/healthz", exchange -> probe(exchange, healthy.getAsBoolean(), "ok", "unhealthy"));
        server.createContext("/readyz", exchange -> probe(exchange, ready.getAsBoolean(), "ok",
                "not ready: the node's ruleset has not been applied yet"));
        server.createContext("/", exchange -> respond(exchange, 404, "text/plain; charset=utf-8", "not found\n"));
        server.start();
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    private static void probe(HttpExchange exchange, boolean ok, String yes, String no) throws IOException {
        respond(exchange, ok ? 200 : 503, "text/plain; charset=utf-8", (ok ? yes : no) + "\n");
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body)
            throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            String context = exchange.getHttpContext().getPath();
            if (!context.equals("/") && !path.equals(context)) {
                status = 404;
                body = "not found\n";
                contentType = "text/plain; charset=utf-8";
            } else if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                status = 405;
                body = "method not allowed\n";
                contentType = "text/plain; charset=utf-8";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", contentType);
            if (method.equals("HEAD")) {
                exchange.sendResponseHeaders(status, -1);
                return;
            }
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("answering {} failed: {}", exchange.getRequestURI(), e.toString());
            throw e;
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}

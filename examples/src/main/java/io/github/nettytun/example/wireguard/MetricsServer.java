/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.github.nettytun.handler.vpn.wireguard.WireGuardMeterBinder;
import io.github.nettytun.handler.vpn.wireguard.WireGuardTunnel;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The server's {@code --metrics HOST:PORT}: Prometheus' text format at {@code /metrics}, from Micrometer's Prometheus
 * registry with the library's {@link WireGuardMeterBinder} (so the names and labels are those of
 * {@code prometheus_wireguard_exporter} where it has them) and the JVM's memory and CPU. Micrometer rather than the
 * Prometheus client directly: the binder is what a Netty application that already reports through Micrometer
 * uses, and this server is one of those applications; the registry writes the Prometheus client's own format.
 * One daemon thread answers scrapes; counters are read where the data path keeps them, without stopping it.
 */
final class MetricsServer implements AutoCloseable {

    private final HttpServer http;
    private final ExecutorService thread;
    private final PrometheusMeterRegistry registry;
    private final WireGuardMeterBinder binder;

    private MetricsServer(HttpServer http, ExecutorService thread, PrometheusMeterRegistry registry,
                          WireGuardMeterBinder binder) {
        this.http = http;
        this.thread = thread;
        this.registry = registry;
        this.binder = binder;
    }

    /** Serves the tunnel's metrics on {@code address} (in the calling thread's network namespace). */
    static MetricsServer start(WireGuardTunnel tunnel, String interfaceName, InetSocketAddress address)
            throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        WireGuardMeterBinder binder = new WireGuardMeterBinder(tunnel, interfaceName, Duration.ofSeconds(5));
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "wireguard-metrics");
            t.setDaemon(true);
            return t;
        });
        HttpServer http = null;
        try {
            binder.bindTo(registry);
            new JvmMemoryMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            http = HttpServer.create(address, 16);
            http.createContext("/metrics", exchange -> answer(exchange, registry));
            http.setExecutor(thread);
            http.start();
            return new MetricsServer(http, thread, registry, binder);
        } catch (IOException | RuntimeException e) {
            if (http != null) {
                http.stop(0);
            }
            binder.close();
            registry.close();
            thread.shutdownNow();
            throw e;
        }
    }

    private static void answer(HttpExchange exchange, PrometheusMeterRegistry registry) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(200, head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    /** The address scrapes go to. */
    InetSocketAddress address() {
        return http.getAddress();
    }

    /** Follows a change of peers at once (after a reload, say). */
    void refresh() {
        binder.refresh();
    }

    @Override
    public void close() {
        http.stop(0);
        thread.shutdownNow();
        binder.close();
        registry.close();
    }

    /** Parses {@code HOST:PORT} ({@code [v6]:PORT} for IPv6); only literal addresses and localhost. */
    static InetSocketAddress parseAddress(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("expected HOST:PORT, e.g. 127.0.0.1:9586");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port '" + text.substring(colon + 1) + "' is not a number");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " (expected 1-65535)");
        }
        if (host.contains("/")) {
            throw new IllegalArgumentException("'" + host + "' is not an IP address (or localhost)");
        }
        if (host.equals("localhost")) {
            return new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port);
        }
        try {
            return new InetSocketAddress(io.github.nettytun.handler.vpn.wireguard.PeerConfig.Prefix.parse(host)
                    .address(), port);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + host + "' is not an IP address (or localhost)");
        }
    }
}

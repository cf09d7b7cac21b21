/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.channel.tun.Tun;
import io.github.nettytun.handler.vpn.wireguard.WireGuardCrypto;
import io.github.nettytun.handler.vpn.wireguard.WireGuardPeer;
import io.github.nettytun.testing.TemporaryNetns;
import io.github.nettytun.testing.WireGuardGo;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The README's main job: a WireGuard VPN between two network namespaces, both ends this library's server.
 * Creates namespaces {@code PREFIX-a} (the server) and {@code PREFIX-b} (the client peer) joined by a veth pair,
 * writes each side a wg-quick file, starts both servers from them, shows the handshake, pings through the tunnel
 * and measures TCP throughput with a built-in load generator, for epoll and for io_uring (offload on), prints a
 * summary table, and removes everything again, also on Ctrl-C or failure. With wireguard-go and wg installed it
 * also runs our server against the stock peer.
 */
@Command(name = "vpn-demo", mixinStandardHelpOptions = true,
        description = {"A WireGuard VPN between two network namespaces: handshake, ping and throughput per transport.",
                "Needs root and iproute2 (examples/demo.sh builds and runs it)."})
public final class VpnDemo implements Callable<Integer> {

    @Option(names = "--seconds", defaultValue = "5", description = "Length of each throughput run (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--transports", split = ",", defaultValue = "epoll,io_uring",
            description = "Transports to show (default: ${DEFAULT-VALUE}).")
    List<String> transports;

    @Option(names = "--prefix", description = "Name prefix of the two namespaces (default: nettytun-vpn-PID).")
    String prefix;

    @Option(names = "--stock-peer", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also run against wireguard-go when wireguard-go and wg are installed (default on).")
    boolean stockPeer;

    private static final InetAddress UNDER_A = literal("10.98.0.1");
    private static final InetAddress UNDER_B = literal("10.98.0.2");
    private static final InetAddress INNER_A = literal("10.99.0.1");
    private static final InetAddress INNER_B = literal("10.99.0.2");

    private final PrintStream out;
    private final List<String[]> summary = new ArrayList<>();
    /** What is running now, for the shutdown hook: servers and wireguard-go end before the namespaces go. */
    private final List<AutoCloseable> live = new java.util.concurrent.CopyOnWriteArrayList<>();
    private int runs;

    public VpnDemo() {
        this(System.out);
    }

    VpnDemo(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new VpnDemo()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Tun.ensureAvailability();
        String p = prefix != null ? prefix : "nettytun-vpn-" + ProcessHandle.current().pid();
        try (Namespaces ns = new Namespaces(p)) {
            Thread hook = new Thread(() -> {
                for (AutoCloseable c : live) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        System.err.println("cleanup: " + e.getMessage());
                    }
                }
                ns.close();
            }, "vpn-demo-cleanup");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                out.printf("namespaces %s (server, %s) and %s (client, %s), joined by a veth pair%n",
                        ns.a.name(), UNDER_A.getHostAddress(), ns.b.name(), UNDER_B.getHostAddress());
                for (String t : transports) {
                    if (t.equals("io_uring") && !IoUring.isAvailable()) {
                        out.println("io_uring: not available here (" + IoUring.unavailabilityCause() + "), skipped");
                        continue;
                    }
                    if (t.equals("epoll") && !Epoll.isAvailable()) {
                        out.println("epoll: not available here, skipped");
                        continue;
                    }
                    runPair(ns, t);
                }
                if (stockPeer && WireGuardGo.installed()) {
                    runStockPeer(ns);
                } else if (stockPeer) {
                    out.println("(wireguard-go and wg are not installed: skipping the stock-peer run)");
                }
                printSummary();
                return 0;
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs anyway
                }
            }
        }
    }

    private void runPair(Namespaces ns, String transport) throws Exception {
        out.printf("%n== %s, offload on: our server in %s, our server as the client in %s%n", transport,
                ns.a.name(), ns.b.name());
        byte[] keyA = WireGuardCrypto.generatePrivateKey(new SecureRandom());
        byte[] keyB = WireGuardCrypto.generatePrivateKey(new SecureRandom());
        String ifA = interfaceName('a');
        String ifB = interfaceName('b');
        Path dir = Files.createTempDirectory("vpn-demo");
        try {
            Path confA = dir.resolve(ifA + ".conf");
            Path confB = dir.resolve(ifB + ".conf");
            Files.writeString(confA, String.join("\n", "[Interface]", "PrivateKey = " + b64(keyA),
                    "ListenPort = 51820", "Address = " + INNER_A.getHostAddress() + "/24", "",
                    "[Peer]", "PublicKey = " + b64(WireGuardCrypto.publicKey(keyB)),
                    "AllowedIPs = " + INNER_B.getHostAddress() + "/32", ""));
            Files.writeString(confB, String.join("\n", "[Interface]", "PrivateKey = " + b64(keyB),
                    "Address = " + INNER_B.getHostAddress() + "/24", "",
                    "[Peer]", "PublicKey = " + b64(WireGuardCrypto.publicKey(keyA)),
                    "AllowedIPs = " + INNER_A.getHostAddress() + "/32",
                    "Endpoint = " + UNDER_A.getHostAddress() + ":51820", "PersistentKeepalive = 25", ""));
            out.println("client's wg-quick file:");
            for (String line : Files.readAllLines(confB)) {
                out.println("    " + (line.startsWith("PrivateKey") ? "PrivateKey = (hidden)" : line));
            }
            WireGuardServer serverA = new WireGuardServer(out);
            WireGuardServer serverB = new WireGuardServer(out);
            new CommandLine(serverA).parseArgs("--transport", transport, "--offload", "on", confA.toString());
            new CommandLine(serverB).parseArgs("--transport", transport, "--offload", "on", confB.toString());
            try (WireGuardServer.Running a = live(ns.a.call(serverA::start));
                 WireGuardServer.Running b = live(ns.b.call(serverB::start))) {
                WireGuardPeer clientAtServer = a.tunnel().device().peers().iterator().next();
                measure(ns, transport + " <-> " + transport, clientAtServer);
            } finally {
                live.clear();
            }
        } finally {
            deleteDirectory(dir);
        }
    }

    private void runStockPeer(Namespaces ns) throws Exception {
        out.printf("%n== our server (epoll, offload on) in %s, wireguard-go as the client in %s%n",
                ns.a.name(), ns.b.name());
        byte[] keyA = WireGuardCrypto.generatePrivateKey(new SecureRandom());
        byte[] keyB = WireGuardCrypto.generatePrivateKey(new SecureRandom());
        String ifA = interfaceName('a');
        String ifB = interfaceName('g');
        Path dir = Files.createTempDirectory("vpn-demo");
        try {
            Path confA = dir.resolve(ifA + ".conf");
            Files.writeString(confA, String.join("\n", "[Interface]", "PrivateKey = " + b64(keyA),
                    "ListenPort = 51820", "Address = " + INNER_A.getHostAddress() + "/24", "",
                    "[Peer]", "PublicKey = " + b64(WireGuardCrypto.publicKey(keyB)),
                    "AllowedIPs = " + INNER_B.getHostAddress() + "/32", ""));
            Path keyFile = dir.resolve("client.key");
            Files.writeString(keyFile, b64(keyB) + "\n");
            WireGuardServer serverA = new WireGuardServer(out);
            new CommandLine(serverA).parseArgs("--transport", "epoll", "--offload", "on",
                    "--metrics", "127.0.0.1:9586", confA.toString());
            try (WireGuardServer.Running a = live(ns.a.call(serverA::start))) {
                WireGuardGo.start(ns.b, ifB); // ended with the namespace
                ns.b.exec("wg", "set", ifB, "private-key", keyFile.toString(), "peer",
                        b64(WireGuardCrypto.publicKey(keyA)), "allowed-ips", INNER_A.getHostAddress() + "/32",
                        "endpoint", UNDER_A.getHostAddress() + ":51820");
                ns.b.ip("addr", "add", INNER_B.getHostAddress() + "/24", "dev", ifB);
                ns.b.ip("link", "set", ifB, "mtu", "1420", "up");
                WireGuardPeer clientAtServer = a.tunnel().device().peers().iterator().next();
                measure(ns, "epoll <-> wireguard-go", clientAtServer);
                showMetrics(ns);
            }
        } finally {
            live.clear();
            deleteDirectory(dir);
        }
    }

    /** The server's Prometheus endpoint, scraped once from its namespace: where it is and a few of its series. */
    private void showMetrics(Namespaces ns) throws Exception {
        out.printf("metrics (Prometheus) while it runs: sudo ip netns exec %s curl -s http://127.0.0.1:9586/metrics%n",
                ns.a.name());
        String scrape = ns.a.call(() -> {
            java.net.HttpURLConnection c = (java.net.HttpURLConnection)
                    java.net.URI.create("http://127.0.0.1:9586/metrics").toURL().openConnection();
            try (java.io.InputStream in = c.getInputStream()) {
                return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            } finally {
                c.disconnect();
            }
        });
        for (String line : scrape.split("\n")) {
            if (line.startsWith("wireguard_sent_bytes_total") || line.startsWith("wireguard_received_bytes_total")
                    || line.startsWith("wireguard_latest_handshake_seconds")) {
                out.println("    " + line);
            }
        }
    }

    /** Ping (the first one carries the handshake), then the load generator; adds a summary row. */
    private void measure(Namespaces ns, String label, WireGuardPeer clientAtServer) throws Exception {
        long t0 = System.nanoTime();
        boolean first = ns.b.call(() -> INNER_A.isReachable(10_000));
        double firstMs = (System.nanoTime() - t0) / 1e6;
        if (!first) {
            throw new IOException("no ping reply through the tunnel (" + label + ")");
        }
        out.printf("ping %s: first reply after %.1f ms (a handshake first, unless the client's keepalive already "
                        + "made it); handshakes seen by the server: %d%n",
                INNER_A.getHostAddress(), firstMs, clientAtServer.handshakes());
        double[] rtts = new double[10];
        for (int i = 0; i < rtts.length; i++) {
            long s = System.nanoTime();
            if (!ns.b.call(() -> INNER_A.isReachable(2000))) {
                throw new IOException("ping " + (i + 2) + " got no reply (" + label + ")");
            }
            rtts[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(rtts);
        double medianMs = (rtts[4] + rtts[5]) / 2;
        out.printf("ping: 10 more replies, median %.2f ms%n", medianMs);
        double gbit = throughput(ns, label);
        summary.add(new String[] {label, String.format(Locale.ROOT, "%.1f", firstMs),
                String.format(Locale.ROOT, "%.2f", medianMs), String.format(Locale.ROOT, "%.3f", gbit),
                Long.toString(clientAtServer.handshakes())});
    }

    /** The built-in load generator: one TCP stream from the client to the server for {@link #seconds}. */
    private double throughput(Namespaces ns, String label) throws Exception {
        AtomicLong received = new AtomicLong();
        try (ServerSocket server = ns.a.call(() -> new ServerSocket(0, 1, INNER_A))) {
            server.setSoTimeout(10_000);
            // Its own thread: on the common pool (runAsync without an executor) JDK 21+ can queue it behind
            // other blocking work on a 2-CPU machine, and the stream stalls.
            FutureTask<Void> sink = new FutureTask<>(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                    byte[] buf = new byte[1 << 16];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        received.addAndGet(n);
                    }
                }
                return null;
            });
            Thread sinkThread = new Thread(sink, "vpn-demo-sink");
            sinkThread.setDaemon(true);
            sinkThread.start();
            long start;
            try (Socket client = ns.b.call(() -> {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(INNER_A, server.getLocalPort()), 10_000);
                return s;
            }); OutputStream os = client.getOutputStream()) {
                byte[] chunk = new byte[1 << 16];
                new SecureRandom().nextBytes(chunk);
                start = System.nanoTime();
                long end = start + TimeUnit.SECONDS.toNanos(seconds);
                long nextReport = start + TimeUnit.SECONDS.toNanos(1);
                long lastBytes = 0;
                while (System.nanoTime() < end) {
                    os.write(chunk);
                    long now = System.nanoTime();
                    if (now >= nextReport) {
                        long bytes = received.get();
                        out.printf(Locale.ROOT, "  %-24s %2d/%d s %7.3f Gbit/s%n", label,
                                TimeUnit.NANOSECONDS.toSeconds(now - start), seconds, (bytes - lastBytes) * 8 / 1e9);
                        lastBytes = bytes;
                        nextReport += TimeUnit.SECONDS.toNanos(1);
                    }
                }
            }
            sink.get(30, TimeUnit.SECONDS);
            double gbit = received.get() * 8 / 1e9 / ((System.nanoTime() - start) / 1e9);
            out.printf(Locale.ROOT, "throughput %s: %.3f Gbit/s (%d MB in one TCP stream)%n", label, gbit,
                    received.get() >> 20);
            return gbit;
        }
    }

    private void printSummary() {
        out.printf("%nsummary (JDK %s, %d s per throughput run)%n", System.getProperty("java.version"), seconds);
        String format = "| %-24s | %14s | %11s | %13s | %10s |%n";
        out.printf(format, "pair", "first ping ms", "ping ms p50", "TCP Gbit/s", "handshakes");
        out.printf(format, "---", "---", "---", "---", "---");
        for (String[] row : summary) {
            out.printf(format, (Object[]) row);
        }
    }

    private <T extends AutoCloseable> T live(T resource) {
        live.add(resource);
        return resource;
    }

    /** A fresh name per run: a closed TUN device leaves the kernel a moment after its channel closes. */
    private String interfaceName(char side) {
        return "wgd" + ProcessHandle.current().pid() % 10000 + 'r' + (side == 'a' ? ++runs : runs) + side;
    }

    private static void deleteDirectory(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }

    /** A key in base64, as wg-quick files and {@code wg} write it. */
    static String b64(byte[] key) {
        return Base64.getEncoder().encodeToString(key);
    }

    /** An address literal (never a name lookup). */
    static InetAddress literal(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The two namespaces and the veth pair between them (it goes with the namespaces). */
    private static final class Namespaces implements AutoCloseable {
        final TemporaryNetns a;
        final TemporaryNetns b;

        Namespaces(String prefix) throws IOException {
            a = TemporaryNetns.create(prefix + "-a");
            TemporaryNetns nsB = null;
            try {
                nsB = TemporaryNetns.create(prefix + "-b");
                a.veth("vpnveth0", UNDER_A, nsB, "vpnveth1", UNDER_B, 24);
            } catch (IOException | RuntimeException e) {
                closeQuietly(nsB);
                closeQuietly(a);
                throw e;
            }
            b = nsB;
        }

        private static void closeQuietly(TemporaryNetns ns) {
            if (ns != null) {
                try {
                    ns.close();
                } catch (IOException e) {
                    System.err.println("could not remove namespace " + ns.name() + ": " + e.getMessage());
                }
            }
        }

        @Override
        public void close() {
            closeQuietly(b);
            closeQuietly(a);
        }
    }
}

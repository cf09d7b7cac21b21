/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks.tun;

import io.github.nettytun.example.wireguard.WireGuardServer;
import io.github.nettytun.handler.vpn.wireguard.WireGuardCrypto;
import io.github.nettytun.testing.TemporaryNetns;
import io.github.nettytun.testing.WireGuardGo;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The namespaces of one {@link VpnCase}: A and B joined by a veth pair (the underlay, 10.205.0.0/24), the VPN's
 * processes in each (its tunnel is 10.206.0.0/24), an iperf3 server in B. Everything is removed by
 * {@link #close()}: the processes (by their PIDs), the namespaces with their devices, the files.
 */
final class VpnSetup implements AutoCloseable {

    static final InetAddress UNDER_A = TunBridgeBenchmark.address("10.205.0.1");
    static final InetAddress UNDER_B = TunBridgeBenchmark.address("10.205.0.2");
    static final InetAddress INNER_A = TunBridgeBenchmark.address("10.206.0.1");
    static final InetAddress INNER_B = TunBridgeBenchmark.address("10.206.0.2");
    static final int PORT_A = 51820;
    static final int PORT_B = 51821;
    static final int MTU = 1420;

    /** What every setup of one benchmark run shares: the classpath of our server and OpenVPN's certificates. */
    static final class Shared implements AutoCloseable {
        final String classpath;
        final List<String> jvmArgs;
        /** Upstream wireguard-go's binary, or null. */
        final String wireguardGoModern;
        final Path dir;
        private Path[] certificates;

        Shared(String classpath, List<String> jvmArgs, String wireguardGoModern) throws IOException {
            this.classpath = classpath;
            this.jvmArgs = jvmArgs;
            this.wireguardGoModern = wireguardGoModern;
            this.dir = Files.createTempDirectory("vpn-bench");
        }

        /** Two self-signed certificates (P-256) for OpenVPN's peer-fingerprint mode, made once with openssl. */
        synchronized Path[] certificates() throws IOException {
            if (certificates == null) {
                Path[] files = new Path[4];
                for (int i = 0; i < 2; i++) {
                    String side = i == 0 ? "a" : "b";
                    files[2 * i] = dir.resolve(side + ".crt");
                    files[2 * i + 1] = dir.resolve(side + ".key");
                    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                            "-nodes", "-subj", "/CN=vpn-bench-" + side, "-days", "2",
                            "-keyout", files[2 * i + 1].toString(), "-out", files[2 * i].toString());
                }
                certificates = files;
            }
            return certificates;
        }

        String fingerprint(Path certificate) throws IOException {
            String out = run("openssl", "x509", "-in", certificate.toString(), "-noout", "-fingerprint", "-sha256");
            return out.substring(out.indexOf('=') + 1).trim();
        }

        @Override
        public void close() throws IOException {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted((x, y) -> y.compareTo(x)).toArray(Path[]::new)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** One measurement: a single stream with ping beside it, then four streams. */
    static final class Result {
        double gbit1;
        double retransmits1;
        double cpuMachine1;
        double cpuVpn1;
        double gbit4;
        double retransmits4;
        double cpuMachine4;
        double cpuVpn4;
        List<Double> pingMillis;
        int pingSent;
    }

    final VpnCase c;
    private final Shared shared;
    private final TemporaryNetns a;
    private final TemporaryNetns b;
    /** The VPN's processes, whose CPU time is counted. */
    private final List<Process> vpn = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();

    VpnSetup(VpnCase c, Shared shared) throws Exception {
        this.c = c;
        this.shared = shared;
        TemporaryNetns nsA = null;
        TemporaryNetns nsB = null;
        try {
            nsA = TemporaryNetns.create();
            nsB = TemporaryNetns.create();
        } catch (IOException | RuntimeException e) {
            TunBridgeBenchmark.closeQuietly(nsA, nsB);
            throw e;
        }
        a = nsA;
        b = nsB;
        try {
            a.veth("vba", UNDER_A, b, "vbb", UNDER_B, 24);
            start();
            Process server = b.spawn("iperf3", "-s", "--forceflush", "-B", target().getHostAddress());
            TunBridgeBenchmark.waitForServer(b, server);
            // The first packet makes WireGuard shake hands; wait for it rather than time the handshake.
            a.exec("ping", "-c", "1", "-w", "20", target().getHostAddress());
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /** The iperf3 server's address: B's tunnel address, or B's veth address for the veth case. */
    InetAddress target() {
        return c.a == VpnCase.Kind.NONE ? UNDER_B : INNER_B;
    }

    private void start() throws Exception {
        if (c.a == VpnCase.Kind.NONE) {
            return;
        }
        if (c.a == VpnCase.Kind.OPENVPN) {
            startOpenVpn();
            return;
        }
        byte[] keyA = WireGuardCrypto.generatePrivateKey(new SecureRandom());
        byte[] keyB = WireGuardCrypto.generatePrivateKey(new SecureRandom());
        List<TemporaryNetns> oursIn = new ArrayList<>();
        List<Process> ours = new ArrayList<>();
        // Both sides start at once (a JVM takes a second or two); then wait for each.
        for (int side = 0; side < 2; side++) {
            boolean isA = side == 0;
            TemporaryNetns ns = isA ? a : b;
            VpnCase.Kind kind = isA ? c.a : c.b;
            byte[] key = isA ? keyA : keyB;
            byte[] peerKey = isA ? keyB : keyA;
            InetAddress inner = isA ? INNER_A : INNER_B;
            InetAddress peerInner = isA ? INNER_B : INNER_A;
            String peerEndpoint = (isA ? UNDER_B : UNDER_A).getHostAddress() + ':' + (isA ? PORT_B : PORT_A);
            int port = isA ? PORT_A : PORT_B;
            if (kind == VpnCase.Kind.OURS) {
                oursIn.add(ns);
                ours.add(startOurs(ns, key, port, peerKey, inner, peerInner, peerEndpoint));
            } else {
                startWireGuardGo(ns, isA ? "a" : "b", kind == VpnCase.Kind.WIREGUARD_GO_MODERN
                        ? shared.wireguardGoModern : "wireguard-go", key, port, peerKey, inner, peerInner,
                        peerEndpoint);
            }
        }
        for (int i = 0; i < ours.size(); i++) {
            awaitLog(oursIn.get(i), ours.get(i), "netty-tun WireGuard ");
        }
    }

    private Process startOurs(TemporaryNetns ns, byte[] key, int port, byte[] peerKey, InetAddress inner,
                              InetAddress peerInner, String peerEndpoint) throws IOException {
        Path config = shared.dir.resolve("wgb-" + ns.name() + ".conf");
        files.add(config);
        Files.writeString(config, "[Interface]\n"
                + "PrivateKey = " + Base64.getEncoder().encodeToString(key) + '\n'
                + "ListenPort = " + port + '\n'
                + "Address = " + inner.getHostAddress() + "/24\n"
                + "MTU = " + MTU + "\n\n"
                + "[Peer]\n"
                + "PublicKey = " + Base64.getEncoder().encodeToString(WireGuardCrypto.publicKey(peerKey)) + '\n'
                + "AllowedIPs = " + peerInner.getHostAddress() + "/32\n"
                + "Endpoint = " + peerEndpoint + '\n', StandardCharsets.UTF_8);
        // The launcher's JVM options (memory limits, allocator mode), as an operator runs the server.
        List<String> cmd = new ArrayList<>(List.of(c.jdk.java()));
        cmd.addAll(WireGuardServer.launcherJvmOptions());
        cmd.addAll(c.jvmOptions());
        cmd.addAll(shared.jvmArgs);
        cmd.addAll(List.of("-cp", shared.classpath, "io.github.nettytun.example.Main", "wireguard",
                config.toString(), "--interface", "wgb", "--no-uapi", "--transport", c.transport,
                "--offload", c.offload ? "on" : "off"));
        Process p = ns.spawn(cmd.toArray(new String[0]));
        vpn.add(p);
        return p;
    }

    private void startWireGuardGo(TemporaryNetns ns, String side, String binary, byte[] key, int port,
                                  byte[] peerKey, InetAddress inner, InetAddress peerInner, String peerEndpoint)
            throws Exception {
        // The UAPI socket directory is shared by all namespaces: the name must be unique on the machine.
        String ifName = "wgg" + ProcessHandle.current().pid() % 100000 + side;
        vpn.add(WireGuardGo.start(ns, ifName, binary));
        Path keyFile = shared.dir.resolve(ifName + ".key");
        files.add(keyFile);
        Files.writeString(keyFile, Base64.getEncoder().encodeToString(key) + "\n");
        ns.exec("wg", "set", ifName, "private-key", keyFile.toString(), "listen-port", Integer.toString(port),
                "peer", Base64.getEncoder().encodeToString(WireGuardCrypto.publicKey(peerKey)),
                "allowed-ips", peerInner.getHostAddress() + "/32", "endpoint", peerEndpoint);
        ns.ip("addr", "add", inner.getHostAddress() + "/24", "dev", ifName);
        ns.ip("link", "set", ifName, "mtu", Integer.toString(MTU), "up");
    }

    /**
     * OpenVPN 2.6 point to point over UDP: TLS with two self-signed certificates checked by fingerprint, the
     * AES-256-GCM data channel (OpenVPN's default AEAD cipher), no DCO (the kernel module is not loaded here and
     * the issue asks for the user-space data path), the rest OpenVPN's defaults.
     */
    private void startOpenVpn() throws Exception {
        Path[] certs = shared.certificates();
        Process pa = a.spawn(openVpn(UNDER_A, UNDER_B, INNER_A, INNER_B, certs[0], certs[1],
                shared.fingerprint(certs[2]), "--tls-server", "--dh", "none"));
        vpn.add(pa);
        Process pb = b.spawn(openVpn(UNDER_B, UNDER_A, INNER_B, INNER_A, certs[2], certs[3],
                shared.fingerprint(certs[0]), "--tls-client"));
        vpn.add(pb);
        awaitLog(a, pa, "Initialization Sequence Completed");
        awaitLog(b, pb, "Initialization Sequence Completed");
    }

    static String[] openVpn(InetAddress local, InetAddress remote, InetAddress inner, InetAddress peerInner,
                            Path cert, Path key, String peerFingerprint, String... role) {
        List<String> cmd = new ArrayList<>(List.of("openvpn", "--dev", "tun", "--dev-type", "tun",
                "--proto", "udp", "--local", local.getHostAddress(), "--lport", "1194",
                "--remote", remote.getHostAddress(), "--rport", "1194",
                "--ifconfig", inner.getHostAddress(), peerInner.getHostAddress(),
                "--cert", cert.toString(), "--key", key.toString(), "--peer-fingerprint", peerFingerprint,
                "--data-ciphers", "AES-256-GCM", "--disable-dco", "--verb", "3"));
        cmd.addAll(List.of(role));
        return cmd.toArray(new String[0]);
    }

    private static void awaitLog(TemporaryNetns ns, Process p, String line) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!ns.log(p).contains(line)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new IOException(String.join(" ", p.info().arguments().map(List::of).orElse(List.of()))
                        + (p.isAlive() ? " did not start within 30 s" : " exited with " + p.exitValue())
                        + ":\n" + ns.log(p));
            }
            Thread.sleep(20);
        }
    }

    /** iperf3 for {@code seconds} with {@code streams} parallel TCP streams; the JSON report. */
    private String iperf(int seconds, int streams) throws IOException {
        // timeout(1): a tunnel that stalls ends the run (as a failure) instead of the benchmark.
        return a.exec("timeout", "-k", "5", Integer.toString(seconds + 30), "iperf3", "-c",
                target().getHostAddress(), "-t", Integer.toString(seconds), "-P", Integer.toString(streams), "-J");
    }

    void warmUp(int seconds) throws IOException {
        if (seconds > 0) {
            iperf(seconds, 1);
        }
    }

    /** A single stream with ping every {@code pingInterval} seconds beside it, then four streams. */
    Result measure(int seconds, double pingInterval) throws Exception {
        Result r = new Result();
        // Its own thread, not the common pool (runAsync without an executor): on 2 CPUs JDK 21+ may queue
        // blocking work there behind other blocking work.
        FutureTask<String> ping = new FutureTask<>(() -> {
            try {
                return a.exec("timeout", "-k", "5", Integer.toString(seconds + 30), "ping", "-n", "-i",
                        Double.toString(pingInterval), "-w", Integer.toString(seconds), target().getHostAddress());
            } catch (IOException e) {
                // ping -w exits non-zero only when no reply came at all; parsePing reports that.
                return e.getMessage();
            }
        });
        Thread pingThread = new Thread(ping, "vpn-benchmark-ping");
        pingThread.setDaemon(true);
        pingThread.start();
        long[] cpu0 = cpu();
        String single = iperf(seconds, 1);
        long[] cpu1 = cpu();
        double bytes = received(single, r, 1);
        r.cpuMachine1 = (cpu1[0] - cpu0[0]) / 1e9 / (bytes / 1e9);
        r.cpuVpn1 = (cpu1[1] - cpu0[1]) / 1e9 / (bytes / 1e9);
        parsePing(ping.get(seconds + 30L, TimeUnit.SECONDS), r);
        cpu0 = cpu();
        String four = iperf(seconds, 4);
        cpu1 = cpu();
        bytes = received(four, r, 4);
        r.cpuMachine4 = (cpu1[0] - cpu0[0]) / 1e9 / (bytes / 1e9);
        r.cpuVpn4 = (cpu1[1] - cpu0[1]) / 1e9 / (bytes / 1e9);
        return r;
    }

    private static double received(String json, Result r, int streams) throws IOException {
        Map<String, Double> received = TunBridgeBenchmark.jsonObject(json, "sum_received");
        if (received.getOrDefault("bytes", 0.0) == 0) {
            throw new IOException("nothing came through the tunnel (" + streams + " streams)");
        }
        Map<String, Double> sent = TunBridgeBenchmark.jsonObject(json, "sum_sent");
        double gbit = received.get("bits_per_second") / 1e9;
        double retransmits = sent.getOrDefault("retransmits", 0.0);
        if (streams == 1) {
            r.gbit1 = gbit;
            r.retransmits1 = retransmits;
        } else {
            r.gbit4 = gbit;
            r.retransmits4 = retransmits;
        }
        return received.get("bytes");
    }

    private static final Pattern PING_TIME = Pattern.compile("time=([0-9.]+) ms");
    private static final Pattern PING_SENT = Pattern.compile("(\\d+) packets transmitted");

    private static void parsePing(String output, Result r) throws IOException {
        List<Double> times = new ArrayList<>();
        Matcher m = PING_TIME.matcher(output);
        while (m.find()) {
            times.add(Double.parseDouble(m.group(1)));
        }
        Matcher sent = PING_SENT.matcher(output);
        if (!sent.find() || times.isEmpty()) {
            throw new IOException("ping under load got no reply: " + output);
        }
        r.pingMillis = times;
        r.pingSent = Integer.parseInt(sent.group(1));
    }

    /** {machine busy CPU, VPN processes' CPU}, nanoseconds. */
    private long[] cpu() throws IOException {
        long tick = TimeUnit.SECONDS.toNanos(1) / 100;
        long vpnTicks = 0;
        for (Process p : vpn) {
            if (!p.isAlive()) {
                throw new IOException("a VPN process exited during the run: " + String.join(" ",
                        p.info().arguments().map(List::of).orElse(List.of())));
            }
            String stat = Files.readAllLines(Paths.get("/proc/" + p.pid() + "/stat")).get(0);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            vpnTicks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
        }
        // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
        String[] f = Files.readAllLines(Paths.get("/proc/stat")).get(0).trim().split("\\s+");
        long busy = 0;
        for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
            busy += Long.parseLong(f[i]);
        }
        return new long[] {busy * tick, vpnTicks * tick};
    }

    /** Output of the VPN processes (for a failed run's report). */
    String logs() {
        StringBuilder sb = new StringBuilder();
        for (Process p : vpn) {
            for (TemporaryNetns ns : new TemporaryNetns[] {a, b}) {
                try {
                    sb.append(ns.log(p));
                } catch (IOException | IllegalArgumentException notThere) {
                    // spawned in the other namespace
                }
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        TunBridgeBenchmark.closeQuietly(a, b);
        for (Path f : files) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException ignored) {
                // in the shared temporary directory, removed at the end
            }
        }
    }

    private static String run(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return out;
    }
}

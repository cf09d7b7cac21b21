/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks.tun;

import io.github.nettytun.benchmarks.Medians;
import io.github.nettytun.handler.vpn.wireguard.PeerConfig;
import io.github.nettytun.handler.vpn.wireguard.TransportCipher;
import io.github.nettytun.handler.vpn.wireguard.WireGuardCrypto;
import io.github.nettytun.handler.vpn.wireguard.WireGuardDevice;
import io.github.nettytun.handler.vpn.wireguard.WireGuardTunnel;
import io.github.nettytun.testing.TestNetns;
import io.github.nettytun.testing.WireGuardGo;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.uring.IoUringDatagramChannel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * WireGuard through our interface against the stock one: two namespaces joined by a veth pair, a WireGuard
 * interface in each, one iperf3 TCP stream from A to B through the tunnel. Cases:
 * <ul>
 *   <li>{@code wireguard-go}: Debian's wireguard-go on both sides (the reference);</li>
 *   <li>{@code ours-TRANSPORT[-offload]}: our interface in A (the sender), wireguard-go in B;</li>
 *   <li>{@code pair-TRANSPORT[-offload]}: ours on both sides (one JVM, one event loop each).</li>
 * </ul>
 * Cases run interleaved (A B A B ...), the report gives medians, ratios to wireguard-go, sender retransmits and
 * CPU-seconds per GB (JVM plus wireguard-go processes).
 */
@Command(name = "wireguard-benchmark", mixinStandardHelpOptions = true,
        description = "iperf3 through WireGuard: ours (epoll, io_uring, offload on/off) against wireguard-go.")
public final class WireGuardBenchmark implements Callable<Integer> {

    static final InetAddress UNDER_A = TunBridgeBenchmark.address("10.203.0.1");
    static final InetAddress UNDER_B = TunBridgeBenchmark.address("10.203.0.2");
    static final InetAddress INNER_A = TunBridgeBenchmark.address("10.204.0.1");
    static final InetAddress INNER_B = TunBridgeBenchmark.address("10.204.0.2");

    @Option(names = "--cases", split = ",",
            defaultValue = "wireguard-go,ours-epoll,ours-epoll-offload,ours-io_uring,ours-io_uring-offload,"
                    + "pair-epoll-offload,pair-io_uring-offload",
            description = "wireguard-go, ours-{epoll|io_uring}[-offload], pair-{epoll|io_uring}[-offload].")
    List<String> cases;

    @Option(names = "--seconds", defaultValue = "5", description = "Length of each iperf3 run.")
    int seconds;

    @Option(names = "--rounds", defaultValue = "3", description = "Interleaved rounds; medians are reported.")
    int rounds;

    @Option(names = "--out", description = "Markdown report to write (a PNG chart goes beside it).")
    Path out;

    static final class Run {
        final String name;
        final double gbit;
        final double retransmits;
        final double cpuSecondsPerGb;

        Run(String name, double gbit, double retransmits, double cpuSecondsPerGb) {
            this.name = name;
            this.gbit = gbit;
            this.retransmits = retransmits;
            this.cpuSecondsPerGb = cpuSecondsPerGb;
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new WireGuardBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<Run> runs = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            for (String c : cases) {
                try (Setup setup = new Setup(c)) {
                    Run run = setup.measure(seconds);
                    runs.add(run);
                    System.out.printf(Locale.ROOT, "round %d %-24s %7.3f Gbit/s %8.0f retransmits %6.2f CPU-s/GB%n",
                            round, c, run.gbit, run.retransmits, run.cpuSecondsPerGb);
                    System.out.println("  " + setup.counters());
                }
            }
        }
        String report = report(runs);
        System.out.println();
        System.out.println(report);
        if (out != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, report, StandardCharsets.UTF_8);
            Path png = Paths.get(out.toString().replaceFirst("\\.md$", "") + ".png");
            BarChart.write(png, "WireGuard, one TCP stream (medians, Gbit/s)",
                    Medians.of(runs, r -> r.name, r -> r.gbit));
            System.out.println("wrote " + out + " and " + png);
        }
        return 0;
    }

    private String report(List<Run> runs) throws IOException {
        Map<String, Double> gbit = Medians.of(runs, r -> r.name, r -> r.gbit);
        Map<String, Double> retransmits = Medians.of(runs, r -> r.name, r -> r.retransmits);
        Map<String, Double> cpu = Medians.of(runs, r -> r.name, r -> r.cpuSecondsPerGb);
        Map<String, double[]> range = new LinkedHashMap<>();
        for (Run r : runs) {
            double[] mm = range.computeIfAbsent(r.name, k -> new double[] {Double.MAX_VALUE, 0});
            mm[0] = Math.min(mm[0], r.gbit);
            mm[1] = Math.max(mm[1], r.gbit);
        }
        Double reference = gbit.get("wireguard-go");
        StringBuilder sb = new StringBuilder();
        sb.append("# WireGuard end to end: ours against wireguard-go\n\n");
        sb.append("- Machine: ").append(TunBridgeBenchmark.machine()).append('\n');
        sb.append("- JDK: ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.version")).append("; transport cipher ")
                .append(TransportCipher.Implementation.DEFAULT).append('\n');
        sb.append("- ").append(TunBridgeBenchmark.iperfVersion()).append(", one TCP stream A -> B, ").append(seconds)
                .append(" s per run, ").append(rounds).append(" interleaved rounds, medians\n");
        sb.append("- Command: `sudo ./benchmarks/run-wireguard-benchmark.sh --seconds ").append(seconds)
                .append(" --rounds ").append(rounds).append("`\n\n");
        sb.append("| case | Gbit/s (median) | min-max | vs wireguard-go | sender retransmits | CPU-s/GB |\n");
        sb.append("|---|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<String, Double> e : gbit.entrySet()) {
            double[] mm = range.get(e.getKey());
            sb.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f-%.3f | %s | %.0f | %.2f |%n", e.getKey(),
                    e.getValue(), mm[0], mm[1], reference == null ? "-"
                            : String.format(Locale.ROOT, "%.2fx", e.getValue() / reference),
                    retransmits.get(e.getKey()), cpu.get(e.getKey())));
        }
        return sb.toString();
    }

    /** Two namespaces, a veth pair, a WireGuard interface in each and an iperf3 server in B. */
    private static final class Setup implements AutoCloseable {
        private final TestNetns a;
        private final TestNetns b;
        private final List<WireGuardTunnel> tunnels = new ArrayList<>();
        private final List<EventLoopGroup> groups = new ArrayList<>();
        private final List<Process> wireguardGo = new ArrayList<>();
        private final List<Path> files = new ArrayList<>();
        private final String name;

        Setup(String name) throws Exception {
            this.name = name;
            a = TestNetns.create();
            TestNetns nsB = null;
            try {
                nsB = TestNetns.create();
                b = nsB;
                a.ip("link", "add", "wbva", "type", "veth", "peer", "name", "wbvb", "netns", b.name());
                a.ip("addr", "add", UNDER_A.getHostAddress() + "/24", "dev", "wbva");
                b.ip("addr", "add", UNDER_B.getHostAddress() + "/24", "dev", "wbvb");
                a.ip("link", "set", "wbva", "up");
                b.ip("link", "set", "wbvb", "up");
                byte[] keyA = WireGuardCrypto.generatePrivateKey(new SecureRandom());
                byte[] keyB = WireGuardCrypto.generatePrivateKey(new SecureRandom());
                if (name.equals("wireguard-go")) {
                    startWireGuardGo(a, keyA, 51820, keyB, INNER_A, INNER_B, UNDER_B, 51821);
                    startWireGuardGo(b, keyB, 51821, keyA, INNER_B, INNER_A, UNDER_A, 51820);
                } else {
                    String[] parts = name.split("-");
                    String transport = parts[1];
                    boolean offload = name.endsWith("-offload");
                    startOurs(a, transport, offload, keyA, 51820, keyB, INNER_A, INNER_B, UNDER_B, 51821);
                    if (parts[0].equals("pair")) {
                        startOurs(b, transport, offload, keyB, 51821, keyA, INNER_B, INNER_A, UNDER_A, 51820);
                    } else if (parts[0].equals("ours")) {
                        startWireGuardGo(b, keyB, 51821, keyA, INNER_B, INNER_A, UNDER_A, 51820);
                    } else {
                        throw new IllegalArgumentException("unknown case " + name);
                    }
                }
                Process server = b.spawn("iperf3", "-s", "--forceflush", "-B", INNER_B.getHostAddress());
                TunBridgeBenchmark.waitForServer(b, server);
                a.exec("ping", "-c", "1", "-w", "10", INNER_B.getHostAddress());
            } catch (Exception | Error e) {
                close();
                throw e;
            }
        }

        private void startOurs(TestNetns ns, String transport, boolean offload, byte[] key, int port,
                               byte[] peerKey, InetAddress inner, InetAddress peerInner, InetAddress peerUnder,
                               int peerPort) throws Exception {
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, TunBridgeBenchmark.ioHandlerFactory(transport));
            groups.add(group);
            Class<? extends DatagramChannel> udp = transport.equals("epoll") ? EpollDatagramChannel.class
                    : IoUringDatagramChannel.class;
            WireGuardDevice device = new WireGuardDevice(key);
            device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(peerKey))
                    .allowedIp(peerInner.getHostAddress() + "/32")
                    .endpoint(new InetSocketAddress(peerUnder, peerPort)));
            tunnels.add(ns.call(() -> WireGuardTunnel.builder().eventLoop(group.next())
                    .tunChannel(TunBridgeBenchmark.channelClass(transport)).datagramChannel(udp)
                    .interfaceName("wgbench").offload(offload).address(inner, 24).listenPort(port)
                    .start(device)));
        }

        private void startWireGuardGo(TestNetns ns, byte[] key, int port, byte[] peerKey, InetAddress inner,
                                      InetAddress peerInner, InetAddress peerUnder, int peerPort) throws Exception {
            String ifName = "wgg" + ProcessHandle.current().pid() % 100000 + (ns == a ? "a" : "b");
            wireguardGo.add(WireGuardGo.start(ns, ifName));
            Path keyFile = Files.createTempFile("wg-bench", ".key");
            files.add(keyFile);
            Files.writeString(keyFile, Base64.getEncoder().encodeToString(key) + "\n");
            ns.exec("wg", "set", ifName, "private-key", keyFile.toString(), "listen-port", Integer.toString(port),
                    "peer", Base64.getEncoder().encodeToString(WireGuardCrypto.publicKey(peerKey)),
                    "allowed-ips", peerInner.getHostAddress() + "/32",
                    "endpoint", peerUnder.getHostAddress() + ':' + peerPort);
            ns.ip("addr", "add", inner.getHostAddress() + "/24", "dev", ifName);
            ns.ip("link", "set", ifName, "mtu", "1420", "up");
        }

        Run measure(int seconds) throws Exception {
            long cpu0 = cpuNanos();
            String json = a.exec(TunBridgeBenchmark.iperfClient(INNER_B, "tcp", seconds));
            double cpu = (cpuNanos() - cpu0) / 1e9;
            Map<String, Double> received = TunBridgeBenchmark.jsonObject(json, "sum_received");
            Map<String, Double> sent = TunBridgeBenchmark.jsonObject(json, "sum_sent");
            double bytes = received.get("bytes");
            return new Run(name, received.get("bits_per_second") / 1e9, sent.getOrDefault("retransmits", 0.0),
                    cpu / (bytes / 1e9));
        }

        /** CPU time of this JVM and of the wireguard-go processes. */
        private long cpuNanos() throws IOException {
            long sum = tunnels.isEmpty() ? 0 : TunBridgeBenchmark.processCpuNanos();
            long tick = TimeUnit.SECONDS.toNanos(1) / 100;
            for (Process p : wireguardGo) {
                String stat = Files.readAllLines(Paths.get("/proc/" + p.pid() + "/stat")).get(0);
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                sum += (Long.parseLong(f[11]) + Long.parseLong(f[12])) * tick;
            }
            return sum;
        }

        String counters() {
            StringBuilder sb = new StringBuilder();
            for (WireGuardTunnel t : tunnels) {
                sb.append(t.device()).append(' ').append(t.device().peers()).append(' ')
                        .append(t.udpSender()).append(' ');
            }
            return sb.toString();
        }

        @Override
        public void close() {
            for (WireGuardTunnel t : tunnels) {
                t.close();
            }
            for (EventLoopGroup g : groups) {
                g.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
            TunBridgeBenchmark.closeQuietly(a, b);
            for (Path f : files) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // temp file
                }
            }
        }
    }
}

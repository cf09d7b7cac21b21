/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks.tun;

import io.github.nettytun.benchmarks.Medians;
import io.github.nettytun.handler.vpn.wireguard.TransportCipher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** The VPN benchmark's report: medians with min-max, ratios, the targets, charts, the README section. */
final class VpnReport {

    static final String README_BEGIN = "<!-- vpn-benchmark:begin (written by benchmarks/run-vpn-benchmark.sh) -->";
    static final String README_END = "<!-- vpn-benchmark:end -->";
    /** The case name of upstream wireguard-go, the bar. */
    static final String MODERN = "wireguard-go-modern";

    /** One measured run of one case. */
    static final class Run {
        final String name;
        final int round;
        final double gbit1;
        final double retransmits1;
        final double gbit4;
        final double retransmits4;
        final double pingMedian;
        final double pingP99;
        final double pingLoss;
        final double cpuMachine1;
        final double cpuVpn1;
        final double cpuMachine4;
        final double cpuVpn4;

        Run(String name, int round, VpnSetup.Result r) {
            this.name = name;
            this.round = round;
            gbit1 = r.gbit1;
            retransmits1 = r.retransmits1;
            gbit4 = r.gbit4;
            retransmits4 = r.retransmits4;
            List<Double> times = new ArrayList<>(r.pingMillis);
            pingMedian = Medians.median(times);
            times.sort(null);
            pingP99 = times.get(Math.max(0, (int) Math.ceil(0.99 * times.size()) - 1));
            pingLoss = 100.0 * (r.pingSent - r.pingMillis.size()) / r.pingSent;
            cpuMachine1 = r.cpuMachine1;
            cpuVpn1 = r.cpuVpn1;
            cpuMachine4 = r.cpuMachine4;
            cpuVpn4 = r.cpuVpn4;
        }
    }

    private final List<VpnCase> cases;
    private final List<VpnCase.Jdk> jdks;
    private final List<Run> runs;
    private final List<String> failures;
    private final int seconds;
    private final int warmup;
    private final int rounds;
    private final double pingInterval;
    private final String command;
    /** Upstream wireguard-go's binary, or null. */
    String wireguardGoModern;

    VpnReport(List<VpnCase> cases, List<VpnCase.Jdk> jdks, List<Run> runs, List<String> failures, int seconds,
              int warmup, int rounds, double pingInterval, String command) {
        this.cases = cases;
        this.jdks = jdks;
        this.runs = runs;
        this.failures = failures;
        this.seconds = seconds;
        this.warmup = warmup;
        this.rounds = rounds;
        this.pingInterval = pingInterval;
        this.command = command;
    }

    /** Writes the markdown report and, beside it, the three charts; returns the report's path. */
    Path write(Path md) throws IOException {
        Path dir = md.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        String base = md.getFileName().toString().replaceFirst("\\.md$", "");
        StringBuilder sb = new StringBuilder();
        sb.append("# VPN benchmark: netty-tun against wireguard-go, OpenVPN and the bare veth pair\n\n");
        sb.append(tables());
        sb.append("\n![throughput](").append(base).append("-throughput.png)\n");
        sb.append("![CPU per GB](").append(base).append("-cpu.png)\n");
        sb.append("![latency under load](").append(base).append("-latency.png)\n\n");
        sb.append("## Every run\n\n");
        sb.append("| round | case | 1 stream Gbit/s | retr. | 4 streams Gbit/s | retr. | ping median / p99 ms | loss % "
                + "| CPU-s/GB machine / VPN (1 stream) | (4 streams) |\n");
        sb.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Run r : runs) {
            sb.append(String.format(Locale.ROOT, "| %d | %s | %.3f | %.0f | %.3f | %.0f | %.2f / %.2f | %.1f | %.1f / %.1f "
                            + "| %.1f / %.1f |%n", r.round, r.name, r.gbit1, r.retransmits1, r.gbit4, r.retransmits4,
                    r.pingMedian, r.pingP99, r.pingLoss, r.cpuMachine1, r.cpuVpn1, r.cpuMachine4, r.cpuVpn4));
        }
        if (!failures.isEmpty()) {
            sb.append("\n## Failed runs\n\n");
            for (String f : failures) {
                sb.append("- ").append(f.split("\n")[0]).append('\n');
            }
        }
        Files.writeString(md, sb.toString(), StandardCharsets.UTF_8);

        // The bare veth pair is 10-50x any VPN here: it is named in the title instead of dwarfing the bars.
        Map<String, Map<String, Double>> throughput = new LinkedHashMap<>();
        throughput.put("1 TCP stream", withoutVeth(medians(r -> r.gbit1)));
        throughput.put("4 TCP streams", withoutVeth(medians(r -> r.gbit4)));
        Double veth1 = medians(r -> r.gbit1).get("veth");
        Double veth4 = medians(r -> r.gbit4).get("veth");
        BarChart.write(dir.resolve(base + "-throughput.png"), "Throughput through the tunnel (iperf3, medians)"
                + (veth1 == null ? "" : String.format(Locale.ROOT, "; bare veth, not drawn: %.1f / %.1f Gbit/s",
                veth1, veth4)), "Gbit/s", throughput);
        Map<String, Map<String, Double>> cpu = new LinkedHashMap<>();
        cpu.put("whole machine, 1 stream", medians(r -> r.cpuMachine1));
        cpu.put("VPN processes, 1 stream", medians(r -> r.cpuVpn1));
        cpu.put("whole machine, 4 streams", medians(r -> r.cpuMachine4));
        BarChart.write(dir.resolve(base + "-cpu.png"), "CPU seconds per GB received (medians; lower is better)",
                "CPU-s/GB", cpu);
        Map<String, Map<String, Double>> latency = new LinkedHashMap<>();
        latency.put("median", medians(r -> r.pingMedian));
        latency.put("p99", medians(r -> r.pingP99));
        BarChart.write(dir.resolve(base + "-latency.png"), "Ping under one TCP stream (medians of runs; lower is better)",
                "ms", latency);
        return md;
    }

    /** The header lines, the two tables and the targets: what the README shows. */
    String tables() throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("- Date: ").append(LocalDate.now()).append("; machine: ").append(TunBridgeBenchmark.machine())
                .append('\n');
        sb.append("- Our JDKs: ");
        for (int i = 0; i < jdks.size(); i++) {
            VpnCase.Jdk j = jdks.get(i);
            sb.append(i == 0 ? "" : ", ").append(j.label()).append(" = ").append(j.version).append(" (")
                    .append(j.home.getFileName()).append(')');
        }
        sb.append("; transport cipher: ").append(TransportCipher.Implementation.DEFAULT)
                .append(" unless the case says -sunjce (the JDK's)\n");
        sb.append("- Peers: ").append(version("wireguard-go", "--version")).append(" (Debian); ");
        if (wireguardGoModern != null) {
            sb.append(version(wireguardGoModern, "--version")).append(" (upstream, `wireguard-go-modern`); ");
        }
        sb.append(version("openvpn", "--version")).append(" (UDP, AES-256-GCM, no DCO); ")
                .append(TunBridgeBenchmark.iperfVersion()).append('\n');
        sb.append(String.format(Locale.ROOT, "- Each case set up anew per round, %d interleaved rounds; %d s warm-up, "
                + "then %d s of one TCP stream with ping every %s s beside it, then %d s of 4 streams; MTU %d "
                + "inside the tunnel; medians (min-max)%n", rounds, warmup, seconds, pingInterval, seconds,
                VpnSetup.MTU));
        sb.append("- Command: `").append(command).append("`\n\n");

        Map<String, double[]> g1 = stats(r -> r.gbit1);
        Map<String, double[]> g4 = stats(r -> r.gbit4);
        Map<String, Double> retr1 = medians(r -> r.retransmits1);
        Map<String, Double> retr4 = medians(r -> r.retransmits4);
        sb.append("| case | 1 stream Gbit/s | min-max | vs wireguard-go | vs upstream | vs veth | retransmits "
                + "| 4 streams Gbit/s | min-max | vs wireguard-go | vs upstream | vs veth | retransmits |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String c : g1.keySet()) {
            double[] s1 = g1.get(c);
            double[] s4 = g4.get(c);
            sb.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f-%.3f | %s | %s | %s | %.0f | %.3f | %.3f-%.3f "
                            + "| %s | %s | %s | %.0f |%n", c, s1[0], s1[1], s1[2], ratio(g1, c, "wireguard-go"),
                    ratio(g1, c, MODERN), ratio(g1, c, "veth"), retr1.get(c), s4[0], s4[1], s4[2],
                    ratio(g4, c, "wireguard-go"), ratio(g4, c, MODERN), ratio(g4, c, "veth"), retr4.get(c)));
        }
        sb.append("\n\"upstream\" is upstream wireguard-go with its offloads (`wireguard-go-modern`), the bar; "
                + "\"wireguard-go\" is Debian's build, which has none.\n");
        Map<String, double[]> ping50 = stats(r -> r.pingMedian);
        Map<String, Double> ping99 = medians(r -> r.pingP99);
        Map<String, Double> loss = medians(r -> r.pingLoss);
        Map<String, double[]> cpu1 = stats(r -> r.cpuMachine1);
        Map<String, Double> vpn1 = medians(r -> r.cpuVpn1);
        Map<String, Double> cpu4 = medians(r -> r.cpuMachine4);
        Map<String, Double> vpn4 = medians(r -> r.cpuVpn4);
        sb.append("\n| case | ping under load, median ms | min-max | p99 ms | loss % "
                + "| CPU-s/GB, whole machine, 1 stream | min-max | of it VPN processes "
                + "| CPU-s/GB, 4 streams | of it VPN processes |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String c : ping50.keySet()) {
            double[] p = ping50.get(c);
            double[] u = cpu1.get(c);
            sb.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f-%.2f | %.2f | %.1f | %.1f | %.1f-%.1f | %.1f | %.1f "
                            + "| %.1f |%n", c, p[0], p[1], p[2], ping99.get(c), loss.get(c), u[0], u[1], u[2],
                    vpn1.get(c), cpu4.get(c), vpn4.get(c)));
        }
        sb.append("\nCPU-s/GB counts every busy CPU of the machine (iperf3, ping, the VPN, the kernel's softirqs) "
                + "per GB received; \"VPN processes\" is the share of the VPN's own processes (both sides).\n");
        sb.append(targets());
        return sb.toString();
    }

    /** The targets, each with the measured ratio and whether it holds. */
    private String targets() {
        Map<String, Double> g1 = medians(r -> r.gbit1);
        Map<String, Double> g4 = medians(r -> r.gbit4);
        StringBuilder sb = new StringBuilder("\n| target (medians of this run) | measured | met |\n|---|---:|:---:|\n");
        String best = null;
        for (VpnCase c : cases) {
            if (c.ours() && g1.containsKey(c.name) && (best == null || g1.get(c.name) > g1.get(best))) {
                best = c.name;
            }
        }
        Map<String, Double> cpu1 = medians(r -> r.cpuMachine1);
        for (VpnCase.Jdk jdk : jdks) {
            String bestOnJdk = null;
            for (VpnCase c : cases) {
                if (c.ours() && c.b == VpnCase.Kind.OURS && c.jdk == jdk && g1.containsKey(c.name)
                        && (bestOnJdk == null || g1.get(c.name) > g1.get(bestOnJdk))) {
                    bestOnJdk = c.name;
                }
            }
            if (bestOnJdk != null) {
                double needed = jdk.feature >= 25 ? 1.3 : 1.0;
                target(sb, "best of ours on " + jdk.label() + " (" + bestOnJdk + ") >= " + needed
                        + "x upstream wireguard-go, 1 stream", g1, bestOnJdk, MODERN, needed);
                atMost(sb, "CPU-s/GB of " + bestOnJdk + " <= 0.8x upstream wireguard-go's, 1 stream", cpu1,
                        bestOnJdk, MODERN, 0.8);
            }
        }
        if (best != null) {
            target(sb, "best of ours (" + best + ") >= 4x wireguard-go, 1 stream", g1, best, "wireguard-go", 4);
            target(sb, "best of ours (" + best + ") >= 0.10 of veth, 1 stream", g1, best, "veth", 0.10);
        }
        for (VpnCase c : cases) {
            if (c.ours() && "io_uring".equals(c.transport)) {
                String epoll = c.name.replace("-io_uring", "-epoll");
                target(sb, c.name + " >= " + epoll + ", 1 stream", g1, c.name, epoll, 1);
                target(sb, c.name + " >= " + epoll + ", 4 streams", g4, c.name, epoll, 1);
            }
        }
        for (VpnCase c : cases) {
            if (c.ours() && c.offload) {
                String off = c.name.replace("-offload", "");
                target(sb, c.name + " >= 2x " + off + ", 1 stream", g1, c.name, off, 2);
                target(sb, c.name + " >= 2x " + off + ", 4 streams", g4, c.name, off, 2);
            }
        }
        return sb.toString();
    }

    /** A row of the targets table: is c's median at least {@code needed} times ref's? */
    private static void target(StringBuilder sb, String what, Map<String, Double> medians, String c, String ref,
                               double needed) {
        row(sb, what, medians, c, ref, ratio -> ratio >= needed);
    }

    /** A row of the targets table for a cost: is c's median at most {@code allowed} times ref's? */
    private static void atMost(StringBuilder sb, String what, Map<String, Double> medians, String c, String ref,
                               double allowed) {
        row(sb, what, medians, c, ref, ratio -> ratio <= allowed);
    }

    private static void row(StringBuilder sb, String what, Map<String, Double> medians, String c, String ref,
                            java.util.function.DoublePredicate met) {
        Double x = medians.get(c);
        Double y = medians.get(ref);
        if (x == null || y == null || y == 0) {
            return;
        }
        double ratio = x / y;
        sb.append(String.format(Locale.ROOT, "| %s | %.2fx | %s |%n", what, ratio, met.test(ratio) ? "yes" : "no"));
    }

    private static Map<String, Double> withoutVeth(Map<String, Double> values) {
        values.remove("veth");
        return values;
    }

    private Map<String, Double> medians(ToDoubleFunction<Run> metric) {
        return Medians.of(runs, r -> r.name, metric);
    }

    /** Per case: {median, min, max}. */
    private Map<String, double[]> stats(ToDoubleFunction<Run> metric) {
        Map<String, Double> medians = medians(metric);
        Map<String, double[]> stats = new LinkedHashMap<>();
        for (Run r : runs) {
            double v = metric.applyAsDouble(r);
            double[] s = stats.computeIfAbsent(r.name, k -> new double[] {medians.get(k), v, v});
            s[1] = Math.min(s[1], v);
            s[2] = Math.max(s[2], v);
        }
        return stats;
    }

    private static String ratio(Map<String, double[]> stats, String c, String reference) {
        double[] ref = stats.get(reference);
        return ref == null || ref[0] == 0 ? "-" : String.format(Locale.ROOT, "%.2fx", stats.get(c)[0] / ref[0]);
    }

    private static String version(String tool, String flag) {
        try {
            Process p = new ProcessBuilder(tool, flag).redirectErrorStream(true).start();
            String first = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")[0];
            p.waitFor();
            return first.replaceFirst(" x86_64.*", "").trim();
        } catch (IOException | InterruptedException e) {
            return tool + " (not installed)";
        }
    }

    /** Replaces the text between the README's two markers with the tables and links to the full report. */
    void updateReadme(Path readme, Path md) throws IOException {
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        int begin = text.indexOf(README_BEGIN);
        int end = text.indexOf(README_END);
        if (begin < 0 || end < begin) {
            throw new IOException(readme + " has no section between " + README_BEGIN + " and " + README_END);
        }
        Path relative = readme.toAbsolutePath().getParent().relativize(md.toAbsolutePath());
        String base = relative.toString().replaceFirst("\\.md$", "");
        String section = README_BEGIN + "\n" + tables() + "\nEvery run, and the charts: [" + relative + "]("
                + relative + "), ![throughput](" + base + "-throughput.png)\n";
        Files.writeString(readme, text.substring(0, begin) + section + text.substring(end), StandardCharsets.UTF_8);
    }
}

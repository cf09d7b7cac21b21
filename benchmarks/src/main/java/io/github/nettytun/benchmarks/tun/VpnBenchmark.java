/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks.tun;

import io.github.nettytun.testing.WireGuardGo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * The VPN benchmark of the README: two namespaces joined by a veth pair, a VPN between them, iperf3 from A to B
 * through the tunnel. Every case (see {@link VpnCase}) is set up from scratch in every round, cases interleaved
 * (A B C A B C ...), so that a noisy machine shifts all of them alike. Per run: a warm-up stream, one TCP stream
 * with ping beside it (latency under load), then four streams; CPU time of the whole machine and of the VPN's
 * processes. {@link VpnReport} writes the medians, ratios and charts.
 *
 * <p>Our side runs as the examples' {@code wireguard} command in its own JVM, once per JDK, exactly as a user
 * would run it.
 */
@Command(name = "vpn-benchmark", mixinStandardHelpOptions = true, sortOptions = false,
        description = "iperf3 and ping through netty-tun's WireGuard, wireguard-go, OpenVPN and a bare veth pair.")
public final class VpnBenchmark implements Callable<Integer> {

    static final List<String> DEFAULT_CASES = List.of("veth", "wireguard-go", "wireguard-go-modern", "openvpn",
            "ours-epoll-offload", "ours-io_uring-offload", "ours-epoll", "ours-io_uring", "mixed-epoll-offload");
    static final List<String> SMOKE_CASES = List.of("veth", "wireguard-go", "wireguard-go-modern", "openvpn",
            "ours-epoll-offload", "ours-io_uring", "mixed-io_uring-offload");

    @Option(names = "--cases", split = ",", description = "Cases (default: ${DEFAULT-VALUE}; see VpnCase).")
    List<String> cases;

    @Option(names = "--jdk", description = "JDK home for our cases, repeatable (default: the newest JDK under "
            + "/usr/lib/jvm or the running one, and JDK 17).")
    List<Path> jdkHomes;

    @Option(names = "--seconds", defaultValue = "5", description = "Length of each measured iperf3 run.")
    int seconds;

    @Option(names = "--warmup", defaultValue = "10",
            description = "Seconds of unmeasured traffic first: our JVMs' JIT needs them (3 s halved the result).")
    int warmup;

    @Option(names = "--rounds", defaultValue = "3", description = "Interleaved rounds; medians are reported.")
    int rounds;

    @Option(names = "--ping-interval", defaultValue = "0.01", description = "Seconds between pings under load.")
    double pingInterval;

    @Option(names = "--jvm-arg", description = "An extra option for our server's JVMs, repeatable (a profiler "
            + "agent, a GC choice); recorded in the report.")
    List<String> jvmArgs = new ArrayList<>();

    @Option(names = "--wireguard-go-modern", paramLabel = "PATH", description = "Upstream wireguard-go (with "
            + "offloads), the bar: case wireguard-go-modern (default: $WIREGUARD_GO_MODERN, else "
            + "shared/tools/wireguard-go-modern beside the checkout; the case is skipped with a note without one).")
    Path wireguardGoModern;

    @Option(names = "--out", description = "Markdown report (default: benchmarks/results/vpn.md); the PNG charts "
            + "go beside it (NAME-throughput.png, -cpu, -latency).")
    Path out;

    @Option(names = "--readme", description = "Also replace the benchmark section of this README.")
    Path readme;

    @Option(names = "--smoke", description = "Check the harness, not the speed: one round of 1-second runs, no "
            + "warm-up, a few cases on the running JDK only; unless --out is given, the report goes to a "
            + "temporary directory.")
    boolean smoke;

    private final PrintStream console;

    public VpnBenchmark() {
        this(System.out);
    }

    VpnBenchmark(PrintStream console) {
        this.console = console;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new VpnBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<VpnCase.Jdk> jdks = new ArrayList<>();
        if (jdkHomes != null) {
            for (Path home : jdkHomes) {
                jdks.add(VpnCase.Jdk.at(home));
            }
        } else {
            jdks.addAll(smoke ? List.of(VpnCase.Jdk.current()) : VpnCase.Jdk.newestAnd17());
        }
        if (smoke) {
            seconds = 1;
            warmup = 0;
            rounds = 1;
        }
        if (out == null) {
            out = smoke ? Files.createTempDirectory("vpn-smoke").resolve("vpn.md")
                    : Paths.get("benchmarks/results/vpn.md");
        }
        if (wireguardGoModern == null) {
            wireguardGoModern = WireGuardGo.modern();
        } else if (!Files.isExecutable(wireguardGoModern)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--wireguard-go-modern "
                    + wireguardGoModern + ": not an executable file");
        }
        List<String> names = new ArrayList<>(cases != null ? cases : smoke ? SMOKE_CASES : DEFAULT_CASES);
        if (wireguardGoModern == null && names.remove(VpnReport.MODERN)) {
            console.println("note: no upstream wireguard-go (--wireguard-go-modern, $WIREGUARD_GO_MODERN or "
                    + "shared/tools/wireguard-go-modern beside the checkout); its case is skipped");
        }
        List<VpnCase> all = VpnCase.parse(names, jdks);
        requireTools(all);
        console.printf(Locale.ROOT, "%d cases x %d rounds, %d s per run after %d s warm-up; our JDKs: %s%n",
                all.size(), rounds, seconds, warmup, jdks);
        List<VpnReport.Run> runs = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        Progress progress = new Progress(all.size() * rounds);
        try (VpnSetup.Shared shared = new VpnSetup.Shared(System.getProperty("java.class.path"), jvmArgs,
                wireguardGoModern == null ? null : wireguardGoModern.toString())) {
            for (int round = 1; round <= rounds; round++) {
                for (VpnCase c : all) {
                    progress.begin(String.format(Locale.ROOT, "round %d/%d %-26s", round, rounds, c.name));
                    try {
                        runs.add(runOnce(c, round, shared, progress));
                    } catch (Exception e) {
                        failures.add("round " + round + ' ' + c.name + ": " + e.getMessage());
                        progress.end("FAILED: " + e.getMessage());
                    }
                }
            }
        }
        VpnReport report = new VpnReport(all, jdks, runs, failures, seconds, warmup, rounds, pingInterval,
                commandLine());
        report.wireguardGoModern = wireguardGoModern == null ? null : wireguardGoModern.toString();
        Path written = report.write(out);
        console.println();
        console.println(report.tables());
        console.println("wrote " + written + " and its charts");
        if (readme != null) {
            report.updateReadme(readme, out);
            console.println("updated " + readme);
        }
        if (!failures.isEmpty()) {
            console.println(failures.size() + " runs failed:");
            failures.forEach(f -> console.println("  " + f));
            return 1;
        }
        return 0;
    }

    private VpnReport.Run runOnce(VpnCase c, int round, VpnSetup.Shared shared, Progress progress) throws Exception {
        progress.part("set-up");
        try (VpnSetup setup = new VpnSetup(c, shared)) {
            try {
                if (warmup > 0) {
                    progress.part("warm-up " + warmup + " s");
                    setup.warmUp(warmup);
                }
                progress.part("1 stream + ping, 4 streams: " + 2 * seconds + " s");
                VpnSetup.Result r = setup.measure(seconds, pingInterval);
                VpnReport.Run run = new VpnReport.Run(c.name, round, r);
                progress.end(String.format(Locale.ROOT,
                        "1: %6.3f Gbit/s, 4: %6.3f Gbit/s, ping %6.2f/%6.2f ms, %5.1f CPU-s/GB",
                        run.gbit1, run.gbit4, run.pingMedian, run.pingP99, run.cpuMachine1));
                return run;
            } catch (Exception e) {
                throw new Exception(e.getMessage() + "\n" + setup.logs(), e);
            }
        }
    }

    private static void requireTools(List<VpnCase> cases) {
        List<String> missing = new ArrayList<>();
        need(missing, "iperf3", "iperf3");
        need(missing, "ping", "iputils-ping");
        for (VpnCase c : cases) {
            if (c.uses(VpnCase.Kind.WIREGUARD_GO)) {
                need(missing, "wireguard-go", "wireguard-go");
            }
            if (c.uses(VpnCase.Kind.WIREGUARD_GO) || c.uses(VpnCase.Kind.WIREGUARD_GO_MODERN)) {
                need(missing, "wg", "wireguard-tools");
            }
            if (c.uses(VpnCase.Kind.OPENVPN)) {
                need(missing, "openvpn", "openvpn");
                need(missing, "openssl", "openssl");
            }
        }
        if (!missing.isEmpty()) {
            throw new CommandLine.ParameterException(new CommandLine(new VpnBenchmark()),
                    "missing tools; install the Debian packages: apt-get install " + String.join(" ", missing));
        }
    }

    private static void need(List<String> missing, String tool, String debianPackage) {
        if (!io.github.nettytun.testing.WireGuardGo.onPath(tool) && !missing.contains(debianPackage)) {
            missing.add(debianPackage);
        }
    }

    private String commandLine() {
        StringBuilder sb = new StringBuilder("sudo ./benchmarks/run-vpn-benchmark.sh");
        if (smoke) {
            sb.append(" --smoke");
        } else {
            sb.append(" --seconds ").append(seconds).append(" --warmup ").append(warmup).append(" --rounds ")
                    .append(rounds);
        }
        if (cases != null) {
            sb.append(" --cases ").append(String.join(",", cases));
        }
        for (String arg : jvmArgs) {
            sb.append(" --jvm-arg ").append(arg);
        }
        return sb.toString();
    }

    /** One line per step: where the run is, how long it has taken and about how long is left. */
    private final class Progress {
        private final long start = System.nanoTime();
        private final int total;
        private int done;

        Progress(int total) {
            this.total = total;
        }

        void begin(String what) {
            long elapsed = System.nanoTime() - start;
            String left = done == 0 ? "?" : duration(elapsed / done * (total - done));
            console.printf(Locale.ROOT, "[%2d/%d %s elapsed, ~%s left] %s ", done + 1, total, duration(elapsed),
                    left, what);
            console.flush();
        }

        void part(String what) {
            console.print(what + "... ");
            console.flush();
        }

        void end(String result) {
            done++;
            console.println(result);
        }

        private String duration(long nanos) {
            long s = TimeUnit.NANOSECONDS.toSeconds(nanos);
            return s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
        }
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks.tun;

import io.github.nettytun.benchmarks.Medians;
import io.github.nettytun.channel.tun.TunAddress;
import io.github.nettytun.channel.tun.TunChannel;
import io.github.nettytun.channel.tun.TunChannelOption;
import io.github.nettytun.channel.tun.TunOffloads;
import io.github.nettytun.channel.tun.epoll.EpollTunChannel;
import io.github.nettytun.channel.tun.uring.IoUringTunChannel;
import io.github.nettytun.channel.tun.uring.IoUringTunChannelOption;
import io.github.nettytun.testing.TemporaryNetns;
import io.github.nettytun.testing.TunBridge;
import io.github.nettytun.handler.codec.offload.TunGroCoalescer;
import io.github.nettytun.handler.codec.offload.TunGsoSegmenter;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.util.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Packets and bits per second through TUN channels, measured with the kernel's own traffic.
 *
 * <pre>
 *  netns A                         this JVM                         netns B
 *  iperf3 -c --> tunA ==read==> [TunChannel A]--write-->[TunChannel B] ==write==> tunB --> iperf3 -s
 *                      <==write== [bridge]     <--read--              <==read==
 * </pre>
 *
 * Every packet crosses two channels: read from one device, written to the other. Modes: {@code plain} (no virtio
 * header), {@code offload} (IFF_VNET_HDR: super-packets cross unchanged, the pass-through forwarder) and
 * {@code gro-gso} (IFF_VNET_HDR with the codecs: each super-packet read is cut into MTU-sized packets by
 * {@code TunGsoSegmenter} and the packets written are coalesced again by {@code TunGroCoalescer}, the forwarding
 * path of a VPN). With {@code --veth} each round also measures the same iperf3 run over a plain veth pair between
 * the two namespaces, the kernel's own limit on this machine. Workloads: {@code udp1400} (iperf3 UDP at full speed, 1400-byte IP packets:
 * the packet-rate case) and {@code tcp} (one iperf3 TCP stream: the throughput case, where offload turns 1500-byte
 * packets into 64 KiB super-packets). Modes run interleaved (A B A B ...) so that machine noise hits all of them;
 * the report gives medians and ratios.
 */
@Command(name = "tun-bridge-benchmark", mixinStandardHelpOptions = true,
        description = "Packets/s, Gbit/s and CPU per GB through two TUN channels bridging two namespaces.")
public final class TunBridgeBenchmark implements Callable<Integer> {

    @Option(names = "--transports", split = ",", defaultValue = "epoll,io_uring,io_uring-reads",
            description = "Transports: epoll, io_uring (poll first, the default mode), io_uring-reads (POLL_FIRST off:"
                    + " READS_IN_FLIGHT reads wait on the device).")
    List<String> transports;

    @Option(names = "--modes", split = ",", defaultValue = "plain,offload,gro-gso",
            description = "plain (no virtio header), offload (IFF_VNET_HDR, TSO/USO, super-packets forwarded as they"
                    + " are), gro-gso (IFF_VNET_HDR, segmented by TunGsoSegmenter, coalesced by TunGroCoalescer).")
    List<String> modes;

    @Option(names = "--veth", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also measure a plain veth pair between the namespaces in every round (the reference).")
    boolean veth;

    @Option(names = "--workloads", split = ",", defaultValue = "udp1400,tcp", description = "udp1400, tcp.")
    List<String> workloads;

    @Option(names = "--seconds", defaultValue = "5", description = "Length of each iperf3 run.")
    int seconds;

    @Option(names = "--rounds", defaultValue = "3", description = "Interleaved rounds; medians are reported.")
    int rounds;

    @Option(names = "--threads", defaultValue = "1", description = "Event loop threads for the two channels.")
    int threads;

    @Option(names = "--out", description = "Markdown report to write (a PNG chart goes beside it).")
    Path out;

    /** One measured run. */
    static final class Run {
        final String transport;
        final String mode;
        final String workload;
        final double packetsPerSecond;
        final double gbitPerSecond;
        final double cpuSecondsPerGb;
        final double lostPercent;
        final double allocatedBytesPerPacket;
        final int ioWorkers;

        Run(String transport, String mode, String workload, double packetsPerSecond, double gbitPerSecond,
            double cpuSecondsPerGb, double lostPercent, double allocatedBytesPerPacket, int ioWorkers) {
            this.transport = transport;
            this.mode = mode;
            this.workload = workload;
            this.packetsPerSecond = packetsPerSecond;
            this.gbitPerSecond = gbitPerSecond;
            this.cpuSecondsPerGb = cpuSecondsPerGb;
            this.lostPercent = lostPercent;
            this.allocatedBytesPerPacket = allocatedBytesPerPacket;
            this.ioWorkers = ioWorkers;
        }

        String key() {
            return transport + '/' + mode + '/' + workload;
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new TunBridgeBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<Run> runs = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            if (veth) {
                try (VethSetup setup = new VethSetup()) {
                    for (String workload : workloads) {
                        Run run = setup.measure(workload, seconds);
                        runs.add(run);
                        System.out.printf(Locale.ROOT, "round %d %-8s %-8s %-8s %7.3f Gbit/s%n", round, "-", "veth",
                                workload, run.gbitPerSecond);
                    }
                }
            }
            for (String transport : transports) {
                for (String mode : modes) {
                    try (Setup setup = new Setup(transport, mode, threads)) {
                        for (String workload : workloads) {
                            Run run = setup.measure(workload, seconds);
                            runs.add(run);
                            System.out.printf(Locale.ROOT, "round %d %-8s %-8s %-8s %12.0f packets/s %7.3f Gbit/s "
                                            + "%6.2f CPU-s/GB lost %.2f%% %6.1f B/packet iou-wrk %d%n", round, transport,
                                    mode, workload, run.packetsPerSecond, run.gbitPerSecond, run.cpuSecondsPerGb,
                                    run.lostPercent, run.allocatedBytesPerPacket, run.ioWorkers);
                        }
                    }
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
            BarChart.write(png, "Through two TUN channels (medians, Gbit/s)", medians(runs, r -> r.gbitPerSecond));
            System.out.println("wrote " + out + " and " + png);
        }
        return 0;
    }

    /** Two namespaces, two devices, two channels bridging them, and an iperf3 server in B. */
    private static final class Setup implements AutoCloseable {
        private static final InetAddress ADDRESS_A = address("10.201.0.1");
        private static final InetAddress ADDRESS_B = address("10.201.0.2");

        private final String transport;
        private final String mode;
        private final EventLoopGroup group;
        private final TemporaryNetns a;
        private final TemporaryNetns b;
        private final TunBridge fromA = new TunBridge();
        private final TunBridge fromB = new TunBridge();
        private TunChannel tunA;
        private TunChannel tunB;
        /** The codecs of gro-gso mode, whose counters the run prints. */
        private final List<Object> codecs = new java.util.concurrent.CopyOnWriteArrayList<>();

        Setup(String transport, String mode, int threads) throws Exception {
            this.transport = transport;
            this.mode = mode;
            this.group = new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory(transport));
            TemporaryNetns nsA = null;
            TemporaryNetns nsB = null;
            try {
                nsA = TemporaryNetns.create();
                nsB = TemporaryNetns.create();
                this.a = nsA;
                this.b = nsB;
                tunA = bind(a, "benchA", fromA);
                tunB = bind(b, "benchB", fromB);
                tunA.device().addAddress(ADDRESS_A, 24).up();
                tunB.device().addAddress(ADDRESS_B, 24).up();
                fromA.connect(tunB);
                fromB.connect(tunA);
                Process server = b.spawn("iperf3", "-s", "--forceflush", "-B", ADDRESS_B.getHostAddress());
                waitForServer(b, server);
            } catch (Exception | Error e) {
                closeQuietly(nsA, nsB);
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                throw e;
            }
        }

        private TunChannel bind(TemporaryNetns ns, String name, TunBridge bridge) throws Exception {
            boolean offload = !"plain".equals(mode);
            ChannelHandler handler = bridge;
            if ("gro-gso".equals(mode)) {
                handler = new ChannelInitializer<TunChannel>() {
                    @Override
                    protected void initChannel(TunChannel ch) {
                        TunGroCoalescer coalescer = new TunGroCoalescer();
                        TunGsoSegmenter segmenter = new TunGsoSegmenter();
                        codecs.add(coalescer);
                        codecs.add(segmenter);
                        ch.pipeline().addLast(coalescer, segmenter, bridge);
                    }
                };
            } else if (!"plain".equals(mode) && !"offload".equals(mode)) {
                throw new IllegalArgumentException("unknown mode " + mode);
            }
            Bootstrap bootstrap = new Bootstrap().group(group).channel(channelClass(transport))
                    .option(TunChannelOption.IFF_VNET_HDR, offload)
                    .handler(handler);
            if (transport.startsWith("io_uring")) {
                bootstrap.option(IoUringTunChannelOption.POLL_FIRST, !"io_uring-reads".equals(transport));
            }
            TunChannel tun = ns.call(() -> (TunChannel) bootstrap.bind(new TunAddress(name)).sync().channel());
            if (offload && (tun.config().getAcceptedOffloads() & TunOffloads.REQUIRED) != TunOffloads.REQUIRED) {
                throw new IllegalStateException("offload mode without TSO: " + tun.config().getAcceptedOffloads());
            }
            return tun;
        }

        Run measure(String workload, int seconds) throws Exception {
            String[] cmd = iperfClient(ADDRESS_B, workload, seconds);
            long packets0 = fromA.packets();
            long bytes0 = fromA.bytes();
            long both0 = packets0 + fromB.packets();
            long alloc0 = allocatedBytes();
            long cpu0 = processCpuNanos();
            long t0 = System.nanoTime();
            IoWorkerSampler workers = new IoWorkerSampler();
            String json;
            try {
                json = a.exec(cmd);
            } finally {
                workers.stop();
            }
            double elapsed = (System.nanoTime() - t0) / 1e9;
            long cpu = processCpuNanos() - cpu0;
            long allocated = allocatedBytes() - alloc0;
            long both = fromA.packets() + fromB.packets() - both0;
            long packets = fromA.packets() - packets0;
            long bytes = fromA.bytes() - bytes0;
            Map<String, Double> received = jsonObject(json, "sum_received");
            if (!fromA.errors().isEmpty() || !fromB.errors().isEmpty()) {
                throw new IllegalStateException("bridge errors: " + fromA.errors() + fromB.errors());
            }
            double gbit = received.get("bits_per_second") / 1e9;
            double lost = received.getOrDefault("lost_percent", 0.0);
            for (Object codec : codecs) {
                System.out.println("  " + codec);
            }
            return new Run(transport, mode, workload, packets / elapsed, gbit, (cpu / 1e9) / (bytes / 1e9), lost,
                    (double) allocated / both, workers.max());
        }

        @Override
        public void close() {
            try {
                if (tunA != null) {
                    tunA.close().syncUninterruptibly();
                }
                if (tunB != null) {
                    tunB.close().syncUninterruptibly();
                }
            } finally {
                closeQuietly(a, b);
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
    }

    static String[] iperfClient(InetAddress server, String workload, int seconds) {
        List<String> cmd = new ArrayList<>(List.of("iperf3", "-c", server.getHostAddress(),
                "-t", Integer.toString(seconds), "-J"));
        if ("udp1400".equals(workload)) {
            cmd.addAll(List.of("-u", "-b", "0", "-l", Integer.toString(1400 - 28)));
        } else if (!"tcp".equals(workload)) {
            throw new IllegalArgumentException("unknown workload " + workload);
        }
        return cmd.toArray(new String[0]);
    }

    /**
     * The reference: the two namespaces joined by a veth pair (MTU 1500, the kernel's default offloads), no TUN and
     * no JVM on the path. The pair is created inside namespace A with its peer placed in B, so the machine's own
     * namespace is never touched.
     */
    private static final class VethSetup implements AutoCloseable {
        private static final InetAddress ADDRESS_A = address("10.202.0.1");
        private static final InetAddress ADDRESS_B = address("10.202.0.2");

        private final TemporaryNetns a;
        private final TemporaryNetns b;

        VethSetup() throws Exception {
            TemporaryNetns nsA = null;
            TemporaryNetns nsB = null;
            try {
                nsA = TemporaryNetns.create();
                nsB = TemporaryNetns.create();
                nsA.veth("vethA", ADDRESS_A, nsB, "vethB", ADDRESS_B, 24);
                Process server = nsB.spawn("iperf3", "-s", "--forceflush", "-B", ADDRESS_B.getHostAddress());
                waitForServer(nsB, server);
            } catch (Exception | Error e) {
                closeQuietly(nsA, nsB);
                throw e;
            }
            a = nsA;
            b = nsB;
        }

        Run measure(String workload, int seconds) throws Exception {
            String json = a.exec(iperfClient(ADDRESS_B, workload, seconds));
            Map<String, Double> received = jsonObject(json, "sum_received");
            return new Run("-", "veth", workload, Double.NaN, received.get("bits_per_second") / 1e9, Double.NaN,
                    received.getOrDefault("lost_percent", 0.0), Double.NaN, 0);
        }

        @Override
        public void close() {
            closeQuietly(a, b); // deleting A's end removes the pair
        }
    }

    static IoHandlerFactory ioHandlerFactory(String transport) {
        switch (transport) {
            case "epoll": return EpollIoHandler.newFactory();
            case "io_uring":
            case "io_uring-reads": return IoUringIoHandler.newFactory();
            default: throw new IllegalArgumentException("unknown transport " + transport);
        }
    }

    static Class<? extends TunChannel> channelClass(String transport) {
        switch (transport) {
            case "epoll": return EpollTunChannel.class;
            case "io_uring":
            case "io_uring-reads": return IoUringTunChannel.class;
            default: throw new IllegalArgumentException("unknown transport " + transport);
        }
    }

    /**
     * Counts this process's io_uring worker threads ({@code iou-wrk-*} in {@code /proc/self/task/}) every 50 ms
     * while a run goes on: they appear if the kernel hands requests to io-wq instead of completing them inline or
     * through its internal poll.
     */
    private static final class IoWorkerSampler {
        private final Thread thread;
        private volatile boolean running = true;
        private volatile int max;

        IoWorkerSampler() {
            thread = new Thread(() -> {
                while (running) {
                    max = Math.max(max, count());
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "io-worker-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        private static int count() {
            int n = 0;
            try (java.util.stream.Stream<Path> tasks = Files.list(Paths.get("/proc/self/task"))) {
                for (Path task : (Iterable<Path>) tasks::iterator) {
                    try {
                        if (Files.readString(task.resolve("comm")).startsWith("iou-wrk")) {
                            n++;
                        }
                    } catch (IOException gone) {
                        // the thread ended while we looked
                    }
                }
            } catch (IOException e) {
                return n;
            }
            return n;
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join();
        }

        int max() {
            return max;
        }
    }

    static void waitForServer(TemporaryNetns ns, Process server) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!ns.log(server).contains("Server listening")) {
            if (!server.isAlive() || System.nanoTime() > deadline) {
                throw new IOException("iperf3 server did not start: " + ns.log(server));
            }
            Thread.sleep(20);
        }
    }

    static void closeQuietly(TemporaryNetns... namespaces) {
        for (TemporaryNetns ns : namespaces) {
            if (ns != null) {
                try {
                    ns.close();
                } catch (IOException e) {
                    System.err.println("cleanup of " + ns + " failed: " + e.getMessage());
                }
            }
        }
    }

    /** Bytes allocated so far by the JVM's live threads (the event loops do nearly all of it here). */
    static long allocatedBytes() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long bytes : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            sum += Math.max(bytes, 0);
        }
        return sum;
    }

    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** The numeric fields of a flat JSON object named {@code name} (iperf3's {@code end.sum_received}). */
    static Map<String, Double> jsonObject(String json, String name) {
        Matcher object = Pattern.compile('"' + Pattern.quote(name) + "\"\\s*:\\s*\\{([^{}]*)}").matcher(json);
        if (!object.find()) {
            throw new IllegalArgumentException("no \"" + name + "\" in iperf3 output: " + json);
        }
        Map<String, Double> fields = new LinkedHashMap<>();
        Matcher field = Pattern.compile("\"(\\w+)\"\\s*:\\s*(-?[0-9.eE+-]+)").matcher(object.group(1));
        while (field.find()) {
            fields.put(field.group(1), Double.parseDouble(field.group(2)));
        }
        return fields;
    }

    private static Map<String, Double> medians(List<Run> runs, java.util.function.ToDoubleFunction<Run> metric) {
        return Medians.of(runs, Run::key, metric);
    }

    private String report(List<Run> runs) throws IOException {
        Map<String, Double> pps = medians(runs, r -> r.packetsPerSecond);
        Map<String, Double> gbit = medians(runs, r -> r.gbitPerSecond);
        Map<String, Double> cpu = medians(runs, r -> r.cpuSecondsPerGb);
        Map<String, Double> lost = medians(runs, r -> r.lostPercent);
        Map<String, Double> alloc = medians(runs, r -> r.allocatedBytesPerPacket);
        Map<String, Double> workers = new LinkedHashMap<>();
        for (Run r : runs) {
            workers.merge(r.key(), (double) r.ioWorkers, Math::max);
        }
        StringBuilder sb = new StringBuilder();
        sb.append("# TUN bridge benchmark\n\n");
        sb.append("Two namespaces joined by two TUN devices and two TunChannels in one JVM (").append(threads)
                .append(" event-loop thread(s)); iperf3 from A to B; ").append(seconds).append(" s per run, ")
                .append(rounds).append(" interleaved rounds, medians.\n\n");
        sb.append("- date: ").append(Instant.now()).append('\n');
        sb.append("- machine: ").append(machine()).append('\n');
        sb.append("- JDK: ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.runtime.version")).append(" (")
                .append(System.getProperty("java.vendor")).append(")\n");
        sb.append("- Netty: ").append(Version.identify().get("netty-transport").artifactVersion())
                .append("; ").append(iperfVersion()).append('\n');
        sb.append("- command: `java -cp benchmarks/target/benchmarks.jar ")
                .append(TunBridgeBenchmark.class.getName()).append(" --transports ")
                .append(String.join(",", transports)).append(" --modes ").append(String.join(",", modes))
                .append(" --workloads ").append(String.join(",", workloads)).append(" --seconds ").append(seconds)
                .append(" --rounds ").append(rounds).append(" --threads ").append(threads).append("`\n\n");
        sb.append("TUN packets/s counts the packets the sending side's bridge forwards (each is one write on the"
                + " other channel): with offload a super-packet, in gro-gso mode a segment. veth has no JVM on its"
                + " path, hence no packet, CPU or allocation figures. Gbit/s is iperf3's receiver goodput. CPU-s/GB is this"
                + " JVM's CPU time per GB of IP packets bridged (iperf3's own CPU is not included). B/packet is what"
                + " the JVM allocated per packet read (both directions; each is also written once). iou-wrk is the"
                + " most io_uring worker threads seen in this process during any of the runs.\n\n");
        sb.append("| transport | mode | workload | TUN packets/s | Gbit/s | CPU-s/GB | UDP loss % | B/packet |"
                + " iou-wrk |\n");
        sb.append("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (String key : pps.keySet()) {
            String[] p = key.split("/");
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.3f | %s | %.1f | %s | %.0f |%n",
                    p[0], p[1], p[2], orDash("%,.0f", pps.get(key)), gbit.get(key), orDash("%.2f", cpu.get(key)),
                    lost.get(key), orDash("%.1f", alloc.get(key)), workers.get(key)));
        }
        if (transports.contains("epoll") && transports.size() > 1) {
            sb.append("\nRatios to epoll (medians; CPU-s/GB below 1 means less CPU than epoll):\n\n"
                    + "| transport | mode | workload | packets/s | Gbit/s | CPU-s/GB |\n|---|---|---|---:|---:|---:|\n");
            for (String t : transports) {
                if ("epoll".equals(t)) {
                    continue;
                }
                for (String m : modes) {
                    for (String w : workloads) {
                        String u = t + '/' + m + '/' + w;
                        String e = "epoll/" + m + '/' + w;
                        sb.append(String.format(Locale.ROOT, "| %s / epoll | %s | %s | %.2f | %.2f | %.2f |%n", t, m,
                                w, pps.get(u) / pps.get(e), gbit.get(u) / gbit.get(e), cpu.get(u) / cpu.get(e)));
                    }
                }
            }
        }
        if (modes.contains("plain")) {
            sb.append("\nRatios to plain (medians; offload = super-packets forwarded unchanged, gro-gso = segmented and"
                    + " coalesced again by the codecs):\n\n| transport | mode / plain | workload | Gbit/s | CPU-s/GB |\n"
                    + "|---|---|---|---:|---:|\n");
            for (String t : transports) {
                for (String m : modes) {
                    if ("plain".equals(m)) {
                        continue;
                    }
                    for (String w : workloads) {
                        String on = t + '/' + m + '/' + w;
                        String off = t + "/plain/" + w;
                        sb.append(String.format(Locale.ROOT, "| %s | %s / plain | %s | %.2f | %.2f |%n", t, m, w,
                                gbit.get(on) / gbit.get(off), cpu.get(on) / cpu.get(off)));
                    }
                }
            }
        }
        if (veth) {
            sb.append("\nGbit/s as a fraction of raw veth in the same rounds (medians):\n\n| transport | mode |"
                    + " workload | of veth |\n|---|---|---|---:|\n");
            for (String t : transports) {
                for (String m : modes) {
                    for (String w : workloads) {
                        sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2f |%n", t, m, w,
                                gbit.get(t + '/' + m + '/' + w) / gbit.get("-/veth/" + w)));
                    }
                }
            }
        }
        sb.append("\nAll runs:\n\n| transport | mode | workload | packets/s | Gbit/s | CPU-s/GB |\n|---|---|---|---:|"
                + "---:|---:|\n");
        for (Run r : runs) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.3f | %s |%n", r.transport, r.mode,
                    r.workload, orDash("%,.0f", r.packetsPerSecond), r.gbitPerSecond,
                    orDash("%.2f", r.cpuSecondsPerGb)));
        }
        return sb.toString();
    }

    /** A number, or "-" where the run has none (veth: no JVM on the path). */
    private static String orDash(String format, double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, format, value);
    }

    static String machine() throws IOException {
        String model = "unknown CPU";
        for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"), StandardCharsets.US_ASCII)) {
            if (line.startsWith("model name")) {
                model = line.substring(line.indexOf(':') + 1).trim();
                break;
            }
        }
        return "Linux " + System.getProperty("os.version") + ", " + Runtime.getRuntime().availableProcessors()
                + " cores (" + model + ")";
    }

    static String iperfVersion() {
        try {
            Process p = new ProcessBuilder("iperf3", "--version").redirectErrorStream(true).start();
            String first = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")[0];
            p.waitFor();
            return first.trim();
        } catch (IOException | InterruptedException e) {
            return "iperf3 (version unknown)";
        }
    }

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.channel.tun.TunChannel;
import io.github.nettytun.channel.tun.TunOffloads;
import io.github.nettytun.channel.tun.epoll.EpollTunChannel;
import io.github.nettytun.channel.tun.uring.IoUringTunChannel;
import io.github.nettytun.handler.vpn.wireguard.PeerConfig;
import io.github.nettytun.handler.vpn.wireguard.WireGuardDevice;
import io.github.nettytun.handler.vpn.wireguard.WireGuardOptions;
import io.github.nettytun.handler.vpn.wireguard.WireGuardTunnel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutorGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A WireGuard server that reads a {@code wg-quick} configuration, brings the interface up as {@code wg-quick up}
 * would (addresses, MTU, a route per peer's allowed IPs), serves the {@code wg} tool's UAPI socket, logs
 * handshakes, and removes everything on SIGINT/SIGTERM:
 *
 * <pre>
 * sudo java -jar examples/target/netty-tun-examples.jar wireguard /etc/wireguard/wg0.conf
 * sudo wg show wg0
 * </pre>
 *
 * The interface is named after the file ({@code wg0.conf} -> {@code wg0}) unless {@code --interface} says
 * otherwise.
 */
@Command(name = "wireguard", mixinStandardHelpOptions = true,
        description = "Run a WireGuard interface from a wg-quick configuration file (stop with Ctrl-C).")
public final class WireGuardServer implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "CONFIG", description = "The wg-quick configuration file.")
    Path config;

    @Option(names = "--interface", description = "Interface name (default: the file's name without .conf).")
    String interfaceName;

    @Option(names = "--transport", defaultValue = "auto",
            description = "epoll, io_uring or auto (epoll when available; io_uring measured ~1.1x faster on JDK 25 "
                    + "with offload, slower on JDK 17: benchmarks/results/vpn.md).")
    String transport;

    @Option(names = "--offload", defaultValue = "auto",
            description = "on, off or auto (on: TSO/USO super-packets, segmented and coalesced in Java).")
    String offload;

    @Option(names = "--uapi", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Serve /var/run/wireguard/<interface>.sock for the wg tool (default on).")
    boolean uapi;

    @Option(names = "--stats-interval", defaultValue = "60", paramLabel = "SECONDS",
            description = "Print the counters (traffic, handshakes, drops by reason) every SECONDS when they changed;"
                    + " 0: never. kill -USR1 prints them at once, with a line per peer. Default 60.")
    long statsInterval;

    @Option(names = "--handshake-work-percent", defaultValue = "25", paramLabel = "PERCENT",
            description = "With --handshake-threads 0: share of the event loop handshake work (Diffie-Hellman) may "
                    + "take in each 100 ms; beyond it handshakes are dropped and cookies required (1-100, default 25).")
    int handshakeWorkPercent;

    /** Initiations that may wait for a handshake thread (wireguard-go: 4096 for all its workers). */
    private static final int HANDSHAKE_QUEUE = 1024;

    @Option(names = "--handshake-threads", defaultValue = "1", paramLabel = "N",
            description = "Threads for handshake Diffie-Hellman work, apart from the data path (0-64, default 1); 0 "
                    + "does it on the event loop within --handshake-work-percent.")
    int handshakeThreads;

    @Option(names = "--acl", paramLabel = "FILE",
            description = "Filter the inner packets by the rules in FILE (allow/deny by direction, protocol, "
                    + "addresses, port; see InnerPacketFilter); the stats line counts each rule's packets.")
    Path acl;

    @Option(names = "--metrics", paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics (prometheus_wireguard_exporter's "
                    + "names and labels, plus drops by reason, handshakes, offload counters); e.g. 127.0.0.1:9586. "
                    + "Off by default.")
    String metrics;

    @Option(names = "--pcap", paramLabel = "FILE",
            description = "Record the inner packets, both directions, to FILE (pcap, LINKTYPE_RAW; tcpdump -r FILE): "
                    + "what the interface reads and writes, super-packets as the segments peers see. Owner-only "
                    + "file; stops at 1 GiB. A debugging aid: it costs throughput.")
    Path pcap;

    @Option(names = "--debug", description = "Show the stack trace of a failure (operators get one line without it).")
    boolean debug;

    private final PrintStream out;
    private final PrintStream err;

    public WireGuardServer() {
        this(System.out, System.err);
    }

    WireGuardServer(PrintStream out) {
        this(out, System.err);
    }

    WireGuardServer(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception {
        Running running;
        try {
            running = start();
        } catch (WgQuickConfig.ParseException e) {
            return fail(2, config + ": " + e.getMessage(), e);
        } catch (StartupException e) {
            return fail(e.status, e.getMessage(), e);
        } catch (Exception e) {
            return fail(1, "could not start: " + describe(e), e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        int[] status = {0};
        running.tunnel.tunChannel().closeFuture().addListener(f -> {
            if (!running.closing()) { // not our doing: the interface was deleted underneath, or memory ran out
                Throwable fatal = running.tunnel.device().fatalFailure();
                err.println("netty-tun-wg: " + running.name + ": " + (fatal == null
                        ? "the interface went away (deleted?); stopping"
                        : "out of memory (" + fatal.getMessage()
                        + "); stopping. Raise -XX:MaxDirectMemorySize (netty-tun-wg-jvm.options) if the "
                        + "peer count needs it"));
                status[0] = 1;
                stopped.countDown();
            }
        });
        Thread hook = new Thread(() -> {
            running.close();
            stopped.countDown();
        }, "wireguard-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        handleSignal("USR1", running.stats::printAll);
        handleSignal("HUP", () -> out.println(LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + " " + running.name
                + ": " + running.reload()));
        stopped.await();
        return status[0];
    }

    /**
     * The JVM options the launcher ({@code examples/bin/netty-tun-wg}) starts the server with, from the resource
     * {@code netty-tun-wg-jvm.options} (one per line, {@code #} comments): memory limits, exit on an
     * OutOfMemoryError, Netty's allocator out of its low-memory mode. For tools that start the server themselves.
     */
    public static java.util.List<String> launcherJvmOptions() {
        try (java.io.InputStream in = WireGuardServer.class.getResourceAsStream("/netty-tun-wg-jvm.options")) {
            if (in == null) {
                throw new IllegalStateException("netty-tun-wg-jvm.options is not on the class path");
            }
            java.util.List<String> options = new java.util.ArrayList<>();
            for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                line = line.trim();
                if (!line.isEmpty() && !line.startsWith("#")) {
                    options.add(line);
                }
            }
            return options;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private int fail(int status, String message, Exception e) {
        err.println("netty-tun-wg: " + message);
        if (debug) {
            e.printStackTrace(err);
        } else if (status == 1 && !(e instanceof StartupException)) {
            err.println("netty-tun-wg: (run with --debug for the stack trace)");
        }
        return status;
    }

    /** One line for an unexpected failure: the innermost message, cut. */
    static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        if (root != e && root.getMessage() != null && !message.contains(root.getMessage())) {
            message += ": " + root.getMessage();
        }
        return message.length() <= 300 ? message : message.substring(0, 300) + '…';
    }

    /** {@code kill -SIGNAL} runs {@code action}; quietly nothing where the JDK does not offer it. */
    @SuppressWarnings("restriction")
    private static void handleSignal(String name, Runnable action) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> action.run());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // the JVM uses the signal itself (-Xrs, another VM): no on-demand stats
        }
    }

    /** An expected failure to start: one line for the operator and the exit status (2 bad input, 1 refused). */
    static final class StartupException extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        StartupException(int status, String message, Throwable cause) {
            super(message, cause);
            this.status = status;
        }
    }

    /**
     * Starts the interface in the calling thread's network namespace; nothing is left running when it throws.
     *
     * @throws WgQuickConfig.ParseException when the configuration is malformed (nothing was started)
     */
    public Running start() throws Exception {
        WgQuickConfig cfg;
        try {
            cfg = WgQuickConfig.read(config);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new StartupException(2, config + ": no such file", e);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new StartupException(2, config + ": permission denied", e);
        } catch (java.io.IOException e) {
            throw new StartupException(2, config + ": cannot be read: " + e.getMessage(), e);
        }
        for (String warning : cfg.warnings()) {
            out.println("warning: " + config.getFileName() + ' ' + warning);
        }
        String name = interfaceName != null ? interfaceName
                : config.getFileName().toString().replaceFirst("\\.conf$", "");
        ServerSetup.checkInterfaceName(name);
        boolean useIoUring = ServerSetup.chooseTransport(transport);
        boolean useOffload = ServerSetup.chooseOffload(offload);
        // Resolve endpoints before anything is opened: a name that does not resolve stops the start here.
        java.util.List<PeerConfig> peers = cfg.peers();
        for (int i = 0; i < peers.size(); i++) {
            try {
                peers.get(i).resolveEndpoint();
            } catch (java.net.UnknownHostException e) {
                throw new StartupException(2, config + ": line " + cfg.peerLine(i) + ": [Peer] Endpoint does not "
                        + "resolve: " + e.getMessage(), e);
            }
        }
        InnerPacketFilter filter = acl == null ? null : ServerSetup.readAcl(acl);
        InetSocketAddress metricsAddress = null;
        if (metrics != null) {
            try {
                metricsAddress = MetricsServer.parseAddress(metrics);
            } catch (IllegalArgumentException e) {
                throw new StartupException(2, "--metrics " + ServerSetup.cut(metrics) + ": " + e.getMessage(), e);
            }
        }
        int mtu = cfg.mtu() != null ? cfg.mtu() : 1420;
        if (handshakeWorkPercent < 1 || handshakeWorkPercent > 100) {
            throw new StartupException(2, "--handshake-work-percent " + handshakeWorkPercent + " (expected 1-100)",
                    null);
        }
        if (handshakeThreads < 0 || handshakeThreads > 64) {
            throw new StartupException(2, "--handshake-threads " + handshakeThreads + " (expected 0-64)", null);
        }
        try {
            HookRunner.run("PreUp", cfg.hooks(WgQuickConfig.Hook.PRE_UP), name, out);
        } catch (HookRunner.HookFailedException e) {
            throw new StartupException(1, config + ": " + e.getMessage() + " (nothing was set up)", e);
        }
        WireGuardOptions wgOptions = new WireGuardOptions();
        // Threads start with their first task, so a start that fails before Running owns the group leaves none.
        EventExecutorGroup handshakeGroup = handshakeThreads == 0 ? null
                : new DefaultEventExecutorGroup(handshakeThreads, new DefaultThreadFactory("wg-handshake", true));
        if (handshakeGroup != null) {
            wgOptions.handshakeExecutor(handshakeGroup, HANDSHAKE_QUEUE);
        }
        WireGuardDevice device = new WireGuardDevice(cfg.privateKey(), wgOptions.mtu(mtu)
                .handshakeWorkPercent(handshakeWorkPercent)
                .onHandshake(peer -> out.printf(Locale.ROOT, "%s %s: handshake %d with %s at %s%n",
                        LocalTime.now().truncatedTo(ChronoUnit.SECONDS), name, peer.handshakes(),
                        shortKey(peer.publicKeyBase64()), peer.endpoint())));
        for (PeerConfig p : peers) {
            device.addPeer(p);
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                useIoUring ? IoUringIoHandler.newFactory() : EpollIoHandler.newFactory());
        EventLoopGroup uapiGroup = uapi ? new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory()) : null;
        Running running = new Running(name, group, uapiGroup, handshakeGroup);
        running.config = cfg;
        running.configPath = config;
        try {
            Class<? extends TunChannel> tunClass = useIoUring ? IoUringTunChannel.class : EpollTunChannel.class;
            Class<? extends DatagramChannel> udpClass = useIoUring ? IoUringDatagramChannel.class
                    : EpollDatagramChannel.class;
            WireGuardTunnel.Builder builder = WireGuardTunnel.builder().eventLoop(group.next()).tunChannel(tunClass)
                    .datagramChannel(udpClass).interfaceName(name).offload(useOffload).mtu(mtu)
                    .listenPort(cfg.listenPort());
            for (PeerConfig.Prefix a : cfg.addresses()) {
                builder.address(a.address(), a.length());
            }
            if (RouteSetup.fwmarkFor(cfg) != 0) {
                builder.fwmark(RouteSetup.fwmarkFor(cfg));
            }
            if (pcap != null) {
                // Next to the TUN side: it sees what tcpdump on the interface would, the filter's drops on the way
                // from peers excluded.
                builder.innerHandler("pcap", ServerSetup.openPcap(pcap));
            }
            if (filter != null) {
                builder.innerHandler("acl", filter);
            }
            running.tunnel = ServerSetup.startTunnel(builder, device, name, cfg.listenPort());
            running.routes = RouteSetup.apply(cfg, running.tunnel.tunChannel().device(), config);
            if (uapi) {
                running.uapi = UapiServer.start(device, name,
                        () -> running.tunnel.listenAddress().getPort(), uapiGroup);
            }
            running.stats = new StatsReporter(device, name, out, statsInterval, filter);
            if (metricsAddress != null) {
                try {
                    running.metrics = MetricsServer.start(running.tunnel, name, metricsAddress);
                } catch (java.io.IOException e) {
                    throw new StartupException(1, "--metrics " + metrics + ": cannot listen there: "
                            + describe(e), e);
                }
            }
            try {
                HookRunner.run("PostUp", cfg.hooks(WgQuickConfig.Hook.POST_UP), name, out);
            } catch (HookRunner.HookFailedException e) {
                // As wg-quick: the interface goes again, without the down hooks.
                throw new StartupException(1, config + ": " + e.getMessage() + " (the interface was removed again)",
                        e);
            }
            running.downHooks(cfg.hooks(WgQuickConfig.Hook.PRE_DOWN), cfg.hooks(WgQuickConfig.Hook.POST_DOWN), out);
        } catch (Exception | Error e) {
            running.close();
            throw e;
        }
        int accepted = running.tunnel.tunChannel().config().getAcceptedOffloads();
        StringBuilder extras = new StringBuilder();
        if (uapi) {
            extras.append(", wg tool socket ").append(running.uapi.socket());
        }
        if (running.metrics != null) {
            extras.append(", metrics http://").append(ServerSetup.hostPort(running.metrics.address())).append("/metrics");
        }
        extras.append(running.routes.describe());
        if (filter != null) {
            extras.append(", inner packet rules ").append(acl).append(" (").append(filter.rules().size()).append(')');
        }
        if (pcap != null) {
            extras.append(", recording to ").append(pcap);
        }
        out.printf(Locale.ROOT, "netty-tun WireGuard %s: transport %s, offload %s, JDK %s, cipher %s, listening on "
                        + "UDP %d, public key %s, %d peer(s), handshakes %s%s%n", name,
                useIoUring ? "io_uring" : "epoll",
                useOffload ? "on (kernel accepted " + TunOffloads.toString(accepted) + ')' : "off",
                System.getProperty("java.version")
                        + (io.netty.util.internal.PlatformDependent.hasUnsafe() ? "" : " (Netty without Unsafe)"),
                device.cipher(), running.tunnel.listenAddress().getPort(),
                Base64.getEncoder().encodeToString(device.publicKey()), cfg.peers().size(),
                handshakeThreads == 0 ? "on the event loop (" + handshakeWorkPercent + " %)"
                        : "on " + handshakeThreads + " thread(s)", extras);
        int feature = Runtime.version().feature();
        if (feature < 21 && device.cipher() == io.github.nettytun.handler.vpn.wireguard.TransportCipher
                .Implementation.JDK) {
            out.println("hint: Conscrypt's cipher did not load here, and the JDK's ChaCha20-Poly1305 is about 4x "
                    + "slower on JDK " + feature + " than on JDK 21 and later (benchmarks/results/vpn-cipher.md): run "
                    + "on a newer JDK (JAVA_HOME)");
        }
        return running;
    }

    private static String shortKey(String base64) {
        return base64.substring(0, 8) + '…';
    }

    /** A started interface; {@link #close()} takes it down (the TUN device, its routes and the UAPI socket). */
    public static final class Running implements AutoCloseable {
        private final String name;
        private final EventLoopGroup group;
        private final EventLoopGroup uapiGroup;
        private final EventExecutorGroup handshakeGroup;
        WireGuardTunnel tunnel;
        UapiServer uapi;
        StatsReporter stats;
        MetricsServer metrics;
        RouteSetup routes;
        WgQuickConfig config;
        Path configPath;
        private List<String> preDown = List.of();
        private List<String> postDown = List.of();
        private io.github.nettytun.channel.tun.NetworkNamespace namespace;
        private PrintStream log;
        private volatile boolean closed;

        Running(String name, EventLoopGroup group, EventLoopGroup uapiGroup, EventExecutorGroup handshakeGroup) {
            this.name = name;
            this.group = group;
            this.uapiGroup = uapiGroup;
            this.handshakeGroup = handshakeGroup;
        }

        /** The tunnel (device, channels). */
        public WireGuardTunnel tunnel() {
            return tunnel;
        }

        /** The metrics server's address, or {@code null} without {@code --metrics}. */
        public InetSocketAddress metricsAddress() {
            return metrics != null ? metrics.address() : null;
        }

        /** The UAPI server, or {@code null} with {@code --no-uapi}. */
        public UapiServer uapi() {
            return uapi;
        }

        /** The UDP address the interface listens on. */
        public InetSocketAddress listenAddress() {
            return tunnel.listenAddress();
        }

        /**
         * The PreDown and PostDown commands {@link #close()} runs, in the calling thread's network namespace (close
         * may come from another thread: the shutdown hook's).
         */
        void downHooks(List<String> preDown, List<String> postDown, PrintStream log) throws java.io.IOException {
            if (!preDown.isEmpty() || !postDown.isEmpty()) {
                this.namespace = io.github.nettytun.channel.tun.NetworkNamespace.current();
            }
            this.preDown = preDown;
            this.postDown = postDown;
            this.log = log;
        }

        /** Runs a down hook; a failure is reported and the shutdown goes on (the interface goes regardless). */
        private void runDownHook(String key, List<String> commands) {
            if (commands.isEmpty()) {
                return;
            }
            try {
                namespace.run(() -> HookRunner.run(key, commands, name, log));
            } catch (Exception e) {
                log.println("warning: " + name + ": " + e.getMessage());
            }
        }

        /**
         * Re-reads the configuration file and applies it as {@code wg syncconf} would ({@link ConfigReload}): what
         * SIGHUP does. From any thread; one reload at a time.
         *
         * @return one line for the log: what changed, or why nothing did
         */
        public synchronized String reload() {
            if (closed) {
                return "reload refused: the interface is stopping";
            }
            WgQuickConfig next;
            try {
                next = WgQuickConfig.read(configPath);
            } catch (WgQuickConfig.ParseException e) {
                return "reload refused: " + configPath + ": " + e.getMessage() + "; nothing was reloaded";
            } catch (java.io.IOException e) {
                return "reload refused: " + configPath + " cannot be read (" + e.getMessage() + "); nothing was "
                        + "reloaded";
            }
            try {
                String done = ConfigReload.apply(config, next, tunnel.device(), tunnel.tunChannel().device(),
                        RouteSetup.routeTable(config));
                config = next;
                if (metrics != null) {
                    metrics.refresh();
                }
                return done;
            } catch (ConfigReload.RefusedException e) {
                return "reload refused: " + e.getMessage();
            } catch (Exception e) {
                return "reload failed part way: " + describe(e) + " (run wg show to see the state)";
            }
        }

        /** Whether {@link #close()} was called. */
        boolean closing() {
            return closed;
        }

        /** Idempotent (the shutdown hook and an owner may both call it). */
        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            runDownHook("PreDown", preDown);
            if (routes != null) {
                routes.close(); // the rules outlive the interface; they need it to find its namespace
            }
            if (metrics != null) {
                metrics.close();
            }
            if (stats != null) {
                stats.close();
            }
            try {
                if (uapi != null) {
                    uapi.close();
                }
            } catch (java.io.IOException e) {
                System.err.println("removing the UAPI socket failed: " + e.getMessage());
            } finally {
                if (tunnel != null) {
                    tunnel.close();
                }
                group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
                if (uapiGroup != null) {
                    uapiGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
                }
                if (handshakeGroup != null) {
                    handshakeGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
                }
                if (tunnel != null) {
                    // The interface is gone once the TUN file is closed: as wg-quick, PostDown runs after that.
                    tunnel.tunChannel().closeFuture().syncUninterruptibly();
                }
                runDownHook("PostDown", postDown);
                if (namespace != null) {
                    namespace.close();
                }
            }
        }
    }
}

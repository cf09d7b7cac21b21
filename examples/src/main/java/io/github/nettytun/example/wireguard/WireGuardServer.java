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
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
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

    private final PrintStream out;

    public WireGuardServer() {
        this(System.out);
    }

    WireGuardServer(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        Running running;
        try {
            running = start();
        } catch (WgQuickConfig.ParseException e) {
            System.err.println(config + ": " + e.getMessage());
            return 2;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            running.close();
            stopped.countDown();
        }, "wireguard-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stopped.await();
        return 0;
    }

    /**
     * Starts the interface in the calling thread's network namespace; nothing is left running when it throws.
     *
     * @throws WgQuickConfig.ParseException when the configuration is malformed (nothing was started)
     */
    public Running start() throws Exception {
        WgQuickConfig cfg = WgQuickConfig.read(config);
        for (String warning : cfg.warnings()) {
            out.println("warning: " + config.getFileName() + ' ' + warning);
        }
        String name = interfaceName != null ? interfaceName
                : config.getFileName().toString().replaceFirst("\\.conf$", "");
        boolean useIoUring = chooseTransport();
        boolean useOffload = chooseOffload();
        // Resolve endpoints before anything is opened: a name that does not resolve stops the start here.
        java.util.List<PeerConfig> peers = cfg.peers();
        for (PeerConfig p : peers) {
            p.resolveEndpoint();
        }
        int mtu = cfg.mtu() != null ? cfg.mtu() : 1420;
        WireGuardDevice device = new WireGuardDevice(cfg.privateKey(), new WireGuardOptions().mtu(mtu)
                .onHandshake(peer -> out.printf(Locale.ROOT, "%s %s: handshake %d with %s at %s%n",
                        LocalTime.now().truncatedTo(ChronoUnit.SECONDS), name, peer.handshakes(),
                        shortKey(peer.publicKeyBase64()), peer.endpoint())));
        for (PeerConfig p : peers) {
            device.addPeer(p);
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                useIoUring ? IoUringIoHandler.newFactory() : EpollIoHandler.newFactory());
        EventLoopGroup uapiGroup = uapi ? new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory()) : null;
        Running running = new Running(group, uapiGroup);
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
            running.tunnel = builder.start(device);
            for (PeerConfig p : peers) {
                for (PeerConfig.Prefix prefix : p.allowedIps()) {
                    if (prefix.length() == 0) {
                        out.println("warning: " + name + ": no route for " + prefix + " (a default route through "
                                + "the tunnel needs policy routing for the endpoint; add it yourself)");
                        continue;
                    }
                    running.tunnel.tunChannel().device().addRoute(prefix.address(), prefix.length());
                }
            }
            if (uapi) {
                running.uapi = UapiServer.start(device, name,
                        () -> running.tunnel.listenAddress().getPort(), uapiGroup);
            }
        } catch (Exception | Error e) {
            running.close();
            throw e;
        }
        int accepted = running.tunnel.tunChannel().config().getAcceptedOffloads();
        out.printf(Locale.ROOT, "netty-tun WireGuard %s: transport %s, offload %s, JDK %s, listening on UDP %d, "
                        + "public key %s, %d peer(s)%s%n", name, useIoUring ? "io_uring" : "epoll",
                useOffload ? "on (kernel accepted " + TunOffloads.toString(accepted) + ')' : "off",
                System.getProperty("java.version"), running.tunnel.listenAddress().getPort(),
                Base64.getEncoder().encodeToString(device.publicKey()), cfg.peers().size(),
                uapi ? ", wg tool socket " + running.uapi.socket() : "");
        return running;
    }

    private boolean chooseTransport() {
        switch (transport.toLowerCase(Locale.ROOT)) {
            case "epoll":
                Epoll.ensureAvailability();
                return false;
            case "io_uring":
                IoUring.ensureAvailability();
                return true;
            case "auto":
                return !Epoll.isAvailable() && IoUring.isAvailable();
            default:
                throw new IllegalArgumentException("--transport " + transport + " (expected epoll, io_uring or auto)");
        }
    }

    private boolean chooseOffload() {
        switch (offload.toLowerCase(Locale.ROOT)) {
            case "on":
            case "auto":
                return true; // the kernel's grant is reported; without TSO the codecs pass packets through
            case "off":
                return false;
            default:
                throw new IllegalArgumentException("--offload " + offload + " (expected on, off or auto)");
        }
    }

    private static String shortKey(String base64) {
        return base64.substring(0, 8) + '…';
    }

    /** A started interface; {@link #close()} takes it down (the TUN device, its routes and the UAPI socket). */
    public static final class Running implements AutoCloseable {
        private final EventLoopGroup group;
        private final EventLoopGroup uapiGroup;
        WireGuardTunnel tunnel;
        UapiServer uapi;
        private boolean closed;

        Running(EventLoopGroup group, EventLoopGroup uapiGroup) {
            this.group = group;
            this.uapiGroup = uapiGroup;
        }

        /** The tunnel (device, channels). */
        public WireGuardTunnel tunnel() {
            return tunnel;
        }

        /** The UAPI server, or {@code null} with {@code --no-uapi}. */
        public UapiServer uapi() {
            return uapi;
        }

        /** The UDP address the interface listens on. */
        public InetSocketAddress listenAddress() {
            return tunnel.listenAddress();
        }

        /** Idempotent (the shutdown hook and an owner may both call it). */
        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
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
            }
        }
    }
}

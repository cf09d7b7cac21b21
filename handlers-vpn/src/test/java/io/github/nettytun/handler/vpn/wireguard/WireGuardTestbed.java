/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.channel.tun.TunChannel;
import io.github.nettytun.channel.tun.epoll.EpollTunChannel;
import io.github.nettytun.channel.tun.uring.IoUringTunChannel;
import io.github.nettytun.testing.Closer;
import io.github.nettytun.testing.TemporaryNetns;
import io.github.nettytun.testing.TestRequirements;
import io.github.nettytun.testing.WireGuardGo;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two network namespaces of the test's own, A and B, joined by a veth pair (10.200.0.1/24 in A, 10.200.0.2/24 in
 * B), and the means to run a WireGuard interface in each: ours ({@link #startOurs}) or Debian's wireguard-go
 * configured with {@code wg} ({@link #startWireGuardGo}). Inside the tunnel A is 10.201.0.1/24 and fd01::1/64, B
 * is 10.201.0.2/24 and fd01::2/64. {@link #close()} ends the processes, closes the channels and event loops and
 * deletes both namespaces (and everything in them).
 */
final class WireGuardTestbed implements AutoCloseable {

    static final InetAddress UNDERLAY_A = address("10.200.0.1");
    static final InetAddress UNDERLAY_B = address("10.200.0.2");
    static final InetAddress INNER_A4 = address("10.201.0.1");
    static final InetAddress INNER_B4 = address("10.201.0.2");
    static final InetAddress INNER_A6 = address("fd01::1");
    static final InetAddress INNER_B6 = address("fd01::2");
    static final int PORT_A = 51820;
    static final int PORT_B = 51821;

    private static final AtomicInteger COUNTER = new AtomicInteger();

    /** Our transports. */
    enum Transport {
        EPOLL, IO_URING;

        void requireAvailable() {
            if (this == EPOLL) {
                TestRequirements.require(Epoll.isAvailable(), "epoll unavailable: " + Epoll.unavailabilityCause());
            } else {
                TestRequirements.require(IoUring.isAvailable(),
                        "io_uring unavailable: " + IoUring.unavailabilityCause());
            }
        }

        IoHandlerFactory ioHandlerFactory() {
            return this == EPOLL ? EpollIoHandler.newFactory() : IoUringIoHandler.newFactory();
        }

        Class<? extends TunChannel> tunChannel() {
            return this == EPOLL ? EpollTunChannel.class : IoUringTunChannel.class;
        }

        Class<? extends DatagramChannel> datagramChannel() {
            return this == EPOLL ? EpollDatagramChannel.class : IoUringDatagramChannel.class;
        }
    }

    final Closer resources = new Closer();
    final TemporaryNetns a;
    final TemporaryNetns b;
    private final List<Path> files = new ArrayList<>();

    WireGuardTestbed() throws Exception {
        try {
            a = resources.add(TemporaryNetns.create());
            b = resources.add(TemporaryNetns.create());
            String va = "vwa" + COUNTER.incrementAndGet();
            String vb = "vwb" + COUNTER.get();
            a.veth(va, UNDERLAY_A, b, vb, UNDERLAY_B, 24);
        } catch (Exception e) {
            resources.close();
            throw e;
        }
    }

    static byte[] newPrivateKey() {
        return WireGuardCrypto.generatePrivateKey(new SecureRandom());
    }

    static String base64(byte[] key) {
        return Base64.getEncoder().encodeToString(key);
    }

    /** Starts our interface in {@code ns} with the inner addresses of that side. */
    WireGuardTunnel startOurs(TemporaryNetns ns, Transport transport, boolean offload, WireGuardDevice device,
                              int port) throws Exception {
        transport.requireAvailable();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
        resources.add(() -> group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync());
        boolean sideA = ns == a;
        WireGuardTunnel tunnel = ns.call(() -> WireGuardTunnel.builder()
                .eventLoop(group.next())
                .tunChannel(transport.tunChannel())
                .datagramChannel(transport.datagramChannel())
                .interfaceName("wgn" + COUNTER.incrementAndGet())
                .offload(offload)
                .address(sideA ? INNER_A4 : INNER_B4, 24)
                .address(sideA ? INNER_A6 : INNER_B6, 64)
                .listenPort(port)
                .start(device));
        resources.add(tunnel);
        return tunnel;
    }

    /**
     * Starts Debian's wireguard-go in {@code ns} as the other side's interface, with one peer. Skips (or fails in
     * CI) when wireguard-go or wg is not installed.
     */
    String startWireGuardGo(TemporaryNetns ns, byte[] privateKey, int port, byte[] peerPublicKey, byte[] presharedKey,
                            InetSocketAddress peerEndpoint, String allowedIps) throws Exception {
        return startWireGuardGo(false, ns, privateKey, port, peerPublicKey, presharedKey, peerEndpoint, allowedIps);
    }

    /**
     * As above, with upstream wireguard-go ({@link WireGuardGo#modern()}: UDP GSO/GRO and TUN offloads) when
     * {@code modern}; skips (or fails in CI) when that build is not beside the checkout.
     */
    String startWireGuardGo(boolean modern, TemporaryNetns ns, byte[] privateKey, int port, byte[] peerPublicKey,
                            byte[] presharedKey, InetSocketAddress peerEndpoint, String allowedIps) throws Exception {
        TestRequirements.require(WireGuardGo.installed(),
                "wireguard-go and wg (Debian's wireguard-go and wireguard-tools) are not installed");
        java.nio.file.Path binary = modern ? WireGuardGo.modern() : null;
        TestRequirements.require(!modern || binary != null, "upstream wireguard-go is not there "
                + "($WIREGUARD_GO_MODERN or shared/tools/wireguard-go-modern beside the checkout)");
        boolean sideA = ns == a;
        String ifName = "wgg" + ProcessHandle.current().pid() % 10000 + "x" + COUNTER.incrementAndGet();
        WireGuardGo.start(ns, ifName, modern ? binary.toString() : "wireguard-go");
        List<String> cmd = new ArrayList<>(List.of("wg", "set", ifName, "private-key", keyFile(privateKey),
                "listen-port", Integer.toString(port), "peer", base64(peerPublicKey)));
        if (presharedKey != null) {
            cmd.add("preshared-key");
            cmd.add(keyFile(presharedKey));
        }
        if (peerEndpoint != null) {
            cmd.add("endpoint");
            cmd.add(peerEndpoint.getAddress().getHostAddress() + ':' + peerEndpoint.getPort());
        }
        cmd.add("allowed-ips");
        cmd.add(allowedIps);
        ns.exec(cmd.toArray(new String[0]));
        ns.ip("addr", "add", (sideA ? INNER_A4 : INNER_B4).getHostAddress() + "/24", "dev", ifName);
        ns.ip("addr", "add", (sideA ? INNER_A6 : INNER_B6).getHostAddress() + "/64", "dev", ifName, "nodad");
        ns.ip("link", "set", ifName, "mtu", "1420", "up");
        return ifName;
    }

    /**
     * What {@code wg show IF dump} says of wireguard-go's one peer in {@code ns}: latest handshake (seconds since
     * the epoch, 0 for none), bytes received, bytes sent.
     */
    static long[] wireGuardGoPeer(TemporaryNetns ns, String ifName) throws IOException {
        String[] lines = ns.exec("wg", "show", ifName, "dump").split("\n");
        // interface line, then: public-key preshared-key endpoint allowed-ips latest-handshake rx tx keepalive
        String[] peer = lines[1].split("\t");
        return new long[] {Long.parseLong(peer[4]), Long.parseLong(peer[5]), Long.parseLong(peer[6])};
    }

    private String keyFile(byte[] key) throws IOException {
        Path f = Files.createTempFile("wg-key", ".txt");
        files.add(f);
        Files.writeString(f, base64(key) + "\n");
        return f.toString();
    }

    /** Pings {@code target} from {@code ns} until one reply arrives (at most {@code count} tries, 1 s each). */
    static String ping(TemporaryNetns ns, InetAddress target, int count) throws IOException {
        return ns.exec("ping", "-c", "1", "-w", Integer.toString(count), "-W", "1", target.getHostAddress());
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            resources.close();
        } finally {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        }
    }
}

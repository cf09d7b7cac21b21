/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.channel.tun.epoll.EpollTunChannel;
import io.github.nettytun.handler.vpn.wireguard.PeerConfig;
import io.github.nettytun.handler.vpn.wireguard.WireGuardCrypto;
import io.github.nettytun.handler.vpn.wireguard.WireGuardDevice;
import io.github.nettytun.handler.vpn.wireguard.WireGuardPeer;
import io.github.nettytun.handler.vpn.wireguard.WireGuardTunnel;
import io.github.nettytun.testing.AllowLog;
import io.github.nettytun.testing.Closer;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TemporaryNetns;
import io.github.nettytun.testing.TestRequirements;
import io.github.nettytun.testing.WireGuardGo;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The UAPI endpoint driven by the real {@code wg} tool (wireguard-tools): {@code wg show}, {@code wg set}. */
@Privileged
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UapiServerTest {

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final Closer resources = new Closer();
    private TemporaryNetns ns;
    private EventLoopGroup group;
    private WireGuardDevice device;
    private WireGuardTunnel tunnel;
    private UapiServer uapi;
    private String ifName;
    private final byte[] keyB = WireGuardCrypto.generatePrivateKey(new SecureRandom());
    private final byte[] keyC = WireGuardCrypto.generatePrivateKey(new SecureRandom());
    private final byte[] psk = new byte[32];

    @BeforeEach
    void start() throws Exception {
        TestRequirements.require(WireGuardGo.onPath("wg"),
                "wg (Debian's wireguard-tools) is not installed");
        ns = resources.add(TemporaryNetns.create());
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        resources.add(() -> group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync());
        device = new WireGuardDevice(WireGuardCrypto.generatePrivateKey(new SecureRandom()));
        new SecureRandom().nextBytes(psk);
        device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyB)).presharedKey(psk)
                .allowedIp("10.5.0.2/32").allowedIp("fd05::2/128")
                .endpoint(new InetSocketAddress(InetAddress.getByName("10.6.0.2"), 51821)).persistentKeepalive(25));
        ifName = "wgu" + ProcessHandle.current().pid() % 10000 + "x" + COUNTER.incrementAndGet();
        tunnel = resources.add(ns.call(() -> WireGuardTunnel.builder().eventLoop(group.next())
                .tunChannel(EpollTunChannel.class).datagramChannel(EpollDatagramChannel.class)
                .interfaceName(ifName).listenPort(0).start(device)));
        uapi = UapiServer.start(device, ifName, () -> tunnel.listenAddress().getPort(), group);
        resources.add(uapi);
    }

    @AfterEach
    void stop() throws Exception {
        resources.close();
    }

    private String wg(String... args) throws IOException {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "wg";
        System.arraycopy(args, 0, cmd, 1, args.length);
        return ns.exec(cmd);
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
        return device.eventLoop().submit(task).get(10, TimeUnit.SECONDS);
    }

    private static String b64(byte[] key) {
        return Base64.getEncoder().encodeToString(key);
    }

    @Test
    void socketIsOwnerOnly() throws Exception {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(uapi.socket())));
        assertThrows(IOException.class, () -> UapiServer.start(device, ifName, () -> 0, group),
                "a second server for the same interface is refused");
    }

    @Test
    void wgShowReportsTheDevice() throws Exception {
        // wg show IF dump: the interface line, then one tab-separated line per peer
        List<String> lines = wg("show", ifName, "dump").lines().collect(Collectors.toList());
        assertEquals(2, lines.size(), String.join("\n", lines));
        String[] itf = lines.get(0).split("\t");
        assertEquals(b64(device.privateKey()), itf[0]);
        assertEquals(b64(device.publicKey()), itf[1]);
        assertEquals(Integer.toString(tunnel.listenAddress().getPort()), itf[2]);
        String[] peer = lines.get(1).split("\t");
        assertEquals(b64(WireGuardCrypto.publicKey(keyB)), peer[0]);
        assertEquals(b64(psk), peer[1]);
        assertEquals("10.6.0.2:51821", peer[2]);
        assertEquals("10.5.0.2/32,fd05::2/128", peer[3]);
        assertEquals("0", peer[4], "no handshake yet");
        assertEquals("0", peer[5]);
        assertEquals("0", peer[6]);
        assertEquals("25", peer[7]);
        String human = wg("show", ifName);
        assertTrue(human.contains("peer: " + b64(WireGuardCrypto.publicKey(keyB))), human);
        assertTrue(wg("showconf", ifName).contains("PrivateKey = " + b64(device.privateKey())));
    }

    @Test
    @AllowLog(logger = "io.github.nettytun.example.wireguard.UapiServer", message = "changing the private key",
            reason = "the test asks for a new private key, which a running server refuses")
    void wgSetAddsChangesAndRemovesPeers() throws Exception {
        String pubB = b64(WireGuardCrypto.publicKey(keyB));
        String pubC = b64(WireGuardCrypto.publicKey(keyC));
        wg("set", ifName, "peer", pubC, "allowed-ips", "10.5.0.3/32,fd05::3/128", "endpoint", "[fd06::3]:4000",
                "persistent-keepalive", "15");
        WireGuardPeer c = onLoop(() -> device.peer(WireGuardCrypto.publicKey(keyC)));
        assertNotNull(c, "wg set added the peer");
        assertEquals("[10.5.0.3/32, fd05:0:0:0:0:0:0:3/128]", onLoop(() -> c.allowedIps().toString()));
        assertEquals(new InetSocketAddress(InetAddress.getByName("fd06::3"), 4000), c.endpoint());
        assertEquals(15, c.persistentKeepaliveSeconds());
        assertEquals(c, onLoop(() -> device.route(InetAddress.getByName("10.5.0.3"))), "routes follow");

        // allowed-ips replaces the list; a prefix another peer has moves
        wg("set", ifName, "peer", pubC, "allowed-ips", "10.5.0.0/24,10.5.0.2/32");
        assertEquals("[10.5.0.0/24, 10.5.0.2/32]", onLoop(() -> c.allowedIps().toString()));
        assertEquals(c, onLoop(() -> device.route(InetAddress.getByName("10.5.0.2"))));

        wg("set", ifName, "peer", pubB, "remove");
        assertNull(onLoop(() -> device.peer(WireGuardCrypto.publicKey(keyB))), "wg set ... remove");
        assertFalse(wg("show", ifName, "peers").contains(pubB));
        assertTrue(wg("show", ifName, "peers").contains(pubC));

        // what the server cannot do is refused with an error, and changes nothing
        Path otherKey = Files.createTempFile("wg-key", ".txt");
        try {
            Files.writeString(otherKey, b64(WireGuardCrypto.generatePrivateKey(new SecureRandom())) + "\n");
            byte[] before = device.privateKey();
            assertThrows(IOException.class, () -> wg("set", ifName, "private-key", otherKey.toString()));
            assertTrue(Arrays.equals(before, device.privateKey()));
        } finally {
            Files.deleteIfExists(otherKey);
        }
    }
}

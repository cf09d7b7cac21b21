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
import io.github.nettytun.testing.Await;
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

    private static long openFiles() throws IOException {
        try (java.util.stream.Stream<java.nio.file.Path> fds = java.nio.file.Files.list(java.nio.file.Path.of(
                "/proc/self/fd"))) {
            return fds.count();
        }
    }

    private java.nio.channels.SocketChannel connect() throws IOException {
        java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX);
        c.connect(java.net.UnixDomainSocketAddress.of(uapi.socket()));
        return c;
    }

    /**
     * What the server answers before it closes the connection (reads to the end). A server that closes while our
     * bytes are still unread on its side resets the connection: the kernel hands over what was queued for us first,
     * then the reset, which ends the answer too.
     */
    private static String answerAndClose(java.nio.channels.SocketChannel c) throws IOException {
        java.io.ByteArrayOutputStream answer = new java.io.ByteArrayOutputStream();
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(4096);
        try {
            while (c.read(buf.clear()) > 0) {
                answer.write(buf.array(), 0, buf.position());
            }
        } catch (java.net.SocketException reset) {
            if (answer.size() == 0) {
                throw reset;
            }
        }
        return answer.toString(java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Test
    @AllowLog(logger = "io.github.nettytun.example.wireguard.UapiServer", message = "UAPI: refused a line.*",
            reason = "the overlong line is refused on purpose")
    void anOverlongLineIsRefusedAndTheConnectionClosed() throws Exception {
        long fds = openFiles();
        try (java.nio.channels.SocketChannel c = connect()) {
            java.nio.ByteBuffer line = java.nio.ByteBuffer.wrap(("set=1\npublic_key=" + "a".repeat(1 << 20) + "\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            try {
                while (line.hasRemaining()) {
                    c.write(line);
                }
            } catch (IOException closedMeanwhile) {
                // the server may close before all of it is written
            }
            assertEquals("errno=90\n\n", answerAndClose(c));
        }
        assertTrue(wg("show", ifName).contains(b64(WireGuardCrypto.publicKey(keyB))), "wg show works");
        Await.until(() -> openFilesQuietly() <= fds, 10, () -> "file descriptors back to " + fds);
    }

    @Test
    @AllowLog(logger = "io.github.nettytun.example.wireguard.UapiServer", message = "UAPI: refused a request.*",
            reason = "the endless request is refused on purpose")
    void anEndlessRequestIsRefusedAtItsBound() throws Exception {
        try (java.nio.channels.SocketChannel c = connect()) {
            byte[] lines = "allowed_ip=10.0.0.1/32\n".repeat(1000).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            c.write(java.nio.ByteBuffer.wrap("set=1\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
            long sent = 0;
            try {
                while (sent < 64L << 20) { // 64 times the bound, never a blank line
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(lines);
                    while (b.hasRemaining()) {
                        sent += c.write(b);
                    }
                }
            } catch (IOException closed) {
                // refused: the server closed the connection
            }
            assertTrue(sent < 64L << 20, "the server closed the connection before 64 MiB: " + sent);
            assertEquals("errno=90\n\n", answerAndClose(c));
        }
        assertTrue(wg("show", ifName).contains("10.5.0.2/32"), "wg show works, nothing was applied");
        assertFalse(wg("show", ifName).contains("10.0.0.1/32"));
    }

    @Test
    void aThousandIdleConnectionsNeitherLockOutWgNorKeepTheirFileDescriptors() throws Exception {
        long fds = openFiles();
        List<java.nio.channels.SocketChannel> idle = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 1000; i++) {
                idle.add(connect());
                if (i % 100 == 99) {
                    assertTrue(wg("show", ifName).contains("10.5.0.2/32"), "wg show works with " + (i + 1));
                }
            }
            // The server keeps the newest 16: the others were closed (each reads end of stream).
            int closed = 0;
            for (java.nio.channels.SocketChannel c : idle.subList(0, 900)) {
                if (answerAndClose(c).isEmpty()) {
                    closed++;
                }
            }
            assertEquals(900, closed);
        } finally {
            for (java.nio.channels.SocketChannel c : idle) {
                c.close();
            }
        }
        Await.until(() -> openFilesQuietly() <= fds, 10, () -> "file descriptors back to " + fds + ": "
                + openFilesQuietly());
        assertTrue(wg("show", ifName).contains("10.5.0.2/32"));
    }

    private static long openFilesQuietly() {
        try {
            return openFiles();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

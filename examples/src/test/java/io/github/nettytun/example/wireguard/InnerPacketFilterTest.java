/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.testing.Closer;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TemporaryNetns;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.github.nettytun.example.wireguard.ServerFiles.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The inner-packet filter as a user handler of {@code WireGuardTunnel.Builder.innerHandler}: its rules file parsed
 * or refused with the line and the reason, and real traffic between two servers in namespaces of their own,
 * dropped and passed by rule in both directions, with offload on and off and on both transports.
 */
@Privileged
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class InnerPacketFilterTest {

    private final Closer resources = new Closer();

    @AfterEach
    void cleanUp() throws Exception {
        resources.close();
    }

    private Path file(String name, String text) throws Exception {
        Path file = scratch(resources, "acl").resolve(name);
        Files.writeString(file, text);
        return file;
    }

    @Test
    void rulesAreReadAndBadOnesNamedByLine() throws Exception {
        InnerPacketFilter filter = InnerPacketFilter.read(file("ok.acl", String.join("\n",
                "# comment", "deny from-peers tcp to 10.0.0.1/32 port 22  # ssh", "",
                "allow both icmp", "deny to-peers udp from fd00::/8 port 5000-5010", "deny both 47")));
        assertEquals(4, filter.rules().size());
        assertEquals(2, filter.rules().get(0).line);
        assertEquals(5000, filter.rules().get(2).portLow);
        assertEquals(5010, filter.rules().get(2).portHigh);
        String[][] bad = {
            {"permit both any", "line 1: action 'permit' (expected allow or deny)"},
            {"allow inbound any", "line 1: direction 'inbound'"},
            {"deny both icmp port 7", "line 1: a port needs protocol tcp or udp"},
            {"deny both tcp port 70000", "line 1: port '70000' (expected 0-65535)"},
            {"deny both tcp port 9-3", "line 1: port range 9-3 is empty"},
            {"deny both tcp from 10.0.0.0/33", "line 1: '10.0.0.0/33' is not an address or prefix"},
            {"deny both tcp from example.org", "line 1: 'example.org' is not an address or prefix"},
            {"deny both udp from 10.0.0.1 to ::1", "line 1: from and to are of different address families"},
            {"deny both gre", "line 1: protocol 'gre'"},
            {"deny both", "line 1: expected ACTION DIRECTION PROTOCOL"},
            {"deny both tcp port", "line 1: 'port' needs a value"},
            {"deny both tcp via 10.0.0.1", "line 1: 'via' (expected from, to or port)"},
            {"deny both tcp " + "x".repeat(100000), "…"},
        };
        for (String[] b : bad) {
            InnerPacketFilter.ParseException e = assertThrows(InnerPacketFilter.ParseException.class,
                    () -> InnerPacketFilter.read(file("bad.acl", b[0])), b[0]);
            assertTrue(e.getMessage().contains(b[1]), e.getMessage());
            assertTrue(e.getMessage().length() < 300, "cut: " + e.getMessage().length());
        }
    }

    /** Packets built by hand: each field a rule reads, and what no rule can read (fragments, short packets). */
    @Test
    void rulesMatchTheFieldsTheyName() throws Exception {
        InnerPacketFilter filter = InnerPacketFilter.read(file("m.acl", String.join("\n",
                "deny from-peers tcp to 10.0.0.1 port 22",
                "deny to-peers udp from 10.0.1.0/24 port 53",
                "deny both icmp from fd00::/16",
                "deny both 47")));
        assertFalse(allows(filter, ipv4(6, "10.0.0.9", "10.0.0.1", 22, false), true), "ssh from peers");
        assertTrue(allows(filter, ipv4(6, "10.0.0.9", "10.0.0.1", 22, false), false), "ssh to peers");
        assertTrue(allows(filter, ipv4(6, "10.0.0.9", "10.0.0.2", 22, false), true), "other host");
        assertTrue(allows(filter, ipv4(6, "10.0.0.9", "10.0.0.1", 23, false), true), "other port");
        assertTrue(allows(filter, ipv4(6, "10.0.0.9", "10.0.0.1", 22, true), true), "a later fragment has no port");
        assertFalse(allows(filter, ipv4(17, "10.0.1.7", "10.9.9.9", 53, false), false), "dns to peers");
        assertTrue(allows(filter, ipv4(17, "10.0.2.7", "10.9.9.9", 53, false), false), "other source");
        assertFalse(allows(filter, ipv4(47, "1.2.3.4", "5.6.7.8", 0, false), true), "gre");
        assertFalse(allows(filter, ipv6(58, "fd00::1", "fd01::1"), false), "icmpv6 from fd00::/16");
        assertTrue(allows(filter, ipv6(58, "fd01::1", "fd00::1"), false), "icmpv6 from elsewhere");
        assertTrue(allows(filter, ipv4(1, "10.0.0.1", "10.0.0.2", 0, false), true),
                "an IPv6 prefix does not match IPv4 ICMP");
        ByteBuf junk = Unpooled.wrappedBuffer(new byte[] {0x45, 0});
        try {
            assertTrue(filter.allows(junk, true), "not an IP packet: the device's business");
        } finally {
            junk.release();
        }
        assertEquals(1, filter.matched(0));
        assertEquals(1, filter.matched(1));
        assertEquals(1, filter.matched(2));
        assertEquals(1, filter.matched(3));
        assertEquals(4, filter.dropped());
    }

    private static boolean allows(InnerPacketFilter filter, byte[] packet, boolean fromPeers) {
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        try {
            return filter.allows(buf, fromPeers);
        } finally {
            buf.release();
        }
    }

    private static byte[] ipv4(int protocol, String src, String dst, int port, boolean laterFragment)
            throws Exception {
        byte[] p = new byte[40];
        p[0] = 0x45;
        p[3] = 40;
        if (laterFragment) {
            p[7] = 10; // fragment offset 80 bytes
        }
        p[9] = (byte) protocol;
        System.arraycopy(InetAddress.getByName(src).getAddress(), 0, p, 12, 4);
        System.arraycopy(InetAddress.getByName(dst).getAddress(), 0, p, 16, 4);
        p[20] = 0x30;
        p[22] = (byte) (port >>> 8);
        p[23] = (byte) port;
        return p;
    }

    private static byte[] ipv6(int nextHeader, String src, String dst) throws Exception {
        byte[] p = new byte[48];
        p[0] = 0x60;
        p[5] = 8;
        p[6] = (byte) nextHeader;
        System.arraycopy(InetAddress.getByName(src).getAddress(), 0, p, 8, 16);
        System.arraycopy(InetAddress.getByName(dst).getAddress(), 0, p, 24, 16);
        return p;
    }

    /**
     * Server A filters: TCP from its peer to port 2222 and UDP to its peer's port 5354 are dropped, the rest passes.
     * B connects to both TCP ports and A sends to both UDP ports, each denied one first: by the time its allowed
     * twin (sent after it over the same path) has arrived, it would have too.
     */
    @ParameterizedTest(name = "filtering server: {0}, offload {1}")
    @CsvSource({"epoll, on", "io_uring, off"})
    void realTrafficIsDroppedAndPassedByRule(String transport, String offload) throws Exception {
        TemporaryNetns a = resources.add(TemporaryNetns.create());
        TemporaryNetns b = resources.add(TemporaryNetns.create());
        a.veth("vfa", InetAddress.getByName("10.214.0.1"), b, "vfb", InetAddress.getByName("10.214.0.2"), 24);
        byte[] keyA = newKey();
        byte[] keyB = newKey();
        long pid = ProcessHandle.current().pid() % 100000;
        Path confA = file("wfa" + pid + ".conf", String.join("\n",
                "[Interface]", "PrivateKey = " + b64(keyA), "ListenPort = 51840", "Address = 10.215.0.1/32",
                "[Peer]", "PublicKey = " + publicOf(keyB), "AllowedIPs = 10.215.0.2/32",
                "Endpoint = 10.214.0.2:51841", ""));
        Path confB = file("wfb" + pid + ".conf", String.join("\n",
                "[Interface]", "PrivateKey = " + b64(keyB), "ListenPort = 51841", "Address = 10.215.0.2/32",
                "[Peer]", "PublicKey = " + publicOf(keyA), "AllowedIPs = 10.215.0.1/32", ""));
        Path rules = file("a.acl", String.join("\n",
                "deny from-peers tcp to 10.215.0.1 port 2222",
                "deny to-peers udp port 5354",
                "allow both any", ""));
        WireGuardServer serverA = new WireGuardServer(quiet());
        WireGuardServer serverB = new WireGuardServer(quiet());
        new CommandLine(serverA).parseArgs("--transport", transport, "--offload", offload, "--no-uapi",
                "--acl", rules.toString(), confA.toString());
        new CommandLine(serverB).parseArgs("--transport", transport.equals("epoll") ? "io_uring" : "epoll",
                "--offload", offload.equals("on") ? "off" : "on", "--no-uapi", confB.toString());
        WireGuardServer.Running runA = resources.add(a.call(serverA::start));
        resources.add(b.call(serverB::start));
        InnerPacketFilter filter = (InnerPacketFilter) runA.tunnel().tunChannel().pipeline().get("acl");

        a.exec("ping", "-c", "1", "-w", "10", "10.215.0.2"); // A knows the endpoint, B learns it

        // TCP from B: the denied connection is started first, the allowed one carries 1 MiB each way.
        ServerSocket denied = resources.add(a.call(() -> new ServerSocket(2222, 4, InetAddress.getByName("10.215.0.1"))));
        ServerSocket allowed = resources.add(a.call(() -> new ServerSocket(2223, 4,
                InetAddress.getByName("10.215.0.1"))));
        SocketChannel blocked = resources.add(b.call(() -> {
            SocketChannel c = SocketChannel.open();
            c.configureBlocking(false);
            c.connect(new InetSocketAddress("10.215.0.1", 2222));
            return c;
        }));
        Thread echo = new Thread(() -> {
            try (Socket s = allowed.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                in.transferTo(out);
            } catch (Exception e) {
                // the test fails on the data
            }
        }, "acl-echo");
        echo.start();
        byte[] data = new byte[1 << 20];
        new Random(3).nextBytes(data);
        byte[] back = b.call(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("10.215.0.1", 2223), 10_000);
                Thread writer = new Thread(() -> {
                    try {
                        s.getOutputStream().write(data);
                        s.shutdownOutput();
                    } catch (Exception e) {
                        // the test fails on the data
                    }
                });
                writer.start();
                byte[] got = s.getInputStream().readAllBytes();
                writer.join();
                return got;
            }
        });
        echo.join(10_000);
        assertArrayEquals(data, back, "1 MiB through port 2223 and back");
        assertFalse(blocked.finishConnect(), "port 2222 never answered");
        denied.setSoTimeout(1);
        assertThrows(SocketTimeoutException.class, denied::accept, "nothing reached port 2222");
        assertTrue(filter.matched(0) >= 1, "the SYN to port 2222 dropped: " + filter);

        // UDP from A to B: 5354 denied, then 5355 allowed.
        DatagramSocket d5354 = resources.add(b.call(() -> new DatagramSocket(5354,
                InetAddress.getByName("10.215.0.2"))));
        DatagramSocket d5355 = resources.add(b.call(() -> new DatagramSocket(5355,
                InetAddress.getByName("10.215.0.2"))));
        a.call(() -> {
            try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName("10.215.0.1"))) {
                byte[] m = "hello".getBytes(StandardCharsets.US_ASCII);
                s.send(new DatagramPacket(m, m.length, InetAddress.getByName("10.215.0.2"), 5354));
                s.send(new DatagramPacket(m, m.length, InetAddress.getByName("10.215.0.2"), 5355));
            }
            return null;
        });
        d5355.setSoTimeout(10_000);
        DatagramPacket got = new DatagramPacket(new byte[64], 64);
        d5355.receive(got);
        assertEquals("hello", new String(got.getData(), 0, got.getLength(), StandardCharsets.US_ASCII));
        assertNull(receiveNow(d5354), "the datagram to 5354 was dropped");
        assertEquals(1, filter.matched(1), filter.toString());
        assertTrue(filter.matched(2) > 100, "the rest passed by the last rule: " + filter);
        assertTrue(Arrays.asList(filter.toString().split(", ")).contains("line 2 deny 1"), filter.toString());
    }

    /** A datagram already queued on {@code socket}, or null. */
    private static String receiveNow(DatagramSocket socket) throws Exception {
        socket.setSoTimeout(1);
        DatagramPacket p = new DatagramPacket(new byte[64], 64);
        try {
            socket.receive(p);
            return new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII);
        } catch (SocketTimeoutException e) {
            return null;
        }
    }


}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.testing.Closer;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TemporaryNetns;
import io.github.nettytun.testing.TestRequirements;
import io.github.nettytun.testing.WireGuardGo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static io.github.nettytun.example.wireguard.ServerFiles.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --pcap}: our server with offload on sends 4 MiB over TCP (the kernel hands it TSO super-packets) and
 * answers pings; the capture, read back by tcpdump, holds the pings both ways and every TCP segment no longer than
 * the interface's MTU, as a peer sees them; the file is its owner's only.
 */
@Privileged
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PcapCaptureTest {

    private final Closer resources = new Closer();

    @AfterEach
    void cleanUp() throws Exception {
        resources.close();
    }

    @Test
    void theCaptureHoldsWhatPeersSee() throws Exception {
        TestRequirements.require(WireGuardGo.onPath("tcpdump"), "tcpdump (Debian package tcpdump) is not installed");
        TemporaryNetns a = resources.add(TemporaryNetns.create());
        TemporaryNetns b = resources.add(TemporaryNetns.create());
        a.veth("vpa", InetAddress.getByName("10.221.0.1"), b, "vpb", InetAddress.getByName("10.221.0.2"), 24);
        Path dir = scratch(resources, "pcap");
        Path capture = dir.resolve("wg.pcap");
        byte[] keyA = newKey();
        byte[] keyB = newKey();
        long pid = ProcessHandle.current().pid() % 100000;
        Path confA = dir.resolve("wpa" + pid + ".conf");
        Path confB = dir.resolve("wpb" + pid + ".conf");
        Files.writeString(confA, String.join("\n", "[Interface]", "PrivateKey = " + b64(keyA),
                "ListenPort = 51860", "Address = 10.222.0.1/32", "MTU = 1400", "[Peer]",
                "PublicKey = " + publicOf(keyB), "AllowedIPs = 10.222.0.2/32",
                "Endpoint = 10.221.0.2:51861", ""));
        Files.writeString(confB, String.join("\n", "[Interface]", "PrivateKey = " + b64(keyB),
                "ListenPort = 51861", "Address = 10.222.0.2/32", "[Peer]",
                "PublicKey = " + publicOf(keyA), "AllowedIPs = 10.222.0.1/32", ""));
        ByteArrayOutputStream outA = new ByteArrayOutputStream();
        WireGuardServer serverA = new WireGuardServer(into(outA));
        WireGuardServer serverB = new WireGuardServer(quiet());
        new CommandLine(serverA).parseArgs("--transport", "epoll", "--offload", "on", "--no-uapi",
                "--pcap", capture.toString(), confA.toString());
        new CommandLine(serverB).parseArgs("--transport", "io_uring", "--no-uapi", confB.toString());
        WireGuardServer.Running runA = resources.add(a.call(serverA::start));
        resources.add(b.call(serverB::start));
        assertTrue(outA.toString(StandardCharsets.UTF_8).contains("recording to " + capture), outA.toString());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(capture)));

        a.exec("ping", "-c", "2", "-i", "0.2", "-w", "10", "10.222.0.2");
        ServerSocket server = resources.add(b.call(() -> new ServerSocket(5001, 1,
                InetAddress.getByName("10.222.0.2"))));
        Thread sink = new Thread(() -> {
            try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                in.transferTo(OutputStream.nullOutputStream());
            } catch (Exception e) {
                // the sender fails then
            }
        });
        sink.start();
        a.call(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("10.222.0.2", 5001), 10_000);
                s.getOutputStream().write(new byte[4 << 20]);
            }
            return null;
        });
        sink.join(20_000);
        runA.close();
        assertTrue(runA.tunnel().segmenter().superPackets() > 0, "the kernel handed over super-packets");

        // Our reading of the file: every record a packet no longer than the MTU.
        ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(capture)).order(ByteOrder.LITTLE_ENDIAN);
        file.position(24);
        int records = 0;
        int longest = 0;
        while (file.hasRemaining()) {
            file.position(file.position() + 8);
            int kept = file.getInt();
            longest = Math.max(longest, file.getInt());
            file.position(file.position() + kept);
            records++;
        }
        assertTrue(longest <= 1400, "segments as peers see them, not super-packets: " + longest);
        assertTrue(records > 2900, "4 MiB of 1348-byte segments and more: " + records);

        // tcpdump's.
        Process p = new ProcessBuilder("tcpdump", "-r", capture.toString(), "-n", "-q").redirectErrorStream(false)
                .start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        String[] lines = text.split("\n");
        assertEquals(records, lines.length, "tcpdump reads every record");
        assertTrue(text.contains("10.222.0.1 > 10.222.0.2: ICMP echo request"), text.substring(0, 500));
        assertTrue(text.contains("10.222.0.2 > 10.222.0.1: ICMP echo reply"), text.substring(0, 500));
        assertTrue(text.contains("10.222.0.1.") && text.contains(" > 10.222.0.2.5001: tcp "), "the transfer");
    }

}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.handler.vpn.wireguard.WireGuardCrypto;
import io.github.nettytun.handler.vpn.wireguard.WireGuardPeer;
import io.github.nettytun.testing.BlockingTask;
import io.github.nettytun.testing.Closer;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TemporaryNetns;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.github.nettytun.example.wireguard.ServerFiles.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reload (SIGHUP) as {@code wg syncconf}: a TCP transfer from a live peer runs on, byte-exact and on its session,
 * while a reload removes one peer, adds another and then widens the live peer's allowed IPs; the routes follow;
 * a reload that needs a restart or reads a malformed file changes nothing; and a real SIGHUP to the server's
 * process does it.
 */
@Privileged
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class WireGuardServerReloadTest {

    private static final int TOTAL = 48 << 20;
    private final Closer resources = new Closer();

    @AfterEach
    void cleanUp() throws Exception {
        resources.close();
    }


    private static String publicOfNew() {
        return publicOf(newKey());
    }

    private Path dir() throws Exception {
        return scratch(resources, "wgreload");
    }

    @Test
    void aTransferRunsOnAcrossReloads() throws Exception {
        TemporaryNetns a = resources.add(TemporaryNetns.create());
        TemporaryNetns b = resources.add(TemporaryNetns.create());
        a.veth("vra", InetAddress.getByName("10.223.0.1"), b, "vrb", InetAddress.getByName("10.223.0.2"), 24);
        byte[] keyA = newKey();
        byte[] keyB = newKey();
        String peerB = publicOf(keyB);
        String peerZ = publicOfNew();
        String peerY = publicOfNew();
        Path dir = dir();
        String name = "wra" + ProcessHandle.current().pid() % 100000;
        Path confA = dir.resolve(name + ".conf");
        String head = String.join("\n", "[Interface]", "PrivateKey = " + b64(keyA), "ListenPort = 51870",
                "Address = 10.224.0.1/32", "");
        String sectionB = String.join("\n", "[Peer]", "PublicKey = " + peerB, "AllowedIPs = 10.224.0.2/32",
                "Endpoint = 10.223.0.2:51871", "");
        Files.writeString(confA, head + sectionB + String.join("\n", "[Peer]", "PublicKey = " + peerZ,
                "AllowedIPs = 10.225.0.0/16", ""));
        Path confB = dir.resolve("wrb" + ProcessHandle.current().pid() % 100000 + ".conf");
        Files.writeString(confB, String.join("\n", "[Interface]", "PrivateKey = " + b64(keyB), "ListenPort = 51871",
                "Address = 10.224.0.2/32", "[Peer]", "PublicKey = " + publicOf(keyA),
                "AllowedIPs = 10.224.0.1/32", ""));
        ByteArrayOutputStream outA = new ByteArrayOutputStream();
        WireGuardServer serverA = new WireGuardServer(into(outA));
        WireGuardServer serverB = new WireGuardServer(quiet());
        new CommandLine(serverA).parseArgs("--transport", "epoll", confA.toString());
        new CommandLine(serverB).parseArgs("--transport", "io_uring", "--no-uapi", confB.toString());
        WireGuardServer.Running runA = resources.add(a.call(serverA::start));
        resources.add(b.call(serverB::start));
        a.exec("ping", "-c", "1", "-w", "10", "10.224.0.2");
        WireGuardPeer bAtA = runA.tunnel().device().eventLoop().submit(() -> runA.tunnel().device()
                .peer(WireGuardCrypto.publicKey(keyB))).get();
        long handshakes = bAtA.handshakes();

        // B sends 48 MiB to A; the reloads happen while it flows.
        ServerSocket server = resources.add(a.call(() -> new ServerSocket(5002, 1,
                InetAddress.getByName("10.224.0.1"))));
        AtomicLong received = new AtomicLong();
        Future<String> reader = BlockingTask.start("reload-reader", () -> {
            try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                byte[] buf = new byte[65536];
                long at = 0;
                for (int n; (n = in.read(buf)) > 0; ) {
                    for (int i = 0; i < n; i++, at++) {
                        if (buf[i] != (byte) (at * 31 + (at >>> 16))) {
                            return "byte " + at + " differs";
                        }
                    }
                    received.set(at);
                }
                return at == TOTAL ? "exact" : "ended at " + at;
            } catch (Exception e) {
                return e.toString();
            }
        });
        Future<Void> writer = BlockingTask.start("reload-writer", () -> b.call(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("10.224.0.1", 5002), 10_000);
                OutputStream out = s.getOutputStream();
                byte[] chunk = new byte[65536];
                for (long at = 0; at < TOTAL; ) {
                    for (int i = 0; i < chunk.length; i++, at++) {
                        chunk[i] = (byte) (at * 31 + (at >>> 16));
                    }
                    out.write(chunk);
                }
            }
            return null;
        }));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (received.get() < TOTAL / 8 && System.nanoTime() < deadline && !reader.isDone()) {
            Thread.sleep(5);
        }

        // Z goes, Y comes, B unchanged.
        Files.writeString(confA, head + sectionB + String.join("\n", "[Peer]", "PublicKey = " + peerY,
                "AllowedIPs = 10.226.0.0/16", ""));
        assertEquals("reloaded: 1 peer(s) added, 1 removed, 0 changed, 1 unchanged; routes +1 -1", runA.reload());
        String routes = a.ip("route", "show");
        assertTrue(routes.contains("10.226.0.0/16 dev " + name) && !routes.contains("10.225.0.0/16"), routes);
        String peers = a.exec("wg", "show", name, "peers");
        assertTrue(peers.contains(peerY) && !peers.contains(peerZ) && peers.contains(peerB), peers);
        // B widened: changed in place, still its session.
        Files.writeString(confA, head + sectionB.replace("AllowedIPs = 10.224.0.2/32", "AllowedIPs = 10.224.0.2/32, "
                + "10.227.0.0/24") + String.join("\n", "[Peer]", "PublicKey = " + peerY, "AllowedIPs = 10.226.0.0/16",
                ""));
        assertEquals("reloaded: 0 peer(s) added, 0 removed, 1 changed, 1 unchanged; routes +1 -0", runA.reload());
        assertTrue(a.ip("route", "show").contains("10.227.0.0/24 dev " + name));

        writer.get(60, TimeUnit.SECONDS);
        assertEquals("exact", reader.get(60, TimeUnit.SECONDS));
        assertTrue(received.get() == TOTAL, "the transfer ran on");
        assertEquals(handshakes, bAtA.handshakes(), "the live peer kept its session: no new handshake");

        // What needs a restart, and a malformed file: nothing changes.
        String before = a.exec("wg", "showconf", name);
        Files.writeString(confA, head.replace("51870", "51879") + sectionB);
        assertEquals("reload refused: ListenPort changed: that needs a restart; nothing was reloaded", runA.reload());
        Files.writeString(confA, head + sectionB + "[Peer]\nPublicKey = nonsense\n");
        String refused = runA.reload();
        assertTrue(refused.matches("reload refused: " + java.util.regex.Pattern.quote(confA.toString())
                + ": line 1[01]: .*; nothing was reloaded"), refused);
        assertEquals(before, a.exec("wg", "showconf", name));
    }

    /** The command line in a process of its own: a SIGHUP adds the peer the file gained. */
    @Test
    void sighupReloads() throws Exception {
        TemporaryNetns ns = resources.add(TemporaryNetns.create());
        Path dir = dir();
        String name = "wrs" + ProcessHandle.current().pid() % 100000;
        Path conf = dir.resolve(name + ".conf");
        String base = String.join("\n", "[Interface]",
                "PrivateKey = " + b64(newKey()),
                "Address = 10.228.0.1/24", "[Peer]", "PublicKey = " + publicOfNew(), "AllowedIPs = 10.229.0.0/16", "");
        Files.writeString(conf, base);
        Process server = spawnServer(ns, name, "--transport", "epoll", "--no-uapi", conf.toString());
        String added = publicOfNew();
        Files.writeString(conf, base + String.join("\n", "[Peer]", "PublicKey = " + added,
                "AllowedIPs = 10.230.0.0/16", ""));
        new ProcessBuilder("kill", "-HUP", Long.toString(server.pid())).start().waitFor();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!ns.log(server).contains(name + ": reloaded: 1 peer(s) added")) {
            assertTrue(server.isAlive() && System.nanoTime() < deadline, "no reload: " + ns.log(server));
            Thread.sleep(50);
        }
        assertTrue(ns.ip("route", "show").contains("10.230.0.0/16 dev " + name), ns.ip("route", "show"));
        server.destroy();
        assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        assertFalse(ns.log(server).contains("Exception"), ns.log(server));
    }
}

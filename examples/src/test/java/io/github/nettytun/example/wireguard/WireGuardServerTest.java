/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.example.Main;
import io.github.nettytun.handler.vpn.wireguard.WireGuardCrypto;
import io.github.nettytun.testing.Closer;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TemporaryNetns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server from its wg-quick files, two of them in two namespaces joined by a veth pair: each interface has
 * only a /32 address, so packets reach the other side only through the route the server adds for the peer's
 * AllowedIPs. Then everything goes away again on close.
 */
@Privileged
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WireGuardServerTest {

    private final Closer resources = new Closer();

    @AfterEach
    void cleanUp() throws Exception {
        resources.close();
    }

    private static String b64(byte[] key) {
        return Base64.getEncoder().encodeToString(key);
    }

    private Path config(String name, String text) throws Exception {
        Path dir = Files.createTempDirectory("wgconf");
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        resources.add(() -> {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        });
        return file;
    }

    @Test
    void twoServersFromTheirConfigFilesTalk() throws Exception {
        TemporaryNetns a = resources.add(TemporaryNetns.create());
        TemporaryNetns b = resources.add(TemporaryNetns.create());
        a.veth("vsa", InetAddress.getByName("10.210.0.1"), b, "vsb", InetAddress.getByName("10.210.0.2"), 24);
        byte[] keyA = WireGuardCrypto.generatePrivateKey(new SecureRandom());
        byte[] keyB = WireGuardCrypto.generatePrivateKey(new SecureRandom());
        String ifA = "wsa" + ProcessHandle.current().pid() % 100000;
        String ifB = "wsb" + ProcessHandle.current().pid() % 100000;
        Path confA = config(ifA + ".conf", String.join("\n",
                "[Interface]", "PrivateKey = " + b64(keyA), "ListenPort = 51830",
                "Address = 10.211.0.1/32, fd11::1/128", "DNS = 10.211.0.53",
                "[Peer]", "PublicKey = " + b64(WireGuardCrypto.publicKey(keyB)),
                "AllowedIPs = 10.211.0.2/32, fd11::2/128", "Endpoint = 10.210.0.2:51831", ""));
        Path confB = config(ifB + ".conf", String.join("\n",
                "[Interface]", "PrivateKey = " + b64(keyB), "ListenPort = 51831",
                "Address = 10.211.0.2/32, fd11::2/128", "MTU = 1380",
                "[Peer]", "PublicKey = " + b64(WireGuardCrypto.publicKey(keyA)),
                "AllowedIPs = 10.211.0.1/32, fd11::1/128", ""));
        ByteArrayOutputStream outA = new ByteArrayOutputStream();
        ByteArrayOutputStream outB = new ByteArrayOutputStream();
        WireGuardServer serverA = new WireGuardServer(new PrintStream(outA, true, StandardCharsets.UTF_8));
        WireGuardServer serverB = new WireGuardServer(new PrintStream(outB, true, StandardCharsets.UTF_8));
        new CommandLine(serverA).parseArgs("--transport", "epoll", "--offload", "on", confA.toString());
        new CommandLine(serverB).parseArgs("--transport", "io_uring", "--offload", "off", confB.toString());
        WireGuardServer.Running runA = resources.add(a.call(serverA::start));
        WireGuardServer.Running runB = resources.add(b.call(serverB::start));

        a.exec("ping", "-c", "1", "-w", "10", "10.211.0.2");
        b.exec("ping", "-c", "1", "-w", "5", "fd11::1");
        String logA = outA.toString(StandardCharsets.UTF_8);
        String logB = outB.toString(StandardCharsets.UTF_8);
        assertTrue(logA.contains("netty-tun WireGuard " + ifA + ": transport epoll, offload on"), logA);
        assertTrue(logA.contains("listening on UDP 51830"), logA);
        assertTrue(logA.contains("warning: " + ifA + ".conf line 5: DNS is not supported"), logA);
        assertTrue(logA.contains("handshake 1 with"), logA);
        assertTrue(logB.contains("transport io_uring, offload off"), logB);
        assertTrue(logB.contains("handshake 1 with"), logB);
        assertTrue(a.ip("route", "show").contains("10.211.0.2 dev " + ifA), a.ip("route", "show"));
        assertTrue(b.exec("wg", "show", ifB, "latest-handshakes").matches("(?s).*\\t[1-9][0-9]+\\s*"),
                "wg sees the handshake");
        String[] transfer = b.exec("wg", "show", ifB, "transfer").trim().split("\t");
        assertTrue(Long.parseLong(transfer[1]) > 0 && Long.parseLong(transfer[2]) > 0,
                "wg sees bytes both ways: " + String.join(" ", transfer));
        assertEquals(1380, runB.tunnel().tunChannel().device().mtu());

        runA.close();
        runB.close();
        assertFalse(Files.exists(UapiServer.SOCKET_DIRECTORY.resolve(ifA + ".sock")), "socket removed");
        ServerFiles.awaitGone(a, ifA);
    }

    @Test
    void aMalformedFileStartsNothingAndSaysWhere() throws Exception {
        Path conf = config("wsbad.conf", "[Interface]\nPrivateKey = " + b64(new byte[32]) + "\nListenPort = x\n");
        WireGuardServer server = new WireGuardServer();
        new CommandLine(server).parseArgs(conf.toString());
        WgQuickConfig.ParseException e = assertThrows(WgQuickConfig.ParseException.class, server::start);
        assertEquals(3, e.line());
        assertFalse(Files.exists(UapiServer.SOCKET_DIRECTORY.resolve("wsbad.sock")));
        assertFalse(Files.exists(Path.of("/sys/class/net/wsbad")));

        StringWriter err = new StringWriter();
        int status = new CommandLine(new Main()).setErr(new PrintWriter(err))
                .execute("wireguard", conf.toString());
        assertEquals(2, status);
    }

    /** The command line in a process of its own: up from the file, then down again on SIGTERM. */
    @Test
    void theCommandStopsCleanlyOnSigterm() throws Exception {
        TemporaryNetns ns = resources.add(TemporaryNetns.create());
        String ifName = "wst" + ProcessHandle.current().pid() % 100000;
        Path conf = config(ifName + ".conf", String.join("\n", "[Interface]",
                "PrivateKey = " + b64(WireGuardCrypto.generatePrivateKey(new SecureRandom())),
                "Address = 10.212.0.1/24", "[Peer]",
                "PublicKey = " + b64(WireGuardCrypto.publicKey(WireGuardCrypto.generatePrivateKey(new SecureRandom()))),
                "AllowedIPs = 10.213.0.0/16", ""));
        Process server = ServerFiles.spawnServer(ns, ifName, "--transport", "epoll", conf.toString());
        assertTrue(ns.ip("-o", "link", "show").contains(ifName));
        assertTrue(ns.ip("route", "show").contains("10.213.0.0/16 dev " + ifName), ns.ip("route", "show"));
        assertTrue(Files.exists(UapiServer.SOCKET_DIRECTORY.resolve(ifName + ".sock")));

        server.destroy(); // SIGTERM
        assertTrue(server.waitFor(30, TimeUnit.SECONDS), "server stopped");
        assertFalse(Files.exists(UapiServer.SOCKET_DIRECTORY.resolve(ifName + ".sock")), "socket removed");
        ServerFiles.awaitGone(ns, ifName);
    }
}

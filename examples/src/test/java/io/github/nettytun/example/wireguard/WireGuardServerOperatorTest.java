/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.handler.vpn.wireguard.WireGuardCrypto;
import io.github.nettytun.testing.Await;
import io.github.nettytun.testing.Closer;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TemporaryNetns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an operator sees when something is wrong: one line naming the file, line or value and the reason, exit
 * status 2 for bad input and 1 for a refusal by the system, no stack trace (unless {@code --debug}), nothing left
 * behind; the server's counters on demand; a clean stop when its interface is deleted underneath.
 */
@Privileged
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WireGuardServerOperatorTest {

    private final Closer resources = new Closer();
    private final String tag = Long.toString(ProcessHandle.current().pid() % 10000);

    @AfterEach
    void cleanUp() throws Exception {
        resources.close();
    }

    private static String key() {
        return Base64.getEncoder().encodeToString(WireGuardCrypto.generatePrivateKey(new SecureRandom()));
    }

    private static String publicKey() {
        return Base64.getEncoder().encodeToString(
                WireGuardCrypto.publicKey(WireGuardCrypto.generatePrivateKey(new SecureRandom())));
    }

    private Path file(String name, byte[] content) throws Exception {
        Path dir = Files.createTempDirectory("wgop");
        Path f = dir.resolve(name);
        Files.write(f, content);
        resources.add(() -> {
            Files.deleteIfExists(f);
            Files.deleteIfExists(dir);
        });
        return f;
    }

    private Path config(String name, String... lines) throws Exception {
        return file(name, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Runs the command in {@code ns} (null: here); returns {exit status, stderr}. */
    private static Object[] run(TemporaryNetns ns, String... args) throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WireGuardServer server = new WireGuardServer(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        CommandLine cmd = new CommandLine(server);
        int status = ns == null ? cmd.execute(args) : ns.call(() -> cmd.execute(args));
        return new Object[] {status, err.toString(StandardCharsets.UTF_8)};
    }

    private static void assertOneLine(Object[] result, int status, String... contains) {
        String err = (String) result[1];
        assertEquals(status, result[0], err);
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertFalse(err.contains("\tat ") || err.contains("Exception"), "no stack trace: " + err);
        assertTrue(err.length() < 400, "short: " + err.length());
        for (String c : contains) {
            assertTrue(err.contains(c), "'" + c + "' in: " + err);
        }
    }

    @Test
    void badInputIsOneLineAndStatusTwo() throws Exception {
        Path good = config("wgok.conf", "[Interface]", "PrivateKey = " + key());
        assertOneLine(run(null, good.resolveSibling("missing.conf").toString()), 2, "missing.conf: no such file");
        assertOneLine(run(null, good.getParent().toString()), 2, "is a directory");

        byte[] latin1 = ("[Interface]\nPrivateKey = " + key() + "\n# caf\u00e9\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        assertOneLine(run(null, file("wgl1.conf", latin1).toString()), 2, "wgl1.conf: line 3: is not UTF-8 text");

        Path longName = config("wgthisnameistoolong.conf", "[Interface]", "PrivateKey = " + key());
        assertOneLine(run(null, longName.toString()), 2, "interface name 'wgthisnameistoolong'",
                "1 to 15 bytes");

        String junk = "x".repeat(100_000);
        Path longLine = config("wgjunk.conf", "[Interface]", "PrivateKey = " + key(), junk);
        assertOneLine(run(null, longLine.toString()), 2, "wgjunk.conf: line 3: expected 'Key = Value'",
                "characters)");

        byte[] big = new byte[10 << 20];
        java.util.Arrays.fill(big, (byte) 'x');
        assertOneLine(run(null, file("wgbig.conf", big).toString()), 2, "is 10485760 bytes");

        assertOneLine(run(null, "--transport", "dpdk", good.toString()), 2, "--transport dpdk");
    }

    @Test
    void refusalsByTheSystemAreOneLineAndStatusOne() throws Exception {
        TemporaryNetns ns = resources.add(TemporaryNetns.create());
        ns.ip("link", "set", "lo", "up");
        // A port in use.
        DatagramChannel taken = resources.add(ns.call(() -> DatagramChannel.open().bind(new InetSocketAddress(0))));
        int port = ((InetSocketAddress) taken.getLocalAddress()).getPort();
        Path conf = config("wop" + tag + ".conf", "[Interface]", "PrivateKey = " + key(), "ListenPort = " + port);
        assertOneLine(run(ns, "--no-uapi", conf.toString()), 1, "UDP port " + port + " is in use");
        assertFalse(ns.ip("-o", "link", "show").contains("wop" + tag), "no interface left");

        // A name taken by another kind of device.
        ns.ip("link", "add", "wob" + tag, "type", "veth", "peer", "name", "wobp" + tag);
        Path busy = config("wob" + tag + ".conf", "[Interface]", "PrivateKey = " + key());
        assertOneLine(run(ns, "--no-uapi", busy.toString()), 1, "interface wob" + tag + ": ",
                "is not a TUN device");
    }

    @Test
    void aPeerWhoseAllowedIpsAreRoutedAlreadyIsRefusedAndNothingChanges() throws Exception {
        TemporaryNetns a = resources.add(TemporaryNetns.create());
        TemporaryNetns b = resources.add(TemporaryNetns.create());
        a.veth("vra" + tag, InetAddress.getByName("10.220.0.1"), b, "vrb" + tag, InetAddress.getByName("10.220.0.2"),
                24);
        String before = a.ip("route", "show", "table", "all") + a.ip("-6", "route", "show", "table", "all");
        Path conf = config("wrc" + tag + ".conf", "[Interface]", "PrivateKey = " + key(), "Address = 10.221.0.1/24",
                "", "[Peer]", "PublicKey = " + publicKey(), "AllowedIPs = 10.222.0.0/24, 10.220.0.0/24");
        assertOneLine(run(a, "--no-uapi", conf.toString()), 1,
                "line 5: [Peer] AllowedIPs 10.220.0.0/24 is routed already");
        Await.until(() -> {
            try {
                return !a.ip("-o", "link", "show").contains("wrc" + tag);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }, 10, () -> "the interface to go");
        String after = a.ip("route", "show", "table", "all") + a.ip("-6", "route", "show", "table", "all");
        assertEquals(before, after, "the routing tables are as before");
        assertTrue(a.ip("route", "show", "10.220.0.0/24").contains("dev vra" + tag), "the underlay keeps its route");
    }

    /** The command in a JVM of its own: counters on SIGUSR1 and periodically; deleting its interface stops it. */
    @Test
    void countersOnDemandAndAStopWhenTheInterfaceIsDeleted() throws Exception {
        TemporaryNetns ns = resources.add(TemporaryNetns.create());
        String ifName = "wsd" + tag;
        Path conf = config(ifName + ".conf", "[Interface]", "PrivateKey = " + key(), "Address = 10.223.0.1/24",
                "[Peer]", "PublicKey = " + publicKey(), "AllowedIPs = 10.224.0.0/16");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process server = ns.spawn(java, "-Dio.netty.machineId=02:00:5e:00:53:02", "-cp",
                System.getProperty("java.class.path"),
                "io.github.nettytun.example.Main", "wireguard", "--stats-interval", "1", conf.toString());
        Await.until(() -> log(ns, server).contains("netty-tun WireGuard " + ifName) || !server.isAlive(), 30,
                () -> "the server to start: " + log(ns, server));
        // Traffic into the interface's subnet that no peer's AllowedIPs hold: dropped, and the stats line says so.
        try {
            ns.exec("ping", "-c", "3", "-i", "0.2", "-W", "1", "10.223.0.5");
        } catch (java.io.IOException expected) {
            // no replies: ping exits 1
        }
        Await.until(() -> log(ns, server).contains("NO_ROUTE="), 20,
                () -> "a periodic stats line with the drops: " + log(ns, server));
        ns.exec("kill", "-USR1", Long.toString(server.pid()));
        Await.until(() -> log(ns, server).contains("  peer "), 10, () -> "the peer lines: " + log(ns, server));

        ns.ip("link", "del", ifName);
        assertTrue(server.waitFor(30, TimeUnit.SECONDS), "the server stopped: " + log(ns, server));
        assertEquals(1, server.exitValue(), log(ns, server));
        assertTrue(log(ns, server).contains(ifName + ": the interface went away"), log(ns, server));
        assertFalse(Files.exists(UapiServer.SOCKET_DIRECTORY.resolve(ifName + ".sock")), "socket removed");
    }

    /**
     * Direct memory running out is thrown by Java code (Netty's {@code OutOfDirectMemoryError} or the JDK's "Direct
     * buffer memory"), which {@code -XX:+ExitOnOutOfMemoryError} does not see: the device closes its channels and
     * the server stops with one line and status 1, its interface gone. The server gets the launcher's options with
     * too little direct memory for the buffers that traffic through its interface needs.
     */
    @Test
    void runningOutOfDirectMemoryStopsTheServer() throws Exception {
        TemporaryNetns ns = resources.add(TemporaryNetns.create());
        String ifName = "wom" + tag;
        Path conf = config(ifName + ".conf", "[Interface]", "PrivateKey = " + key(), "Address = 10.227.0.1/24",
                "[Peer]", "PublicKey = " + publicKey(), "AllowedIPs = 10.228.0.0/16", "Endpoint = 127.0.0.1:9");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(WireGuardServer.launcherJvmOptions());
        command.addAll(List.of(System.getProperty("oom.maxDirect", "-XX:MaxDirectMemorySize=1m"),
                "-cp", System.getProperty("java.class.path"), "io.github.nettytun.example.Main", "wireguard",
                "--no-uapi", "--transport", System.getProperty("oom.transport", "epoll"), conf.toString()));
        Process server = ns.spawn(command.toArray(new String[0]));
        Await.until(() -> log(ns, server).contains("netty-tun WireGuard " + ifName) || !server.isAlive(), 30,
                () -> "the server to start: " + log(ns, server));
        for (int i = 0; i < 50 && server.isAlive(); i++) {
            try {
                ns.exec("ping", "-c", "20", "-i", "0.01", "-s", "1400", "-W", "1", "10.228.0.5");
            } catch (java.io.IOException expected) {
                // no replies: ping exits 1
            }
        }
        assertTrue(server.waitFor(30, TimeUnit.SECONDS), "the server stopped: " + log(ns, server));
        String log = log(ns, server);
        assertEquals(1, server.exitValue(), log);
        assertTrue(log.contains(ifName + ": out of memory ("), log);
        assertTrue(log.contains("MaxDirectMemorySize"), log);
        System.out.println("the server ran out of direct memory and said: " + log.strip());
        ServerFiles.awaitGone(ns, ifName);
    }

    private static String log(TemporaryNetns ns, Process p) {
        try {
            return ns.log(p);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

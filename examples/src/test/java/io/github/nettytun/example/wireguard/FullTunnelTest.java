/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.testing.Closer;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TemporaryNetns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static io.github.nettytun.example.wireguard.ServerFiles.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A full tunnel as wg-quick makes one: a client whose peer has {@code AllowedIPs = 0.0.0.0/0, ::/0} reaches
 * addresses behind the server that no route of its own names, over IPv4 and IPv6, while its own packets to the
 * server's endpoint stay outside the tunnel (they carry the mark); afterwards the client's rules and routes are
 * what they were. Then {@code Table = N} (routes in that table, no rules) and {@code Table = off} (no routes).
 */
@Privileged
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FullTunnelTest {

    private final Closer resources = new Closer();

    @AfterEach
    void cleanUp() throws Exception {
        resources.close();
    }



    /** The namespace's policy rules and every routing table, both families. */
    private static String tables(TemporaryNetns ns) throws IOException {
        return ns.ip("-4", "rule", "show") + ns.ip("-6", "rule", "show") + ns.ip("-4", "route", "show", "table", "all")
                + ns.ip("-6", "route", "show", "table", "all");
    }

    /** What {@code ip} prints, or why it failed (a route lookup that finds none fails). */
    private static String ipOrError(TemporaryNetns ns, String... args) {
        try {
            return ns.ip(args);
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    @Test
    void aClientReachesWhatIsBehindTheServerAndLeavesNoTrace() throws Exception {
        TemporaryNetns a = resources.add(TemporaryNetns.create());
        TemporaryNetns b = resources.add(TemporaryNetns.create());
        a.veth("vta", InetAddress.getByName("10.233.0.1"), b, "vtb", InetAddress.getByName("10.233.0.2"), 24);
        // Behind the server: addresses of its own that the client has no route for.
        a.ip("link", "set", "lo", "up");
        a.ip("addr", "add", "10.240.0.1/32", "dev", "lo");
        a.ip("addr", "add", "fd40::1/128", "dev", "lo");
        byte[] keyA = newKey();
        byte[] keyB = newKey();
        Path dir = scratch(resources, "fulltunnel");
        long pid = ProcessHandle.current().pid() % 100000;
        String ifB = "wtb" + pid;
        Path confA = dir.resolve("wta" + pid + ".conf");
        Path confB = dir.resolve(ifB + ".conf");
        Files.writeString(confA, String.join("\n", "[Interface]", "PrivateKey = " + b64(keyA), "ListenPort = 51880",
                "Address = 10.234.0.1/24, fd34::1/64", "[Peer]", "PublicKey = " + publicOf(keyB),
                "AllowedIPs = 10.234.0.2/32, fd34::2/128", ""));
        Files.writeString(confB, String.join("\n", "[Interface]", "PrivateKey = " + b64(keyB),
                "Address = 10.234.0.2/32, fd34::2/128", "[Peer]", "PublicKey = " + publicOf(keyA),
                "AllowedIPs = 0.0.0.0/0, ::/0", "Endpoint = 10.233.0.1:51880", ""));
        WireGuardServer serverA = new WireGuardServer(quiet());
        new CommandLine(serverA).parseArgs("--transport", "epoll", "--no-uapi", confA.toString());
        resources.add(a.call(serverA::start));
        String before = tables(b);
        assertFalse(b.ip("route", "show").contains("default"), "the client has no default route of its own");

        ByteArrayOutputStream outB = new ByteArrayOutputStream();
        WireGuardServer client = new WireGuardServer(into(outB));
        new CommandLine(client).parseArgs("--transport", "io_uring", "--no-uapi", confB.toString());
        WireGuardServer.Running running = b.call(client::start);
        try {
            assertTrue(outB.toString(StandardCharsets.UTF_8).contains("full tunnel (fwmark and table 51820)"),
                    outB.toString(StandardCharsets.UTF_8));
            String rules = b.ip("-4", "rule", "show");
            assertTrue(rules.contains("not from all fwmark 0xca6c lookup 51820"), rules);
            assertTrue(rules.contains("from all lookup main suppress_prefixlength 0"), rules);
            assertTrue(b.ip("-6", "rule", "show").contains("not from all fwmark 0xca6c lookup 51820"));
            b.exec("ping", "-c", "1", "-w", "10", "10.240.0.1");
            b.exec("ping", "-6", "-c", "1", "-w", "10", "fd40::1");
            assertTrue(b.ip("route", "get", "10.240.0.1").contains("dev " + ifB + " table 51820"),
                    b.ip("route", "get", "10.240.0.1"));
            // The tunnel's own datagrams carry the mark: to the endpoint they take the veth, not the tunnel.
            String underlay = b.ip("route", "get", "10.233.0.1", "mark", "51820");
            assertTrue(underlay.contains("dev vtb") && !underlay.contains(ifB), underlay);
            String marked = ipOrError(b, "-o", "route", "get", "10.240.0.1", "mark", "51820");
            assertFalse(marked.contains("dev " + ifB), "marked packets never enter the tunnel: " + marked);
        } finally {
            running.close();
        }
        awaitGone(b, ifB);
        assertEquals(before, tables(b), "the rules and routes as before");
    }

    /** The rules go on SIGTERM (the process's shutdown) and with a start that fails after they were added. */
    @Test
    void theRulesGoOnSigtermAndWithAFailedStart() throws Exception {
        TemporaryNetns ns = resources.add(TemporaryNetns.create());
        String name = "wtf" + ProcessHandle.current().pid() % 100000;
        Path conf = scratch(resources, "fullstop").resolve(name + ".conf");
        String text = String.join("\n", "[Interface]", "PrivateKey = " + b64(newKey()), "Address = 10.237.0.1/32",
                "[Peer]", "PublicKey = " + publicOf(newKey()), "AllowedIPs = 0.0.0.0/0, ::/0", "");
        String before = tables(ns);

        Files.writeString(conf, text.replace("[Peer]", "PostUp = false\n[Peer]"));
        WireGuardServer failing = new WireGuardServer(quiet());
        new CommandLine(failing).parseArgs("--transport", "epoll", "--no-uapi", conf.toString());
        WireGuardServer.StartupException e = org.junit.jupiter.api.Assertions.assertThrows(
                WireGuardServer.StartupException.class, () -> ns.call(failing::start));
        assertTrue(e.getMessage().contains("PostUp 'false' failed"), e.getMessage());
        awaitGone(ns, name);
        assertEquals(before, tables(ns), "a failed start leaves no rule");

        Files.writeString(conf, text);
        Process server = spawnServer(ns, name, "--transport", "epoll", "--no-uapi", conf.toString());
        assertTrue(ns.ip("-6", "rule", "show").contains("lookup 51820"), ns.ip("-6", "rule", "show"));
        server.destroy(); // SIGTERM
        assertTrue(server.waitFor(30, TimeUnit.SECONDS), "stopped");
        awaitGone(ns, name);
        assertEquals(before, tables(ns), "SIGTERM leaves no rule: " + ns.log(server));
    }

    @Test
    void anExplicitTableTakesTheRoutesAndOffTakesNone() throws Exception {
        TemporaryNetns ns = resources.add(TemporaryNetns.create());
        String name = "wtt" + ProcessHandle.current().pid() % 100000;
        Path conf = scratch(resources, "tables").resolve(name + ".conf");
        String peer = String.join("\n", "[Peer]",
                "PublicKey = " + publicOf(newKey()),
                "AllowedIPs = 0.0.0.0/0, 10.236.0.0/16", "");
        String head = String.join("\n", "[Interface]",
                "PrivateKey = " + b64(newKey()),
                "Address = 10.235.0.1/24", "");
        String before = tables(ns);
        String rulesBefore = ns.ip("-4", "rule", "show") + ns.ip("-6", "rule", "show");

        Files.writeString(conf, head + "Table = 1234\n" + peer);
        WireGuardServer server = new WireGuardServer(quiet());
        new CommandLine(server).parseArgs("--transport", "epoll", "--no-uapi", conf.toString());
        try (WireGuardServer.Running running = ns.call(server::start)) {
            String table = ns.ip("route", "show", "table", "1234");
            assertTrue(table.contains("default dev " + name) && table.contains("10.236.0.0/16 dev " + name), table);
            assertFalse(ns.ip("route", "show").contains("10.236.0.0/16"), "nothing in main");
            assertEquals(rulesBefore, ns.ip("-4", "rule", "show") + ns.ip("-6", "rule", "show"), "no rules");
        }
        awaitGone(ns, name);
        assertEquals(before, tables(ns));

        Files.writeString(conf, head + "Table = off\n" + peer);
        server = new WireGuardServer(quiet());
        new CommandLine(server).parseArgs("--transport", "epoll", "--no-uapi", conf.toString());
        try (WireGuardServer.Running running = ns.call(server::start)) {
            String all = ns.ip("route", "show", "table", "all");
            assertFalse(all.contains("10.236.0.0/16") || all.contains("default"), all);
        }
        awaitGone(ns, name);
        assertEquals(before, tables(ns));
    }
}

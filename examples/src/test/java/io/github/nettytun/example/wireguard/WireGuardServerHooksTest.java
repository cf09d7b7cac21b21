/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.handler.vpn.wireguard.WireGuardCrypto;
import io.github.nettytun.testing.Closer;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TemporaryNetns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.github.nettytun.example.wireguard.ServerFiles.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PreUp, PostUp, PreDown and PostDown as wg-quick runs them: in order, {@code %i} replaced, each seeing the
 * interface in the state wg-quick promises (not there yet; up with its address and routes; still there), their
 * effects in the server's namespace; a failing PreUp starts nothing, a failing PostUp takes the interface down again.
 */
@Privileged
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WireGuardServerHooksTest {

    private final Closer resources = new Closer();

    @AfterEach
    void cleanUp() throws Exception {
        resources.close();
    }

    private Path dir() throws Exception {
        return scratch(resources, "wghooks");
    }

    private static String config(String... hooks) {
        byte[] key = newKey();
        byte[] peer = WireGuardCrypto.publicKey(newKey());
        return String.join("\n", "[Interface]", "PrivateKey = " + b64(key),
                "Address = 10.218.0.1/24", String.join("\n", hooks), "[Peer]",
                "PublicKey = " + b64(peer), "AllowedIPs = 10.219.0.0/16", "");
    }

    @Test
    void hooksRunInOrderWithTheInterfaceAsWgQuickHasIt() throws Exception {
        TemporaryNetns ns = resources.add(TemporaryNetns.create());
        Path dir = dir();
        Path log = dir.resolve("hooks.log");
        String name = "wkh" + ProcessHandle.current().pid() % 100000;
        String state = "$(ip -o addr show dev %i 2>/dev/null | grep -c 10.218.0.1 || true)";
        Path conf = dir.resolve(name + ".conf");
        Files.writeString(conf, config(
                "PreUp = echo pre-up %i " + state + " >> " + log,
                "PostUp = echo post-up %i " + state + " $(ip route show dev %i | grep -c 10.219.0.0/16) >> " + log,
                "PostUp = ip route add 10.220.0.0/16 dev %i",
                "PreDown = echo pre-down %i " + state + " >> " + log,
                "PostDown = echo post-down %i >> " + log));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WireGuardServer server = new WireGuardServer(into(out));
        new CommandLine(server).parseArgs("--no-uapi", conf.toString());
        WireGuardServer.Running running = resources.add(ns.call(server::start));
        assertTrue(ns.ip("route", "show").contains("10.220.0.0/16 dev " + name), "the PostUp's route, in the "
                + "server's namespace: " + ns.ip("route", "show"));
        assertEquals(List.of("pre-up " + name + " 0", "post-up " + name + " 1 1"), Files.readAllLines(log));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("[#] ip route add 10.220.0.0/16 dev " + name),
                out.toString(StandardCharsets.UTF_8));

        running.close(); // from this thread, outside the namespace: the down hooks still run inside it
        assertEquals(List.of("pre-up " + name + " 0", "post-up " + name + " 1 1", "pre-down " + name + " 1",
                "post-down " + name), Files.readAllLines(log));
    }

    @Test
    void aFailingPreUpStartsNothing() throws Exception {
        TemporaryNetns ns = resources.add(TemporaryNetns.create());
        Path dir = dir();
        String name = "wkp" + ProcessHandle.current().pid() % 100000;
        Path conf = dir.resolve(name + ".conf");
        Files.writeString(conf, config("PreUp = echo checking; exit 3", "PostUp = touch " + dir.resolve("post-up")));
        WireGuardServer server = new WireGuardServer(quiet());
        new CommandLine(server).parseArgs("--no-uapi", conf.toString());
        WireGuardServer.StartupException e = assertThrows(WireGuardServer.StartupException.class,
                () -> ns.call(server::start));
        assertEquals(1, e.status);
        assertTrue(e.getMessage().contains("PreUp 'echo checking; exit 3' failed with exit status 3"), e.getMessage());
        assertFalse(ns.ip("-o", "link", "show").contains(name), "no interface");
        assertFalse(Files.exists(dir.resolve("post-up")), "nothing after it ran");
    }

    @Test
    void aFailingPostUpTakesTheInterfaceDownAgain() throws Exception {
        TemporaryNetns ns = resources.add(TemporaryNetns.create());
        Path dir = dir();
        String name = "wkq" + ProcessHandle.current().pid() % 100000;
        Path conf = dir.resolve(name + ".conf");
        Files.writeString(conf, config("PostUp = ip link show %i > " + dir.resolve("seen"), "PostUp = false",
                "PostUp = touch " + dir.resolve("third"), "PostDown = touch " + dir.resolve("post-down")));
        String routesBefore = ns.ip("route", "show");
        WireGuardServer server = new WireGuardServer(quiet());
        new CommandLine(server).parseArgs("--no-uapi", conf.toString());
        WireGuardServer.StartupException e = assertThrows(WireGuardServer.StartupException.class,
                () -> ns.call(server::start));
        assertEquals(1, e.status);
        assertTrue(e.getMessage().contains("PostUp 'false' failed with exit status 1 (the interface was removed "
                + "again)"), e.getMessage());
        assertTrue(Files.readString(dir.resolve("seen")).contains(name), "the first PostUp saw the interface");
        assertFalse(Files.exists(dir.resolve("third")), "the commands after the failed one did not run");
        assertFalse(Files.exists(dir.resolve("post-down")), "no down hooks for a start that failed (as wg-quick)");
        awaitGone(ns, name);
        assertEquals(routesBefore, ns.ip("route", "show"), "routes as before");
    }
}

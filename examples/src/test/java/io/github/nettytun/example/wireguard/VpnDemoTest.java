/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TestRequirements;
import io.github.nettytun.testing.WireGuardGo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's main job in its short mode: exit status 0, the summary printed, nothing left behind. */
@Privileged
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VpnDemoTest {

    @Test
    void shortRunPrintsTheSummaryAndCleansUp() throws Exception {
        TestRequirements.require(WireGuardGo.installed(), "wireguard-go and wg are not installed");
        String prefix = "ntt-demo-" + ProcessHandle.current().pid();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            status = new CommandLine(new VpnDemo(out)).execute("--seconds", "1", "--prefix", prefix);
        }
        String text = output.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, text);
        assertTrue(text.contains("| pair "), text);
        for (String row : new String[] {"| epoll <-> epoll ", "| io_uring <-> io_uring ", "| epoll <-> wireguard-go "}) {
            assertTrue(text.contains(row), "summary row " + row + ":\n" + text);
        }
        assertTrue(text.contains("handshake 1 with"), text);
        assertTrue(text.contains("curl -s http://127.0.0.1:9586/metrics"), text);
        assertTrue(text.matches("(?s).*\\n    wireguard_received_bytes_total\\{[^}]*} [1-9].*"), "the scrape: " + text);

        Process list = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String namespaces = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        list.waitFor(); // reaped before the child processes are counted below
        assertFalse(namespaces.contains(prefix), "namespaces removed: " + namespaces);
        try (Stream<Path> sockets = Files.list(UapiServer.SOCKET_DIRECTORY)) {
            String pid = "wgd" + ProcessHandle.current().pid() % 10000 + "r";
            assertTrue(sockets.noneMatch(p -> p.getFileName().toString().startsWith(pid)), "UAPI sockets removed");
        }
        assertTrue(ProcessHandle.current().children().noneMatch(p -> p.info().command().orElse("")
                .endsWith("wireguard-go")), "no wireguard-go left running");
    }
}

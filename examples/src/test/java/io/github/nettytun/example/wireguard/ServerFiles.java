/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.handler.vpn.wireguard.WireGuardCrypto;
import io.github.nettytun.testing.Closer;
import io.github.nettytun.testing.TemporaryNetns;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** What the server tests share: keys as wg-quick files write them, scratch directories, the server's output. */
final class ServerFiles {

    private ServerFiles() {
    }

    static byte[] newKey() {
        return WireGuardCrypto.generatePrivateKey(new SecureRandom());
    }

    static String b64(byte[] key) {
        return Base64.getEncoder().encodeToString(key);
    }

    /** The public key of {@code privateKey}, as {@code wg pubkey} prints it. */
    static String publicOf(byte[] privateKey) {
        return b64(WireGuardCrypto.publicKey(privateKey));
    }

    /** A directory that {@code resources} deletes, with what is in it, when the test ends. */
    static Path scratch(Closer resources, String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        resources.add(() -> {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        });
        return dir;
    }

    /**
     * The server's command line ({@code wireguard ARGS}) in a process of its own in {@code ns}, returned once it has
     * printed its start line for interface {@code name}.
     */
    static Process spawnServer(TemporaryNetns ns, String name, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.github.nettytun.example.Main", "wireguard"));
        cmd.addAll(List.of(args));
        Process server = ns.spawn(cmd.toArray(new String[0]));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!ns.log(server).contains("netty-tun WireGuard " + name)) {
            if (!server.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("server did not start: " + ns.log(server));
            }
            Thread.sleep(50);
        }
        return server;
    }

    /** Waits up to 10 s for interface {@code name} to leave {@code ns} (the kernel removes it a moment later). */
    static void awaitGone(TemporaryNetns ns, String name) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ns.ip("-o", "link", "show").contains(name) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        if (ns.ip("-o", "link", "show").contains(name)) {
            throw new AssertionError("interface " + name + " still there: " + ns.ip("-o", "link", "show"));
        }
    }

    /** A stream for a server's output that nobody reads. */
    static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }

    /** A stream for a server's output into {@code sink}. */
    static PrintStream into(ByteArrayOutputStream sink) {
        return new PrintStream(sink, true, StandardCharsets.UTF_8);
    }
}

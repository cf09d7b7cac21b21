/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

/**
 * Debian's wireguard-go, the stock WireGuard peer of the interop tests and benchmarks: started in a namespace of
 * the caller's, in the foreground, and configured afterwards with {@code wg} through its UAPI socket.
 */
public final class WireGuardGo {

    /** Where userspace WireGuard implementations put their UAPI sockets. */
    public static final Path SOCKET_DIRECTORY = Paths.get("/var/run/wireguard");

    private WireGuardGo() {
    }

    /** Whether wireguard-go and wg are on the PATH. */
    public static boolean installed() {
        return onPath("wireguard-go") && onPath("wg");
    }

    /**
     * Upstream wireguard-go with its offloads (the project's bar): {@code $WIREGUARD_GO_MODERN}, else
     * {@code shared/tools/wireguard-go-modern} beside this checkout (looked for from the working directory up, so
     * that a module's tests find it too); null when neither is an executable file.
     */
    public static Path modern() {
        String env = System.getenv("WIREGUARD_GO_MODERN");
        if (env != null && !env.isEmpty()) {
            return Files.isExecutable(Paths.get(env)) ? Paths.get(env).toAbsolutePath() : null;
        }
        for (Path dir = Paths.get("").toAbsolutePath(); dir.getParent() != null; dir = dir.getParent()) {
            Path candidate = dir.resolveSibling("shared").resolve("tools").resolve("wireguard-go-modern");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** Whether {@code command} is an executable on the PATH. */
    public static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Paths.get(dir, command))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Starts {@code wireguard-go IFNAME} inside {@code ns} (ended by {@code ns.close()}) and waits until its UAPI
     * socket is there, so that {@code wg set IFNAME ...} works. The name must be unique on the machine: the socket
     * directory is shared by all namespaces.
     */
    public static Process start(TemporaryNetns ns, String ifName) throws IOException, InterruptedException {
        return start(ns, ifName, "wireguard-go");
    }

    /** As {@link #start(TemporaryNetns, String)} with another build of wireguard-go ({@code binary}: a path). */
    public static Process start(TemporaryNetns ns, String ifName, String binary)
            throws IOException, InterruptedException {
        Process p = ns.spawn("env", "WG_PROCESS_FOREGROUND=1", binary, ifName);
        Path socket = SOCKET_DIRECTORY.resolve(ifName + ".sock");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.exists(socket)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new IOException("wireguard-go did not start: " + ns.log(p));
            }
            Thread.sleep(20);
        }
        return p;
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import io.github.nettytun.channel.tun.NetworkNamespace;

import java.io.File;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace that a test, a benchmark or a demo creates, works in and always removes, with the processes
 * it started there. Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and iproute2's {@code ip}.
 *
 * <pre>{@code
 * try (TemporaryNetns ns = TemporaryNetns.create()) {
 *     TunChannel tun = ns.call(() -> bind(...));       // Java code on a thread inside the namespace
 *     ns.ip("addr", "show");                            // ip -n NAME addr show
 *     Process p = ns.spawn("iperf3", "-s");             // ip netns exec NAME iperf3 -s, ended by close()
 * }
 * }</pre>
 *
 * <p>Names are {@code ntt-PID-N}, so concurrent runs do not collide. Closing kills the processes this object
 * spawned (by their PID, never by name), closes the namespace handle and runs {@code ip netns del}; devices in the
 * namespace go with it. A JVM shutdown hook closes any namespace a crashed test or an interrupted benchmark left.
 */
public final class TemporaryNetns implements AutoCloseable {

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Set<String> LIVE = ConcurrentHashMap.newKeySet();
    private static final Set<TemporaryNetns> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // Ctrl-C or SIGTERM in the middle of a run: end what the namespaces run, then remove them.
            for (TemporaryNetns ns : OPEN) {
                try {
                    ns.close();
                } catch (IOException | RuntimeException ignored) {
                    // best effort at JVM exit; the name-based pass below retries the deletion
                }
            }
            for (String name : LIVE) {
                try {
                    run(List.of("ip", "netns", "del", name));
                } catch (IOException | RuntimeException ignored) {
                    // best effort at JVM exit
                }
            }
        }, "test-netns-cleanup"));
    }

    private final String name;
    private final NetworkNamespace namespace;
    private final List<Process> processes = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();
    private boolean closed;

    private TemporaryNetns(String name, NetworkNamespace namespace) {
        this.name = name;
        this.namespace = namespace;
    }

    /** Creates a namespace with its loopback up, named {@code ntt-PID-N}. */
    public static TemporaryNetns create() throws IOException {
        return create("ntt-" + ProcessHandle.current().pid() + '-' + COUNTER.incrementAndGet());
    }

    /** Creates a namespace of this name (it must not exist) with its loopback up. */
    public static TemporaryNetns create(String name) throws IOException {
        run(List.of("ip", "netns", "add", name));
        LIVE.add(name);
        NetworkNamespace ns;
        try {
            ns = NetworkNamespace.named(name);
        } catch (IOException | RuntimeException e) {
            delete(name);
            throw e;
        }
        TemporaryNetns netns = new TemporaryNetns(name, ns);
        OPEN.add(netns);
        try {
            netns.ip("link", "set", "lo", "up");
        } catch (IOException | RuntimeException e) {
            netns.close();
            throw e;
        }
        return netns;
    }

    /** The name, as {@code ip netns list} shows it. */
    public String name() {
        return name;
    }

    /** The namespace handle (valid until {@link #close()}). */
    public NetworkNamespace namespace() {
        return namespace;
    }

    /** Runs Java code on a thread inside the namespace; sockets and TUN channels it creates live there. */
    public <T> T call(Callable<T> task) throws Exception {
        return namespace.call(task);
    }

    /** {@link #call(Callable)} without a result. */
    public void run(NetworkNamespace.ThrowingRunnable task) throws Exception {
        namespace.run(task);
    }

    /** {@code ip -n NAME args...}; returns stdout, throws with stderr on a non-zero exit. */
    public String ip(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", name));
        cmd.addAll(Arrays.asList(args));
        return run(cmd);
    }

    /**
     * Joins this namespace and {@code peer} with a veth pair: {@code ifName} here, {@code peerIfName} there, each with
     * its address ({@code null} for none) of {@code prefixLength}, both up. The pair goes with the namespaces.
     */
    public void veth(String ifName, InetAddress address, TemporaryNetns peer, String peerIfName,
                     InetAddress peerAddress, int prefixLength) throws IOException {
        ip("link", "add", ifName, "type", "veth", "peer", "name", peerIfName, "netns", peer.name());
        addAddress(ifName, address, prefixLength);
        peer.addAddress(peerIfName, peerAddress, prefixLength);
        ip("link", "set", ifName, "up");
        peer.ip("link", "set", peerIfName, "up");
    }

    private void addAddress(String ifName, InetAddress address, int prefixLength) throws IOException {
        if (address instanceof Inet6Address) { // no duplicate address detection: usable at once
            ip("addr", "add", address.getHostAddress() + '/' + prefixLength, "dev", ifName, "nodad");
        } else if (address != null) {
            ip("addr", "add", address.getHostAddress() + '/' + prefixLength, "dev", ifName);
        }
    }

    /** Runs a command inside the namespace to completion; returns stdout, throws on a non-zero exit. */
    public String exec(String... command) throws IOException {
        return run(inNamespace(command));
    }

    /**
     * Starts a long-running command inside the namespace; its output goes to a log file that
     * {@link #log(Process)} reads. {@link #close()} ends it.
     */
    public synchronized Process spawn(String... command) throws IOException {
        Path log = Files.createTempFile("ntt-" + name + '-', ".log");
        Process p = new ProcessBuilder(inNamespace(command)).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        processes.add(p);
        logs.add(log);
        return p;
    }

    /** The output so far of a process started with {@link #spawn(String...)}. */
    public synchronized String log(Process p) throws IOException {
        int i = processes.indexOf(p);
        if (i < 0) {
            throw new IllegalArgumentException("not spawned here: " + p);
        }
        return Files.readString(logs.get(i), StandardCharsets.UTF_8);
    }

    private List<String> inNamespace(String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
        cmd.addAll(Arrays.asList(command));
        return cmd;
    }

    private static String run(List<String> cmd) throws IOException {
        File err = File.createTempFile("ntt-cmd", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IOException(String.join(" ", cmd) + " did not finish within 60 s");
            }
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " exited with " + p.exitValue() + ": "
                        + Files.readString(err.toPath(), StandardCharsets.UTF_8).trim());
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + String.join(" ", cmd), e);
        } finally {
            Files.deleteIfExists(err.toPath());
        }
    }

    private static void delete(String name) throws IOException {
        run(List.of("ip", "netns", "del", name));
        LIVE.remove(name);
    }

    /** Ends the spawned processes, then deletes the namespace. Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        OPEN.remove(this);
        IOException failure = null;
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        for (Path log : logs) {
            Files.deleteIfExists(log);
        }
        namespace.close();
        try {
            delete(name);
        } catch (IOException e) {
            failure = e;
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "netns " + name;
    }
}

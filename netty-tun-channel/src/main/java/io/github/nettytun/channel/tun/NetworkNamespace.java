/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import com.sun.jna.LastErrorException;
import io.github.nettytun.channel.tun.internal.Ioctl;
import io.github.nettytun.channel.tun.internal.LibC;
import io.netty.util.internal.ObjectUtil;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * A Linux network namespace, held open by a file descriptor, in which code can be run.
 *
 * <p>Linux binds a socket or a TUN device to the network namespace of the <em>thread</em> that creates it
 * (for TUN: the thread that opens {@code /dev/net/tun}), and {@code setns(2)} moves only the calling thread.
 * So one JVM can hold devices and sockets in several namespaces: construct the channel (or the socket) inside
 * {@link #call(Callable)}, then register and use it from any thread or event loop:
 *
 * <pre>{@code
 * try (NetworkNamespace ns = NetworkNamespace.named("vpn")) {
 *     Channel tun = ns.call(() -> bootstrap.bind(new TunAddress("wg0")).sync().channel());
 * }
 * }</pre>
 *
 * <p>{@link #call(Callable)} runs the task on a fresh thread that joined the namespace (never on the caller's
 * thread, whose namespace stays what it was), unless the caller already is in that namespace.
 * Entering a namespace needs {@code CAP_SYS_ADMIN}.
 */
public final class NetworkNamespace implements Closeable {

    private static final Path NETNS_RUN_DIR = Paths.get("/var/run/netns");

    private final int fd;
    private final String description;
    private volatile boolean closed;

    private NetworkNamespace(int fd, String description) {
        this.fd = fd;
        this.description = description;
    }

    /**
     * Opens the namespace that {@code ip netns add NAME} published at {@code /var/run/netns/NAME}.
     */
    public static NetworkNamespace named(String name) throws IOException {
        ObjectUtil.checkNonEmpty(name, "name");
        if (name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("namespace name must not contain '/': " + name);
        }
        return open(NETNS_RUN_DIR.resolve(name));
    }

    /**
     * Opens a namespace file: {@code /var/run/netns/NAME}, {@code /proc/PID/ns/net} or
     * {@code /proc/thread-self/ns/net}.
     */
    public static NetworkNamespace open(Path path) throws IOException {
        ObjectUtil.checkNotNull(path, "path");
        try {
            return new NetworkNamespace(LibC.INSTANCE.open(path.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC),
                    path.toString());
        } catch (LastErrorException e) {
            throw new IOException("cannot open network namespace " + path + ": " + e.getMessage()
                    + (e.getErrorCode() == LibC.ENOENT ? " (create it with 'ip netns add')" : ""), e);
        }
    }

    /** The namespace of the calling thread. */
    public static NetworkNamespace current() throws IOException {
        return open(Paths.get("/proc/thread-self/ns/net"));
    }

    /** The namespace a socket or TUN file descriptor belongs to ({@code SIOCGSKNS}, Linux 4.9+). */
    static NetworkNamespace of(int socketOrTunFd) throws IOException {
        try {
            return new NetworkNamespace(Ioctl.netnsOf(socketOrTunFd), "namespace of fd " + socketOrTunFd);
        } catch (LastErrorException e) {
            throw new IOException("SIOCGSKNS on fd " + socketOrTunFd + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Whether the calling thread is in this namespace: compares the namespace inode numbers
     * ({@code net:[4026531840]}).
     */
    public boolean isCurrent() throws IOException {
        ensureOpen();
        Path self = Paths.get("/proc/thread-self/ns/net");
        Path mine = Paths.get("/proc/self/fd/" + fd);
        return Files.readSymbolicLink(self).equals(Files.readSymbolicLink(mine));
    }

    /**
     * Runs {@code task} inside this namespace and returns its result; exceptions thrown by the task propagate
     * unchanged. Sockets and TUN channels the task creates stay in this namespace for their whole life.
     */
    public <T> T call(Callable<T> task) throws Exception {
        ObjectUtil.checkNotNull(task, "task");
        ensureOpen();
        if (isCurrent()) {
            return task.call();
        }
        FutureTask<T> future = new FutureTask<>(() -> {
            try {
                LibC.INSTANCE.setns(fd, LibC.CLONE_NEWNET);
            } catch (LastErrorException e) {
                throw new IOException("setns(" + description + ") failed: " + e.getMessage()
                        + (e.getErrorCode() == LibC.EPERM ? " (needs CAP_SYS_ADMIN)" : ""), e);
            }
            return task.call();
        });
        Thread thread = new Thread(future, "netns-" + description);
        thread.setDaemon(true);
        thread.start();
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception) {
                throw (Exception) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw e;
        }
    }

    /** {@link #call(Callable)} for tasks without a result. */
    public void run(ThrowingRunnable task) throws Exception {
        ObjectUtil.checkNotNull(task, "task");
        call(() -> {
            task.run();
            return null;
        });
    }

    /** A task for {@link #run(ThrowingRunnable)}. */
    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException(description + " is closed");
        }
    }

    /** Closes the file descriptor; the namespace itself lives on while anything else holds it. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LibC.INSTANCE.close(fd);
        }
    }

    @Override
    public String toString() {
        return "NetworkNamespace(" + description + ')';
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.handler.vpn.wireguard.WireGuardCrypto;
import io.github.nettytun.testing.TemporaryNetns;
import io.github.nettytun.testing.WireGuardGo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.github.nettytun.example.wireguard.VpnDemo.b64;
import static io.github.nettytun.example.wireguard.VpnDemo.literal;

/**
 * A soak run: our server (its own JVM, PARANOID leak detection) and Debian's wireguard-go in two namespaces of its
 * own, a TCP stream through the tunnel whose every byte is checked, and the faults of a long life: wireguard-go
 * killed and restarted, the underlay link flapping, a garbage flood from a third address (junk of every message type
 * and length, and initiations with a valid MAC1). At the end one report: bytes moved and checked, reconnects, the
 * server's drops by reason and handshakes, its peak heap, direct memory and resident size, and the leaks it logged,
 * which must be none. Exit status 0 only when the stream stayed exact, the server lived and nothing leaked.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
        description = {"Traffic through our WireGuard server for a long time, with peer restarts, link flaps and a "
                + "garbage flood; reports and checks leaks.", "Needs root, iproute2, wireguard-go and wg."})
public final class SoakRun implements Callable<Integer> {

    @Option(names = "--seconds", defaultValue = "600", description = "Length of the run (default 600).")
    int seconds;

    @Option(names = "--restart-every", defaultValue = "60", description = "Seconds between peer restarts.")
    int restartEvery;

    @Option(names = "--flap-every", defaultValue = "90", description = "Seconds between link flaps (3 s down).")
    int flapEvery;

    @Option(names = "--flood-rate", defaultValue = "5000", description = "Garbage datagrams a second.")
    int floodRate;

    private static final int PORT_A = 51860;
    private static final int PORT_B = 51861;
    private static final InetAddress UNDER_A = literal("10.96.0.1");
    private static final InetAddress UNDER_B = literal("10.96.0.2");
    private static final InetAddress FLOODER = literal("10.96.0.3");
    private static final InetAddress INNER_A = literal("10.97.0.1");
    private static final InetAddress INNER_B = literal("10.97.0.2");

    private final PrintStream out;
    private final AtomicLong checked = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong garbage = new AtomicLong();
    private final AtomicReference<String> failure = new AtomicReference<>();
    private volatile boolean stop;

    public SoakRun() {
        this(System.out);
    }

    SoakRun(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        if (!WireGuardGo.installed()) {
            out.println("soak: needs wireguard-go and wg (Debian: apt-get install wireguard-go wireguard-tools)");
            return 2;
        }
        String tag = "soak" + ProcessHandle.current().pid() % 100000;
        Path dir = Files.createTempDirectory("netty-tun-soak");
        try (TemporaryNetns a = TemporaryNetns.create(tag + "-a");
             TemporaryNetns b = TemporaryNetns.create(tag + "-b")) {
            return run(tag, dir, a, b);
        } finally {
            try (java.util.stream.Stream<Path> files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private int run(String tag, Path dir, TemporaryNetns a, TemporaryNetns b) throws Exception {
        String vethB = "vkb" + tag.substring(4);
        a.veth("vka" + tag.substring(4), UNDER_A, b, vethB, UNDER_B, 24);
        b.ip("addr", "add", FLOODER.getHostAddress() + "/24", "dev", vethB);
        byte[] keyA = WireGuardCrypto.generatePrivateKey(new SecureRandom());
        byte[] keyB = WireGuardCrypto.generatePrivateKey(new SecureRandom());
        Path conf = dir.resolve("wka" + tag.substring(4) + ".conf");
        Files.writeString(conf, String.join("\n", "[Interface]", "PrivateKey = " + b64(keyA),
                "ListenPort = " + PORT_A, "Address = " + INNER_A.getHostAddress() + "/24", "[Peer]",
                "PublicKey = " + b64(WireGuardCrypto.publicKey(keyB)),
                "AllowedIPs = " + INNER_B.getHostAddress() + "/32",
                "Endpoint = " + UNDER_B.getHostAddress() + ':' + PORT_B, ""));
        Path keyFileB = dir.resolve("b.key");
        Files.writeString(keyFileB, b64(keyB) + "\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        java.util.List<String> command = new java.util.ArrayList<>(List.of(java));
        command.addAll(WireGuardServer.launcherJvmOptions());
        command.addAll(List.of("-Dio.netty.leakDetection.level=paranoid", "-cp", System.getProperty("java.class.path"),
                "io.github.nettytun.example.Main", "wireguard", "--no-uapi", "--stats-interval", "30",
                conf.toString()));
        Process server = a.spawn(command.toArray(new String[0]));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!a.log(server).contains("netty-tun WireGuard")) {
            if (!server.isAlive() || System.nanoTime() > deadline) {
                out.println("soak: the server did not start:\n" + a.log(server));
                return 1;
            }
            Thread.sleep(50);
        }
        String[] theirs = {startWireGuardGo(b, tag, 0, keyFileB, WireGuardCrypto.publicKey(keyA))};
        b.exec("ping", "-c", "1", "-w", "10", INNER_A.getHostAddress());

        ServerSocket listener = a.call(() -> new ServerSocket(0, 4, INNER_A));
        Thread receiver = daemon("soak-receiver", () -> receive(listener));
        Thread sender = daemon("soak-sender", () -> send(b, listener.getLocalPort()));
        Thread flooder = daemon("soak-flood", () -> flood(b, WireGuardCrypto.publicKey(keyA)));

        long start = System.nanoTime();
        int restarts = 0;
        int flaps = 0;
        for (int second = 1; second <= seconds && failure.get() == null && server.isAlive(); second++) {
            Thread.sleep(1000);
            if (restartEvery > 0 && second % restartEvery == 0) {
                b.exec("ip", "link", "del", theirs[0]); // wireguard-go exits with its interface
                waitForExit(theirs[0]);
                theirs[0] = startWireGuardGo(b, tag, ++restarts, keyFileB, WireGuardCrypto.publicKey(keyA));
            }
            if (flapEvery > 0 && second % flapEvery == flapEvery / 2) {
                b.ip("link", "set", vethB, "down");
                Thread.sleep(3000);
                second += 3;
                b.ip("link", "set", vethB, "up");
                flaps++;
            }
            if (second % 60 == 0) {
                out.printf(Locale.ROOT, "soak: %d s, %d MiB checked, %d restarts, %d flaps, %d reconnects%n",
                        second, checked.get() >> 20, restarts, flaps, reconnects.get());
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        stop = true;
        listener.close();
        flooder.join(5000);
        sender.join(10_000);
        receiver.join(10_000);

        boolean alive = server.isAlive();
        String stats = "";
        if (alive) {
            a.exec("kill", "-USR1", Long.toString(server.pid()));
            Thread.sleep(2000);
            String log = a.log(server);
            stats = log.substring(Math.max(0, log.lastIndexOf(": stats ") - 30));
        }
        long peakRss = peakRssMiB(server.pid());
        server.destroy();
        server.waitFor(30, TimeUnit.SECONDS);
        String log = a.log(server);
        long leaks = log.lines().filter(l -> l.contains("LEAK:")).count();
        out.printf(Locale.ROOT, "soak report (JDK %s): %.0f s; %d MiB through the tunnel, every byte checked (%s); "
                        + "%d TCP reconnects; %d peer restarts; %d link flaps; %d garbage datagrams; server peak RSS "
                        + "%d MiB; leaks %d; server %s%n%s%n", System.getProperty("java.version"), elapsed,
                checked.get() >> 20, failure.get() == null ? "exact" : "FAILED: " + failure.get(), reconnects.get(),
                restarts, flaps, garbage.get(), peakRss, leaks, alive ? "alive to the end" : "DIED:\n" + log,
                stats.trim());
        if (leaks > 0) {
            out.println(log);
        }
        return failure.get() == null && alive && leaks == 0 && checked.get() > 0 ? 0 : 1;
    }

    private String startWireGuardGo(TemporaryNetns b, String tag, int n, Path keyFile, byte[] peerKey)
            throws Exception {
        String ifName = "wkb" + tag.substring(4) + 'x' + n;
        WireGuardGo.start(b, ifName);
        b.exec("wg", "set", ifName, "private-key", keyFile.toString(), "listen-port", Integer.toString(PORT_B),
                "peer", b64(peerKey), "endpoint", UNDER_A.getHostAddress() + ':' + PORT_A, "allowed-ips",
                INNER_A.getHostAddress() + "/32");
        b.ip("addr", "add", INNER_B.getHostAddress() + "/24", "dev", ifName);
        b.ip("link", "set", ifName, "mtu", "1420", "up");
        return ifName;
    }

    private static void waitForExit(String ifName) throws InterruptedException {
        Path socket = WireGuardGo.SOCKET_DIRECTORY.resolve(ifName + ".sock");
        for (int i = 0; i < 500 && Files.exists(socket); i++) {
            Thread.sleep(20);
        }
    }

    /** The byte at stream offset {@code i}: a pattern no shift or repetition of the stream matches. */
    private static byte expected(long i) {
        return (byte) (i * 31 + (i >>> 9) + (i >>> 20) * 7);
    }

    /**
     * Accepts connections and checks every byte against the pattern, continuing across reconnects: a new connection
     * starts at the offset its sender announces (what had been checked when it connected), so it may repeat bytes
     * the old connection still delivered, which are checked again; it may not skip any.
     */
    private void receive(ServerSocket listener) {
        byte[] buf = new byte[1 << 16];
        while (!stop) {
            try (Socket s = listener.accept(); InputStream in = s.getInputStream()) {
                long at = new java.io.DataInputStream(in).readLong();
                if (at > checked.get()) {
                    failure.compareAndSet(null, "a reconnect skipped from " + checked.get() + " to " + at);
                    return;
                }
                for (int n; (n = in.read(buf)) > 0; ) {
                    for (int i = 0; i < n; i++, at++) {
                        if (buf[i] != expected(at)) {
                            failure.compareAndSet(null, "byte " + at + " changed on the way");
                            return;
                        }
                    }
                    checked.accumulateAndGet(at, Math::max);
                }
            } catch (IOException e) {
                if (!stop) {
                    reconnects.incrementAndGet(); // the sender reconnects and says where it resumes
                }
            }
        }
    }

    /** Streams the pattern from B; after a broken connection, reconnects and resumes at what A has checked. */
    private void send(TemporaryNetns b, int port) {
        byte[] chunk = new byte[1 << 16];
        while (!stop) {
            try (Socket s = b.call(() -> {
                Socket c = new Socket();
                c.bind(new InetSocketAddress(INNER_B, 0));
                c.connect(new InetSocketAddress(INNER_A, port), 30_000);
                return c;
            }); OutputStream o = s.getOutputStream()) {
                s.setSoTimeout(30_000);
                long at = checked.get();
                new java.io.DataOutputStream(o).writeLong(at);
                while (!stop) {
                    for (int i = 0; i < chunk.length; i++) {
                        chunk[i] = expected(at + i);
                    }
                    o.write(chunk);
                    at += chunk.length;
                }
            } catch (Exception e) {
                if (!stop) {
                    sleepQuietly(1000); // a broken connection: the receiver counts it
                }
            }
        }
    }

    /** Junk of every message type and length, and initiations with a valid MAC1, paced at the flood rate. */
    private void flood(TemporaryNetns b, byte[] serverPublic) {
        SplittableRandom random = new SplittableRandom(7);
        byte[] mac1Key = WireGuardCrypto.hash("mac1----".getBytes(StandardCharsets.US_ASCII), serverPublic);
        InetSocketAddress target = new InetSocketAddress(UNDER_A, PORT_A);
        try (DatagramChannel socket = b.call(() -> DatagramChannel.open().bind(new InetSocketAddress(FLOODER, 0)))) {
            long next = System.nanoTime();
            long interval = floodRate > 0 ? 1_000_000_000L / floodRate : Long.MAX_VALUE;
            while (!stop && floodRate > 0) {
                int[] lengths = {148, 92, 64, 32, 1, 200, 1500};
                byte[] msg = new byte[lengths[random.nextInt(lengths.length)] + (random.nextInt(4) == 0
                        ? random.nextInt(64) : 0)];
                random.nextBytes(msg);
                if (msg.length >= 4) {
                    msg[0] = (byte) (1 + random.nextInt(5));
                    msg[1] = 0;
                    msg[2] = 0;
                    msg[3] = 0;
                }
                if (msg.length == 148 && random.nextBoolean()) {
                    System.arraycopy(WireGuardCrypto.mac(mac1Key, msg, 0, 116), 0, msg, 116, 16);
                }
                try {
                    socket.send(ByteBuffer.wrap(msg), target);
                    garbage.incrementAndGet();
                } catch (IOException e) {
                    // the link is down (a flap)
                }
                next += interval;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } else if (wait < -1_000_000_000L) {
                    next = System.nanoTime(); // behind by a second: do not burst to catch up
                }
            }
        } catch (Exception e) {
            if (!stop) {
                failure.compareAndSet(null, "the flood failed: " + e);
            }
        }
    }

    /** The peak resident memory (VmHWM) of process {@code pid} in MiB, or -1 when it is gone. */
    static long peakRssMiB(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) >> 10;
                }
            }
        } catch (IOException e) {
            // gone already
        }
        return -1;
    }

    private static Thread daemon(String name, Runnable task) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

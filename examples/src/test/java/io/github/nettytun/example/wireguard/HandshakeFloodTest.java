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
import io.github.nettytun.testing.TestRequirements;
import io.github.nettytun.testing.WireGuardGo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Handshake floods against the real server (its own JVM, production settings) with Debian's wireguard-go as the
 * live peer. The attacker knows only the server's public key: it earns a cookie at its address, then sends
 * initiations with valid MAC1 and MAC2 as fast as one thread can for 10 s. The live session keeps its pings, a
 * peer restarted during the flood handshakes at its first attempt, and the server's memory stays flat. A second
 * flood, without cookies from 200 addresses, is answered with cookie replies.
 */
@Privileged
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HandshakeFloodTest {

    private static final Pattern RECEIVED = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");
    private static final int PORT_A = 51850;
    private static final int PORT_B = 51851;

    private final Closer resources = new Closer();
    private final String tag = Long.toString(ProcessHandle.current().pid() % 10000);
    private final byte[] keyA = WireGuardCrypto.generatePrivateKey(new SecureRandom());
    private final byte[] keyB = WireGuardCrypto.generatePrivateKey(new SecureRandom());
    private final byte[] publicA = WireGuardCrypto.publicKey(keyA);
    private TemporaryNetns a;
    private TemporaryNetns b;
    private Process server;
    private String vethB;

    @AfterEach
    void cleanUp() throws Exception {
        resources.close();
    }

    private static String b64(byte[] key) {
        return Base64.getEncoder().encodeToString(key);
    }

    /** Our server in A (10.231.0.1), wireguard-go in B (10.231.0.2), a session between them. */
    private String start(String... serverOptions) throws Exception {
        TestRequirements.require(WireGuardGo.installed(), "wireguard-go and wg are not installed");
        a = resources.add(TemporaryNetns.create());
        b = resources.add(TemporaryNetns.create());
        vethB = "vfb" + tag;
        a.veth("vfa" + tag, InetAddress.getByName("10.230.0.1"), b, vethB, InetAddress.getByName("10.230.0.2"), 24);
        String ifA = "wfa" + tag;
        Path dir = Files.createTempDirectory("wgflood");
        Path conf = dir.resolve(ifA + ".conf");
        Path keyFile = dir.resolve("b.key");
        resources.add(() -> {
            Files.deleteIfExists(conf);
            Files.deleteIfExists(keyFile);
            Files.deleteIfExists(dir);
        });
        Files.writeString(conf, String.join("\n", "[Interface]", "PrivateKey = " + b64(keyA),
                "ListenPort = " + PORT_A, "Address = 10.231.0.1/24", "[Peer]",
                "PublicKey = " + b64(WireGuardCrypto.publicKey(keyB)), "AllowedIPs = 10.231.0.2/32",
                "Endpoint = 10.230.0.2:" + PORT_B, ""));
        Files.writeString(keyFile, b64(keyB) + "\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // The launcher's JVM options (memory limits, allocator mode), production leak detection.
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(WireGuardServer.launcherJvmOptions());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.github.nettytun.example.Main",
                "wireguard", "--no-uapi", "--transport", "epoll", "--stats-interval", "1"));
        command.addAll(List.of(serverOptions));
        command.add(conf.toString());
        server = a.spawn(command.toArray(new String[0]));
        Await.until(() -> log().contains("netty-tun WireGuard " + ifA) || !server.isAlive(), 30,
                () -> "the server to start: " + log());
        assertTrue(server.isAlive(), log());
        return startWireGuardGo(keyFile);
    }

    private String startWireGuardGo(Path keyFile) throws Exception {
        String ifB = "wfb" + tag + "x" + System.nanoTime() % 100;
        WireGuardGo.start(b, ifB);
        b.exec("wg", "set", ifB, "private-key", keyFile.toString(), "listen-port", Integer.toString(PORT_B),
                "peer", b64(publicA), "endpoint", "10.230.0.1:" + PORT_A, "allowed-ips", "10.231.0.1/32");
        b.ip("addr", "add", "10.231.0.2/24", "dev", ifB);
        b.ip("link", "set", ifB, "mtu", "1420", "up");
        b.exec("ping", "-c", "1", "-w", "10", "10.231.0.1");
        return ifB;
    }

    private String log() {
        try {
            return a.log(server);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The server's peak resident memory so far (VmHWM), in MiB. */
    private long peakRssMiB() {
        return SoakRun.peakRssMiB(server.pid());
    }

    /** The last periodic stats line the server printed. */
    private String lastStats() {
        String stats = "";
        for (String line : log().split("\n")) {
            if (line.contains(": stats ")) {
                stats = line;
            }
        }
        return stats;
    }

    /** The namespace's UDP InDatagrams and RcvbufErrors (/proc/net/snmp). */
    private static long[] udpCounters(TemporaryNetns ns) throws IOException {
        String[] lines = ns.exec("cat", "/proc/net/snmp").split("\n");
        for (int i = 0; i < lines.length - 1; i++) {
            if (lines[i].startsWith("Udp:")) {
                List<String> names = List.of(lines[i].split("\\s+"));
                String[] values = lines[i + 1].split("\\s+");
                return new long[] {Long.parseLong(values[names.indexOf("InDatagrams")]),
                        Long.parseLong(values[names.indexOf("RcvbufErrors")])};
            }
        }
        throw new IllegalStateException("no Udp line in /proc/net/snmp");
    }

    private long cookieReplies() {
        Matcher m = Pattern.compile("cookie replies (\\d+)").matcher(lastStats());
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static int pings(TemporaryNetns ns, int count) throws IOException {
        String out = ns.exec("ping", "-c", Integer.toString(count), "-i", "0.1", "-W", "1", "10.231.0.1");
        Matcher m = RECEIVED.matcher(out);
        assertTrue(m.find(), out);
        return Integer.parseInt(m.group(2));
    }

    @Test
    void aValidCookieFloodFromOneAddressStarvesNeitherTheSessionNorANewHandshake() throws Exception {
        String ifB = start();
        b.ip("addr", "add", "10.230.0.3/24", "dev", vethB);
        DatagramChannel socket = resources.add(b.call(() -> DatagramChannel.open()
                .bind(new InetSocketAddress(InetAddress.getByName("10.230.0.3"), 0))));
        InetSocketAddress target = new InetSocketAddress(InetAddress.getByName("10.230.0.1"), PORT_A);
        Attacker attacker = new Attacker(publicA);
        attacker.earnCookie(socket, target);
        Await.until(() -> cookieReplies() > 0, 10, () -> "the cookie reply counted: " + log());
        Thread.sleep(1500); // a stats line after the last of the burst's replies
        long cookieReplies = cookieReplies();
        long rssBefore = peakRssMiB();

        try (Flood flood = Flood.start(List.of(socket), attacker.initiation, target)) {
            long[] before = udpCounters(a);
            int received = pings(b, 100);
            long[] after = udpCounters(a);
            System.out.printf("valid-cookie flood from one address: %s; pings kept %d of 100; the server's socket took "
                    + "%d datagrams, %d found its buffer full; server peak RSS %d MiB (%d before); %s%n",
                    flood.report(), received, after[0] - before[0], after[1] - before[1], peakRssMiB(), rssBefore,
                    lastStats());
            assertTrue(received >= 90, "the live session kept at least 90 of 100 pings: " + received);

            // wireguard-go restarts during the flood; its first initiation is answered (a cookie round would take
            // a retransmission, REKEY_TIMEOUT = 5 s, and ping -W 5 would see no reply).
            b.exec("ip", "link", "del", ifB); // wireguard-go exits with its interface
            Await.until(() -> !Files.exists(WireGuardGo.SOCKET_DIRECTORY.resolve(ifB + ".sock")), 10,
                    () -> "wireguard-go to exit");
            Path keyFile = Files.createTempFile("wgkey", ".txt");
            resources.add(() -> Files.deleteIfExists(keyFile));
            Files.writeString(keyFile, b64(keyB) + "\n");
            long start = System.nanoTime();
            startWireGuardGo(keyFile); // its ping -w 10 must succeed
            System.out.printf("restarted wireguard-go got its first ping reply %.3f s after it started; %s%n",
                    (System.nanoTime() - start) / 1e9, flood.report());
            Await.until(() -> lastStats().contains("handshakes 2"), 10, () -> "the second handshake: " + log());
        }
        String stats = lastStats();
        assertTrue(stats.contains("RATE_LIMITED="), stats);
        assertEquals(cookieReplies, cookieReplies(), "no cookie replies in the flood: neither the attacker (with its "
                + "cookie) nor the restarted peer (the device was never under load) needed one: " + stats);
        assertTrue(server.isAlive());
        assertFalse(log().contains("LEAK"), log());
        System.out.println("server peak RSS " + peakRssMiB() + " MiB; " + stats);
    }

    /**
     * 200 addresses the attacker owns flood initiations without cookies: they are answered with cookie replies as
     * far as the handshake queue allows, with no state beyond the rate limiter's table. The server's handshake thread
     * checks their MAC1 and makes the replies, the loop sends them in batches, so the live session keeps pings:
     * measured here 19-31 of 50, against 8-12 when the loop made every reply itself; the bar is set between the two.
     * The rest are lost at the server's socket: the loop takes about 170,000 of the 380,000 datagrams a second, its
     * time now in recvmmsg and sendmmsg.
     */
    @Test
    void aFloodWithoutCookiesFromManyAddressesIsAnsweredWithCookieReplies() throws Exception {
        start();
        Attacker attacker = new Attacker(publicA);
        List<DatagramChannel> sockets = new ArrayList<>();
        for (int i = 10; i < 210; i++) {
            InetAddress source = InetAddress.getByName("10.230.0." + i);
            b.ip("addr", "add", source.getHostAddress() + "/24", "dev", vethB);
            sockets.add(resources.add(b.call(() -> DatagramChannel.open().bind(new InetSocketAddress(source, 0)))));
        }
        InetSocketAddress target = new InetSocketAddress(InetAddress.getByName("10.230.0.1"), PORT_A);
        long[] before = udpCounters(a);
        try (Flood flood = Flood.start(sockets, attacker.initiation, target)) {
            int received = pings(b, 50);
            long[] after = udpCounters(a);
            System.out.printf("flood without cookies from 200 addresses: %s; pings kept %d of 50; the server's socket "
                    + "took %d datagrams, %d found its buffer full; server peak RSS %d MiB; %s%n", flood.report(),
                    received, after[0] - before[0], after[1] - before[1], peakRssMiB(), lastStats());
            Await.until(() -> lastStats().contains("COOKIE_REQUIRED="), 10, () -> "cookie replies: " + log());
            assertTrue(received >= 13, "the live session kept at least 13 of 50 pings: " + received);
        }
        assertTrue(server.isAlive());
        assertFalse(log().contains("LEAK"), log());
        // The socket buffer holds up to 7 MiB of the flood when it stops: the first ping may wait behind it.
        assertTrue(pings(b, 5) >= 1, "the session is there after the flood");
    }

    /**
     * 200 addresses, each with its own cookie, flood valid initiations: each source is held to 20 a second, but
     * together that is 4,000 Diffie-Hellman operations a second, more than one core has. The server's default does
     * that work on a handshake thread of its own (a bounded queue, overflow dropped); {@code --handshake-threads 0}
     * does it on the event loop within the work budget (25 % of the loop). Either way the live session keeps its
     * pings. The system property {@code flood.serverOptions} replaces the options (to measure others by hand).
     */
    @ParameterizedTest(name = "server options [{0}]")
    @ValueSource(strings = {"", "--handshake-threads 0"})
    void aCookieFloodFromManyAddressesLeavesTheDataPathAlone(String options) throws Exception {
        String chosen = System.getProperty("flood.serverOptions", options);
        start(chosen.isEmpty() ? new String[0] : chosen.split(" "));
        InetSocketAddress target = new InetSocketAddress(InetAddress.getByName("10.230.0.1"), PORT_A);
        List<DatagramChannel> sockets = new ArrayList<>();
        List<byte[]> initiations = new ArrayList<>();
        for (int i = 10; i < 210; i++) {
            InetAddress source = InetAddress.getByName("10.230.0." + i);
            b.ip("addr", "add", source.getHostAddress() + "/24", "dev", vethB);
            DatagramChannel socket = resources.add(b.call(() -> DatagramChannel.open()
                    .bind(new InetSocketAddress(source, 0))));
            Attacker attacker = new Attacker(publicA);
            attacker.earnCookie(socket, target);
            sockets.add(socket);
            initiations.add(attacker.initiation);
        }
        long[] before = udpCounters(a);
        try (Flood flood = Flood.start(sockets, initiations, target)) {
            int received = pings(b, 100);
            long[] after = udpCounters(a);
            System.out.printf("valid-cookie flood from 200 addresses, server options [%s]: %s; pings kept %d of 100; "
                    + "the server's socket "
                    + "took %d datagrams, %d found its buffer full; server peak RSS %d MiB; %s%n", chosen,
                    flood.report(),
                    received, after[0] - before[0], after[1] - before[1], peakRssMiB(), lastStats());
            // A ping is lost when the server's socket overflows: the flood comes from this machine's other core, so
            // the server's loop, its handshake thread, wireguard-go and the kernel share one. Measured here: 89-99
            // kept with the handshake thread (quiet machine or beside a niced fuzzer), 81-96 within the loop's
            // budget, 76-84 with no budget at all; the bar is set below all of them, for a shared CI machine.
            assertTrue(received >= 75, "the live session kept at least 75 of 100 pings: " + received);
            if (chosen.contains("--handshake-threads 0")) {
                Await.until(() -> lastStats().contains("HANDSHAKE_OVERLOAD="), 10, () -> "the budget spent: " + log());
            }
        }
        assertTrue(server.isAlive());
        assertFalse(log().contains("LEAK"), log());
    }

    /**
     * Initiations from someone who knows only the server's public key: random content (so the server's
     * Diffie-Hellman work finds no peer) with a valid MAC1, and once a cookie reply came, a valid MAC2.
     */
    private static final class Attacker {
        final byte[] initiation = new byte[148];
        private final byte[] serverPublic;

        Attacker(byte[] serverPublic) {
            this.serverPublic = serverPublic;
            new SecureRandom().nextBytes(initiation);
            initiation[0] = 1;
            initiation[1] = 0;
            initiation[2] = 0;
            initiation[3] = 0;
            byte[] mac1 = WireGuardCrypto.mac(WireGuardCrypto.hash(label("mac1----"), serverPublic), initiation, 0,
                    116);
            System.arraycopy(mac1, 0, initiation, 116, 16);
            java.util.Arrays.fill(initiation, 132, 148, (byte) 0);
        }

        private static byte[] label(String s) {
            return s.getBytes(StandardCharsets.US_ASCII);
        }

        /** Sends bursts of the initiation until the server answers with a cookie reply; adds MAC2 with it. */
        void earnCookie(DatagramChannel socket, InetSocketAddress target) throws IOException {
            socket.configureBlocking(false);
            ByteBuffer reply = ByteBuffer.allocate(256);
            for (int burst = 0; burst < 20; burst++) {
                for (int i = 0; i < 10; i++) {
                    socket.send(ByteBuffer.wrap(initiation), target);
                }
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
                while (System.nanoTime() < deadline) {
                    reply.clear();
                    if (socket.receive(reply) != null && reply.position() == 64 && reply.get(0) == 3) {
                        byte[] msg = java.util.Arrays.copyOf(reply.array(), 64);
                        byte[] cookie = WireGuardCrypto.xaeadOpen(
                                WireGuardCrypto.hash(label("cookie--"), serverPublic),
                                java.util.Arrays.copyOfRange(msg, 8, 32), java.util.Arrays.copyOfRange(msg, 32, 64),
                                java.util.Arrays.copyOfRange(initiation, 116, 132));
                        assertTrue(cookie != null, "the cookie reply opens");
                        byte[] mac2 = WireGuardCrypto.mac(cookie, initiation, 0, 132);
                        System.arraycopy(mac2, 0, initiation, 132, 16);
                        socket.configureBlocking(true);
                        return;
                    }
                    Thread.onSpinWait();
                }
            }
            throw new AssertionError("no cookie reply to 200 initiations");
        }
    }

    /** One thread sending {@code msg} to {@code target} round-robin over the sockets, as fast as it can. */
    private static final class Flood implements AutoCloseable {
        private final Thread thread;
        private final AtomicLong sent = new AtomicLong();
        private final long start = System.nanoTime();
        private volatile boolean stop;
        private volatile IOException failure;

        private Flood(List<DatagramChannel> sockets, List<byte[]> messages, InetSocketAddress target) {
            thread = new Thread(() -> {
                ByteBuffer[] bufs = new ByteBuffer[messages.size()];
                for (int i = 0; i < bufs.length; i++) {
                    bufs[i] = ByteBuffer.wrap(messages.get(i));
                }
                long n = 0;
                try {
                    while (!stop) {
                        int i = (int) (n % sockets.size());
                        ByteBuffer buf = bufs[i % bufs.length];
                        buf.rewind();
                        sockets.get(i).send(buf, target);
                        if (++n % 1024 == 0) {
                            sent.set(n);
                        }
                    }
                } catch (IOException e) {
                    failure = e;
                }
                sent.set(n);
            }, "handshake-flood");
            thread.setDaemon(true);
        }

        static Flood start(List<DatagramChannel> sockets, byte[] msg, InetSocketAddress target) {
            return start(sockets, List.of(msg), target);
        }

        /** Socket i sends message i (or the only one). */
        static Flood start(List<DatagramChannel> sockets, List<byte[]> messages, InetSocketAddress target) {
            Flood f = new Flood(sockets, messages, target);
            f.thread.start();
            return f;
        }

        String report() {
            double seconds = (System.nanoTime() - start) / 1e9;
            return String.format("%d initiations in %.1f s (%.0f/s)", sent.get(), seconds, sent.get() / seconds);
        }

        @Override
        public void close() throws Exception {
            stop = true;
            thread.join(10_000);
            if (failure != null) {
                throw failure;
            }
        }
    }
}

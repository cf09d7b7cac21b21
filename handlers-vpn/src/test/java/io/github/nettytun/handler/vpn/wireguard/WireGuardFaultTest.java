/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.Transport;
import io.github.nettytun.testing.Await;
import io.github.nettytun.testing.BlockingTask;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TcpTransfer;
import io.github.nettytun.testing.TemporaryNetns;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayDeque;
import java.util.SplittableRandom;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.INNER_A4;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.INNER_B4;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.PORT_A;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.PORT_B;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.UNDERLAY_A;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.UNDERLAY_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults on the way between our interface (A) and Debian's wireguard-go (B) during a TCP transfer from B to A, which
 * must arrive exactly: loss, duplication and reordering of the UDP datagrams by a relay in the test (the kernel here
 * has no netem), wireguard-go killed and restarted, the underlay link down for 10 s.
 */
@Privileged
class WireGuardFaultTest {

    private static final int WAIT_SECONDS = 120;
    private static final int RELAY_TO_B = 51900;
    private static final int RELAY_TO_A = 51901;

    /** A and B with a session; B's TCP client connected to A's server through the tunnel. */
    private static final class Setup {
        final WireGuardTestbed bed;
        final WireGuardDevice device = new WireGuardDevice(WireGuardTestbed.newPrivateKey());
        final byte[] theirKey = WireGuardTestbed.newPrivateKey();
        final WireGuardPeer peer;
        final InetSocketAddress theirEndpointOfUs;
        String theirs;
        Socket client;
        Socket accepted;

        Setup(WireGuardTestbed bed, InetSocketAddress ourEndpointOfThem, InetSocketAddress theirEndpointOfUs)
                throws Exception {
            this.bed = bed;
            this.theirEndpointOfUs = theirEndpointOfUs;
            peer = device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(theirKey))
                    .allowedIp(INNER_B4.getHostAddress() + "/32").endpoint(ourEndpointOfThem));
            bed.startOurs(bed.a, Transport.EPOLL, true, device, PORT_A);
            startTheirs();
            WireGuardTestbed.ping(bed.b, INNER_A4, 10);
            ServerSocket server = bed.resources.add(bed.a.call(() -> new ServerSocket(0, 1, INNER_A4)));
            server.setSoTimeout(WAIT_SECONDS * 1000);
            client = bed.resources.add(bed.b.call(() -> {
                Socket s = new Socket();
                s.bind(new InetSocketAddress(INNER_B4, 0));
                s.connect(new InetSocketAddress(INNER_A4, server.getLocalPort()), WAIT_SECONDS * 1000);
                return s;
            }));
            accepted = bed.resources.add(server.accept());
        }

        void startTheirs() throws Exception {
            theirs = bed.startWireGuardGo(bed.b, theirKey, PORT_B, device.publicKey(), null, theirEndpointOfUs,
                    INNER_A4.getHostAddress() + "/32");
        }

        /** Starts the transfer; returns its completion (which asserts every byte). */
        Future<Void> transfer(int total) {
            return BlockingTask.start("transfer", () -> {
                TcpTransfer.assertExact(client, accepted, total, pattern(), WAIT_SECONDS);
                return null;
            });
        }

        /** Waits until A has received {@code bytes} through the tunnel from B. */
        void awaitReceived(long bytes) throws InterruptedException {
            Await.until(() -> peer.rxBytes() >= bytes, WAIT_SECONDS, () -> bytes + " bytes through: " + peer);
        }
    }

    private static byte[] pattern() {
        byte[] chunk = new byte[1 << 20];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) (i * 31 + (i >>> 9));
        }
        return chunk;
    }

    @Test
    void lossDuplicationAndReorderingThroughARelay() throws Exception {
        try (WireGuardTestbed bed = new WireGuardTestbed();
             Relay relay = Relay.start(bed.a, 1)) {
            Setup s = new Setup(bed, new InetSocketAddress(UNDERLAY_A, RELAY_TO_A),
                    new InetSocketAddress(UNDERLAY_A, RELAY_TO_B));
            int total = 256 << 20;
            long start = System.nanoTime();
            s.transfer(total).get(WAIT_SECONDS * 2L, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("256 MiB exact through loss, duplication and reordering in %.1f s; relay %s; %s; %s%n",
                    seconds, relay, s.peer, s.device);
            assertTrue(relay.lost.get() > 0 && relay.duplicated.get() > 0 && relay.reordered.get() > 0,
                    "the relay did all three: " + relay);
            long replays = s.device.dropped(WireGuardDevice.Drop.REPLAY);
            assertTrue(replays > 0, "duplicates met the replay window: " + s.device);
            assertTrue(replays <= relay.duplicatedToA.get(), "only duplicates were refused as replays, no datagram"
                    + " reordered within the window: " + replays + " replays, " + relay);
            assertEquals(0, s.device.dropped(WireGuardDevice.Drop.DECRYPT_FAILED), s.device.toString());
        }
    }

    @Test
    void wireGuardGoKilledAndRestartedMidTransfer() throws Exception {
        try (WireGuardTestbed bed = new WireGuardTestbed()) {
            Setup s = new Setup(bed, new InetSocketAddress(UNDERLAY_B, PORT_B),
                    new InetSocketAddress(UNDERLAY_A, PORT_A));
            int total = 128 << 20;
            Future<Void> done = s.transfer(total);
            s.awaitReceived(32 << 20);
            long handshakes = s.peer.handshakes();
            bed.b.exec("ip", "link", "del", s.theirs); // wireguard-go exits with its interface
            Await.until(() -> !java.nio.file.Files.exists(io.github.nettytun.testing.WireGuardGo.SOCKET_DIRECTORY
                    .resolve(s.theirs + ".sock")), 10, () -> "wireguard-go to exit");
            Thread.sleep(2000);
            long rxAtRestart = s.peer.rxBytes();
            long restarted = System.nanoTime();
            s.startTheirs(); // same key and port; its first packet (a TCP retransmission) starts a handshake
            Await.until(() -> s.peer.rxBytes() > rxAtRestart + (1 << 20), WAIT_SECONDS,
                    () -> "traffic again: " + s.peer);
            double resumed = (System.nanoTime() - restarted) / 1e9;
            done.get(WAIT_SECONDS, TimeUnit.SECONDS);
            System.out.printf("wireguard-go restarted mid-transfer: traffic again %.2f s after its start; "
                    + "128 MiB exact; %s%n", resumed, s.peer);
            assertTrue(s.peer.handshakes() > handshakes, "a new handshake: " + s.peer);
        }
    }

    @Test
    void theUnderlayDownForTenSeconds() throws Exception {
        try (WireGuardTestbed bed = new WireGuardTestbed()) {
            Setup s = new Setup(bed, new InetSocketAddress(UNDERLAY_B, PORT_B),
                    new InetSocketAddress(UNDERLAY_A, PORT_A));
            int total = 128 << 20;
            Future<Void> done = s.transfer(total);
            s.awaitReceived(32 << 20);
            String veth = bed.b.ip("-o", "link", "show", "type", "veth").split(":")[1].trim().split("@")[0];
            bed.b.ip("link", "set", veth, "down");
            Thread.sleep(10_000);
            long rxAtUp = s.peer.rxBytes();
            bed.b.ip("link", "set", veth, "up");
            long up = System.nanoTime();
            Await.until(() -> s.peer.rxBytes() > rxAtUp + (1 << 20), WAIT_SECONDS, () -> "traffic again: " + s.peer);
            double resumed = (System.nanoTime() - up) / 1e9;
            done.get(WAIT_SECONDS, TimeUnit.SECONDS);
            System.out.printf("underlay down 10 s mid-transfer: traffic again %.2f s after it came up; 128 MiB exact; "
                    + "%s; %s%n", resumed, s.peer, s.device);
        }
    }

    /**
     * A UDP relay in A's namespace between wireguard-go (B) and our interface (A): B's endpoint for A is
     * {@code 10.200.0.1:51900}, A's for B {@code 10.200.0.1:51901}. Each datagram, either way, is lost with
     * probability 0.3 %, sent twice with 0.3 %, or held back behind up to 32 later ones with 1 % (well within the
     * replay window of 8128). Seeded: {@code -Dfault.seed=N} replays a run.
     */
    private static final class Relay implements AutoCloseable {
        final AtomicLong forwarded = new AtomicLong();
        final AtomicLong lost = new AtomicLong();
        final AtomicLong duplicated = new AtomicLong();
        final AtomicLong duplicatedToA = new AtomicLong();
        final AtomicLong reordered = new AtomicLong();
        private final DatagramChannel towardB;
        private final DatagramChannel towardA;
        private final long seed;
        private final Thread[] threads = new Thread[2];
        private volatile SocketAddress b;

        private Relay(DatagramChannel towardB, DatagramChannel towardA, long seed) {
            this.towardB = towardB;
            this.towardA = towardA;
            this.seed = seed;
        }

        static Relay start(TemporaryNetns ns, long defaultSeed) throws Exception {
            long seed = Long.getLong("fault.seed", defaultSeed);
            DatagramChannel towardB = ns.call(() -> DatagramChannel.open()
                    .bind(new InetSocketAddress(UNDERLAY_A, RELAY_TO_B)));
            DatagramChannel towardA = ns.call(() -> DatagramChannel.open()
                    .bind(new InetSocketAddress(UNDERLAY_A, RELAY_TO_A)));
            Relay r = new Relay(towardB, towardA, seed);
            r.threads[0] = r.pump("relay-b-to-a", towardB, towardA, true, seed);
            r.threads[1] = r.pump("relay-a-to-b", towardA, towardB, false, seed + 1);
            return r;
        }

        private Thread pump(String name, DatagramChannel from, DatagramChannel to, boolean toA, long seed) {
            Thread t = new Thread(() -> {
                SplittableRandom random = new SplittableRandom(seed);
                ByteBuffer buf = ByteBuffer.allocateDirect(65536);
                ArrayDeque<Object[]> held = new ArrayDeque<>(); // {bytes, release after this many more}
                SocketAddress ours = new InetSocketAddress(UNDERLAY_A, PORT_A);
                try {
                    while (true) {
                        buf.clear();
                        SocketAddress sender = from.receive(buf);
                        if (toA) {
                            b = sender;
                        }
                        SocketAddress target = toA ? ours : b;
                        buf.flip();
                        byte[] bytes = new byte[buf.remaining()];
                        buf.get(bytes);
                        int dice = random.nextInt(1000);
                        if (dice < 3) {
                            lost.incrementAndGet();
                        } else if (dice < 6) {
                            send(to, bytes, target);
                            send(to, bytes, target);
                            duplicated.incrementAndGet();
                            if (toA) {
                                duplicatedToA.incrementAndGet();
                            }
                        } else if (dice < 16) {
                            held.add(new Object[] {bytes, 1 + random.nextInt(32)});
                            reordered.incrementAndGet();
                        } else {
                            send(to, bytes, target);
                        }
                        for (int i = held.size(); i > 0; i--) {
                            Object[] h = held.poll();
                            int left = (Integer) h[1] - 1;
                            if (left <= 0) {
                                send(to, (byte[]) h[0], target);
                            } else {
                                held.add(new Object[] {h[0], left});
                            }
                        }
                    }
                } catch (ClosedChannelException e) {
                    // closed by the test
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, name);
            t.setDaemon(true);
            t.start();
            return t;
        }

        private void send(DatagramChannel to, byte[] bytes, SocketAddress target) throws IOException {
            if (target != null) {
                to.send(ByteBuffer.wrap(bytes), target);
                forwarded.incrementAndGet();
            }
        }

        @Override
        public String toString() {
            return "seed " + seed + ": forwarded " + forwarded + ", lost " + lost + ", duplicated " + duplicated
                    + " (" + duplicatedToA + " toward A), held back " + reordered;
        }

        @Override
        public void close() throws Exception {
            towardB.close();
            towardA.close();
            for (Thread t : threads) {
                t.join(5000);
            }
        }
    }
}

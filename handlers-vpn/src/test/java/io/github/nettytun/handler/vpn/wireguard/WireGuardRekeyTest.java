/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.handler.vpn.wireguard.DropCounts.Drop;
import io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.Transport;
import io.github.nettytun.testing.BlockingTask;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TcpTransfer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.INNER_A4;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.INNER_A6;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.INNER_B4;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.INNER_B6;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.PORT_A;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.PORT_B;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.UNDERLAY_A;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.UNDERLAY_B;
import static io.github.nettytun.testing.TestPackets.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our interface against our interface with shortened timers: keys are replaced several times in the middle of a
 * 256 MiB TCP transfer (by time, then by message count) without a packet lost to the rotation, and a keypair past
 * REJECT_AFTER_TIME is not used: the next packet starts a new handshake.
 */
@Privileged
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WireGuardRekeyTest {

    private static final int TOTAL = 256 << 20;
    private static final int WAIT_SECONDS = 90;

    /** REKEY_AFTER_TIME 1 s, REJECT_AFTER_TIME 3 s, REKEY_TIMEOUT 0.5 s, KEEPALIVE 1 s. */
    static final WireGuardTimers SHORT_TIMES = WireGuardTimers.DEFAULT.withTimes(Duration.ofSeconds(1),
            Duration.ofSeconds(3), Duration.ofSeconds(9), Duration.ofMillis(500), Duration.ofSeconds(1));

    private static final class Pair {
        final WireGuardDevice a;
        final WireGuardDevice b;
        final WireGuardPeer bAtA;
        final WireGuardPeer aAtB;
        final WireGuardTunnel tunnelB;
        /** The time of both devices. */
        final JumpTicker time = new JumpTicker();

        Pair(WireGuardTestbed bed, WireGuardTimers timers, Transport transport) throws Exception {
            this(bed, timers, transport, TransportCipher.Implementation.DEFAULT);
        }

        Pair(WireGuardTestbed bed, WireGuardTimers timers, Transport transport,
             TransportCipher.Implementation cipher) throws Exception {
            byte[] keyA = WireGuardTestbed.newPrivateKey();
            byte[] keyB = WireGuardTestbed.newPrivateKey();
            a = new WireGuardDevice(keyA, new WireGuardOptions().timers(timers).ticker(time).cipher(cipher));
            b = new WireGuardDevice(keyB, new WireGuardOptions().timers(timers).ticker(time).cipher(cipher));
            bAtA = a.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyB)).allowedIp(INNER_B4.getHostAddress() + "/32")
                    .allowedIp(INNER_B6.getHostAddress() + "/128").endpoint(new InetSocketAddress(UNDERLAY_B, PORT_B)));
            aAtB = b.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyA)).allowedIp(INNER_A4.getHostAddress() + "/32")
                    .allowedIp(INNER_A6.getHostAddress() + "/128").endpoint(new InetSocketAddress(UNDERLAY_A, PORT_A)));
            bed.startOurs(bed.a, transport, true, a, PORT_A);
            tunnelB = bed.startOurs(bed.b, transport, true, b, PORT_B);
        }

        void transfer(WireGuardTestbed bed) throws Exception {
            transfer(bed, () -> { });
        }

        /** The transfer, with {@code during} run by the test thread once it is in full flow (16 MiB across). */
        void transfer(WireGuardTestbed bed, Runnable during) throws Exception {
            ServerSocket server = bed.resources.add(bed.b.call(() -> new ServerSocket(0, 1, INNER_B4)));
            server.setSoTimeout(WAIT_SECONDS * 1000);
            Socket client = bed.resources.add(bed.a.call(() -> {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(INNER_B4, server.getLocalPort()), WAIT_SECONDS * 1000);
                return s;
            }));
            Socket accepted = bed.resources.add(server.accept());
            long rxBefore = aAtB.rxBytes();
            Future<Void> done = BlockingTask.start("rekey-transfer", () -> {
                TcpTransfer.assertExact(client, accepted, TOTAL, pattern(1 << 20, 4), WAIT_SECONDS);
                return null;
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (aAtB.rxBytes() - rxBefore < (16 << 20) && !done.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            during.run();
            done.get(WAIT_SECONDS, TimeUnit.SECONDS);
        }

        /** No packet lost inside either tunnel (the kernel's unroutable IPv6 multicast aside). */
        void assertNothingLost() {
            for (WireGuardDevice d : new WireGuardDevice[] {a, b}) {
                assertEquals(0, d.dropped() - d.dropped(Drop.NO_ROUTE), "drops: " + a + ' ' + b);
            }
        }
    }

    @Test
    void keysRotateByTimeMidTransferWithoutLoss() throws Exception {
        try (WireGuardTestbed bed = new WireGuardTestbed()) {
            Pair pair = new Pair(bed, SHORT_TIMES, Transport.EPOLL);
            WireGuardTestbed.ping(bed.a, INNER_B4, 10);
            long before = pair.bAtA.handshakes();
            // In full flow, the devices' time jumps 1.2 s: every keypair is then past REKEY_AFTER_TIME (1 s) and
            // short of REJECT_AFTER_TIME (3 s), so A's next packets must rekey however fast the machine is. The jump
            // is shorter than KEEPALIVE + REKEY_TIMEOUT (1.5 s): B, which hears from A all the time, never starts a
            // handshake of its own.
            pair.transfer(bed, () -> pair.time.jump(Duration.ofMillis(1200)));
            long rekeys = pair.bAtA.handshakes() - before;
            assertTrue(rekeys >= 1, "rekeyed during the transfer: " + pair.bAtA);
            assertEquals(pair.bAtA.handshakes(), pair.aAtB.responderHandshakes(), "A initiated every one");
            pair.assertNothingLost();
            // epoll reads with recvmmsg, which hands UDP_GRO receives over unsplit: the WireGuard layout split them.
            assertTrue(pair.tunnelB.groSplitter().split() > 0,
                    "coalesced receives split: " + pair.tunnelB.groSplitter());
            assertEquals(0, pair.tunnelB.groSplitter().unsplit(), pair.tunnelB.groSplitter().toString());
        }
    }

    /** With each cipher: a keypair's cipher is made per handshake, nine times in this transfer. */
    @ParameterizedTest(name = "cipher {0}")
    @EnumSource(TransportCipher.Implementation.class)
    void keysRotateByMessageCountMidTransferWithoutLoss(TransportCipher.Implementation cipher) throws Exception {
        // 256 MiB is about 190,000 messages of 1420 bytes: a rekey every 20,000 gives about nine. REKEY_TIMEOUT
        // (one initiation per 200 ms) and a far REJECT_AFTER_MESSAGES keep the sender from running out of counters
        // between two handshakes at any speed; WireGuardDeviceTest covers REJECT_AFTER_MESSAGES itself.
        WireGuardTimers timers = WireGuardTimers.DEFAULT.withTimes(Duration.ofSeconds(120), Duration.ofSeconds(180),
                Duration.ofSeconds(90), Duration.ofMillis(200), Duration.ofSeconds(10)).withMessages(20_000, 1L << 40);
        try (WireGuardTestbed bed = new WireGuardTestbed()) {
            Pair pair = new Pair(bed, timers, Transport.IO_URING, cipher);
            WireGuardTestbed.ping(bed.a, INNER_B4, 10);
            pair.transfer(bed);
            long handshakes = pair.bAtA.handshakes();
            assertTrue(handshakes >= 5, "rekeyed by message count: " + pair.bAtA);
            pair.assertNothingLost();
            // io_uring does not split UDP_GRO receives either; the WireGuard layout did, and nothing was lost above.
            assertTrue(pair.tunnelB.groSplitter().split() > 0, "coalesced receives split: " + pair.tunnelB.groSplitter());
            assertEquals(0, pair.tunnelB.groSplitter().unsplit(), pair.tunnelB.groSplitter().toString());
        }
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.Transport;
import io.github.nettytun.testing.Await;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TcpTransfer;
import io.github.nettytun.testing.TemporaryNetns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our WireGuard interface (namespace A) against wireguard-go configured with {@code wg} (namespace B): the stock
 * implementation is the judge of the protocol. Debian's build has no offloads; upstream's (the bar, beside the
 * checkout in {@code shared/tools}) sends with UDP GSO, receives with UDP GRO and uses TUN offloads, so its rows
 * cross our GRO receive with its GSO sends and the reverse. Each case pings over IPv4 and IPv6 (the first ping,
 * from the initiating side, triggers the handshake) and moves 256 MiB of kernel TCP through the tunnel, SHA-256
 * exact.
 * The rows cover every dimension at least twice: our transport (epoll, io_uring), offload (on, off), who initiates,
 * preshared key or none, the TCP family and direction; the cipher (Conscrypt by default, the JDK's, BouncyCastle).
 */
@Privileged
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WireGuardGoInteropTest {

    private static final int TOTAL = 256 << 20;
    private static final int WAIT_SECONDS = 60;

    @ParameterizedTest(name = "{0} offload={1} initiator={2} psk={3} TCP IPv{4} from {5}, {6} wireguard-go, "
            + "cipher {7}")
    @CsvSource({
            "EPOLL,    true,  ours,   true,  4, ours,   debian,   DEFAULT",
            "EPOLL,    false, theirs, false, 6, ours,   debian,   JDK",
            "IO_URING, true,  theirs, true,  6, theirs, debian,   DEFAULT",
            "IO_URING, false, ours,   false, 4, theirs, debian,   BOUNCY_CASTLE",
            "EPOLL,    true,  theirs, false, 4, ours,   upstream, DEFAULT",
            "EPOLL,    true,  ours,   true,  6, theirs, upstream, DEFAULT",
            "IO_URING, true,  ours,   false, 6, ours,   upstream, DEFAULT",
            "IO_URING, true,  theirs, true,  4, theirs, upstream, JDK",
    })
    void interoperatesWithWireGuardGo(Transport transport, boolean offload, String initiator, boolean psk,
                                      int family, String sender, String build, String cipher) throws Exception {
        try (WireGuardTestbed bed = new WireGuardTestbed()) {
            byte[] ourKey = WireGuardTestbed.newPrivateKey();
            byte[] theirKey = WireGuardTestbed.newPrivateKey();
            byte[] presharedKey = null;
            if (psk) {
                presharedKey = new byte[32];
                new SecureRandom().nextBytes(presharedKey);
            }
            WireGuardOptions options = new WireGuardOptions();
            if (!cipher.equals("DEFAULT")) {
                options.cipher(TransportCipher.Implementation.valueOf(cipher));
            }
            WireGuardDevice device = new WireGuardDevice(ourKey, options);
            PeerConfig peerConfig = new PeerConfig(WireGuardCrypto.publicKey(theirKey))
                    .allowedIp(INNER_B4.getHostAddress() + "/32").allowedIp(INNER_B6.getHostAddress() + "/128")
                    .endpoint(new InetSocketAddress(UNDERLAY_B, PORT_B));
            if (presharedKey != null) {
                peerConfig.presharedKey(presharedKey);
            }
            WireGuardPeer peer = device.addPeer(peerConfig);
            WireGuardTunnel ours = bed.startOurs(bed.a, transport, offload, device, PORT_A);
            boolean upstream = build.equals("upstream");
            String theirs = bed.startWireGuardGo(upstream, bed.b, theirKey, PORT_B, device.publicKey(), presharedKey,
                    new InetSocketAddress(UNDERLAY_A, PORT_A),
                    INNER_A4.getHostAddress() + "/32," + INNER_A6.getHostAddress() + "/128");

            boolean oursFirst = initiator.equals("ours");
            TemporaryNetns first = oursFirst ? bed.a : bed.b;
            WireGuardTestbed.ping(first, oursFirst ? INNER_B4 : INNER_A4, 10);
            assertEquals(1, peer.handshakes(), "one handshake: " + peer + ' ' + device);
            assertEquals(oursFirst ? 0 : 1, peer.responderHandshakes(),
                    (oursFirst ? "we" : "wireguard-go") + " initiated: " + peer);
            WireGuardTestbed.ping(bed.a, INNER_B6, 5);
            WireGuardTestbed.ping(bed.b, INNER_A6, 5);
            WireGuardTestbed.ping(bed.b, INNER_A4, 5);
            assertTransferAgrees(bed, theirs, peer);

            boolean fromOurs = sender.equals("ours");
            TemporaryNetns clientNs = fromOurs ? bed.a : bed.b;
            TemporaryNetns serverNs = fromOurs ? bed.b : bed.a;
            InetAddress serverAddr = family == 4 ? (fromOurs ? INNER_B4 : INNER_A4) : (fromOurs ? INNER_B6 : INNER_A6);
            ServerSocket server = bed.resources.add(serverNs.call(() -> new ServerSocket(0, 1, serverAddr)));
            server.setSoTimeout(WAIT_SECONDS * 1000);
            Socket client = bed.resources.add(clientNs.call(() -> {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(serverAddr, server.getLocalPort()), WAIT_SECONDS * 1000);
                return s;
            }));
            Socket accepted = bed.resources.add(server.accept());
            long start = System.nanoTime();
            TcpTransfer.assertExact(client, accepted, TOTAL, pattern(1 << 20, family), WAIT_SECONDS);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%s offload=%s from %s: 256 MiB in %.1f s (%.2f Gbit/s, informational)%n",
                    transport, offload, sender, seconds, TOTAL * 8.0 / seconds / 1e9);

            String state = peer + " " + device + " segmenter " + ours.segmenter() + " coalescer " + ours.coalescer();
            long tunnelBytes = fromOurs ? peer.txBytes() : peer.rxBytes();
            assertTrue(tunnelBytes > TOTAL, "the transfer went through our interface: " + state);
            // The kernel's own IPv6 multicast (router solicitations, MLD) has no peer: those are the only drops.
            assertEquals(0, device.dropped() - device.dropped(WireGuardDevice.Drop.NO_ROUTE),
                    "nothing dropped: " + state);
            if (offload && fromOurs) {
                assertTrue(ours.segmenter().superPackets() > 0, "TSO super-packets were segmented: " + state);
            }
            if (fromOurs) {
                // The device seals each run's messages back to back in one buffer; the sender takes it as it is.
                assertTrue(ours.udpSender().segmentsPerSend() > 1, "ready runs went out segmented: "
                        + ours.udpSender());
            }
            if (offload && !fromOurs) {
                assertTrue(ours.coalescer().superPackets() > 0, "decrypted packets were coalesced: " + state);
            }
            if (upstream && !fromOurs) {
                // Upstream wireguard-go sends with UDP GSO: its runs arrive as coalesced receives that we split.
                assertTrue(ours.groSplitter().split() > 0, "its GSO sends reached our GRO receive: "
                        + ours.groSplitter());
                assertEquals(0, ours.groSplitter().unsplit(), ours.groSplitter().toString());
            }
            assertEquals(cipher.equals("DEFAULT") ? TransportCipher.Implementation.DEFAULT
                    : TransportCipher.Implementation.valueOf(cipher), device.cipher());
        }
    }

    /**
     * Our counters and wireguard-go's agree, handshake messages included: what we sent is what it received and
     * the reverse. Read until both sides are quiet (a keepalive may be on the way).
     */
    private static void assertTransferAgrees(WireGuardTestbed bed, String theirs, WireGuardPeer peer)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String seen;
        do {
            long[] them = WireGuardTestbed.wireGuardGoPeer(bed.b, theirs);
            long tx = peer.txBytes();
            long rx = peer.rxBytes();
            if (tx == them[1] && rx == them[2]) {
                assertTrue(tx > Messages.INITIATION_LENGTH && rx > Messages.RESPONSE_LENGTH, peer.toString());
                return;
            }
            seen = "ours tx " + tx + " rx " + rx + ", wireguard-go rx " + them[1] + " tx " + them[2];
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("transfer counters disagree: " + seen);
    }

    /**
     * With different preshared keys each side answers the other's initiations and neither can open the response:
     * no handshake completes on either side, nothing is reported, and wireguard-go's latest handshake stays 0.
     */
    @Test
    void mismatchedPresharedKeysCompleteNoHandshakeWithWireGuardGo() throws Exception {
        try (WireGuardTestbed bed = new WireGuardTestbed()) {
            byte[] ourKey = WireGuardTestbed.newPrivateKey();
            byte[] theirKey = WireGuardTestbed.newPrivateKey();
            byte[] ourPsk = new byte[32];
            byte[] theirPsk = new byte[32];
            new SecureRandom().nextBytes(ourPsk);
            new SecureRandom().nextBytes(theirPsk);
            List<WireGuardPeer> completed = new CopyOnWriteArrayList<>();
            WireGuardDevice device = new WireGuardDevice(ourKey, new WireGuardOptions().onHandshake(completed::add));
            PeerConfig config = new PeerConfig(WireGuardCrypto.publicKey(theirKey))
                    .allowedIp(INNER_B4.getHostAddress() + "/32").presharedKey(ourPsk)
                    .endpoint(new InetSocketAddress(UNDERLAY_B, PORT_B));
            device.addPeer(config);
            bed.startOurs(bed.a, Transport.EPOLL, true, device, PORT_A);
            String theirs = bed.startWireGuardGo(bed.b, theirKey, PORT_B, device.publicKey(), theirPsk,
                    new InetSocketAddress(UNDERLAY_A, PORT_A), INNER_A4.getHostAddress() + "/32");

            // Either side that has just answered an initiation sends none of its own within REKEY_TIMEOUT (both
            // implementations), and an unanswered attempt retries for 90 s: so one side at a time.
            // 1. We initiate; wireguard-go answers; we cannot open its response.
            assertThrows(IOException.class, () -> WireGuardTestbed.ping(bed.a, INNER_B4, 2), "no tunnel");
            Await.until(() -> device.dropped(DropCounts.Drop.HANDSHAKE_FAILED) > 0, 30,
                    () -> "our failure to open its response: " + device);
            // Our attempt ends with the peer, which comes back without one.
            WireGuardPeer peer = device.eventLoop().submit(() -> {
                device.removePeer(config.publicKey());
                return device.addPeer(config);
            }).get(10, TimeUnit.SECONDS);
            // 2. wireguard-go initiates (after REKEY_TIMEOUT since its last response: 8 s of pings); we answer.
            assertThrows(IOException.class, () -> WireGuardTestbed.ping(bed.b, INNER_A4, 8), "no tunnel");
            Await.until(() -> peer.rxBytes() >= Messages.INITIATION_LENGTH, 30,
                    () -> "our consuming its initiation: " + peer);
            assertEquals(0, peer.handshakes(), peer.toString());
            assertNull(peer.latestHandshake());
            assertEquals(List.of(), completed, "no handshake reported (the server logs from this listener)");
            assertEquals(0, WireGuardTestbed.wireGuardGoPeer(bed.b, theirs)[0], "wireguard-go's latest handshake");
        }
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.handler.vpn.wireguard.DropCounts.Drop;
import io.netty.buffer.ByteBuf;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.A4;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.ADDR_A;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.ADDR_B;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.B4;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.ip;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The protocol's timer rules (whitepaper section 6, wireguard-go's {@code timers.go}) and its handshake
 * bookkeeping, with the protocol's own constants, on embedded channels whose shared time is a mock ticker: no test
 * sleeps. The timer wheel ticks every 100 ms, so a deadline fires within one tick after it is due.
 */
class WireGuardTimersTest {

    private static final long TICK = 100;
    private static final long JITTER = 334;
    private static final long REKEY_TIMEOUT = 5_000;
    private static final long KEEPALIVE = 10_000;
    private static final long REKEY_AFTER = 120_000;
    private static final long REJECT_AFTER = 180_000;
    private static final long REKEY_ATTEMPT = 90_000;

    private final MockTicker time = Ticker.newMockTicker();
    private final List<EmbeddedPeer> open = new ArrayList<>();
    private final List<WireGuardPeer> completedAtA = new ArrayList<>();
    private final List<WireGuardPeer> completedAtB = new ArrayList<>();
    private final byte[] keyA = WireGuardTestbed.newPrivateKey();
    private final byte[] keyB = WireGuardTestbed.newPrivateKey();
    private EmbeddedPeer a;
    private EmbeddedPeer b;
    private WireGuardPeer bAtA;
    private WireGuardPeer aAtB;

    @AfterEach
    void close() {
        open.forEach(EmbeddedPeer::close);
    }

    private EmbeddedPeer peer(byte[] key, InetSocketAddress address, List<WireGuardPeer> completed) {
        EmbeddedPeer p = new EmbeddedPeer(key, new WireGuardOptions().onHandshake(completed::add), address,
                time);
        open.add(p);
        return p;
    }

    private void pair(PeerConfig atA, PeerConfig atB) {
        a = peer(keyA, ADDR_A, completedAtA);
        b = peer(keyB, ADDR_B, completedAtB);
        bAtA = a.device.addPeer(atA.allowedIp("10.201.0.2/32").endpoint(ADDR_B));
        aAtB = b.device.addPeer(atB.allowedIp("10.201.0.1/32"));
    }

    private void pair() {
        pair(new PeerConfig(WireGuardCrypto.publicKey(keyB)), new PeerConfig(WireGuardCrypto.publicKey(keyA)));
    }

    /** A sends a packet; the handshake and the packet cross; B's copy is released. */
    private void handshake() {
        a.fromTun(udp(A4, B4, 100));
        EmbeddedPeer.exchange(a, b);
        assertEquals(1, b.delivered.size());
        b.releaseDelivered();
    }

    /** Moves time on in ticks; nothing crosses between the peers (what they send stays in their queues). */
    private void advanceApart(long millis) {
        EmbeddedPeer.advance(millis, TICK, false, a, b);
    }

    /** Releases what {@code p} sent and returns the message types, in order. */
    private static List<Integer> types(EmbeddedPeer p) {
        List<Integer> types = new ArrayList<>();
        for (DatagramPacket d : p.sent()) {
            ByteBuf c = d.content();
            int type = c.getByte(c.readerIndex());
            types.add(type == Messages.TYPE_DATA && c.readableBytes() == Messages.DATA_OVERHEAD ? 0 : type);
            d.release();
        }
        p.releaseDelivered();
        return types;
    }

    private static final Integer KEEPALIVE_MSG = 0;
    private static final Integer INITIATION = 1;
    private static final Integer DATA = 4;

    // ------------------------------------------------------------------------------------ handshake bookkeeping

    @Test
    void responderCompletesItsHandshakeWhenTheInitiatorsFirstDataArrives() {
        pair();
        a.fromTun(udp(A4, B4, 10));
        DatagramPacket initiation = a.sent().get(0);
        b.fromNetwork(initiation.content(), ADDR_A);
        DatagramPacket response = b.sent().get(0);
        assertEquals(0, aAtB.handshakes(), "a response sent is no completed handshake");
        assertNull(aAtB.latestHandshake());
        assertTrue(completedAtB.isEmpty());

        a.fromNetwork(response.content(), ADDR_B);
        assertEquals(1, bAtA.handshakes(), "the initiator completes when it consumes the response");
        assertEquals(List.of(bAtA), completedAtA);
        DatagramPacket data = a.sent().get(0); // the staged packet, under the new keypair
        assertEquals(0, aAtB.handshakes());

        b.fromNetwork(data.content(), ADDR_A);
        assertEquals(1, aAtB.handshakes(), "complete when data opens under the new keypair");
        assertEquals(1, aAtB.responderHandshakes());
        assertNotNull(aAtB.latestHandshake());
        assertEquals(List.of(aAtB), completedAtB);
        assertTrue(b.sent().isEmpty(), "B answers nothing");
        assertEquals(1, b.delivered.size(), "the packet that confirmed the keypair");
    }

    @Test
    void mismatchedPresharedKeysCompleteNoHandshakeOnEitherSide() {
        byte[] psk = new byte[32];
        psk[7] = 7;
        pair(new PeerConfig(WireGuardCrypto.publicKey(keyB)).presharedKey(psk),
                new PeerConfig(WireGuardCrypto.publicKey(keyA)));
        a.fromTun(udp(A4, B4, 10));
        EmbeddedPeer.advance(30_000, TICK, true, a, b); // A retries every REKEY_TIMEOUT; B answers each
        assertTrue(a.device.dropped(Drop.HANDSHAKE_FAILED) >= 5, "A cannot open B's responses: " + a.device);
        for (WireGuardPeer p : new WireGuardPeer[] {bAtA, aAtB}) {
            assertEquals(0, p.handshakes(), p.toString());
            assertNull(p.latestHandshake(), p.toString());
        }
        assertTrue(completedAtA.isEmpty() && completedAtB.isEmpty(), "no handshake reported");
        assertTrue(b.delivered.isEmpty());
    }

    /** wireguard-go counts every message it sends to or receives from a peer: handshakes too (wg show transfer). */
    @Test
    void transferCountersCountHandshakeMessagesAndAgreeBothWays() {
        pair();
        handshake();
        int data = Messages.DATA_OVERHEAD + 128; // a 128-byte IP packet (100 bytes of UDP payload) is padded to 128
        assertEquals(Messages.INITIATION_LENGTH + data, bAtA.txBytes());
        assertEquals(Messages.RESPONSE_LENGTH, bAtA.rxBytes());
        assertEquals(Messages.RESPONSE_LENGTH, aAtB.txBytes());
        assertEquals(Messages.INITIATION_LENGTH + data, aAtB.rxBytes());
        for (int i = 0; i < 20; i++) {
            (i % 3 == 0 ? b : a).fromTun(i % 3 == 0 ? udp(B4, A4, i * 50) : udp(A4, B4, i * 70));
            EmbeddedPeer.exchange(a, b);
        }
        EmbeddedPeer.advance(30_000, TICK, true, a, b); // passive keepalives
        assertEquals(bAtA.txBytes(), aAtB.rxBytes());
        assertEquals(aAtB.txBytes(), bAtA.rxBytes());
        assertEquals(bAtA.txPackets(), aAtB.rxPackets());
        assertEquals(aAtB.txPackets(), bAtA.rxPackets());
    }

    // ------------------------------------------------------------------------------------------------ rekeying

    @Test
    void initiatorRekeysAfterRekeyAfterTimeAndTheResponderDoesNot() {
        pair();
        handshake();
        EmbeddedPeer.advance(REKEY_AFTER - TICK, TICK, true, a, b);
        a.fromTun(udp(A4, B4, 10));
        b.fromTun(udp(B4, A4, 10));
        assertEquals(List.of(DATA), types(a), "not yet");
        assertEquals(List.of(DATA), types(b));
        EmbeddedPeer.advance(2 * TICK, TICK, false, a, b);
        a.fromTun(udp(A4, B4, 10));
        b.fromTun(udp(B4, A4, 10));
        assertEquals(List.of(DATA, INITIATION), types(a), "the initiator sends and starts a new handshake");
        assertEquals(List.of(DATA), types(b), "the responder only sends");
    }

    @Test
    void afterRejectAfterTimeNothingIsSentOrAcceptedUnderTheOldKeys() {
        pair();
        handshake();
        a.fromTun(udp(A4, B4, 10));
        DatagramPacket old = a.sent().get(0);
        advanceApart(REJECT_AFTER);
        types(a);
        types(b);
        a.fromTun(udp(A4, B4, 10));
        assertEquals(List.of(INITIATION), types(a), "staged behind a new handshake, not sent on expired keys");
        b.fromNetwork(old.content(), ADDR_A);
        assertEquals(1, b.device.dropped(Drop.KEY_EXPIRED));
        assertEquals(1, aAtB.dropped(Drop.KEY_EXPIRED));
        assertTrue(b.delivered.isEmpty());
    }

    /**
     * Idle past REJECT_AFTER_TIME, then B, the responder, sends first: its keypair has expired, so it must start a
     * handshake itself before the packet can go (moved here from the real-kernel rekey test, where it slept).
     */
    @Test
    void theResponderShakesHandsItselfWhenItsKeypairHasExpired() {
        pair();
        handshake();
        EmbeddedPeer.advance(REJECT_AFTER + TICK, TICK, true, a, b);
        long handshakes = aAtB.handshakes();
        long answeredByA = bAtA.responderHandshakes();
        ByteBuf packet = udp(B4, A4, 10);
        byte[] expected = io.netty.buffer.ByteBufUtil.getBytes(packet);
        b.fromTun(packet);
        EmbeddedPeer.exchange(a, b);
        assertEquals(1, a.delivered.size(), "the packet went after the new handshake");
        assertArrayEquals(expected, io.netty.buffer.ByteBufUtil.getBytes(a.delivered.get(0)));
        assertEquals(handshakes + 1, aAtB.handshakes(), "a new handshake: " + aAtB);
        assertEquals(answeredByA + 1, bAtA.responderHandshakes(), "initiated by B: " + bAtA);
        assertEquals(0, a.device.dropped() + b.device.dropped(), a.device + " " + b.device);
    }

    // ------------------------------------------------------------------------------------------ retransmission

    @Test
    void unansweredInitiationIsRetransmittedWithJitterUntilRekeyAttemptTime() {
        pair();
        a.fromTun(udp(A4, B4, 10));
        assertEquals(List.of(INITIATION), types(a));
        // Tick by tick: each retransmit comes REKEY_TIMEOUT + jitter (0-333 ms) after the one before, at the first
        // tick from then.
        long last = 0;
        int retransmits = 0;
        for (long elapsed = TICK; elapsed < REKEY_ATTEMPT + 2 * REKEY_TIMEOUT; elapsed += TICK) {
            advanceApart(TICK);
            List<Integer> sent = types(a);
            if (!sent.isEmpty()) {
                assertEquals(List.of(INITIATION), sent);
                long gap = elapsed - last;
                assertTrue(gap >= REKEY_TIMEOUT && gap <= REKEY_TIMEOUT + JITTER + TICK, "gap " + gap + " ms");
                last = elapsed;
                retransmits++;
            }
        }
        assertTrue(retransmits >= REKEY_ATTEMPT / (REKEY_TIMEOUT + JITTER) - 1
                && retransmits <= REKEY_ATTEMPT / REKEY_TIMEOUT, "retransmits: " + retransmits);
        assertEquals(1, a.device.dropped(Drop.HANDSHAKE_TIMEOUT), "the staged packet, at give-up");
        assertEquals(0, a.device.indexTableSize(), "the abandoned handshake's index is free");
        advanceApart(60_000);
        assertEquals(List.of(), types(a), "no retransmits after giving up");
    }

    // ------------------------------------------------------------------------------------------------ keepalive

    @Test
    void passiveKeepaliveFollowsDataAfterKeepaliveTimeout() {
        pair();
        handshake(); // B received data and sent nothing back since
        types(a);
        advanceApart(KEEPALIVE - TICK);
        assertEquals(List.of(), types(b));
        advanceApart(2 * TICK);
        assertEquals(List.of(KEEPALIVE_MSG), types(b), "one keepalive KEEPALIVE_TIMEOUT after the data");
        advanceApart(3 * KEEPALIVE);
        assertEquals(List.of(), types(b), "and no more without new data");
    }

    @Test
    void persistentKeepaliveFlowsEveryIntervalWithoutTraffic() {
        pair(new PeerConfig(WireGuardCrypto.publicKey(keyB)).persistentKeepalive(25),
                new PeerConfig(WireGuardCrypto.publicKey(keyA)));
        // Added to a running device with a keepalive: a keepalive at once, so a handshake.
        EmbeddedPeer.exchange(a, b);
        assertEquals(1, bAtA.handshakes());
        assertEquals(1, aAtB.handshakes(), "the keepalive confirmed it to B");
        List<Long> keepalives = new ArrayList<>();
        for (long elapsed = TICK; elapsed <= 80_000; elapsed += TICK) {
            advanceApart(TICK);
            List<Integer> sent = types(a);
            if (!sent.isEmpty()) {
                assertEquals(List.of(KEEPALIVE_MSG), sent, "at " + elapsed + " ms");
                keepalives.add(elapsed);
            }
        }
        assertEquals(3, keepalives.size(), "every 25 s: " + keepalives);
        for (int i = 0; i < keepalives.size(); i++) {
            long due = 25_000L * (i + 1);
            assertTrue(keepalives.get(i) >= due && keepalives.get(i) <= due + (i + 1) * TICK, keepalives.toString());
        }
        assertEquals(List.of(), types(b), "keepalives ask for no answer");
    }

    @Test
    void newHandshakeWhenDataGetsNoAnswer() {
        pair();
        handshake();
        types(b);
        a.fromTun(udp(A4, B4, 10));
        assertEquals(List.of(DATA), types(a)); // lost: B never answers
        advanceApart(KEEPALIVE + REKEY_TIMEOUT - TICK);
        assertEquals(List.of(), types(a));
        advanceApart(JITTER + 2 * TICK);
        assertEquals(List.of(INITIATION), types(a), "KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter after the data");
    }

    @Test
    void anAnsweredPeerNeedsNoNewHandshake() {
        pair();
        handshake();
        a.fromTun(udp(A4, B4, 10));
        EmbeddedPeer.advance(KEEPALIVE + REKEY_TIMEOUT + JITTER + 2 * TICK, TICK, true, a, b);
        assertEquals(1, bAtA.handshakes(), "B's passive keepalive answered A: " + bAtA);
    }

    @Test
    void keysAreZeroedThreeTimesRejectAfterTimeAfterTheHandshake() {
        pair();
        handshake();
        advanceApart(3 * REJECT_AFTER - 2 * TICK);
        types(a);
        assertTrue(a.device.indexTableSize() > 0 && b.device.indexTableSize() > 0, "keys still held");
        advanceApart(3 * TICK);
        assertEquals(0, a.device.indexTableSize(), "A forgot every key");
        assertEquals(0, b.device.indexTableSize(), "B forgot every key");
        a.fromTun(udp(A4, B4, 10));
        assertEquals(List.of(INITIATION), types(a), "the next packet needs a new handshake");
    }

    // ------------------------------------------------------------------------------------------------- roaming

    /**
     * A client C goes away (everything the server sends it is lost) for longer than REKEY_TIMEOUT, so the server
     * starts handshakes of its own; C comes back from a new address, restarted, and initiates. That handshake
     * completes, and it ends the server's attempt: no further initiation from the server.
     */
    @Test
    void aRoamingPeersHandshakeEndsOurOwnAttempt() {
        pair(); // A is the server, B the client C
        b.device.removePeer(WireGuardCrypto.publicKey(keyA));
        aAtB = b.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyA)).allowedIp("10.201.0.1/32")
                .endpoint(ADDR_A));
        b.fromTun(udp(B4, A4, 10)); // the client initiates
        EmbeddedPeer.exchange(a, b);
        a.releaseDelivered();
        assertEquals(1, bAtA.handshakes());

        a.fromTun(udp(A4, B4, 10)); // the server sends; the client is gone
        advanceApart(KEEPALIVE + 3 * REKEY_TIMEOUT + 2 * JITTER);
        List<Integer> lost = types(a);
        assertTrue(lost.contains(INITIATION) && lost.lastIndexOf(INITIATION) > 0, "the server retried: " + lost);

        InetSocketAddress roamed = new InetSocketAddress(ip("10.200.9.9"), 40999);
        EmbeddedPeer client = peer(keyB, roamed, new ArrayList<>());
        client.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyA)).allowedIp("10.201.0.1/32")
                .endpoint(ADDR_A));
        long before = bAtA.handshakes();
        client.fromTun(udp(B4, A4, 20));
        EmbeddedPeer.exchange(a, client);
        assertEquals(1, a.delivered.size(), "the client's packet arrived");
        assertEquals(before + 1, bAtA.handshakes(), "exactly one more completed handshake");
        assertEquals(roamed, bAtA.endpoint());

        for (int i = 0; i < 4; i++) {
            EmbeddedPeer.advance(REKEY_TIMEOUT, TICK, false, a, client);
            for (DatagramPacket d : a.sent()) {
                assertTrue(d.content().getByte(d.content().readerIndex()) != Messages.TYPE_INITIATION,
                        "no initiation from the server after the client's handshake");
                client.fromNetwork(d.content(), ADDR_A);
            }
            client.sent().forEach(ReferenceCountUtil::release);
        }
        assertEquals(before + 1, bAtA.handshakes());
    }
}

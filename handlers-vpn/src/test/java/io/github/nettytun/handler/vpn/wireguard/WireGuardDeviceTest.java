/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.handler.vpn.wireguard.DropCounts.Drop;
import io.github.nettytun.testing.TestPackets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.netty.buffer.ByteBufAllocator.DEFAULT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The protocol between two of our devices on embedded channels, and its defences: every case ends with both
 * devices' counters checked and every buffer released (PARANOID leak detection).
 */
class WireGuardDeviceTest {

    static final InetSocketAddress ADDR_A = new InetSocketAddress(ip("10.200.0.1"), 51820);
    static final InetSocketAddress ADDR_B = new InetSocketAddress(ip("10.200.0.2"), 51821);
    static final InetAddress A4 = ip("10.201.0.1");
    static final InetAddress B4 = ip("10.201.0.2");
    static final InetAddress A6 = ip("fd01::1");
    static final InetAddress B6 = ip("fd01::2");

    private final List<AutoCloseable> open = new ArrayList<>();
    /** The time of every device in the test. */
    final MockTicker time = Ticker.newMockTicker();
    final byte[] keyA = WireGuardTestbed.newPrivateKey();
    final byte[] keyB = WireGuardTestbed.newPrivateKey();
    EmbeddedPeer a;
    EmbeddedPeer b;
    WireGuardPeer bAtA;
    WireGuardPeer aAtB;

    static InetAddress ip(String literal) {
        return PeerConfig.parseLiteral(literal);
    }

    EmbeddedPeer peer(byte[] key, WireGuardOptions options, InetSocketAddress address) {
        EmbeddedPeer p = new EmbeddedPeer(key, options, address, time);
        open.add(p);
        return p;
    }

    void pair(WireGuardOptions options, byte[] psk) {
        a = peer(keyA, options, ADDR_A);
        b = peer(keyB, options, ADDR_B);
        bAtA = a.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyB)).presharedKey(psk)
                .allowedIp("10.201.0.2/32").allowedIp("fd01::2/128").endpoint(ADDR_B));
        aAtB = b.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyA)).presharedKey(psk)
                .allowedIp("10.201.0.1/32").allowedIp("fd01::1/128").endpoint(ADDR_A));
    }

    void pair() {
        pair(new WireGuardOptions(), new byte[32]);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    static ByteBuf udp(InetAddress src, InetAddress dst, int payloadLength) {
        return TestPackets.udp(DEFAULT, src, 4000, dst, 5000, TestPackets.pattern(payloadLength, payloadLength));
    }

    /** Sends one packet each way (A initiates) and checks it arrives unchanged. */
    void handshakeAndCheck() {
        ByteBuf packet = udp(A4, B4, 100);
        byte[] expected = ByteBufUtil.getBytes(packet);
        a.fromTun(packet);
        EmbeddedPeer.exchange(a, b);
        assertEquals(1, b.delivered.size(), "B got A's first packet after the handshake");
        assertArrayEquals(expected, ByteBufUtil.getBytes(b.delivered.get(0)));
        b.releaseDelivered();
        assertEquals(1, bAtA.handshakes());
        assertEquals(1, aAtB.responderHandshakes());
    }

    @ParameterizedTest(name = "preshared key {0}")
    @ValueSource(booleans = {false, true})
    void handshakeThenTrafficBothWaysIPv4AndIPv6(boolean psk) {
        byte[] key = new byte[32];
        if (psk) {
            new Random(3).nextBytes(key);
        }
        pair(new WireGuardOptions(), key);
        handshakeAndCheck();
        Random random = new Random(1);
        for (int i = 0; i < 50; i++) {
            boolean v6 = random.nextBoolean();
            boolean fromA = random.nextBoolean();
            int len = random.nextInt(1300);
            ByteBuf p = fromA ? udp(v6 ? A6 : A4, v6 ? B6 : B4, len) : udp(v6 ? B6 : B4, v6 ? A6 : A4, len);
            byte[] expected = ByteBufUtil.getBytes(p);
            (fromA ? a : b).fromTun(p);
            EmbeddedPeer.exchange(a, b);
            EmbeddedPeer to = fromA ? b : a;
            assertEquals(1, to.delivered.size(), "packet " + i);
            assertArrayEquals(expected, ByteBufUtil.getBytes(to.delivered.get(0)), "packet " + i);
            to.releaseDelivered();
        }
        assertEquals(1, bAtA.handshakes(), "no further handshake");
        assertEquals(0, a.device.dropped() + b.device.dropped(), a.device + " " + b.device);
    }

    @Test
    void mismatchedPresharedKeysNeverCompleteAHandshake() {
        a = peer(keyA, new WireGuardOptions(), ADDR_A);
        b = peer(keyB, new WireGuardOptions(), ADDR_B);
        byte[] psk = new byte[32];
        psk[0] = 1;
        bAtA = a.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyB)).presharedKey(psk)
                .allowedIp("10.201.0.2/32").endpoint(ADDR_B));
        aAtB = b.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyA)).allowedIp("10.201.0.1/32"));
        a.fromTun(udp(A4, B4, 10));
        EmbeddedPeer.exchange(a, b);
        assertEquals(0, bAtA.handshakes());
        assertEquals(1, a.device.dropped(Drop.HANDSHAKE_FAILED), "A could not open B's response");
        assertTrue(b.delivered.isEmpty());
    }

    @Test
    void paddingToSixteenWithinTheMtu() {
        pair();
        handshakeAndCheck();
        for (int len : new int[] {0, 1, 15, 16, 17, 1000, 1392}) {
            a.fromTun(udp(A4, B4, len));
            List<DatagramPacket> sent = a.sent();
            assertEquals(1, sent.size());
            int ipLen = len + 28;
            int padded = Math.min((ipLen + 15) & ~15, 1420);
            assertEquals(WireGuardDevice.DATA_OVERHEAD + padded, sent.get(0).content().readableBytes(), "ip " + ipLen);
            sent.forEach(ReferenceCountUtil::release);
        }
    }

    @Test
    void replayedDataMessagesAreDropped() {
        pair();
        handshakeAndCheck();
        a.fromTun(udp(A4, B4, 200));
        DatagramPacket data = a.sent().get(0);
        ByteBuf copy = EmbeddedPeer.copyOf(data);
        b.fromNetwork(data.content(), ADDR_A);
        b.fromNetwork(copy, ADDR_A);
        assertTrue(b.sent().isEmpty());
        assertEquals(1, b.delivered.size());
        assertEquals(1, b.device.dropped(Drop.REPLAY));
        assertEquals(1, aAtB.dropped(Drop.REPLAY), "counted for the peer too");
    }

    @Test
    void initiationFromAnUnknownKeyIsIgnoredWithoutState() {
        pair();
        byte[] keyC = WireGuardTestbed.newPrivateKey();
        EmbeddedPeer c = peer(keyC, new WireGuardOptions(), new InetSocketAddress(ip("10.200.0.3"), 1));
        c.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyB)).allowedIp("10.201.0.2/32")
                .endpoint(ADDR_B));
        c.fromTun(udp(ip("10.201.0.3"), B4, 10));
        for (DatagramPacket d : c.sent()) {
            b.fromNetwork(d.content(), c.address);
        }
        assertEquals(1, b.device.dropped(Drop.UNKNOWN_PEER));
        assertTrue(b.sent().isEmpty(), "no reply to an unknown key");
        assertEquals(0, b.device.indexTableSize(), "no state kept");
    }

    @Test
    void badMac1IsIgnoredWithoutAReply() {
        pair();
        a.fromTun(udp(A4, B4, 10));
        DatagramPacket init = a.sent().get(0);
        ByteBuf content = init.content();
        content.setByte(content.readerIndex() + Messages.INITIATION_MAC1 + 3,
                content.getByte(content.readerIndex() + Messages.INITIATION_MAC1 + 3) ^ 1);
        b.fromNetwork(content, ADDR_A);
        assertEquals(1, b.device.dropped(Drop.BAD_MAC1));
        assertTrue(b.sent().isEmpty());
        assertEquals(0, aAtB.handshakes());
    }

    @Test
    void replayedInitiationIsRejectedByItsTimestamp() {
        pair();
        a.fromTun(udp(A4, B4, 10));
        DatagramPacket init = a.sent().get(0);
        ByteBuf copy = EmbeddedPeer.copyOf(init);
        b.fromNetwork(init.content(), ADDR_A);
        b.sent().forEach(ReferenceCountUtil::release);
        time.advance(1, TimeUnit.SECONDS); // past the flood guard: only the timestamp rejects it
        b.fromNetwork(copy, ADDR_A);
        assertEquals(1, b.device.dropped(Drop.HANDSHAKE_REPLAY));
        assertTrue(b.sent().isEmpty(), "no second response");
        assertEquals(0, aAtB.handshakes(), "answered once, and not complete until A's first data arrives");
    }

    @Test
    void innerSourceOutsideAllowedIpsIsDropped() {
        pair();
        handshakeAndCheck();
        // A may route to B, but B only accepts 10.201.0.1 and fd01::1 from A.
        a.fromTun(udp(ip("10.201.0.99"), B4, 50));
        a.fromTun(udp(ip("fd01::99"), B6, 50));
        EmbeddedPeer.exchange(a, b);
        assertTrue(b.delivered.isEmpty());
        assertEquals(2, b.device.dropped(Drop.SOURCE_NOT_ALLOWED));
        assertEquals(2, aAtB.dropped(Drop.SOURCE_NOT_ALLOWED));
    }

    @Test
    void packetsWithoutARouteAreDroppedAndCounted() {
        pair();
        a.fromTun(udp(A4, ip("10.99.0.1"), 10));
        a.fromTun(udp(A6, ip("fd99::1"), 10));
        a.fromTun(Unpooled.wrappedBuffer(new byte[] {0x45, 0, 0}));
        a.fromTun(Unpooled.wrappedBuffer(new byte[40]));
        assertTrue(a.sent().isEmpty());
        assertEquals(2, a.device.dropped(Drop.NO_ROUTE));
        assertEquals(2, a.device.dropped(Drop.INVALID_OUTBOUND_PACKET));
    }

    @Test
    void endpointFollowsTheLastAuthenticatedPacket() {
        pair();
        handshakeAndCheck();
        InetSocketAddress roamed = new InetSocketAddress(ip("10.200.0.77"), 40000);
        a.fromTun(udp(A4, B4, 30));
        DatagramPacket data = a.sent().get(0);
        b.fromNetwork(data.content(), roamed);
        assertEquals(roamed, aAtB.endpoint());
        b.releaseDelivered();
        // a forged datagram from elsewhere does not move it
        b.fromNetwork(Unpooled.wrappedBuffer(new byte[64]), new InetSocketAddress(ip("10.200.0.66"), 1));
        assertEquals(roamed, aAtB.endpoint());
        b.fromTun(udp(B4, A4, 30));
        assertEquals(roamed, b.sent().stream().peek(ReferenceCountUtil::release).findFirst()
                .map(DatagramPacket::recipient).orElse(null));
    }

    @Test
    void keepalivesAuthenticateButAreNotDelivered() {
        pair();
        handshakeAndCheck();
        long before = aAtB.rxPackets();
        // the initiator's confirmation keepalive was one; send a packet and check none arrive for keepalives
        assertTrue(before >= 1);
        assertTrue(b.delivered.isEmpty());
        assertEquals(0, b.device.dropped());
    }

    /** Garbage of every type and length: each datagram is dropped and counted, nothing answers, nothing leaks. */
    @Test
    void hostileDatagramsAreDroppedAndCounted() {
        pair();
        handshakeAndCheck();
        Random random = new Random(11);
        int sent = 0;
        for (int type = 0; type <= 5; type++) {
            for (int len : new int[] {0, 1, 3, 4, 15, 16, 31, 32, 33, 63, 64, 65, 91, 92, 93, 147, 148, 149, 200,
                    1500}) {
                byte[] bytes = new byte[len];
                random.nextBytes(bytes);
                if (len >= 4) {
                    bytes[0] = (byte) type;
                    bytes[1] = 0;
                    bytes[2] = 0;
                    bytes[3] = 0;
                }
                b.fromNetwork(Unpooled.wrappedBuffer(bytes), ADDR_A);
                sent++;
            }
        }
        // a real data message, truncated at every length
        a.fromTun(udp(A4, B4, 64));
        DatagramPacket data = a.sent().get(0);
        byte[] real = ByteBufUtil.getBytes(data.content());
        data.release();
        for (int len = 0; len < real.length; len++) {
            b.fromNetwork(Unpooled.wrappedBuffer(real, 0, len), ADDR_A);
            sent++;
        }
        assertEquals(sent, b.device.dropped(), b.device.toString());
        assertTrue(b.device.dropped(Drop.MALFORMED) > 0 && b.device.dropped(Drop.BAD_MAC1) > 0
                && b.device.dropped(Drop.UNKNOWN_INDEX) > 0, b.device.toString());
        assertTrue(b.sent().isEmpty(), "nothing answered");
        assertTrue(b.delivered.isEmpty(), "nothing delivered");
    }

    /** A flood of initiations with valid MAC1 from many senders turns into cookie replies, keeping no state. */
    @Test
    void initiationFloodSwitchesToCookieRepliesAndTheRealPeerGetsThrough() {
        WireGuardOptions options = new WireGuardOptions().handshakesPerSecondUnderLoad(5)
                .timers(WireGuardTimers.DEFAULT.withTimes(Duration.ofSeconds(120), Duration.ofSeconds(180),
                        Duration.ofSeconds(90), Duration.ofMillis(50), Duration.ofSeconds(10)));
        pair(options, new byte[32]);
        // The attacker knows B's public key, so its initiations carry a valid MAC1, but it is no peer of B.
        byte[] keyC = WireGuardTestbed.newPrivateKey();
        EmbeddedPeer c = peer(keyC, new WireGuardOptions(), new InetSocketAddress(ip("10.200.0.3"), 1));
        WireGuardPeer bAtC = c.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyB))
                .allowedIp("0.0.0.0/0").endpoint(ADDR_B));
        int flood = 200;
        for (int i = 0; i < flood; i++) {
            byte[] msg = c.device.createInitiation(bAtC);
            b.fromNetwork(Unpooled.wrappedBuffer(msg), new InetSocketAddress(ip("10.200.1." + (i % 250)), 1000 + i));
        }
        List<DatagramPacket> replies = b.sent();
        long cookies = b.device.cookieRepliesSent();
        assertTrue(cookies >= flood - 10, "cookie replies once over the threshold: " + cookies);
        for (DatagramPacket r : replies) {
            assertEquals(Messages.COOKIE_REPLY_LENGTH, r.content().readableBytes());
            r.release();
        }
        assertEquals(flood - cookies, b.device.dropped(Drop.UNKNOWN_PEER), "the few before the threshold");
        assertEquals(0, b.device.indexTableSize(), "no state for unverified senders");

        // B's real peer: its initiation is answered with a cookie, and the retransmit carries a valid MAC2.
        a.fromTun(udp(A4, B4, 10));
        for (int step = 0; step < 1000 && b.delivered.isEmpty(); step++) { // 20 s of mock time at most
            // keep B under load with the attacker's traffic, and let A's retransmit timer run
            byte[] msg = c.device.createInitiation(bAtC);
            b.fromNetwork(Unpooled.wrappedBuffer(msg), new InetSocketAddress(ip("10.200.2.1"), 999));
            b.sent().forEach(ReferenceCountUtil::release);
            EmbeddedPeer.exchange(a, b);
            EmbeddedPeer.advance(20, 20, false, a, b);
        }
        assertEquals(1, b.delivered.size(), "the real peer got through under load: " + a.device + b.device);
        assertTrue(b.device.dropped(Drop.COOKIE_REQUIRED) > flood - 10);
        assertTrue(bAtA.cookieGenerator.hasCookie(), "A holds B's cookie");
    }

    @Test
    void peerRemovalDropsKeysRoutesAndStagedPackets() {
        pair();
        handshakeAndCheck();
        b.fromTun(udp(B4, A4, 10));
        b.sent().forEach(ReferenceCountUtil::release);
        assertTrue(b.device.removePeer(WireGuardCrypto.publicKey(keyA)));
        assertEquals(0, b.device.indexTableSize());
        b.fromTun(udp(B4, A4, 10));
        assertEquals(1, b.device.dropped(Drop.NO_ROUTE));
        a.fromTun(udp(A4, B4, 10));
        EmbeddedPeer.exchange(a, b);
        assertTrue(b.delivered.isEmpty());
        assertNotEquals(0, b.device.dropped(Drop.UNKNOWN_INDEX) + b.device.dropped(Drop.UNKNOWN_PEER));
    }

    static WireGuardOptions shortTimers(Duration rekeyAttempt, Duration rekeyTimeout, Duration keepalive) {
        return new WireGuardOptions().timers(WireGuardTimers.DEFAULT.withTimes(Duration.ofSeconds(120),
                Duration.ofSeconds(180), rekeyAttempt, rekeyTimeout, keepalive));
    }

    /** Lets the devices' timers run (mock time, 10 ms steps) until {@code done}, at most 10 s; whether it became true. */
    static boolean runTimersUntil(java.util.function.BooleanSupplier done, EmbeddedPeer... peers) {
        for (int step = 0; step < 1000 && !done.getAsBoolean(); step++) {
            EmbeddedPeer.advance(10, 10, false, peers);
        }
        return done.getAsBoolean();
    }

    @Test
    void unansweredInitiationsAreRetransmittedThenGivenUpWithTheStagedPackets() {
        pair(shortTimers(Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofSeconds(10)), new byte[32]);
        a.fromTun(udp(A4, B4, 10));
        a.fromTun(udp(A4, B4, 20));
        int[] initiations = {0};
        boolean gaveUp = runTimersUntil(() -> {
            for (DatagramPacket d : a.sent()) {
                assertEquals(Messages.INITIATION_LENGTH, d.content().readableBytes());
                initiations[0]++;
                d.release();
            }
            return a.device.dropped(Drop.HANDSHAKE_TIMEOUT) == 2;
        }, a);
        assertTrue(gaveUp, "after REKEY_ATTEMPT_TIME the two staged packets are dropped: " + a.device);
        assertEquals(2, bAtA.dropped(Drop.HANDSHAKE_TIMEOUT));
        assertTrue(initiations[0] >= 2, "retransmitted every REKEY_TIMEOUT: " + initiations[0]);
        a.channel.runScheduledPendingTasks();
        assertTrue(a.sent().isEmpty(), "no retransmits after giving up");
    }

    @Test
    void persistentKeepaliveFlowsWithoutTraffic() {
        pair();
        handshakeAndCheck();
        a.device.setPersistentKeepalive(bAtA, 1);
        long before = aAtB.rxPackets();
        assertTrue(runTimersUntil(() -> {
            EmbeddedPeer.exchange(a, b);
            return aAtB.rxPackets() >= before + 2;
        }, a, b), "two keepalives from A: " + aAtB);
        assertTrue(b.delivered.isEmpty(), "keepalives are not delivered");
    }

    @Test
    void aPeerThatOnlyReceivesAnswersWithAKeepalive() {
        pair(shortTimers(Duration.ofSeconds(90), Duration.ofSeconds(5), Duration.ofMillis(300)), new byte[32]);
        handshakeAndCheck();
        long before = bAtA.rxPackets();
        a.fromTun(udp(A4, B4, 10));
        EmbeddedPeer.exchange(a, b);
        b.releaseDelivered();
        assertTrue(runTimersUntil(() -> {
            EmbeddedPeer.exchange(a, b);
            return bAtA.rxPackets() > before;
        }, a, b), "B sent a keepalive KEEPALIVE_TIMEOUT after receiving data: " + bAtA);
        assertTrue(a.delivered.isEmpty());
    }

    @Test
    void afterCloseStagedAndArrivingPacketsAreReleasedAndCounted() {
        pair();
        a.fromTun(udp(A4, B4, 10)); // staged, waiting for the handshake
        List<DatagramPacket> initiation = a.sent();
        a.device.close();
        assertEquals(1, a.device.dropped(Drop.CLOSED), "the staged packet");
        a.fromTun(udp(A4, B4, 10));
        a.fromNetwork(initiation.get(0).content(), ADDR_B);
        assertEquals(3, a.device.dropped(Drop.CLOSED));
        assertTrue(a.sent().isEmpty());
    }

    /**
     * REKEY_AFTER_MESSAGES 4, REJECT_AFTER_MESSAGES 8: past 4 the initiator asks for a handshake, past 8 it sends
     * nothing more on the old keys but stages; the new handshake then carries every staged packet, in order.
     */
    @Test
    void pastRejectAfterMessagesPacketsWaitForTheNextHandshake() {
        pair(new WireGuardOptions().timers(WireGuardTimers.DEFAULT.withTimes(Duration.ofSeconds(120),
                Duration.ofSeconds(180), Duration.ofSeconds(90), Duration.ofMillis(20), Duration.ofSeconds(10))
                .withMessages(4, 8)), new byte[32]);
        handshakeAndCheck(); // used counter 0 for the staged packet
        time.advance(30, TimeUnit.MILLISECONDS); // one initiation per REKEY_TIMEOUT (20 ms): the first is that old now
        List<DatagramPacket> initiations = new ArrayList<>();
        int dataSent = 0;
        List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ByteBuf p = udp(A4, B4, 40 + i);
            expected.add(ByteBufUtil.getBytes(p));
            a.fromTun(p);
            for (DatagramPacket d : a.sent()) {
                if (d.content().getByte(d.content().readerIndex()) == Messages.TYPE_INITIATION) {
                    initiations.add(d);
                } else {
                    dataSent++;
                    d.release(); // lost on the way: B never sees these
                }
            }
        }
        assertFalse(initiations.isEmpty(), "an initiation past REKEY_AFTER_MESSAGES");
        assertTrue(dataSent <= 8, "no counter at or past REJECT_AFTER_MESSAGES was used: " + dataSent);
        int staged = 12 - dataSent;
        assertTrue(staged > 0);
        // each initiation replaces the one before: the last one is the handshake to finish
        for (int i = 0; i < initiations.size() - 1; i++) {
            initiations.get(i).release();
        }
        b.fromNetwork(initiations.get(initiations.size() - 1).content(), ADDR_A);
        EmbeddedPeer.exchange(a, b);
        assertEquals(staged, b.delivered.size(), "the staged packets went out after the handshake");
        for (int i = 0; i < staged; i++) {
            assertArrayEquals(expected.get(12 - staged + i), ByteBufUtil.getBytes(b.delivered.get(i)), "order");
        }
        assertEquals(0, a.device.dropped() + b.device.dropped());
    }

    // ------------------------------------------------------------------------ the drops not covered above

    @Test
    void initiationsLessThan20MsApartAreAFlood() {
        pair();
        byte[] first = a.device.createInitiation(bAtA);
        time.advance(18, TimeUnit.MILLISECONDS); // a newer TAI64N timestamp (16.8 ms granularity), within 20 ms
        byte[] second = a.device.createInitiation(bAtA);
        b.fromNetwork(Unpooled.wrappedBuffer(first), ADDR_A);
        b.fromNetwork(Unpooled.wrappedBuffer(second), ADDR_A);
        assertEquals(1, b.device.dropped(Drop.HANDSHAKE_FLOOD));
        assertEquals(1, aAtB.dropped(Drop.HANDSHAKE_FLOOD));
        assertEquals(0, b.device.dropped(Drop.HANDSHAKE_REPLAY), "the timestamp was newer");
        List<DatagramPacket> responses = b.sent();
        responses.forEach(ReferenceCountUtil::release);
        assertEquals(1, responses.size(), "one response");
    }

    @Test
    void aCookieReplyThatDoesNotOpenIsDropped() {
        pair();
        a.fromTun(udp(A4, B4, 10));
        DatagramPacket initiation = a.sent().get(0);
        byte[] reply = new byte[Messages.COOKIE_REPLY_LENGTH];
        new Random(5).nextBytes(reply);
        reply[0] = Messages.TYPE_COOKIE_REPLY;
        reply[1] = 0;
        reply[2] = 0;
        reply[3] = 0;
        initiation.content().getBytes(initiation.content().readerIndex() + 4, reply, 4, 4); // A's sender index
        initiation.release();
        a.fromNetwork(Unpooled.wrappedBuffer(reply), ADDR_B);
        assertEquals(1, a.device.dropped(Drop.BAD_COOKIE));
        assertEquals(1, bAtA.dropped(Drop.BAD_COOKIE));
        assertFalse(bAtA.cookieGenerator.hasCookie());
    }

    @Test
    void aDataMessageThatDoesNotAuthenticateIsDropped() {
        pair();
        handshakeAndCheck();
        a.fromTun(udp(A4, B4, 100));
        DatagramPacket data = a.sent().get(0);
        ByteBuf content = data.content();
        int at = content.readerIndex() + Messages.DATA_HEADER_LENGTH + 5;
        content.setByte(at, content.getByte(at) ^ 0x10);
        b.fromNetwork(content, ADDR_A);
        assertEquals(1, b.device.dropped(Drop.DECRYPT_FAILED));
        assertEquals(1, aAtB.dropped(Drop.DECRYPT_FAILED));
        assertTrue(b.sent().isEmpty() && b.delivered.isEmpty());
    }

    @Test
    void aDecryptedPacketThatIsNoIpPacketIsDropped() {
        pair();
        handshakeAndCheck();
        // Routable by its destination, but its IPv4 header length (1 word) is impossible.
        byte[] bad = new byte[40];
        bad[0] = 0x41;
        bad[3] = 40;
        System.arraycopy(B4.getAddress(), 0, bad, 16, 4);
        a.fromTun(Unpooled.wrappedBuffer(bad));
        EmbeddedPeer.exchange(a, b);
        assertEquals(1, b.device.dropped(Drop.INVALID_INNER_PACKET));
        assertEquals(1, aAtB.dropped(Drop.INVALID_INNER_PACKET));
        assertTrue(b.delivered.isEmpty());
    }

    @Test
    void aPacketTooLargeForOneDatagramIsDropped() {
        pair();
        handshakeAndCheck();
        ByteBuf huge = DEFAULT.directBuffer(65500).writeZero(65500);
        huge.setByte(0, 0x45);
        huge.setBytes(16, B4.getAddress());
        a.fromTun(huge);
        assertTrue(a.sent().isEmpty());
        assertEquals(1, a.device.dropped(Drop.TOO_LARGE));
    }

    @Test
    void stagedPacketsBeyond128PushOutTheOldest() {
        pair();
        List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < WireGuardPeer.MAX_STAGED_PACKETS + 1; i++) {
            ByteBuf p = udp(A4, B4, 20 + i);
            expected.add(ByteBufUtil.getBytes(p));
            a.fromTun(p);
        }
        assertEquals(1, a.device.dropped(Drop.STAGED_OVERFLOW));
        assertEquals(1, bAtA.dropped(Drop.STAGED_OVERFLOW));
        EmbeddedPeer.exchange(a, b);
        assertEquals(WireGuardPeer.MAX_STAGED_PACKETS, b.delivered.size());
        assertArrayEquals(expected.get(1), ByteBufUtil.getBytes(b.delivered.get(0)), "the first one went");
    }
}

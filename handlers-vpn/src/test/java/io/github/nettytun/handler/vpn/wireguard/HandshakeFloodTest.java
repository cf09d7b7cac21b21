/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.handler.vpn.wireguard.DropCounts.Drop;
import io.netty.buffer.Unpooled;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.A4;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.ADDR_A;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.ADDR_B;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.B4;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.ip;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Handshake floods against B on embedded channels (mock time): the per-source rate limits, the cookie that proves
 * an address, the work budget, and the handshake executor's bounded queue. The real-server floods are the examples'
 * {@code HandshakeFloodTest}.
 */
class HandshakeFloodTest {

    private final MockTicker time = Ticker.newMockTicker();
    private final byte[] keyA = WireGuardTestbed.newPrivateKey();
    private final byte[] keyB = WireGuardTestbed.newPrivateKey();
    private final InetSocketAddress addrC = new InetSocketAddress(ip("10.200.0.3"), 7777);
    private EmbeddedPeer a;
    private EmbeddedPeer b;
    private EmbeddedPeer c;
    private WireGuardPeer bAtA;
    private WireGuardPeer bAtC;
    /** B's handshake executor where a test gives it one: the test runs its tasks. */
    private final Deque<Runnable> handshakeWork = new ArrayDeque<>();

    /** A and B are peers; C knows B's public key but is not B's peer (the attacker). */
    private void start(WireGuardOptions optionsB) {
        a = new EmbeddedPeer(keyA, new WireGuardOptions(), ADDR_A, time);
        b = new EmbeddedPeer(keyB, optionsB, ADDR_B, time);
        c = new EmbeddedPeer(WireGuardTestbed.newPrivateKey(), new WireGuardOptions(), addrC, time);
        bAtA = a.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyB)).allowedIp("10.201.0.2/32")
                .endpoint(ADDR_B));
        b.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyA)).allowedIp("10.201.0.1/32")
                .endpoint(ADDR_A));
        bAtC = c.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyB)).allowedIp("0.0.0.0/0")
                .endpoint(ADDR_B));
    }

    @AfterEach
    void close() {
        for (EmbeddedPeer p : new EmbeddedPeer[] {a, b, c}) {
            if (p != null) {
                p.close();
            }
        }
    }

    /** C sends initiations from its address until B answers one with a cookie reply, and takes the cookie. */
    private int earnCookie() {
        for (int sent = 1; sent <= 100; sent++) {
            b.fromNetwork(Unpooled.wrappedBuffer(c.device.createInitiation(bAtC)), addrC);
            List<DatagramPacket> replies = b.sent();
            if (!replies.isEmpty()) {
                assertEquals(1, replies.size());
                assertEquals(Messages.COOKIE_REPLY_LENGTH, replies.get(0).content().readableBytes());
                c.fromNetwork(replies.get(0).content(), ADDR_B);
                assertTrue(bAtC.cookieGenerator.hasCookie(), "C took B's cookie");
                return sent;
            }
        }
        throw new AssertionError("no cookie reply in 100 initiations: " + b.device);
    }

    @Test
    void oneSourceWithACookieIsHeldToItsRateAndTheDeviceStaysOutOfLoad() {
        start(new WireGuardOptions());
        int sent = earnCookie();
        assertEquals(6, sent, "the burst of 5 is worked on, the 6th needs a cookie");
        assertEquals(5, b.device.dropped(Drop.UNKNOWN_PEER));

        byte[] msg = c.device.createInitiation(bAtC); // now with a valid MAC2; sent again and again
        int flood = 5000;
        for (int i = 0; i < flood; i++) {
            b.fromNetwork(Unpooled.wrappedBuffer(msg.clone()), addrC);
        }
        assertTrue(b.sent().isEmpty(), "no cookie replies to a proven sender");
        assertEquals(5 + 5, b.device.dropped(Drop.UNKNOWN_PEER), "the proven burst was worked on");
        assertEquals(flood - 5, b.device.dropped(Drop.RATE_LIMITED));

        // One second later both of the source's buckets are full again: 5 tokens each (the burst), not 20.
        time.advance(1, TimeUnit.SECONDS);
        for (int i = 0; i < flood; i++) {
            b.fromNetwork(Unpooled.wrappedBuffer(msg.clone()), addrC);
        }
        assertEquals(5 + 5 + 5 + 5, b.device.dropped(Drop.UNKNOWN_PEER));
        assertEquals(2 * flood - 15, b.device.dropped(Drop.RATE_LIMITED));

        // A, from another address, handshakes at once: no cookie needed, the device is not under load.
        a.fromTun(udp(A4, B4, 10));
        EmbeddedPeer.exchange(a, b);
        assertEquals(1, b.delivered.size(), "A's packet came through: " + b.device);
        assertFalse(bAtA.cookieGenerator.hasCookie(), "A was never asked for a cookie");
        assertEquals(1, b.device.cookieRepliesSent(), "only C's one");
    }

    @Test
    void aSpooferEmptiesOnlyTheUnprovenBucketOfTheAddressItFakes() {
        start(new WireGuardOptions());
        // C sends with A's address: it can empty A's unproven bucket, and gets no cookie (replies go to A).
        for (int i = 0; i < 50; i++) {
            b.fromNetwork(Unpooled.wrappedBuffer(c.device.createInitiation(bAtC)), ADDR_A);
        }
        List<DatagramPacket> toA = b.sent();
        assertEquals(45, toA.size(), "cookie replies to the real owner of the address: " + b.device);
        toA.forEach(d -> a.fromNetwork(d.content(), ADDR_B)); // for an index A never used
        assertEquals(45, a.device.dropped(Drop.UNKNOWN_INDEX));
        assertFalse(bAtA.cookieGenerator.hasCookie());

        // A's own initiation is answered with a cookie; its retransmission carries MAC2 and gets through.
        a.fromTun(udp(A4, B4, 10));
        EmbeddedPeer.exchange(a, b);
        assertTrue(bAtA.cookieGenerator.hasCookie(), "A earned its cookie");
        assertTrue(b.delivered.isEmpty());
        for (int step = 0; step < 700 && b.delivered.isEmpty(); step++) { // REKEY_TIMEOUT and jitter, 10 ms steps
            b.fromNetwork(Unpooled.wrappedBuffer(c.device.createInitiation(bAtC)), ADDR_A); // the spoofer goes on
            b.sent().forEach(ReferenceCountUtil::release);
            EmbeddedPeer.advance(10, 10, true, a, b);
        }
        assertEquals(1, b.delivered.size(), "A got through with its cookie: " + b.device);
    }

    @Test
    void aFloodFromManyAddressesKeepsNoStateBeyondTheTable() {
        start(new WireGuardOptions().handshakeRateLimit(20, 5, 64));
        byte[] msg = c.device.createInitiation(bAtC);
        int flood = 20_000;
        for (int i = 0; i < flood; i++) {
            InetSocketAddress spoofed = new InetSocketAddress(ip("10." + (i >>> 16 & 0xff) + '.' + (i >>> 8 & 0xff)
                    + '.' + (i & 0xff)), 1000 + i % 50_000);
            b.fromNetwork(Unpooled.wrappedBuffer(msg.clone()), spoofed);
            b.sent().forEach(ReferenceCountUtil::release);
        }
        long cookies = b.device.cookieRepliesSent();
        long workedOn = b.device.dropped(Drop.UNKNOWN_PEER);
        assertEquals(flood, cookies + workedOn, "each was worked on or answered with a cookie: " + b.device);
        assertTrue(workedOn >= 1 && workedOn <= 64, "worked on while the table had room: " + workedOn);
        assertTrue(b.device.handshakeSourcesTracked() <= 64, "the table is the bound");
        assertEquals(0, b.device.indexTableSize(), "no state for unverified senders");
    }

    @Test
    void handshakeWorkBeyondItsShareOfTheLoopIsDropped() {
        // A ticker that moves 10 ms each time it is read: every message's work seems to take 10 ms, so a 100 ms
        // window has room for the work of 3 (25 ms at 10 ms each, the third starting below the budget).
        MockTicker slow = Ticker.newMockTicker();
        Ticker stepping = new Ticker() {
            @Override
            public long initialNanoTime() {
                return slow.initialNanoTime();
            }

            @Override
            public long nanoTime() {
                slow.advance(10, TimeUnit.MILLISECONDS);
                return slow.nanoTime();
            }

            @Override
            public void sleep(long delay, TimeUnit unit) throws InterruptedException {
                slow.sleep(delay, unit);
            }
        };
        start(new WireGuardOptions().ticker(stepping).handshakeRateLimit(1000, 1000, 1024));
        byte[] msg = c.device.createInitiation(bAtC);
        for (int i = 0; i < 10; i++) {
            b.fromNetwork(Unpooled.wrappedBuffer(msg.clone()), new InetSocketAddress(ip("10.9.0." + i), 9));
        }
        b.sent().forEach(ReferenceCountUtil::release);
        assertTrue(b.device.dropped(Drop.HANDSHAKE_OVERLOAD) > 0, "the budget ran out: " + b.device);
        assertTrue(b.device.dropped(Drop.UNKNOWN_PEER) < 10, "not all were worked on: " + b.device);
    }

    @Test
    void junkWithoutAValidMac1TakesNoPlaceInTheTable() {
        start(new WireGuardOptions().handshakeRateLimit(20, 5, 64));
        byte[] junk = new byte[Messages.INITIATION_LENGTH];
        junk[0] = Messages.TYPE_INITIATION;
        for (int i = 0; i < 1000; i++) {
            b.fromNetwork(Unpooled.wrappedBuffer(junk.clone()), new InetSocketAddress(ip("10.8." + (i >>> 8) + '.'
                    + (i & 0xff)), 1));
        }
        assertEquals(1000, b.device.dropped(Drop.BAD_MAC1));
        assertEquals(0, b.device.handshakeSourcesTracked(), "no table entry for senders without our public key");
    }

    /** Runs what waits on B's handshake executor, then what that handed back to B's event loop. */
    private void runHandshakeWork() {
        for (Runnable task; (task = handshakeWork.poll()) != null; ) {
            task.run();
        }
        b.channel.runPendingTasks();
    }

    @Test
    void anInitiationIsWorkedOnTheExecutorAndAnsweredOnTheLoop() {
        start(new WireGuardOptions().handshakeExecutor(handshakeWork::add, 64));
        a.fromTun(udp(A4, B4, 10));
        for (DatagramPacket d : a.sent()) {
            b.fromNetwork(d.content(), ADDR_A);
        }
        assertTrue(b.sent().isEmpty(), "no answer before the executor did the work");
        assertEquals(1, handshakeWork.size());
        runHandshakeWork();
        EmbeddedPeer.exchange(a, b);
        assertEquals(1, b.delivered.size(), "A's packet came through: " + b.device);
        assertEquals(1, bAtA.handshakes(), "A's handshake completed");
        assertEquals(0, b.device.dropped(Drop.HANDSHAKE_OVERLOAD));
    }

    @Test
    void theExecutorQueueIsBoundedAndPutsTheDeviceUnderLoad() {
        start(new WireGuardOptions().handshakeExecutor(handshakeWork::add, 8).handshakeRateLimit(1000, 1000, 1024));
        b.fromNetwork(Unpooled.wrappedBuffer(c.device.createInitiation(bAtC)), addrC);
        assertEquals(1, handshakeWork.size(), "the first is queued, and an eighth of the queue is load");
        b.fromNetwork(Unpooled.wrappedBuffer(c.device.createInitiation(bAtC)), addrC);
        assertEquals(2, handshakeWork.size(), "under load: a cookie reply to make, after the first initiation");
        runHandshakeWork();
        assertEquals(1, b.device.dropped(Drop.UNKNOWN_PEER), "the first was worked on: " + b.device);
        List<DatagramPacket> replies = b.sent();
        assertEquals(1, replies.size(), "the cookie reply, sent from the loop");
        c.fromNetwork(replies.get(0).content(), ADDR_B);
        for (int i = 0; i < 10; i++) {
            b.fromNetwork(Unpooled.wrappedBuffer(c.device.createInitiation(bAtC)), addrC); // with MAC2 now
        }
        assertEquals(8, handshakeWork.size(), "the queue holds 8: " + b.device);
        assertEquals(2, b.device.dropped(Drop.HANDSHAKE_OVERLOAD), "the rest are dropped: " + b.device);
        runHandshakeWork();
        assertEquals(1 + 8, b.device.dropped(Drop.UNKNOWN_PEER), "each queued one was worked on: " + b.device);
        assertEquals(0, b.device.indexTableSize(), "no state for them");
        assertTrue(b.sent().isEmpty());

        // A second later the queue is empty and the load over: A handshakes without a cookie.
        time.advance(1, TimeUnit.SECONDS);
        a.fromTun(udp(A4, B4, 10));
        for (int round = 0; round < 4; round++) {
            EmbeddedPeer.exchange(a, b);
            runHandshakeWork();
        }
        assertEquals(1, b.delivered.size(), "A's packet came through: " + b.device);
        assertFalse(bAtA.cookieGenerator.hasCookie(), "A was not asked for a cookie");
    }

    @Test
    void underLoadMessagesWithoutCookiesAreCheckedAndAnsweredOnTheExecutorAndBounded() {
        start(new WireGuardOptions().handshakeExecutor(handshakeWork::add, 8).handshakeRateLimit(1000, 1000, 1024));
        b.fromNetwork(Unpooled.wrappedBuffer(c.device.createInitiation(bAtC)), addrC);
        assertEquals(1, handshakeWork.size(), "an initiation queued: an eighth of the queue, the device is under load");
        byte[] junk = new byte[Messages.INITIATION_LENGTH];
        junk[0] = Messages.TYPE_INITIATION;
        for (int i = 0; i < 20; i++) { // from 20 addresses, without cookies; every other one without a valid MAC1
            byte[] msg = i % 2 == 0 ? junk.clone() : c.device.createInitiation(bAtC);
            b.fromNetwork(Unpooled.wrappedBuffer(msg), new InetSocketAddress(ip("10.7.0." + i), 7));
        }
        assertEquals(1 + 8, handshakeWork.size(), "8 wait to be checked and answered (the queue's size)");
        assertEquals(12, b.device.dropped(Drop.HANDSHAKE_OVERLOAD), "the rest unchecked: " + b.device);
        assertEquals(0, b.device.dropped(Drop.BAD_MAC1) + b.device.dropped(Drop.COOKIE_REQUIRED),
                "no MAC checked on the loop: " + b.device);
        assertEquals(1, b.device.handshakeSourcesTracked(), "no table entry for them (C's is from its first)");

        for (Runnable task; (task = handshakeWork.poll()) != null; ) {
            task.run(); // the executor's part only
        }
        assertEquals(0, b.device.cookieRepliesSent(), "made, not sent: sending is the loop's");
        b.channel.runPendingTasks();
        assertEquals(4, b.device.dropped(Drop.BAD_MAC1), b.device.toString());
        assertEquals(4, b.device.dropped(Drop.COOKIE_REQUIRED), b.device.toString());
        List<DatagramPacket> replies = b.sent();
        assertEquals(4, replies.size(), "the loop sent the 4 replies: " + replies);
        assertEquals(4, b.device.cookieRepliesSent());
        for (DatagramPacket reply : replies) {
            assertEquals(Messages.COOKIE_REPLY_LENGTH, reply.content().readableBytes());
            assertTrue(reply.recipient().getAddress().getHostAddress().startsWith("10.7.0."), reply.toString());
            reply.release();
        }

        // Their places are free again. C's initiation was worked on meanwhile, so the first of three more is too
        // (the queue is empty: no load), the next two are answered.
        assertEquals(1, b.device.dropped(Drop.UNKNOWN_PEER));
        for (int i = 0; i < 3; i++) {
            b.fromNetwork(Unpooled.wrappedBuffer(c.device.createInitiation(bAtC)),
                    new InetSocketAddress(ip("10.7.1." + i), 7));
        }
        runHandshakeWork();
        replies = b.sent();
        assertEquals(2, replies.size(), "answered: " + b.device);
        replies.forEach(ReferenceCountUtil::release);
        assertEquals(2, b.device.dropped(Drop.UNKNOWN_PEER));
        assertEquals(6, b.device.cookieRepliesSent());
    }

    @Test
    void cookieRepliesMadeAfterCloseAreNotSent() {
        start(new WireGuardOptions().handshakeExecutor(handshakeWork::add, 8).handshakeRateLimit(1000, 1000, 1024));
        b.fromNetwork(Unpooled.wrappedBuffer(c.device.createInitiation(bAtC)), addrC);
        b.fromNetwork(Unpooled.wrappedBuffer(c.device.createInitiation(bAtC)), new InetSocketAddress(ip("10.7.0.1"), 7));
        assertEquals(2, handshakeWork.size());
        b.device.close();
        runHandshakeWork();
        assertTrue(b.sent().isEmpty(), "neither a response nor a cookie reply from a closed device");
        assertEquals(0, b.device.cookieRepliesSent());
    }

    @Test
    void workThatComesBackAfterCloseIsDropped() {
        start(new WireGuardOptions().handshakeExecutor(handshakeWork::add, 64));
        a.fromTun(udp(A4, B4, 10));
        for (DatagramPacket d : a.sent()) {
            b.fromNetwork(d.content(), ADDR_A);
        }
        b.device.close();
        runHandshakeWork();
        assertTrue(b.sent().isEmpty(), "no response from a closed device");
        assertEquals(1, b.device.dropped(Drop.CLOSED), b.device.toString());
    }
}

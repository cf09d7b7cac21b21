/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.handler.vpn.UdpGroSplitter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.socket.DatagramPacket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.A4;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.ADDR_A;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.ADDR_B;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.B4;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link WireGuardDevice#groSegmentSize} behind a {@link UdpGroSplitter} in front of a real device: runs of data
 * messages A encrypted (every padded size, and the full size of the MTU, which is no multiple of 16), with a
 * shorter last message, a handshake initiation closing a run, single datagrams and garbage. The real kernel's
 * coalescing, key changes included, is covered by WireGuardRekeyTest on io_uring.
 */
class WireGuardGroSegmentationTest {

    private static final int MAX = 2048;
    private final byte[] keyA = WireGuardTestbed.newPrivateKey();
    private final byte[] keyB = WireGuardTestbed.newPrivateKey();
    private EmbeddedPeer a;
    private EmbeddedPeer b;
    private UdpGroSplitter splitter;

    @BeforeEach
    void pair() {
        a = new EmbeddedPeer(keyA, new WireGuardOptions(), ADDR_A);
        b = new EmbeddedPeer(keyB, new WireGuardOptions(), ADDR_B);
        a.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyB)).allowedIp("10.201.0.2/32").endpoint(ADDR_B));
        b.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyA)).allowedIp("10.201.0.1/32").endpoint(ADDR_A));
        splitter = new UdpGroSplitter(b.device::groSegmentSize, MAX);
        b.channel.pipeline().addFirst(splitter);
        a.fromTun(udp(A4, B4, 10));
        EmbeddedPeer.exchange(a, b);
        b.releaseDelivered();
    }

    @AfterEach
    void close() {
        a.close();
        b.close();
    }

    /** The messages A sends for IP packets of these payload lengths, in order. */
    private List<byte[]> encrypted(int... payloadLengths) {
        List<byte[]> messages = new ArrayList<>();
        for (int length : payloadLengths) {
            a.fromTun(udp(A4, B4, length));
        }
        for (DatagramPacket d : a.sent()) {
            messages.add(ByteBufUtil.getBytes(d.content()));
            d.release();
        }
        assertEquals(payloadLengths.length, messages.size());
        return messages;
    }

    /** One receive holding {@code messages}; what B then writes to its TUN side goes to {@code b.delivered}. */
    private void deliverCoalesced(List<byte[]> messages) {
        ByteBuf joined = Unpooled.directBuffer();
        messages.forEach(joined::writeBytes);
        b.fromNetwork(joined, ADDR_A);
        b.sent().forEach(DatagramPacket::release);
    }

    @Test
    void runsOfEverySizeComeApartAndDecrypt() {
        SplittableRandom random = new SplittableRandom(1);
        long packets = 0;
        long runs = 0;
        // IP payloads from 0 to the largest (MTU 1420 - 28): every padded message size, and 1452 (unpadded).
        for (int payload = 0; payload <= 1392; payload += 1 + random.nextInt(40)) {
            int count = 2 + random.nextInt(Math.min(40, 60000 / (payload + 60)));
            int[] lengths = new int[count + 1];
            java.util.Arrays.fill(lengths, payload);
            lengths[count] = random.nextInt(payload + 1);
            List<byte[]> messages = encrypted(lengths);
            if (messages.get(count).length > messages.get(0).length) {
                messages.remove(count); // the same padded size is fine; a longer last one the kernel never makes
            }
            deliverCoalesced(messages);
            packets += messages.size();
            runs++;
            assertEquals(packets, b.delivered.size(), "payload " + payload + " x " + count);
        }
        assertEquals(runs, splitter.split());
        assertEquals(0, splitter.unsplit());
        assertEquals(0, b.device.dropped(), b.device.toString());
    }

    @Test
    void aHandshakeInitiationMayCloseARunOfData() {
        // A second device that knows B sends an initiation (valid MAC1 for B) in the same coalesced receive.
        byte[] keyC = WireGuardTestbed.newPrivateKey();
        try (EmbeddedPeer c = new EmbeddedPeer(keyC, new WireGuardOptions(), ADDR_A)) {
            c.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyB)).allowedIp("10.201.0.2/32")
                    .endpoint(ADDR_B));
            c.fromTun(udp(A4, B4, 10));
            List<DatagramPacket> initiation = c.sent();
            assertEquals(1, initiation.size());
            List<byte[]> messages = encrypted(1392, 1392, 1392);
            messages.add(ByteBufUtil.getBytes(initiation.get(0).content()));
            initiation.get(0).release();
            deliverCoalesced(messages);
            assertEquals(3, b.delivered.size());
            assertEquals(4, splitter.datagrams());
            // C is not B's peer: its initiation reached the handshake code and was turned down there.
            assertEquals(1, b.device.dropped(WireGuardDevice.Drop.UNKNOWN_PEER), b.device.toString());
        }
    }

    @Test
    void singleDatagramsAndGarbagePassWhole() {
        for (byte[] m : encrypted(0, 15, 16, 100, 700, 1392)) {
            deliverCoalesced(List.of(m));
        }
        assertEquals(6, b.delivered.size());
        SplittableRandom random = new SplittableRandom(2);
        for (int length : new int[] {64, 100, 1452, 3000, 65000}) {
            byte[] garbage = new byte[length];
            random.nextBytes(garbage);
            garbage[0] = 4; // a data type with an index B does not have
            deliverCoalesced(List.of(garbage));
        }
        assertEquals(0, splitter.split());
        assertEquals(2, splitter.unsplit()); // the two longer than a datagram
        assertEquals(5, b.device.dropped(), b.device.toString());
    }

    /** Found by the soak run's garbage flood: a handshake-sized message with a tail shorter than a type field. */
    @Test
    void aHandshakeTypeWithATailOfAFewBytesIsNoRun() {
        for (int type = Messages.TYPE_INITIATION; type <= Messages.TYPE_COOKIE_REPLY; type++) {
            int fixed = Messages.fixedLength(type);
            for (int tail = 1; tail < 40; tail++) {
                ByteBuf junk = Unpooled.buffer(fixed + tail).writeZero(fixed + tail);
                junk.setIntLE(0, type);
                assertEquals(0, b.device.groSegmentSize(junk, 0, fixed + tail), "type " + type + " + " + tail);
                junk.release();
            }
        }
    }
}

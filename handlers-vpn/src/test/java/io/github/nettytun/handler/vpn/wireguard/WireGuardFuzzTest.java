/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.nettytun.handler.vpn.UdpGsoSender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import org.junit.jupiter.api.AfterAll;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.ADDR_A;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.ADDR_B;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.A4;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.B4;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.ip;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Coverage-guided fuzzing (Jazzer) of everything a WireGuard device parses from the network: each input is one
 * datagram to B, which holds a session with A. So that the fuzzer gets past the checks it cannot forge, the input
 * says how the datagram is built: raw bytes; a handshake message of the right length with a correct MAC1 (so the
 * Noise parsing and its Diffie-Hellman run); a cookie reply for one of B's indices; a data message for B's live
 * receiver index (the AEAD open runs); or an IP packet that A encrypts properly, so that B's inner-packet checks
 * see fuzzed plaintext. Nothing may escape the pipeline (EmbeddedChannel rethrows), and every buffer is released
 * (PARANOID leak detection), and no buffer is allocated larger than the input calls for (see
 * {@link RecordingAllocator}). The state (a session, rate-limiter buckets) carries across inputs and is rebuilt
 * every {@value #RESET_EVERY} inputs; time moves a fuzzed 0-50 ms per input.
 *
 * <p>Regression mode (every {@code mvn verify}) runs the corpus in {@code src/test/resources/.../
 * WireGuardFuzzTestInputs/}; {@code fuzz.sh} runs it in fuzzing mode.
 */
class WireGuardFuzzTest {

    private static final int RESET_EVERY = 5000;
    private static final int KIND_RAW = 0;
    private static final int KIND_INITIATION = 1;
    private static final int KIND_RESPONSE = 2;
    private static final int KIND_COOKIE = 3;
    private static final int KIND_DATA = 4;
    private static final int KIND_INNER = 5;

    private static Session session;

    /**
     * The allocator of both devices' channels: remembers the largest buffer asked for since the last {@link #reset},
     * other than the fixed-size buffer of a send run. A buffer sized by a length the datagram claims (an inner IP
     * header's total length, say) instead of the bytes it holds would show here as larger than the input.
     */
    private static final class RecordingAllocator extends AbstractByteBufAllocator {
        int largest;

        RecordingAllocator() {
            super(true);
        }

        void reset() {
            largest = 0;
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            record(initialCapacity, maxCapacity);
            return new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            record(initialCapacity, maxCapacity);
            return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }

        private void record(int initialCapacity, int maxCapacity) {
            boolean runBuffer = initialCapacity == maxCapacity && (initialCapacity == UdpGsoSender.MAX_IPV4_PAYLOAD
                    || initialCapacity == UdpGsoSender.MAX_IPV6_PAYLOAD);
            if (!runBuffer) {
                largest = Math.max(largest, initialCapacity);
            }
        }
    }

    /** A and B on embedded channels with a session, and what B's parsing needs to be reached. */
    private static final class Session implements AutoCloseable {
        final MockTicker time = Ticker.newMockTicker();
        final byte[] keyA = WireGuardTestbed.newPrivateKey();
        final byte[] keyB = WireGuardTestbed.newPrivateKey();
        final EmbeddedPeer a = new EmbeddedPeer(keyA, new WireGuardOptions(), ADDR_A, time);
        final EmbeddedPeer b = new EmbeddedPeer(keyB, new WireGuardOptions(), ADDR_B, time);
        final byte[] mac1KeyB = WireGuardCrypto.hash(Messages.LABEL_MAC1, WireGuardCrypto.publicKey(keyB));
        final byte[] dataHeader = new byte[8]; // type and B's receiver index of a live keypair
        final byte[] bIndex = new byte[4]; // an index B sent a handshake message from
        final RecordingAllocator allocator = new RecordingAllocator();
        int inputs;

        Session() {
            a.channel.config().setAllocator(allocator);
            b.channel.config().setAllocator(allocator);
            a.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyB)).allowedIp("10.201.0.2/32")
                    .allowedIp("fd01::2/128").endpoint(ADDR_B));
            b.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyA)).allowedIp("10.201.0.1/32")
                    .allowedIp("fd01::1/128").endpoint(ADDR_A));
            a.fromTun(udp(A4, B4, 10));
            // A's initiation to B, B's response (its sender index), A's first data message to B (B's index).
            DatagramPacket initiation = a.sent().get(0);
            b.fromNetwork(initiation.content(), ADDR_A);
            DatagramPacket response = b.sent().get(0);
            response.content().getBytes(response.content().readerIndex() + Messages.SENDER_OFFSET, bIndex);
            a.fromNetwork(response.content(), ADDR_B);
            DatagramPacket data = a.sent().get(0);
            data.content().getBytes(data.content().readerIndex(), dataHeader);
            b.fromNetwork(data.content(), ADDR_A);
            b.sent().forEach(ReferenceCountUtil::release); // (moves what B wrote to its TUN side to delivered)
            assertEquals(1, b.delivered.size(), "the session works");
            b.releaseDelivered();
        }

        @Override
        public void close() {
            a.close();
            b.close();
        }
    }

    @AfterAll
    static void closeSession() {
        if (session != null) {
            session.close();
            session = null;
        }
    }

    @FuzzTest(maxDuration = "20s")
    void datagramsToADeviceWithASession(FuzzedDataProvider data) {
        if (session == null || ++session.inputs > RESET_EVERY) {
            closeSession();
            session = new Session();
        }
        Session s = session;
        s.time.advance(data.consumeInt(0, 50), TimeUnit.MILLISECONDS);
        InetSocketAddress sender = data.consumeBoolean() ? ADDR_A
                : new InetSocketAddress(ip("10.9." + data.consumeInt(0, 3) + '.' + data.consumeInt(1, 254)),
                        data.consumeInt(1, 65535));
        int kind = data.consumeInt(KIND_RAW, KIND_INNER);
        s.allocator.reset();
        int inputLength;
        if (kind == KIND_INNER) {
            // A seals whatever IP packet it is given for B (destination fixed so that A routes it to B).
            byte[] packet = data.consumeRemainingAsBytes();
            if (packet.length >= 20) {
                packet[0] = (byte) ((packet[0] & 0x0f) | 0x40);
                System.arraycopy(B4.getAddress(), 0, packet, 16, 4);
            }
            inputLength = packet.length;
            s.a.fromTun(Unpooled.wrappedBuffer(packet));
            for (DatagramPacket d : s.a.sent()) {
                s.b.fromNetwork(d.content(), ADDR_A);
            }
        } else {
            byte[] datagram = datagram(s, kind, data);
            inputLength = datagram.length;
            s.b.fromNetwork(Unpooled.wrappedBuffer(datagram), sender);
        }
        // The most an input calls for: a data message around it (header, padding to 16, tag), or a handshake
        // message (a timer may start one).
        int allowed = Math.max(inputLength + Messages.DATA_OVERHEAD + 15, Messages.INITIATION_LENGTH);
        if (s.allocator.largest > allowed) {
            throw new AssertionError("a buffer of " + s.allocator.largest + " bytes for an input of " + inputLength);
        }
        s.b.sent().forEach(ReferenceCountUtil::release);
        s.a.sent().forEach(ReferenceCountUtil::release);
        s.b.releaseDelivered();
        s.a.releaseDelivered();
    }

    private static byte[] datagram(Session s, int kind, FuzzedDataProvider data) {
        byte[] msg;
        switch (kind) {
            case KIND_INITIATION:
                msg = withMac1(s, data.consumeBytes(Messages.INITIATION_LENGTH), Messages.INITIATION_LENGTH,
                        Messages.TYPE_INITIATION, Messages.INITIATION_MAC1);
                break;
            case KIND_RESPONSE:
                msg = withMac1(s, data.consumeBytes(Messages.RESPONSE_LENGTH), Messages.RESPONSE_LENGTH,
                        Messages.TYPE_RESPONSE, Messages.RESPONSE_MAC1);
                if (data.consumeBoolean()) {
                    System.arraycopy(s.bIndex, 0, msg, Messages.RESPONSE_RECEIVER_OFFSET, 4); // for B's index
                    fixMac1(s, msg, Messages.RESPONSE_MAC1);
                }
                break;
            case KIND_COOKIE:
                msg = padded(data.consumeBytes(Messages.COOKIE_REPLY_LENGTH), Messages.COOKIE_REPLY_LENGTH);
                setType(msg, Messages.TYPE_COOKIE_REPLY);
                System.arraycopy(s.bIndex, 0, msg, 4, 4);
                break;
            case KIND_DATA:
                byte[] rest = data.consumeRemainingAsBytes();
                msg = new byte[Math.max(Messages.DATA_OVERHEAD, 8 + rest.length)];
                System.arraycopy(s.dataHeader, 0, msg, 0, 8);
                System.arraycopy(rest, 0, msg, 8, Math.min(rest.length, msg.length - 8));
                break;
            default:
                msg = data.consumeRemainingAsBytes();
                break;
        }
        return msg;
    }

    private static byte[] withMac1(Session s, byte[] fuzzed, int length, int type, int mac1Offset) {
        byte[] msg = padded(fuzzed, length);
        setType(msg, type);
        fixMac1(s, msg, mac1Offset);
        return msg;
    }

    private static void fixMac1(Session s, byte[] msg, int mac1Offset) {
        byte[] mac1 = WireGuardCrypto.mac(s.mac1KeyB, msg, 0, mac1Offset);
        System.arraycopy(mac1, 0, msg, mac1Offset, Messages.MAC_LENGTH);
    }

    private static byte[] padded(byte[] b, int length) {
        return b.length == length ? b : java.util.Arrays.copyOf(b, length);
    }

    private static void setType(byte[] msg, int type) {
        msg[0] = (byte) type;
        msg[1] = 0;
        msg[2] = 0;
        msg[3] = 0;
    }

    /** The GRO segmentation guess (for transports that do not report segment sizes) on any bytes. */
    @FuzzTest(maxDuration = "10s")
    void groSegmentSizeOfAnyReceive(byte[] bytes) {
        if (session == null) {
            session = new Session();
        }
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        int size = session.b.device.groSegmentSize(buf, 0, bytes.length);
        if (size < 0 || size > Math.max(bytes.length, 0)) {
            throw new AssertionError("segment size " + size + " for " + bytes.length + " bytes");
        }
    }
}

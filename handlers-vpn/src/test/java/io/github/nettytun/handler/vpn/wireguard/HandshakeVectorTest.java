/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.socket.DatagramPacket;
import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A handshake between two of our devices, every byte of both messages and the first transport message recomputed
 * here from the whitepaper's formulas with other code: X25519 and ChaCha20-Poly1305 from the JDK (the device uses
 * BouncyCastle for both in the handshake), HMAC written out from RFC 2104. The devices draw their randomness from a
 * recording source, so the test recovers the ephemeral private keys by matching their public halves.
 */
class HandshakeVectorTest {

    /** Seeded, and remembering every 32-byte draw (the ephemeral keys are among them). */
    static final class RecordingRandom extends SecureRandom {
        private static final long serialVersionUID = 1L;
        private final Random seeded;
        final List<byte[]> draws32 = new ArrayList<>();

        RecordingRandom(long seed) {
            seeded = new Random(seed);
        }

        @Override
        public void nextBytes(byte[] bytes) {
            seeded.nextBytes(bytes);
            if (bytes.length == 32) {
                draws32.add(bytes.clone());
            }
        }

        byte[] privateKeyOf(byte[] publicKey) {
            for (byte[] d : draws32) {
                byte[] k = d.clone();
                k[0] &= (byte) 248;
                k[31] &= 127;
                k[31] |= 64;
                if (Arrays.equals(publicKey, WireGuardCrypto.publicKey(k))) {
                    return k;
                }
            }
            throw new AssertionError("no recorded draw is the private key of this ephemeral");
        }
    }

    // --- the independent primitives -------------------------------------------------------------------------

    static byte[] jdkX25519(byte[] privateKey, byte[] publicKey) throws Exception {
        KeyFactory kf = KeyFactory.getInstance("XDH");
        KeyAgreement ka = KeyAgreement.getInstance("XDH");
        ka.init(kf.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, privateKey)));
        byte[] u = reverse(publicKey);
        u[0] &= 0x7f;
        ka.doPhase(kf.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, u))), true);
        return ka.generateSecret();
    }

    static byte[] jdkAead(boolean seal, byte[] key, long counter, byte[] input, byte[] aad) throws Exception {
        byte[] nonce = new byte[12];
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (counter >>> (8 * i));
        }
        Cipher c = Cipher.getInstance("ChaCha20-Poly1305");
        c.init(seal ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, new SecretKeySpec(key, "ChaCha20"),
                new IvParameterSpec(nonce));
        c.updateAAD(aad);
        return c.doFinal(input);
    }

    static byte[] hash(byte[]... parts) {
        Blake2sDigest d = new Blake2sDigest(256);
        for (byte[] p : parts) {
            d.update(p, 0, p.length);
        }
        byte[] out = new byte[32];
        d.doFinal(out, 0);
        return out;
    }

    /** RFC 2104 over BLAKE2s (block size 64), written out. */
    static byte[] hmac(byte[] key, byte[] data) {
        byte[] k = Arrays.copyOf(key.length > 64 ? hash(key) : key, 64);
        byte[] ipad = new byte[64];
        byte[] opad = new byte[64];
        for (int i = 0; i < 64; i++) {
            ipad[i] = (byte) (k[i] ^ 0x36);
            opad[i] = (byte) (k[i] ^ 0x5c);
        }
        return hash(opad, hash(ipad, data));
    }

    static byte[][] kdf(int n, byte[] key, byte[] input) {
        byte[] prk = hmac(key, input);
        byte[][] out = new byte[n][];
        byte[] t = new byte[0];
        for (int i = 0; i < n; i++) {
            byte[] in = Arrays.copyOf(t, t.length + 1);
            in[t.length] = (byte) (i + 1);
            t = hmac(prk, in);
            out[i] = t;
        }
        return out;
    }

    static byte[] mac(byte[] key, byte[] msg, int length) {
        Blake2sDigest d = new Blake2sDigest(key, 16, null, null);
        d.update(msg, 0, length);
        byte[] out = new byte[16];
        d.doFinal(out, 0);
        return out;
    }

    static byte[] reverse(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }

    static byte[] range(byte[] b, int from, int to) {
        return Arrays.copyOfRange(b, from, to);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void handshakeMessagesAndTransportKeysMatchAnIndependentComputation() throws Exception {
        RecordingRandom randomA = new RecordingRandom(1);
        RecordingRandom randomB = new RecordingRandom(2);
        byte[] sA = WireGuardCrypto.generatePrivateKey(randomA);
        byte[] sB = WireGuardCrypto.generatePrivateKey(randomB);
        byte[] pubA = WireGuardCrypto.publicKey(sA);
        byte[] pubB = WireGuardCrypto.publicKey(sB);
        byte[] psk = new byte[32];
        new Random(9).nextBytes(psk);
        InetSocketAddress addrA = WireGuardDeviceTest.ADDR_A;
        InetSocketAddress addrB = WireGuardDeviceTest.ADDR_B;
        try (EmbeddedPeer a = new EmbeddedPeer(sA, new WireGuardOptions().random(randomA), addrA);
             EmbeddedPeer b = new EmbeddedPeer(sB, new WireGuardOptions().random(randomB), addrB)) {
            a.device.addPeer(new PeerConfig(pubB).presharedKey(psk).allowedIp("10.201.0.2/32").endpoint(addrB));
            b.device.addPeer(new PeerConfig(pubA).presharedKey(psk).allowedIp("10.201.0.1/32"));

            ByteBuf packet = WireGuardDeviceTest.udp(WireGuardDeviceTest.A4, WireGuardDeviceTest.B4, 333);
            byte[] packetBytes = ByteBufUtil.getBytes(packet);
            a.fromTun(packet);
            DatagramPacket initiation = a.sent().get(0);
            byte[] init = ByteBufUtil.getBytes(initiation.content());
            b.fromNetwork(initiation.content(), addrA);
            DatagramPacket response = b.sent().get(0);
            byte[] resp = ByteBufUtil.getBytes(response.content());
            a.fromNetwork(response.content(), addrB);
            DatagramPacket data = a.sent().get(0);
            byte[] first = ByteBufUtil.getBytes(data.content());
            data.release();

            // --- initiation (whitepaper 5.4.2), recomputed ---
            byte[] eA = randomA.privateKeyOf(range(init, 8, 40));
            byte[] ePubA = range(init, 8, 40);
            byte[] ck = hash(ascii("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"));
            byte[] h = hash(hash(ck, ascii("WireGuard v1 zx2c4 Jason@zx2c4.com")), pubB);
            ck = kdf(1, ck, ePubA)[0];
            h = hash(h, ePubA);
            byte[][] k = kdf(2, ck, jdkX25519(eA, pubB));
            ck = k[0];
            byte[] encStatic = jdkAead(true, k[1], 0, pubA, h);
            assertArrayEquals(encStatic, range(init, 40, 88), "encrypted static");
            h = hash(h, encStatic);
            k = kdf(2, ck, jdkX25519(sA, pubB));
            ck = k[0];
            byte[] timestamp = jdkAead(false, k[1], 0, range(init, 88, 116), h);
            assertEquals(12, timestamp.length);
            assertArrayEquals(jdkAead(true, k[1], 0, timestamp, h), range(init, 88, 116), "encrypted timestamp");
            h = hash(h, range(init, 88, 116));
            assertArrayEquals(new byte[] {1, 0, 0, 0}, range(init, 0, 4));
            assertArrayEquals(mac(hash(ascii("mac1----"), pubB), init, 116), range(init, 116, 132), "mac1");
            assertArrayEquals(new byte[16], range(init, 132, 148), "no cookie, so mac2 is zero");

            // --- response (5.4.3) ---
            byte[] eB = randomB.privateKeyOf(range(resp, 12, 44));
            byte[] ePubB = range(resp, 12, 44);
            assertArrayEquals(range(init, 4, 8), range(resp, 8, 12), "receiver = initiator's sender index");
            ck = kdf(1, ck, ePubB)[0];
            h = hash(h, ePubB);
            ck = kdf(1, ck, jdkX25519(eB, ePubA))[0];
            ck = kdf(1, ck, jdkX25519(eB, pubA))[0];
            k = kdf(3, ck, psk);
            ck = k[0];
            h = hash(h, k[1]);
            assertArrayEquals(jdkAead(true, k[2], 0, new byte[0], h), range(resp, 44, 60), "encrypted nothing");
            assertArrayEquals(mac(hash(ascii("mac1----"), pubA), resp, 60), range(resp, 60, 76), "response mac1");

            // --- transport keys (5.4.5): A's first data message opens with T_send(A) = KDF2(ck, "")[0] ---
            byte[][] t = kdf(2, ck, new byte[0]);
            assertArrayEquals(new byte[] {4, 0, 0, 0}, range(first, 0, 4));
            assertArrayEquals(range(resp, 4, 8), range(first, 4, 8), "receiver = responder's sender index");
            assertArrayEquals(new byte[8], range(first, 8, 16), "counter 0");
            byte[] plain = jdkAead(false, t[0], 0, range(first, 16, first.length), new byte[0]);
            assertNotNull(plain);
            assertArrayEquals(packetBytes, range(plain, 0, packetBytes.length), "the staged packet");
            assertArrayEquals(new byte[plain.length - packetBytes.length],
                    range(plain, packetBytes.length, plain.length), "zero padding");
            assertEquals(0, plain.length % 16);
            // B opens it with its receive key, which must be the same T_recv(B) = T_send(A).
            b.fromNetwork(Unpooled.wrappedBuffer(first), addrA);
            assertEquals(0, b.sent().size());
            assertArrayEquals(packetBytes, ByteBufUtil.getBytes(b.delivered.get(0)));
        }
    }
}

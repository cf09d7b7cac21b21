/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.internal.StringUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The primitives against published vectors: X25519 (RFC 7748 5.2 and 6.1), BLAKE2s (RFC 7693 appendix B),
 * ChaCha20-Poly1305 (RFC 8439 A.5, whose nonce has WireGuard's form), XChaCha20-Poly1305
 * (draft-irtf-cfrg-xchacha A.3.1); keyed BLAKE2s, HMAC-BLAKE2s and the KDF chain against values computed with
 * Python's hashlib and hmac (an independent BLAKE2 implementation); the transport ciphers against each other.
 */
class WireGuardCryptoTest {

    static byte[] hex(String s) {
        return StringUtil.decodeHexDump(s.replace(" ", ""));
    }

    @Test
    void x25519Rfc7748() {
        byte[] out = new byte[32];
        org.bouncycastle.math.ec.rfc7748.X25519.scalarMult(
                hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"), 0,
                hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"), 0, out, 0);
        assertArrayEquals(hex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"), out);

        byte[] alice = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] bob = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        assertArrayEquals(hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"),
                WireGuardCrypto.publicKey(alice));
        assertArrayEquals(hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"),
                WireGuardCrypto.publicKey(bob));
        byte[] shared = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assertArrayEquals(shared, WireGuardCrypto.dh(alice, WireGuardCrypto.publicKey(bob)));
        assertArrayEquals(shared, WireGuardCrypto.dh(bob, WireGuardCrypto.publicKey(alice)));
    }

    @Test
    void x25519RejectsLowOrderPoints() {
        byte[] priv = WireGuardCrypto.generatePrivateKey(new SecureRandom());
        assertThrows(IllegalArgumentException.class, () -> WireGuardCrypto.dh(priv, new byte[32]));
        byte[] one = new byte[32];
        one[0] = 1;
        assertThrows(IllegalArgumentException.class, () -> WireGuardCrypto.dh(priv, one));
    }

    /** Each X25519 implementation: the RFC 7748 6.1 vector, agreement with the other on random keys, low order. */
    @ParameterizedTest
    @EnumSource(X25519Agreement.Implementation.class)
    void x25519Implementations(X25519Agreement.Implementation impl) {
        byte[] alice = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] bobPublic = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        byte[] shared = new byte[32];
        assertTrue(X25519Agreement.agree(impl, alice, bobPublic, shared));
        assertArrayEquals(hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"), shared);
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < 50; i++) {
            byte[] priv = new byte[32];
            random.nextBytes(priv); // unclamped too: X25519 clamps
            byte[] pub = WireGuardCrypto.publicKey(WireGuardCrypto.generatePrivateKey(random));
            byte[] ours = new byte[32];
            byte[] reference = new byte[32];
            assertTrue(X25519Agreement.agree(impl, priv, pub, ours));
            org.bouncycastle.math.ec.rfc7748.X25519.calculateAgreement(priv, 0, pub, 0, reference, 0);
            assertArrayEquals(reference, ours);
        }
        byte[] one = new byte[32];
        one[0] = 1;
        assertFalse(X25519Agreement.agree(impl, alice, one, shared), "low order");
        assertFalse(X25519Agreement.agree(impl, alice, new byte[32], shared), "zero");
        assertTrue(X25519Agreement.agree(impl, alice, bobPublic, shared), "usable after a refusal");
    }

    @Test
    void x25519DefaultFollowsTheProperty() {
        assertEquals(X25519Agreement.Implementation.CONSCRYPT, X25519Agreement.choose("auto"),
                "Conscrypt loads on this machine");
        assertEquals(X25519Agreement.Implementation.BOUNCY_CASTLE, X25519Agreement.choose("BC"));
        assertThrows(IllegalArgumentException.class, () -> X25519Agreement.choose("jdk"));
    }

    @Test
    void blake2sRfc7693() {
        assertArrayEquals(hex("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"),
                WireGuardCrypto.hash("abc".getBytes(StandardCharsets.US_ASCII)));
        // hash(a, b) is the hash of the concatenation
        assertArrayEquals(WireGuardCrypto.hash("abc".getBytes(StandardCharsets.US_ASCII)),
                WireGuardCrypto.hash("a".getBytes(StandardCharsets.US_ASCII),
                        "bc".getBytes(StandardCharsets.US_ASCII)));
    }

    /** Expected values from Python 3.11: hashlib.blake2s(key=, digest_size=16), hmac.new(k, d, blake2s). */
    @Test
    void macHmacAndKdfMatchAnIndependentImplementation() {
        byte[] key = new byte[32];
        for (int i = 0; i < 32; i++) {
            key[i] = (byte) i;
        }
        byte[] data = "netty-tun wireguard vector".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(hex("f5cea3320aace19c0b0b69c43766e874"), WireGuardCrypto.mac(key, data, 0, data.length));
        assertArrayEquals(hex("8c58fcc2dc84130b6b6c18ab419bd4dd72393ed7c8ef910ce075cf3fc99c025e"),
                WireGuardCrypto.hmac(key, data));
        byte[][] k = WireGuardCrypto.kdf(3, key, data);
        assertArrayEquals(hex("924f2885192e9b2e2b0e97700d395b9f761d6681efe42863828a08af3c9ef420"), k[0]);
        assertArrayEquals(hex("a90e9f56c76e41f003afe88e979711702536fefbb307b4938ca86c8f04befda9"), k[1]);
        assertArrayEquals(hex("a26587795b14149584834d115b733db9db2a505dea240c43e7340db65ef417dc"), k[2]);
        assertArrayEquals(k[0], WireGuardCrypto.kdf(1, key, data)[0]);
        assertArrayEquals(k[1], WireGuardCrypto.kdf(2, key, data)[1]);
        // the protocol's initial chaining key and hash
        assertArrayEquals(hex("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36"),
                Messages.INITIAL_CHAIN_KEY);
        assertArrayEquals(hex("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3"),
                Messages.INITIAL_HASH);
    }

    /** RFC 8439 A.5: nonce 00000000 || 0102030405060708, i.e. WireGuard's form with counter 0x0807060504030201. */
    @Test
    void chaCha20Poly1305Rfc8439() {
        byte[] key = hex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
        byte[] aad = hex("f33388860000000000004e91");
        byte[] sealed = hex("64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
                + "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
                + "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
                + "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
                + "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
                + "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
                + "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
                + "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
                + "a6ad5cb4022b02709b" + "eead9d67890cbb22392336fea1851f38");
        long counter = 0x0807060504030201L;
        byte[] plain = WireGuardCrypto.aeadOpen(key, counter, sealed, aad);
        assertNotNull(plain, "the RFC's tag verifies");
        assertTrue(new String(plain, StandardCharsets.UTF_8)
                .startsWith("Internet-Drafts are draft documents valid for a maximum of six months"));
        assertArrayEquals(sealed, WireGuardCrypto.aeadSeal(key, counter, plain, aad));
        byte[] tampered = sealed.clone();
        tampered[10] ^= 1;
        assertNull(WireGuardCrypto.aeadOpen(key, counter, tampered, aad));
        assertNull(WireGuardCrypto.aeadOpen(key, counter + 1, sealed, aad));
    }

    @Test
    void xChaCha20Poly1305DraftVector() {
        byte[] key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        byte[] nonce = hex("404142434445464748494a4b4c4d4e4f5051525354555657");
        byte[] aad = hex("50515253c0c1c2c3c4c5c6c7");
        byte[] plain = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
                + "future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
        byte[] expected = hex("bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
                + "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
                + "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
                + "21f9664c97637da9768812f615c68b13b52e" + "c0875924c1c7987947deafd8780acf49");
        assertArrayEquals(expected, WireGuardCrypto.xaeadSeal(key, nonce, plain, aad));
        assertArrayEquals(plain, WireGuardCrypto.xaeadOpen(key, nonce, expected, aad));
        byte[] otherAad = aad.clone();
        otherAad[0] ^= 1;
        assertNull(WireGuardCrypto.xaeadOpen(key, nonce, expected, otherAad));
    }

    /**
     * Every transport cipher agrees with the handshake AEAD (BouncyCastle with AEADParameters) byte for byte, from one
     * array into another and in place.
     */
    @ParameterizedTest
    @EnumSource(TransportCipher.Implementation.class)
    void transportCipher(TransportCipher.Implementation impl) {
        Random random = new Random(7);
        byte[] key = new byte[32];
        random.nextBytes(key);
        TransportCipher cipher = TransportCipher.create(key, impl);
        assertEquals(impl, cipher.implementation());
        for (int len : new int[] {0, 1, 15, 16, 17, 64, 1420, 1440, 9000, 65535}) {
            long counter = random.nextLong();
            byte[] plain = new byte[len];
            random.nextBytes(plain);
            byte[] reference = WireGuardCrypto.aeadSeal(key, counter, plain, new byte[0]);
            byte[] src = new byte[7 + len + 16];
            byte[] dst = new byte[3 + len + 16];
            System.arraycopy(plain, 0, src, 7, len);
            assertEquals(len + 16, cipher.seal(counter, src, 7, len, dst, 3));
            assertArrayEquals(reference, Arrays.copyOfRange(dst, 3, 3 + len + 16), "length " + len);
            assertTrue(cipher.open(counter, dst, 3, len + 16, src, 1));
            assertArrayEquals(plain, Arrays.copyOfRange(src, 1, 1 + len));
            // in place
            byte[] buf = new byte[5 + len + 16];
            System.arraycopy(plain, 0, buf, 5, len);
            cipher.seal(counter + 1, buf, 5, len, buf, 5);
            assertArrayEquals(WireGuardCrypto.aeadSeal(key, counter + 1, plain, new byte[0]),
                    Arrays.copyOfRange(buf, 5, 5 + len + 16));
            assertTrue(cipher.open(counter + 1, buf, 5, len + 16, buf, 5));
            assertArrayEquals(plain, Arrays.copyOfRange(buf, 5, 5 + len));
            // a flipped bit anywhere, a wrong counter or a short input fail
            byte[] tampered = reference.clone();
            tampered[random.nextInt(len + 16)] ^= 0x20;
            assertFalse(cipher.open(counter, tampered, 0, len + 16, new byte[len + 16], 0));
            assertFalse(cipher.open(counter ^ 1, reference, 0, len + 16, new byte[len + 16], 0));
            // the same counter twice (a replay reaches the cipher before the window) still opens
            assertTrue(cipher.open(counter, reference, 0, len + 16, new byte[len + 16], 0));
            assertTrue(cipher.open(counter, reference, 0, len + 16, new byte[len + 16], 0));
        }
        assertFalse(cipher.open(0, new byte[15], 0, 15, new byte[15], 0));
    }

    /**
     * The implementations against each other at every length from 0 to 65535 in steps of 127 and at the edges
     * around 16-byte blocks and the MTU: the same ciphertext and tag from each, and each opens what another sealed.
     * (Each is held to RFC 8439 through the handshake AEAD above, which the RFC's vectors check.)
     */
    @Test
    void transportCiphersAgreeAtEveryLength() {
        Random random = new Random(13);
        byte[] key = new byte[32];
        random.nextBytes(key);
        TransportCipher.Implementation[] impls = TransportCipher.Implementation.values();
        TransportCipher[] ciphers = new TransportCipher[impls.length];
        for (int i = 0; i < impls.length; i++) {
            ciphers[i] = TransportCipher.create(key, impls[i]);
        }
        java.util.TreeSet<Integer> lengths = new java.util.TreeSet<>();
        for (int len = 0; len <= 65535; len += 127) {
            lengths.add(len);
        }
        for (int edge : new int[] {1, 15, 16, 17, 63, 64, 65, 1419, 1420, 1421, 65519, 65535}) {
            lengths.add(edge);
        }
        long counter = 0;
        for (int len : lengths) {
            byte[] plain = new byte[len];
            random.nextBytes(plain);
            counter += 1 + random.nextInt(1000);
            byte[][] sealed = new byte[impls.length][len + 16];
            for (int i = 0; i < impls.length; i++) {
                assertEquals(len + 16, ciphers[i].seal(counter, plain, 0, len, sealed[i], 0));
            }
            for (int i = 1; i < impls.length; i++) {
                assertArrayEquals(sealed[0], sealed[i], impls[i] + " and " + impls[0] + " at length " + len);
            }
            for (int i = 0; i < impls.length; i++) {
                byte[] opened = new byte[len + 16];
                TransportCipher other = ciphers[(i + 1) % impls.length];
                assertTrue(other.open(counter, sealed[i], 0, len + 16, opened, 0), impls[i] + " at " + len);
                assertArrayEquals(plain, Arrays.copyOf(opened, len));
            }
        }
    }

    /**
     * In place on Netty buffers of every kind the device meets (heap, pooled direct, a slice of one, composite):
     * the same bytes as the handshake AEAD, the bytes around the range untouched, tampering refused.
     */
    @ParameterizedTest
    @EnumSource(TransportCipher.Implementation.class)
    void transportCipherInPlaceOnByteBufs(TransportCipher.Implementation impl) {
        Random random = new Random(11);
        byte[] key = new byte[32];
        random.nextBytes(key);
        TransportCipher cipher = TransportCipher.create(key, impl);
        for (int len : new int[] {0, 1, 16, 1420, 9000, 65535 - 32}) {
            byte[] plain = new byte[len];
            random.nextBytes(plain);
            for (int kind = 0; kind < 4; kind++) {
                long counter = random.nextLong() >>> 1; // a nonce is never sealed twice (the ciphers refuse it)
                byte[] reference = WireGuardCrypto.aeadSeal(key, counter, plain, new byte[0]);
                ByteBuf whole = kind == 0 ? Unpooled.buffer(len + 64)
                        : PooledByteBufAllocator.DEFAULT.directBuffer(len + 64);
                ByteBuf buf = whole;
                if (kind == 3) {
                    whole.release();
                    int first = len / 2 + 7;
                    whole = Unpooled.compositeBuffer()
                            .addComponent(true, Unpooled.directBuffer(first).writeZero(first))
                            .addComponent(true, Unpooled.buffer(len + 64 - first).writeZero(len + 64 - first));
                    buf = whole.clear();
                }
                try {
                    buf.writeZero(buf.capacity());
                    if (kind == 2) {
                        buf = whole.slice(5, len + 40);
                    }
                    buf.setBytes(9, plain);
                    buf.setByte(8, 0x5a).setByte(9 + len + 16, 0xa5);
                    assertEquals(len + 16, cipher.seal(counter, buf, 9, len), impl + " kind " + kind);
                    assertArrayEquals(reference, ByteBufUtil.getBytes(buf, 9, len + 16), impl + " kind " + kind);
                    assertEquals(0x5a, buf.getUnsignedByte(8));
                    assertEquals(0xa5, buf.getUnsignedByte(9 + len + 16));
                    ByteBuf other = buf.copy();
                    try {
                        assertFalse(cipher.open(counter + 1, other, 9, len + 16), "wrong counter");
                        other.setBytes(0, buf, 0, buf.capacity());
                        int at = 9 + random.nextInt(len + 16);
                        other.setByte(at, other.getByte(at) ^ 4);
                        assertFalse(cipher.open(counter, other, 9, len + 16), "tampered");
                    } finally {
                        other.release();
                    }
                    assertTrue(cipher.open(counter, buf, 9, len + 16), impl + " kind " + kind);
                    assertArrayEquals(plain, ByteBufUtil.getBytes(buf, 9, len));
                    assertEquals(0x5a, buf.getUnsignedByte(8));
                } finally {
                    whole.release();
                }
            }
        }
    }

    /**
     * Messages back to back in two direct buffers, as a run lays them out, sealed and opened alternately through one
     * cipher: each at its own place (the output view Conscrypt's path keeps per buffer is repositioned for every
     * message and made anew when the buffer changes), the same bytes as the handshake AEAD.
     */
    @ParameterizedTest
    @EnumSource(TransportCipher.Implementation.class)
    void transportCipherInPlaceAlongRuns(TransportCipher.Implementation impl) {
        Random random = new Random(12);
        byte[] key = new byte[32];
        random.nextBytes(key);
        TransportCipher cipher = TransportCipher.create(key, impl);
        int[] lengths = {1420, 64, 1420, 0, 1280, 16};
        ByteBuf[] runs = {PooledByteBufAllocator.DEFAULT.directBuffer(8192),
                PooledByteBufAllocator.DEFAULT.directBuffer(8192)};
        try {
            byte[][] plains = new byte[lengths.length][];
            byte[][] references = new byte[lengths.length][];
            int[] at = new int[lengths.length];
            for (int i = 0; i < lengths.length; i++) {
                ByteBuf run = runs[i % 2];
                plains[i] = new byte[lengths[i]];
                random.nextBytes(plains[i]);
                references[i] = WireGuardCrypto.aeadSeal(key, i, plains[i], new byte[0]);
                at[i] = run.writerIndex() + 16;
                run.writeZero(16).writeBytes(plains[i]);
                assertEquals(lengths[i] + 16, cipher.seal(i, run, at[i], lengths[i]));
                run.writerIndex(run.writerIndex() + 16); // the tag
            }
            for (int i = 0; i < lengths.length; i++) {
                assertArrayEquals(references[i], ByteBufUtil.getBytes(runs[i % 2], at[i], lengths[i] + 16),
                        impl + " message " + i);
            }
            for (int i = lengths.length - 1; i >= 0; i--) {
                assertTrue(cipher.open(i, runs[i % 2], at[i], lengths[i] + 16), impl + " message " + i);
                assertArrayEquals(plains[i], ByteBufUtil.getBytes(runs[i % 2], at[i], lengths[i]));
            }
        } finally {
            runs[0].release();
            runs[1].release();
        }
    }

    @Test
    void defaultImplementationFollowsTheProperty() {
        assertEquals(TransportCipher.Implementation.JDK, TransportCipher.Implementation.choose("jdk"));
        assertEquals(TransportCipher.Implementation.BOUNCY_CASTLE, TransportCipher.Implementation.choose("BC"));
        assertEquals(TransportCipher.Implementation.CONSCRYPT, TransportCipher.Implementation.choose("Conscrypt"));
        assertTrue(TransportCipher.Implementation.CONSCRYPT.isAvailable(), "Conscrypt loads on this machine");
        assertEquals(TransportCipher.Implementation.CONSCRYPT, TransportCipher.Implementation.choose("auto"));
        assertThrows(IllegalArgumentException.class, () -> TransportCipher.Implementation.choose("aes"));
    }

    @Test
    void tai64n() {
        assertArrayEquals(hex("400000000000000a00000000"), Tai64n.of(Instant.EPOCH));
        // 2^24 ns granularity: nanoseconds below it are whitened away
        assertArrayEquals(Tai64n.of(Instant.ofEpochSecond(100, 1 << 24)),
                Tai64n.of(Instant.ofEpochSecond(100, (1 << 24) + 12345)));
        byte[] a = Tai64n.of(Instant.ofEpochSecond(1_700_000_000, 0));
        byte[] b = Tai64n.of(Instant.ofEpochSecond(1_700_000_000, 50_000_000));
        byte[] c = Tai64n.of(Instant.ofEpochSecond(1_700_000_001, 0));
        assertTrue(Tai64n.isAfter(b, a));
        assertTrue(Tai64n.isAfter(c, b));
        assertFalse(Tai64n.isAfter(a, a));
        assertFalse(Tai64n.isAfter(a, c));
        assertTrue(Tai64n.isAfter(a, null));
    }
}

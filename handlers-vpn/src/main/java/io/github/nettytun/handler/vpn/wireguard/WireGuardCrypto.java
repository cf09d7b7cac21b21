/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.modes.XChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.math.ec.rfc7748.X25519;

import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The primitives of WireGuard's handshake (whitepaper section 5.4), all through BouncyCastle's raw-byte APIs:
 * {@code DH} = X25519 (RFC 7748), {@code HASH} = BLAKE2s-256 and {@code MAC} = keyed BLAKE2s-128 (RFC 7693),
 * {@code HMAC} = HMAC-BLAKE2s (RFC 2104), {@code KDF1..3} the HKDF chain built on it, {@code AEAD} =
 * ChaCha20-Poly1305 with a 64-bit little-endian counter nonce (RFC 8439) and {@code XAEAD} = XChaCha20-Poly1305
 * for cookies.
 *
 * <p>These run once per handshake, not per packet, so they favour clarity over reuse; the per-packet cipher is
 * {@link TransportCipher}.
 */
public final class WireGuardCrypto {

    /** Bytes of a key (X25519 public/private, symmetric, preshared). */
    public static final int KEY_LENGTH = 32;
    /** Bytes of a Poly1305 tag. */
    public static final int TAG_LENGTH = 16;
    /** Bytes of a {@code MAC} output. */
    public static final int MAC_LENGTH = 16;
    /** Bytes of an XChaCha20 nonce. */
    public static final int XNONCE_LENGTH = 24;

    private static final byte[] EMPTY = new byte[0];

    private WireGuardCrypto() {
    }

    /** A new clamped X25519 private key. */
    public static byte[] generatePrivateKey(SecureRandom random) {
        byte[] key = new byte[KEY_LENGTH];
        X25519.generatePrivateKey(random, key);
        return key;
    }

    /** The X25519 public key of {@code privateKey}. */
    public static byte[] publicKey(byte[] privateKey) {
        byte[] pub = new byte[KEY_LENGTH];
        X25519.generatePublicKey(privateKey, 0, pub, 0);
        return pub;
    }

    /**
     * {@code DH(private, public)}: X25519, by {@link X25519Agreement#DEFAULT} (Conscrypt where it loads).
     *
     * @throws IllegalArgumentException when the result is all zeros (a low-order public key), which WireGuard
     *                                  treats as a failed handshake
     */
    public static byte[] dh(byte[] privateKey, byte[] publicKey) {
        byte[] shared = new byte[KEY_LENGTH];
        if (!X25519Agreement.agree(X25519Agreement.DEFAULT, privateKey, publicKey, shared)) {
            throw new IllegalArgumentException("X25519 produced the all-zero shared secret (low-order point)");
        }
        return shared;
    }

    /** {@code HASH(parts...)}: BLAKE2s-256 over the concatenation. */
    public static byte[] hash(byte[]... parts) {
        Blake2sDigest d = new Blake2sDigest(256);
        for (byte[] p : parts) {
            d.update(p, 0, p.length);
        }
        byte[] out = new byte[32];
        d.doFinal(out, 0);
        return out;
    }

    /** {@code MAC(key, data[offset, offset+length))}: BLAKE2s keyed with {@code key}, 16 bytes out. */
    public static byte[] mac(byte[] key, byte[] data, int offset, int length) {
        Blake2sDigest d = new Blake2sDigest(key, MAC_LENGTH, null, null);
        d.update(data, offset, length);
        byte[] out = new byte[MAC_LENGTH];
        d.doFinal(out, 0);
        return out;
    }

    /** {@code HMAC(key, data)}: HMAC with BLAKE2s-256 (64-byte blocks). */
    public static byte[] hmac(byte[] key, byte[] data) {
        HMac mac = new HMac(new Blake2sDigest(256));
        mac.init(new KeyParameter(key));
        mac.update(data, 0, data.length);
        byte[] out = new byte[32];
        mac.doFinal(out, 0);
        return out;
    }

    /**
     * {@code KDFn(key, input)}: {@code t0 = HMAC(key, input)}, {@code t1 = HMAC(t0, 0x1)},
     * {@code ti = HMAC(t0, t(i-1) || i)}; returns {@code t1..tn}.
     */
    public static byte[][] kdf(int n, byte[] key, byte[] input) {
        if (n < 1 || n > 3) {
            throw new IllegalArgumentException("n: " + n + " (expected 1..3)");
        }
        byte[] t0 = hmac(key, input);
        byte[][] out = new byte[n][];
        byte[] previous = EMPTY;
        for (int i = 0; i < n; i++) {
            byte[] in = Arrays.copyOf(previous, previous.length + 1);
            in[previous.length] = (byte) (i + 1);
            out[i] = hmac(t0, in);
            previous = out[i];
        }
        Arrays.fill(t0, (byte) 0);
        return out;
    }

    /** {@code AEAD(key, counter, plaintext, aad)}: ChaCha20-Poly1305, nonce = 4 zero bytes || counter (LE). */
    public static byte[] aeadSeal(byte[] key, long counter, byte[] plaintext, byte[] aad) {
        return crypt(new ChaCha20Poly1305(), true, key, counterNonce(counter), plaintext, aad);
    }

    /**
     * Opens {@link #aeadSeal}.
     *
     * @return the plaintext, or {@code null} when the tag does not verify
     */
    public static byte[] aeadOpen(byte[] key, long counter, byte[] ciphertext, byte[] aad) {
        return crypt(new ChaCha20Poly1305(), false, key, counterNonce(counter), ciphertext, aad);
    }

    /** {@code XAEAD(key, nonce, plaintext, aad)}: XChaCha20-Poly1305 with a 24-byte nonce. */
    public static byte[] xaeadSeal(byte[] key, byte[] nonce, byte[] plaintext, byte[] aad) {
        return crypt(new XChaCha20Poly1305(), true, key, nonce, plaintext, aad);
    }

    /** Opens {@link #xaeadSeal}; {@code null} when the tag does not verify. */
    public static byte[] xaeadOpen(byte[] key, byte[] nonce, byte[] ciphertext, byte[] aad) {
        return crypt(new XChaCha20Poly1305(), false, key, nonce, ciphertext, aad);
    }

    static byte[] counterNonce(long counter) {
        byte[] nonce = new byte[12];
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (counter >>> (8 * i));
        }
        return nonce;
    }

    private static byte[] crypt(ChaCha20Poly1305 cipher, boolean encrypt, byte[] key, byte[] nonce, byte[] in,
                                byte[] aad) {
        if (!encrypt && in.length < TAG_LENGTH) {
            return null;
        }
        cipher.init(encrypt, new AEADParameters(new KeyParameter(key), TAG_LENGTH * 8, nonce, aad));
        byte[] out = new byte[cipher.getOutputSize(in.length)];
        int n = cipher.processBytes(in, 0, in.length, out, 0);
        try {
            n += cipher.doFinal(out, n);
        } catch (InvalidCipherTextException e) {
            return null;
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /** Constant-time comparison of two byte arrays of the same length. */
    static boolean constantTimeEquals(byte[] a, int aOffset, byte[] b, int bOffset, int length) {
        int diff = 0;
        for (int i = 0; i < length; i++) {
            diff |= a[aOffset + i] ^ b[bOffset + i];
        }
        return diff == 0;
    }
}

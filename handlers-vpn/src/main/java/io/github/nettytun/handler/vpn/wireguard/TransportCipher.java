/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.util.internal.SystemPropertyUtil;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.util.Locale;

/**
 * ChaCha20-Poly1305 (RFC 8439) for transport data messages: one instance per key and direction, used by one
 * thread, from one byte array into another with WireGuard's nonce (4 zero bytes, then the 64-bit counter
 * little-endian) and no associated data. Source and destination may be the same array at the same offset, but
 * BouncyCastle then copies the input first (an allocation per packet); distinct arrays avoid it.
 *
 * <p>Two implementations, chosen by {@link Implementation#DEFAULT}: the JDK's {@code ChaCha20-Poly1305} cipher
 * (intrinsified on JDK 20 and later on x86_64 and aarch64) and BouncyCastle's {@link ChaCha20Poly1305} (plain
 * Java). {@code TransportCipherBenchmark} (results in {@code benchmarks/results/wireguard-crypto-jdk*.md})
 * measures both on JDK 17 and on the newest JDK: the JDK's was faster on both, so it is the default;
 * {@code -Dio.github.nettytun.wireguard.cipher=jdk|bc} overrides it.
 */
public abstract class TransportCipher {

    /** The implementations. */
    public enum Implementation {
        /** {@code javax.crypto.Cipher.getInstance("ChaCha20-Poly1305")}. */
        JDK,
        /** {@code org.bouncycastle.crypto.modes.ChaCha20Poly1305}. */
        BOUNCY_CASTLE;

        /**
         * The implementation used when none is named: the {@code io.github.nettytun.wireguard.cipher} system
         * property ({@code jdk} or {@code bc}) if set, otherwise the JDK's, which measured faster on JDK 17 already
         * and several times faster from JDK 20 on (intrinsics); see {@code TransportCipherBenchmark}.
         */
        public static final Implementation DEFAULT = choose(
                SystemPropertyUtil.get("io.github.nettytun.wireguard.cipher", "auto"));

        static Implementation choose(String property) {
            switch (property.toLowerCase(Locale.ROOT)) {
                case "jdk":
                    return JDK;
                case "bc":
                    return BOUNCY_CASTLE;
                case "auto":
                    return JDK;

                default:
                    throw new IllegalArgumentException(
                            "io.github.nettytun.wireguard.cipher: " + property + " (expected jdk, bc or auto)");
            }
        }
    }

    /** A cipher for {@code key} (32 bytes, copied) with the default implementation. */
    public static TransportCipher create(byte[] key) {
        return create(key, Implementation.DEFAULT);
    }

    /** A cipher for {@code key} (32 bytes, copied). */
    public static TransportCipher create(byte[] key, Implementation implementation) {
        if (key.length != WireGuardCrypto.KEY_LENGTH) {
            throw new IllegalArgumentException("key length: " + key.length + " (expected 32)");
        }
        return implementation == Implementation.JDK ? new Jdk(key) : new BouncyCastle(key);
    }

    TransportCipher() {
    }

    /**
     * Encrypts {@code src[srcOffset, srcOffset+length)} into {@code dst} at {@code dstOffset}, the 16-byte tag
     * right after the ciphertext.
     *
     * @return {@code length + 16}
     */
    public abstract int seal(long counter, byte[] src, int srcOffset, int length, byte[] dst, int dstOffset);

    /**
     * Decrypts {@code src[srcOffset, srcOffset+length)} (ciphertext followed by its tag) into {@code dst} at
     * {@code dstOffset}.
     *
     * @return whether the tag verified; when it did not, {@code dst} holds unspecified bytes
     */
    public abstract boolean open(long counter, byte[] src, int srcOffset, int length, byte[] dst, int dstOffset);

    /** Which implementation this is. */
    public abstract Implementation implementation();

    private static final class BouncyCastle extends TransportCipher {
        private final ChaCha20Poly1305 cipher = new ChaCha20Poly1305();
        // BouncyCastle keeps the key between inits given an IV without one; the IV array is reused per packet.
        private final ParametersWithIV nonceOnly;
        private final byte[] nonce;

        BouncyCastle(byte[] key) {
            // BouncyCastle refuses to encrypt twice under one nonce, this first one included: key it with a
            // counter no transport message can carry (2^64-1 is beyond REJECT_AFTER_MESSAGES).
            byte[] unused = new byte[12];
            setCounter(unused, -1L);
            cipher.init(true, new ParametersWithIV(new KeyParameter(key), unused));
            nonceOnly = new ParametersWithIV(null, new byte[12]);
            nonce = nonceOnly.getIV();
        }

        private void init(boolean encrypt, long counter) {
            setCounter(nonce, counter);
            cipher.init(encrypt, nonceOnly);
        }

        @Override
        public int seal(long counter, byte[] src, int srcOffset, int length, byte[] dst, int dstOffset) {
            init(true, counter);
            int n = cipher.processBytes(src, srcOffset, length, dst, dstOffset);
            try {
                return n + cipher.doFinal(dst, dstOffset + n);
            } catch (InvalidCipherTextException e) {
                throw new IllegalStateException("encryption cannot fail a tag check", e);
            }
        }

        @Override
        public boolean open(long counter, byte[] src, int srcOffset, int length, byte[] dst, int dstOffset) {
            if (length < WireGuardCrypto.TAG_LENGTH) {
                return false;
            }
            init(false, counter);
            int n = cipher.processBytes(src, srcOffset, length, dst, dstOffset);
            try {
                cipher.doFinal(dst, dstOffset + n);
                return true;
            } catch (InvalidCipherTextException e) {
                return false;
            }
        }

        @Override
        public Implementation implementation() {
            return Implementation.BOUNCY_CASTLE;
        }
    }

    private static final class Jdk extends TransportCipher {
        private final Cipher cipher;
        private final SecretKeySpec key;
        private final byte[] nonce = new byte[12];

        Jdk(byte[] key) {
            try {
                cipher = Cipher.getInstance("ChaCha20-Poly1305");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("this JDK has no ChaCha20-Poly1305", e);
            }
            this.key = new SecretKeySpec(key, "ChaCha20");
        }

        private void init(int mode, long counter) throws GeneralSecurityException {
            setCounter(nonce, counter);
            try {
                cipher.init(mode, key, new IvParameterSpec(nonce));
            } catch (InvalidKeyException sameNonceAsLastInit) {
                if (mode != Cipher.DECRYPT_MODE) {
                    throw sameNonceAsLastInit;
                }
                // The JDK refuses the key and nonce of its previous init, in either mode. Decrypting a counter
                // twice is harmless (a replayed packet; the window drops it after the tag check), so step over it.
                setCounter(nonce, ~counter);
                cipher.init(mode, key, new IvParameterSpec(nonce));
                setCounter(nonce, counter);
                cipher.init(mode, key, new IvParameterSpec(nonce));
            }
        }

        @Override
        public int seal(long counter, byte[] src, int srcOffset, int length, byte[] dst, int dstOffset) {
            try {
                init(Cipher.ENCRYPT_MODE, counter);
                return cipher.doFinal(src, srcOffset, length, dst, dstOffset);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
            }
        }

        @Override
        public boolean open(long counter, byte[] src, int srcOffset, int length, byte[] dst, int dstOffset) {
            if (length < WireGuardCrypto.TAG_LENGTH) {
                return false;
            }
            try {
                init(Cipher.DECRYPT_MODE, counter);
                cipher.doFinal(src, srcOffset, length, dst, dstOffset);
                return true;
            } catch (AEADBadTagException e) {
                return false;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("ChaCha20-Poly1305 decryption failed", e);
            }
        }

        @Override
        public Implementation implementation() {
            return Implementation.JDK;
        }
    }

    static void setCounter(byte[] nonce, long counter) {
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (counter >>> (8 * i));
        }
    }
}

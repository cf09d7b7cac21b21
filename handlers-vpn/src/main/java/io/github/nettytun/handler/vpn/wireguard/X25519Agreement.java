/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.SystemPropertyUtil;
import org.bouncycastle.math.ec.rfc7748.X25519;

import javax.crypto.KeyAgreement;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Locale;

/**
 * X25519 agreements for handshakes, by the implementation {@code X25519Benchmark} measured fastest: Conscrypt's
 * (BoringSSL; about twice BouncyCastle's speed, the JDK's {@code XDH} slowest) where its native library loads,
 * BouncyCastle's elsewhere; {@code -Dio.github.nettytun.wireguard.x25519=conscrypt|bc} chooses. Key generation
 * and public keys stay with BouncyCastle (its fixed-base multiplication is faster than an agreement with the base
 * point, and it draws from the caller's {@code SecureRandom}). Any thread (the handshake executor included).
 */
final class X25519Agreement {

    enum Implementation { CONSCRYPT, BOUNCY_CASTLE }

    static final Implementation DEFAULT = choose(SystemPropertyUtil.get("io.github.nettytun.wireguard.x25519",
            "auto"));

    /** DER prefixes of an X25519 private key (PKCS #8) and public key (X.509) of 32 raw bytes. */
    private static final byte[] PKCS8_PREFIX = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65,
        0x6e, 0x04, 0x22, 0x04, 0x20};
    private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21,
        0x00};

    /** Per thread: Conscrypt's key factory and agreement, and the two encodings (the private one zeroed after). */
    private static final FastThreadLocal<ConscryptX25519> CONSCRYPT = new FastThreadLocal<ConscryptX25519>() {
        @Override
        protected ConscryptX25519 initialValue() throws GeneralSecurityException {
            return new ConscryptX25519();
        }
    };

    private X25519Agreement() {
    }

    static Implementation choose(String property) {
        switch (property.toLowerCase(Locale.ROOT)) {
            case "conscrypt":
                if (ConscryptProvider.PROVIDER == null) {
                    throw new IllegalStateException("io.github.nettytun.wireguard.x25519=conscrypt, but Conscrypt "
                            + "does not load here: " + ConscryptProvider.FAILURE);
                }
                return Implementation.CONSCRYPT;
            case "bc":
                return Implementation.BOUNCY_CASTLE;
            case "auto":
                return ConscryptProvider.PROVIDER != null ? Implementation.CONSCRYPT : Implementation.BOUNCY_CASTLE;
            default:
                throw new IllegalArgumentException("io.github.nettytun.wireguard.x25519: " + property
                        + " (expected conscrypt, bc or auto)");
        }
    }

    /** {@code X25519(privateKey, publicKey)} into {@code shared}; false when it is all zeros (low order). */
    static boolean agree(Implementation implementation, byte[] privateKey, byte[] publicKey, byte[] shared) {
        if (implementation == Implementation.BOUNCY_CASTLE) {
            return X25519.calculateAgreement(privateKey, 0, publicKey, 0, shared, 0);
        }
        return CONSCRYPT.get().agree(privateKey, publicKey, shared);
    }

    private static final class ConscryptX25519 {
        private final KeyFactory factory = KeyFactory.getInstance("X25519", ConscryptProvider.PROVIDER);
        private final KeyAgreement agreement = KeyAgreement.getInstance("X25519", ConscryptProvider.PROVIDER);
        private final byte[] privateEncoding = Arrays.copyOf(PKCS8_PREFIX, PKCS8_PREFIX.length + 32);
        private final byte[] publicEncoding = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + 32);

        ConscryptX25519() throws GeneralSecurityException {
        }

        boolean agree(byte[] privateKey, byte[] publicKey, byte[] shared) {
            System.arraycopy(privateKey, 0, privateEncoding, PKCS8_PREFIX.length, 32);
            System.arraycopy(publicKey, 0, publicEncoding, X509_PREFIX.length, 32);
            try {
                agreement.init(factory.generatePrivate(new PKCS8EncodedKeySpec(privateEncoding)));
                agreement.doPhase(factory.generatePublic(new X509EncodedKeySpec(publicEncoding)), true);
                agreement.generateSecret(shared, 0);
                return true;
            } catch (InvalidKeyException lowOrder) { // BoringSSL refuses an all-zero result
                return false;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("X25519 through Conscrypt failed", e);
            } finally {
                Arrays.fill(privateEncoding, PKCS8_PREFIX.length, privateEncoding.length, (byte) 0);
            }
        }
    }
}

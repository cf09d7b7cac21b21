/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.SystemPropertyUtil;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.util.Locale;

/**
 * ChaCha20-Poly1305 (RFC 8439) for transport data messages: one instance per key and direction, used by one
 * thread, from one byte array into another with WireGuard's nonce (4 zero bytes, then the 64-bit counter
 * little-endian) and no associated data. Source and destination may be the same array at the same offset, but
 * BouncyCastle then copies the input first (an allocation per packet); distinct arrays avoid it.
 *
 * <p>Three implementations, chosen by {@link Implementation#DEFAULT}: Conscrypt's (BoringSSL through JNI, used
 * through a provider instance of our own, never installed in the JVM), the JDK's {@code ChaCha20-Poly1305} cipher
 * (intrinsified on JDK 20 and later on x86_64 and aarch64) and BouncyCastle's {@link ChaCha20Poly1305} (plain
 * Java). {@code TransportCipherBenchmark} (results in {@code benchmarks/results/wireguard-jmh-jdk*.md}) measures
 * them on JDK 17 and on the newest JDK; {@code -Dio.github.nettytun.wireguard.cipher=conscrypt|jdk|bc} overrides
 * the default.
 */
public abstract class TransportCipher {

    /** The implementations. */
    public enum Implementation {
        /** Conscrypt's {@code ChaCha20/Poly1305/NoPadding} (BoringSSL), where its native library loads. */
        CONSCRYPT,
        /** {@code javax.crypto.Cipher.getInstance("ChaCha20-Poly1305")}. */
        JDK,
        /** {@code org.bouncycastle.crypto.modes.ChaCha20Poly1305}. */
        BOUNCY_CASTLE;

        /**
         * The implementation used when none is named: the {@code io.github.nettytun.wireguard.cipher} system
         * property ({@code conscrypt}, {@code jdk} or {@code bc}) if set, otherwise Conscrypt's where its native
         * library loads and the JDK's elsewhere; see {@code TransportCipherBenchmark} and the VPN benchmark.
         */
        public static final Implementation DEFAULT = choose(
                SystemPropertyUtil.get("io.github.nettytun.wireguard.cipher", "auto"));

        /** Whether this implementation can run here (Conscrypt needs its native library). */
        public boolean isAvailable() {
            return this != CONSCRYPT || ConscryptProvider.PROVIDER != null;
        }

        static Implementation choose(String property) {
            switch (property.toLowerCase(Locale.ROOT)) {
                case "conscrypt":
                    if (!CONSCRYPT.isAvailable()) {
                        throw new IllegalStateException("io.github.nettytun.wireguard.cipher=conscrypt, but "
                                + "Conscrypt does not load here: " + ConscryptProvider.FAILURE);
                    }
                    return CONSCRYPT;
                case "jdk":
                    return JDK;
                case "bc":
                    return BOUNCY_CASTLE;
                case "auto":
                    return CONSCRYPT.isAvailable() ? CONSCRYPT : JDK;
                default:
                    throw new IllegalArgumentException("io.github.nettytun.wireguard.cipher: " + property
                            + " (expected conscrypt, jdk, bc or auto)");
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
        switch (implementation) {
            case CONSCRYPT:
                if (!implementation.isAvailable()) {
                    throw new IllegalStateException("Conscrypt does not load here: " + ConscryptProvider.FAILURE);
                }
                return new Jca(key, Implementation.CONSCRYPT);
            case JDK:
                return new Jca(key, Implementation.JDK);
            default:
                return new BouncyCastle(key);
        }
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

    /**
     * Scratch arrays, input and output, for what an implementation does not do in place on the buffer itself (one
     * pair per thread, the largest message): distinct arrays, as BouncyCastle copies its input first when the two
     * are one array, and SunJCE allocates for overlapping ones.
     */
    private static final FastThreadLocal<byte[][]> SCRATCH = new FastThreadLocal<byte[][]>() {
        @Override
        protected byte[][] initialValue() {
            return new byte[][] {new byte[65536 + WireGuardCrypto.TAG_LENGTH],
                    new byte[65536 + WireGuardCrypto.TAG_LENGTH]};
        }
    };

    /**
     * Encrypts {@code buf[index, index+length)} in place, the 16-byte tag right after it (within the buffer's
     * capacity; indexes are not moved). Conscrypt works on direct memory directly; otherwise the cipher reads the
     * buffer's array (or a scratch copy of a direct or composite buffer) into a scratch array that is copied back.
     *
     * @return {@code length + 16}
     */
    public int seal(long counter, ByteBuf buf, int index, int length) {
        if (!buf.hasArray() && buf.nioBufferCount() == 1 && sealDirect(counter, buf, index, length)) {
            return length + WireGuardCrypto.TAG_LENGTH;
        }
        byte[][] scratch = SCRATCH.get();
        int sealed;
        if (buf.hasArray()) {
            sealed = seal(counter, buf.array(), buf.arrayOffset() + index, length, scratch[1], 0);
        } else {
            buf.getBytes(index, scratch[0], 0, length);
            sealed = seal(counter, scratch[0], 0, length, scratch[1], 0);
        }
        buf.setBytes(index, scratch[1], 0, sealed);
        return sealed;
    }

    /**
     * Decrypts {@code buf[index, index+length)} (ciphertext followed by its tag) in place: the plaintext, {@code
     * length - 16} bytes, starts at {@code index}. Indexes are not moved.
     *
     * @return whether the tag verified; when it did not, the range holds unspecified bytes
     */
    public boolean open(long counter, ByteBuf buf, int index, int length) {
        if (length < WireGuardCrypto.TAG_LENGTH) {
            return false;
        }
        if (!buf.hasArray() && buf.nioBufferCount() == 1) {
            int opened = openDirect(counter, buf, index, length);
            if (opened >= 0) {
                return opened == 1;
            }
        }
        byte[][] scratch = SCRATCH.get();
        boolean ok;
        if (buf.hasArray()) {
            ok = open(counter, buf.array(), buf.arrayOffset() + index, length, scratch[1], 0);
        } else {
            buf.getBytes(index, scratch[0], 0, length);
            ok = open(counter, scratch[0], 0, length, scratch[1], 0);
        }
        if (ok) {
            buf.setBytes(index, scratch[1], 0, length - WireGuardCrypto.TAG_LENGTH);
        }
        return ok;
    }

    /** Seals in place over the buffer's one NIO buffer, or returns false to have it done through an array. */
    boolean sealDirect(long counter, ByteBuf buf, int index, int length) {
        return false;
    }

    /** Opens in place over the buffer's one NIO buffer: 1 verified, 0 failed, -1 done through an array instead. */
    int openDirect(long counter, ByteBuf buf, int index, int length) {
        return -1;
    }

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

    /** A JCA cipher: the JDK's or Conscrypt's; both need an {@code init} per packet for the new nonce. */
    private static final class Jca extends TransportCipher {
        private final Cipher cipher;
        private final SecretKeySpec key;
        private final byte[] nonce = new byte[12];
        private final Implementation implementation;
        /** The internal NIO buffer {@link #output} views, and that view (see {@link #outputView}). */
        private ByteBuffer outputOf;
        private ByteBuffer output;

        Jca(byte[] key, Implementation implementation) {
            this.implementation = implementation;
            try {
                cipher = implementation == Implementation.CONSCRYPT
                        ? Cipher.getInstance("ChaCha20/Poly1305/NoPadding", ConscryptProvider.PROVIDER)
                        : Cipher.getInstance("ChaCha20-Poly1305");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(implementation + " has no ChaCha20-Poly1305", e);
            }
            this.key = new SecretKeySpec(key, "ChaCha20");
        }

        private void init(int mode, long counter) throws GeneralSecurityException {
            setCounter(nonce, counter);
            try {
                cipher.init(mode, key, new IvParameterSpec(nonce));
            } catch (InvalidKeyException | InvalidAlgorithmParameterException sameNonceAsLastInit) {
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
        boolean sealDirect(long counter, ByteBuf buf, int index, int length) {
            if (implementation != Implementation.CONSCRYPT) {
                return false; // SunJCE copies direct buffers through fresh arrays; the scratch array is cheaper
            }
            // Two views of the same memory (JCA refuses one object as both); BoringSSL seals in place.
            ByteBuffer in = buf.internalNioBuffer(index, length);
            ByteBuffer out = outputView(in, length + WireGuardCrypto.TAG_LENGTH, buf, index);
            try {
                init(Cipher.ENCRYPT_MODE, counter);
                cipher.doFinal(in, out);
                return true;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
            }
        }

        @Override
        int openDirect(long counter, ByteBuf buf, int index, int length) {
            if (implementation != Implementation.CONSCRYPT) {
                return -1;
            }
            ByteBuffer in = buf.internalNioBuffer(index, length);
            ByteBuffer out = outputView(in, length, buf, index);
            try {
                init(Cipher.DECRYPT_MODE, counter);
                cipher.doFinal(in, out);
                return 1;
            } catch (AEADBadTagException e) {
                return 0;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("ChaCha20-Poly1305 decryption failed", e);
            }
        }

        /**
         * A second view of {@code in}'s memory, positioned at {@code in}'s position with {@code length} bytes to its
         * limit. The internal NIO buffer a {@code ByteBuf} hands out is one object per buffer (per chunk, for
         * pooled ones), so the view made for it is kept and repositioned while the same object comes back: in
         * steady state no view is allocated per packet. Where that object is too short for the output, a view of
         * the buffer's own.
         */
        private ByteBuffer outputView(ByteBuffer in, int length, ByteBuf buf, int index) {
            ByteBuffer out = output;
            if (outputOf != in) {
                out = in.duplicate();
                output = out;
                outputOf = in; // held only to compare identity; memory no longer the buffer's is never read through it
            }
            int position = in.position();
            if (position + length > out.capacity()) {
                return buf.nioBuffer(index, length);
            }
            out.limit(position + length).position(position);
            return out;
        }

        @Override
        public Implementation implementation() {
            return implementation;
        }
    }

    static void setCounter(byte[] nonce, long counter) {
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (counter >>> (8 * i));
        }
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks.wireguard;

import org.bouncycastle.math.ec.rfc7748.X25519;
import org.conscrypt.Conscrypt;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import javax.crypto.KeyAgreement;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * X25519 as a WireGuard handshake uses it, per implementation: {@code agree} is one Diffie-Hellman agreement from
 * the raw 32-byte keys the protocol carries (a key object made from them included, as each handshake brings new
 * ones), {@code generate} a new ephemeral key pair exported raw. A responder does one {@code generate} and three
 * {@code agree} per handshake (the static-static one is computed once per peer). BouncyCastle works on the raw
 * bytes; the JDK's {@code XDH} and Conscrypt's (BoringSSL) need key objects, made here from DER encodings with the
 * fixed X25519 prefixes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class X25519Benchmark {

    private static final byte[] PKCS8_PREFIX = HexFormat.of().parseHex("302e020100300506032b656e04220420");
    private static final byte[] X509_PREFIX = HexFormat.of().parseHex("302a300506032b656e032100");

    @Param({"BOUNCY_CASTLE", "JDK", "CONSCRYPT"})
    String implementation;

    private final SecureRandom random = new SecureRandom();
    private final byte[] privateKey = new byte[32];
    private final byte[] publicKey = new byte[32];
    private KeyFactory factory;
    private KeyAgreement agreement;
    private KeyPairGenerator generator;

    @Setup
    public void setUp() throws GeneralSecurityException {
        X25519.generatePrivateKey(random, privateKey);
        byte[] other = new byte[32];
        X25519.generatePrivateKey(random, other);
        X25519.generatePublicKey(other, 0, publicKey, 0);
        if (!implementation.equals("BOUNCY_CASTLE")) {
            Provider provider = implementation.equals("CONSCRYPT") ? Conscrypt.newProvider() : null;
            factory = provider != null ? KeyFactory.getInstance("X25519", provider) : KeyFactory.getInstance("XDH");
            agreement = provider != null ? KeyAgreement.getInstance("X25519", provider)
                    : KeyAgreement.getInstance("XDH");
            generator = provider != null ? KeyPairGenerator.getInstance("X25519", provider)
                    : KeyPairGenerator.getInstance("X25519");
        }
        byte[] reference = new byte[32];
        X25519.calculateAgreement(privateKey, 0, publicKey, 0, reference, 0);
        if (!Arrays.equals(reference, agree())) {
            throw new IllegalStateException(implementation + " disagrees with BouncyCastle");
        }
    }

    @Benchmark
    public byte[] agree() throws GeneralSecurityException {
        if (agreement == null) {
            byte[] shared = new byte[32];
            X25519.calculateAgreement(privateKey, 0, publicKey, 0, shared, 0);
            return shared;
        }
        PrivateKey priv = factory.generatePrivate(new PKCS8EncodedKeySpec(concat(PKCS8_PREFIX, privateKey)));
        PublicKey pub = factory.generatePublic(new X509EncodedKeySpec(concat(X509_PREFIX, publicKey)));
        agreement.init(priv);
        agreement.doPhase(pub, true);
        return agreement.generateSecret();
    }

    @Benchmark
    public void generate(Blackhole bh) {
        if (generator == null) {
            byte[] priv = new byte[32];
            byte[] pub = new byte[32];
            X25519.generatePrivateKey(random, priv);
            X25519.generatePublicKey(priv, 0, pub, 0);
            bh.consume(priv);
            bh.consume(pub);
            return;
        }
        KeyPair pair = generator.generateKeyPair();
        byte[] pub = pair.getPublic().getEncoded();
        byte[] priv = pair.getPrivate().getEncoded();
        bh.consume(Arrays.copyOfRange(priv, priv.length - 32, priv.length));
        bh.consume(Arrays.copyOfRange(pub, pub.length - 32, pub.length));
    }

    private static byte[] concat(byte[] prefix, byte[] key) {
        byte[] out = Arrays.copyOf(prefix, prefix.length + key.length);
        System.arraycopy(key, 0, out, prefix.length, key.length);
        return out;
    }
}

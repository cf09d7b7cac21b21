/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks.wireguard;

import io.github.nettytun.handler.vpn.wireguard.TransportCipher;
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

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * ChaCha20-Poly1305 per transport packet, Conscrypt's, the JDK's and BouncyCastle's, from one array into another
 * as the device uses them. Run on JDK 17 and on the newest JDK with {@code -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class TransportCipherBenchmark {

    @Param({"CONSCRYPT", "JDK", "BOUNCY_CASTLE"})
    TransportCipher.Implementation implementation;

    @Param({"64", "1420", "16384"})
    int size;

    private TransportCipher cipher;
    private byte[] plain;
    private byte[] sealed;
    private byte[] out;
    private long counter;

    @Setup
    public void setUp() {
        Random random = new Random(1);
        byte[] key = new byte[32];
        random.nextBytes(key);
        cipher = TransportCipher.create(key, implementation);
        plain = new byte[size + 16];
        random.nextBytes(plain);
        sealed = new byte[size + 16];
        out = new byte[size + 16];
        cipher.seal(42, plain, 0, size, sealed, 0);
    }

    @Benchmark
    public int seal() {
        return cipher.seal(counter++, plain, 0, size, out, 0);
    }

    @Benchmark
    public boolean open() {
        return cipher.open(42, sealed, 0, size + 16, out, 0);
    }
}

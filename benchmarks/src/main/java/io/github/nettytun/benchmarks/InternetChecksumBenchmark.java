/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks;

import io.github.nettytun.channel.tun.InternetChecksum;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The internet checksum over a full-size packet and a 64 KiB super-packet, on a pooled direct buffer (the
 * native-memory fast path) and a heap buffer (the {@code getLong} path). Every segment the GSO codec emits
 * and every packet the GRO codec verifies goes through it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class InternetChecksumBenchmark {

    @Param({"1400", "65535"})
    public int length;

    @Param({"direct", "heap"})
    public String memory;

    private ByteBuf buf;

    @Setup(Level.Trial)
    public void setUp() {
        byte[] data = new byte[length];
        new SplittableRandom(1).nextBytes(data);
        buf = "direct".equals(memory) ? PooledByteBufAllocator.DEFAULT.directBuffer(length)
                : PooledByteBufAllocator.DEFAULT.heapBuffer(length);
        buf.writeBytes(data);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        buf.release();
    }

    @Benchmark
    public int checksum() {
        return InternetChecksum.checksum(buf, 0, length);
    }
}

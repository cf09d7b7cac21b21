/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks.wireguard;

import io.github.nettytun.handler.vpn.wireguard.AllowedIps;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@link AllowedIps#lookup(ByteBuf, int, int)} as the data path calls it twice per packet (the destination of an
 * outgoing packet chooses the peer, the source of a decrypted one is checked): the address is read from a pooled
 * direct buffer holding {@value #PACKETS} packets' addresses. The table is shaped like a server's: each of
 * {@code peers} peers owns a host route (/32 or /128) inside 10.0.0.0/8 or fd00::/8, and one peer also owns a /16
 * or /48 for a site behind it; lookups hit the host routes in turn.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "--enable-native-access=ALL-UNNAMED"})
public class AllowedIpsBenchmark {

    static final int PACKETS = 256;

    @Param({"4", "6"})
    int family;

    @Param({"1", "1000"})
    int peers;

    private final AllowedIps<Integer> table = new AllowedIps<>();
    private ByteBuf addresses;
    private int length;

    @Setup(Level.Trial)
    public void setUp() throws UnknownHostException {
        length = family == 4 ? 4 : 16;
        SplittableRandom random = new SplittableRandom(7);
        byte[][] hosts = new byte[peers][];
        for (int p = 0; p < peers; p++) {
            byte[] a = new byte[length];
            random.nextBytes(a);
            a[0] = (byte) (family == 4 ? 10 : 0xfd);
            hosts[p] = a;
            table.insert(InetAddress.getByAddress(a), length * 8, p);
        }
        byte[] site = hosts[0].clone();
        site[1] ^= 0x55;
        table.insert(InetAddress.getByAddress(site), family == 4 ? 16 : 48, 0);
        addresses = PooledByteBufAllocator.DEFAULT.directBuffer(PACKETS * length);
        for (int i = 0; i < PACKETS; i++) {
            addresses.writeBytes(hosts[random.nextInt(peers)]);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        addresses.release();
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int lookup() {
        int sum = 0;
        for (int i = 0; i < PACKETS; i++) {
            Integer owner = table.lookup(addresses, i * length, length);
            sum += owner == null ? -1 : owner;
        }
        return sum;
    }
}

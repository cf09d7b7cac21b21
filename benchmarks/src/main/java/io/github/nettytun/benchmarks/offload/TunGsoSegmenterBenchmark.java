/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks.offload;

import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.channel.tun.VirtioNetHeader;
import io.github.nettytun.handler.codec.offload.TunGsoSegmenter;
import io.github.nettytun.testing.PacketBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
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

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@link TunGsoSegmenter} on a 64 KiB super-packet as the kernel hands it out with TSO/USO: one operation segments
 * it into MTU-sized packets (headers written, payload sliced, full checksum per segment) and passes each through a
 * pipeline to a handler that releases it. Divide ns/op by the segment count for ns/packet; bytes/op from
 * {@code -prof gc} is the allocation per super-packet.
 *
 * <p>Each invocation runs {@link #OPS} operations as a Netty event-loop thread would: inside
 * {@link FastThreadLocalThread#runWithFastThreadLocal(Runnable)}. Netty 4.2's {@code Recycler} recycles pooled slices
 * and duplicates only on such threads; on a plain JMH thread every one of them would be a new object, an allocation
 * an event loop does not make.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "--enable-native-access=ALL-UNNAMED"})
public class TunGsoSegmenterBenchmark {

    public static final int OPS = 1000;

    /** tcp4/tcp6: TSO with a 1448-byte MSS; udp4: USO with 1400-byte datagrams. */
    @Param({"tcp4", "tcp6", "udp4"})
    public String type;

    private EmbeddedChannel channel;
    private ChannelPipeline pipeline;
    private ByteBuf superPacket;
    private byte[] headers;
    private VirtioNetHeader header;
    private long released;

    @Setup(Level.Trial)
    public void setUp() {
        boolean tcp = type.startsWith("tcp");
        int version = type.endsWith("6") ? 6 : 4;
        int gsoSize = tcp ? 1448 : 1400;
        int ipLength = version == 4 ? 20 : 40;
        int hdrLen = ipLength + (tcp ? 20 : 8);
        byte[] payload = new byte[65535 - hdrLen];
        new SplittableRandom(1).nextBytes(payload);
        TunPacket packet = (tcp ? PacketBuilder.tcp(version) : PacketBuilder.udp(version)).payload(payload)
                .buildSuperPacket(PooledByteBufAllocator.DEFAULT, gsoSize);
        superPacket = packet.content();
        header = packet.header();
        headers = new byte[hdrLen];
        superPacket.getBytes(0, headers);
        channel = new EmbeddedChannel(new TunGsoSegmenter(), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                released += ((ByteBuf) msg).readableBytes();
                ((ByteBuf) msg).release();
            }
        });
        pipeline = channel.pipeline();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        channel.finishAndReleaseAll();
        superPacket.release();
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long segment() {
        FastThreadLocalThread.runWithFastThreadLocal(loop);
        return released;
    }

    private final Runnable loop = () -> {
        for (int i = 0; i < OPS; i++) {
            // The segmenter rewrites the first segment's headers in place; put the super-packet's back.
            superPacket.setBytes(0, headers);
            pipeline.fireChannelRead(new TunPacket(superPacket.retainedDuplicate(), header));
        }
    };
}

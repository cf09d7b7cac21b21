/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks.offload;

import io.github.nettytun.channel.tun.TunOffloads;
import io.github.nettytun.handler.codec.offload.TunGroCoalescer;
import io.github.nettytun.testing.PacketBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
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
 * {@link TunGroCoalescer} on one flush batch of 44 full-size packets (TCP with a 1448-byte MSS or UDP with 1400-byte
 * datagrams) from {@code flows} interleaved flows: one operation writes them all and flushes, the coalescer verifies
 * every checksum, groups the packets per flow and writes super-packets to a handler at the head that releases them.
 * Divide ns/op by 44 for ns/packet; bytes/op from {@code -prof gc} is the allocation per batch. Invocations run
 * on a fast-thread-local thread, as {@code TunGsoSegmenterBenchmark} explains.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "--enable-native-access=ALL-UNNAMED"})
public class TunGroCoalescerBenchmark {

    public static final int BATCH = 44;
    public static final int OPS = 1000;

    @Param({"tcp4", "tcp6", "udp4"})
    public String type;

    @Param({"1", "4"})
    public int flows;

    private Channel channel;
    private final ByteBuf[] packets = new ByteBuf[BATCH];
    private final byte[][] headers = new byte[BATCH][];
    private long written;

    @Setup(Level.Trial)
    public void setUp() {
        boolean tcp = type.startsWith("tcp");
        int version = type.endsWith("6") ? 6 : 4;
        int size = tcp ? 1448 : 1400;
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < BATCH; i++) {
            int flow = i % flows;
            int index = i / flows;
            byte[] payload = new byte[size];
            random.nextBytes(payload);
            byte[] source = version == 4 ? new byte[] {10, 0, 0, (byte) (1 + flow)} : new byte[16];
            if (version == 6) {
                source[0] = (byte) 0xfd;
                source[15] = (byte) (1 + flow);
            }
            PacketBuilder b = (tcp ? PacketBuilder.tcp(version).seq(1000 + index * size) : PacketBuilder.udp(version))
                    .source(source, 40000 + flow).id(index).payload(payload);
            packets[i] = b.build(PooledByteBufAllocator.DEFAULT);
            headers[i] = new byte[b.ipHeaderLength() + b.transportHeaderLength()];
            packets[i].getBytes(0, headers[i]);
        }
        EmbeddedChannel embedded = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                written++;
                ReferenceCountUtil.release(msg);
            }

            @Override
            public void flush(ChannelHandlerContext ctx) {
            }
        }, new TunGroCoalescer(TunOffloads.DEFAULT, TunGroCoalescer.DEFAULT_MAX_PENDING));
        channel = embedded;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ((EmbeddedChannel) channel).finishAndReleaseAll();
        for (ByteBuf p : packets) {
            p.release();
        }
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long coalesce() {
        FastThreadLocalThread.runWithFastThreadLocal(loop);
        return written;
    }

    private final Runnable loop = () -> {
        for (int op = 0; op < OPS; op++) {
            for (int i = 0; i < BATCH; i++) {
                // A group's first packet gets its headers rewritten in place; restore them.
                packets[i].setBytes(0, headers[i]);
                channel.write(packets[i].retainedDuplicate(), channel.voidPromise());
            }
            channel.flush();
        }
    };
}

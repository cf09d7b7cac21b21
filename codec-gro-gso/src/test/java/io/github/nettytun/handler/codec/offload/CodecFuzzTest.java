/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.codec.offload;

import io.github.nettytun.channel.tun.TunOffloads;
import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.channel.tun.VirtioNetHeader;
import io.github.nettytun.testing.PacketBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A seeded fuzzer for both codecs: arbitrary bytes, valid packets with bytes flipped, truncated or extended, and
 * virtio headers from random to almost right. Whatever comes in, no exception may leave a handler, every input is
 * accounted for (passed on, segmented or counted as dropped), and every buffer is released (the leak detector runs
 * at PARANOID and fails the test). Bounded by an iteration count and a wall-clock cap, whichever comes first; set
 * {@code -Dfuzz.iterations=N -Dfuzz.seconds=S -Dfuzz.seed=X} for a longer run or to replay one.
 */
class CodecFuzzTest {

    private static final int ITERATIONS = Integer.getInteger("fuzz.iterations", 4000);
    private static final long SECONDS = Long.getLong("fuzz.seconds", 20);
    private static final long SEED = Long.getLong("fuzz.seed", System.nanoTime());

    @Test
    void segmenterSurvivesAnything() {
        SplittableRandom random = new SplittableRandom(SEED);
        TunGsoSegmenter segmenter = new TunGsoSegmenter();
        EmbeddedChannel channel = new EmbeddedChannel(segmenter);
        long deadline = System.nanoTime() + SECONDS * 1_000_000_000L;
        long outputs = 0;
        int i = 0;
        for (; i < ITERATIONS && System.nanoTime() < deadline; i++) {
            TunPacket packet = new TunPacket(packetBytes(random), header(random));
            String what = "seed " + SEED + " iteration " + i + ": " + packet;
            long before = segmenter.segments() + segmenter.checksumsCompleted() + segmenter.passedThrough()
                    + segmenter.dropped();
            channel.writeInbound(packet);
            long n = 0;
            for (Object o; (o = channel.readInbound()) != null; n++) {
                ReferenceCountUtil.release(o);
            }
            outputs += n;
            assertEquals(0, packet.refCnt(), what + ": input released once its outputs are");
            long after = segmenter.segments() + segmenter.checksumsCompleted() + segmenter.passedThrough()
                    + segmenter.dropped();
            assertTrue(after > before, what + ": not accounted for");
        }
        assertEquals(i, segmenter.packetsIn());
        assertEquals(outputs, segmenter.segments() + segmenter.checksumsCompleted() + segmenter.passedThrough());
        assertTrue(segmenter.dropped() > 0 && segmenter.segments() > 0, "the fuzzer reached both outcomes: "
                + segmenter);
        assertFalse(channel.finish());
    }

    @Test
    void coalescerSurvivesAnything() {
        SplittableRandom random = new SplittableRandom(SEED);
        long deadline = System.nanoTime() + SECONDS * 1_000_000_000L;
        long superPackets = 0;
        for (int i = 0; i < ITERATIONS / 20 && System.nanoTime() < deadline; i++) {
            int offloads = random.nextBoolean() ? TunOffloads.DEFAULT : TunOffloads.REQUIRED;
            TunGroCoalescer coalescer = new TunGroCoalescer(offloads, 1 + random.nextInt(64));
            EmbeddedChannel channel = new EmbeddedChannel(coalescer);
            List<Object> written = new ArrayList<>();
            int n = 1 + random.nextInt(40);
            for (int p = 0; p < n; p++) {
                ByteBuf buf = packetBytes(random);
                Object msg = random.nextInt(8) == 0 ? new TunPacket(buf, header(random)) : buf;
                written.add(msg);
                channel.write(msg);
            }
            channel.flush();
            String what = "seed " + SEED + " iteration " + i;
            int carried = 0;
            for (Object o; (o = channel.readOutbound()) != null; ) {
                if (o instanceof TunPacket && ((TunPacket) o).header().isGso() && !isAnyOf(o, written)) {
                    carried += segmentsOf((TunPacket) o);
                } else {
                    carried++;
                }
                ReferenceCountUtil.release(o);
            }
            assertEquals(n, carried, what + ": packets lost or duplicated");
            for (Object msg : written) {
                assertEquals(0, ReferenceCountUtil.refCnt(msg), what + ": a written packet was not released");
            }
            superPackets += coalescer.superPackets();
            assertFalse(channel.finish());
        }
        assertTrue(superPackets > 0, "the fuzzer made mergeable batches");
    }

    private static boolean isAnyOf(Object o, List<Object> list) {
        for (Object x : list) {
            if (x == o) {
                return true;
            }
        }
        return false;
    }

    /** How many packets a super-packet the coalescer built carries: segment it and count. */
    private static int segmentsOf(TunPacket packet) {
        EmbeddedChannel segmenter = new EmbeddedChannel(new TunGsoSegmenter());
        segmenter.writeInbound(packet.retain());
        int n = 0;
        for (Object o; (o = segmenter.readInbound()) != null; n++) {
            ReferenceCountUtil.release(o);
        }
        assertFalse(segmenter.finish());
        return n;
    }

    /** Bytes that are sometimes garbage and mostly a real packet of one of a few flows, often damaged. */
    private static ByteBuf packetBytes(SplittableRandom random) {
        int kind = random.nextInt(10);
        ByteBuf buf;
        if (kind == 0) {
            buf = PooledByteBufAllocator.DEFAULT.directBuffer();
            byte[] junk = new byte[random.nextInt(200)];
            random.nextBytes(junk);
            buf.writeBytes(junk);
            return buf;
        }
        int version = random.nextBoolean() ? 4 : 6;
        PacketBuilder b = random.nextBoolean() ? PacketBuilder.tcp(version) : PacketBuilder.udp(version);
        byte[] payload = new byte[random.nextInt(random.nextBoolean() ? 3000 : 300)];
        random.nextBytes(payload);
        b.payload(payload).seq(random.nextInt(4) * 100).id(random.nextInt(4)).source(
                version == 4 ? new byte[] {10, 0, 0, (byte) random.nextInt(2)}
                        : new byte[] {(byte) 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) random.nextInt(2)},
                1000);
        if (random.nextInt(4) == 0) {
            b.flags(random.nextInt(256));
        }
        buf = b.build(PooledByteBufAllocator.DEFAULT);
        int damage = random.nextInt(6);
        if (damage == 0 && buf.readableBytes() > 0) {
            for (int f = 0, flips = 1 + random.nextInt(4); f < flips; f++) {
                int at = random.nextInt(Math.min(buf.readableBytes(), 80));
                buf.setByte(at, random.nextInt(256));
            }
        } else if (damage == 1) {
            buf.writerIndex(random.nextInt(buf.readableBytes() + 1));
        } else if (damage == 2) {
            buf.writeZero(random.nextInt(100));
        }
        return buf;
    }

    /** A virtio header: random, or close to what the kernel sends for a packet like the ones made above. */
    private static VirtioNetHeader header(SplittableRandom random) {
        if (random.nextInt(4) == 0) {
            return VirtioNetHeader.of(random.nextInt(4), random.nextInt(256), random.nextInt(65536),
                    random.nextInt(65536), random.nextInt(65536), random.nextInt(65536));
        }
        int[] types = {VirtioNetHeader.GSO_NONE, VirtioNetHeader.GSO_TCPV4, VirtioNetHeader.GSO_TCPV6,
                VirtioNetHeader.GSO_UDP_L4, VirtioNetHeader.GSO_TCPV4 | VirtioNetHeader.GSO_ECN};
        int csumStart = random.nextBoolean() ? 20 : 40;
        return VirtioNetHeader.of(random.nextInt(8) == 0 ? 0 : VirtioNetHeader.F_NEEDS_CSUM,
                types[random.nextInt(types.length)], random.nextInt(100), random.nextInt(8) == 0 ? 0
                        : 1 + random.nextInt(1500), csumStart + random.nextInt(3) - 1,
                new int[] {16, 6, 0, 200}[random.nextInt(4)]);
    }
}

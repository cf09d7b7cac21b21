/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.codec.offload;

import io.github.nettytun.channel.tun.TunOffloads;
import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.testing.PacketBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static io.github.nettytun.handler.codec.offload.SuperPackets.drain;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random batches of interleaved TCP and UDP flows, IPv4 and IPv6, with the things real traffic has (short and PSH
 * segments, pure ACKs, gaps): what the coalescer writes, segmented again, must be the packets that went in, byte for
 * byte and in order within each flow, and every packet that comes out must carry valid checksums. Half the packets
 * enter as two-part composites, as segments from the segmenter do in a forwarder.
 */
class RoundTripPropertyTest {

    private static final int ROUNDS = 200;

    @Test
    void segmentingWhatTheCoalescerWroteGivesBackTheOriginals() {
        long seed = Long.getLong("roundtrip.seed", 20261122L);
        SplittableRandom random = new SplittableRandom(seed);
        long merged = 0;
        for (int round = 0; round < ROUNDS; round++) {
            merged += round(random, "seed " + seed + " round " + round);
        }
        assertTrue(merged > ROUNDS, "the generator makes batches that coalesce: " + merged);
    }

    /** A flow's generator state. */
    private static final class Flow {
        final int key;
        final int version;
        final boolean tcp;
        final int size;
        int seq;
        int id;

        Flow(int key, SplittableRandom random) {
            this.key = key;
            this.version = random.nextBoolean() ? 4 : 6;
            this.tcp = random.nextInt(3) != 0;
            this.size = 1 + random.nextInt(random.nextBoolean() ? 1460 : 200);
            this.seq = random.nextInt();
            this.id = random.nextInt(65536);
        }

        PacketBuilder next(SplittableRandom random) {
            int r = random.nextInt(20);
            int length = r == 0 ? random.nextInt(size) : size; // sometimes short (or a pure ACK)
            PacketBuilder b = tcp ? PacketBuilder.tcp(version).seq(seq).flags(r == 1 ? 0x18 : 0x10)
                    : PacketBuilder.udp(version);
            b.source(address(version, key), 1000 + key).id(id & 0xffff).payload(payload(random, length));
            if (r == 2) {
                seq += 1 + random.nextInt(100); // a gap (a lost packet)
            }
            seq += length;
            id++;
            return b;
        }

        private static byte[] payload(SplittableRandom random, int length) {
            byte[] p = new byte[length];
            random.nextBytes(p);
            return p;
        }

        private static byte[] address(int version, int key) {
            byte[] a = new byte[version == 4 ? 4 : 16];
            a[0] = version == 4 ? 10 : (byte) 0xfd;
            a[a.length - 1] = (byte) key;
            return a;
        }
    }

    private static long round(SplittableRandom random, String what) {
        int offloads = random.nextInt(4) == 0 ? TunOffloads.REQUIRED : TunOffloads.DEFAULT;
        TunGroCoalescer coalescer = new TunGroCoalescer(offloads, 1 + random.nextInt(200));
        EmbeddedChannel out = new EmbeddedChannel(coalescer);
        List<Flow> flows = new ArrayList<>();
        for (int f = 0, n = 1 + random.nextInt(5); f < n; f++) {
            flows.add(new Flow(f, random));
        }
        Map<Integer, List<byte[]>> sent = new LinkedHashMap<>();
        int packets = 1 + random.nextInt(150);
        for (int i = 0; i < packets; i++) {
            Flow flow = flows.get(random.nextInt(flows.size()));
            PacketBuilder packet = flow.next(random);
            ByteBuf buf = packet.build(PooledByteBufAllocator.DEFAULT);
            sent.computeIfAbsent(flow.key, k -> new ArrayList<>()).add(ByteBufUtil.getBytes(buf));
            out.write(random.nextBoolean() ? buf : asComposite(buf, random,
                    packet.ipHeaderLength() + packet.transportHeaderLength()));
        }
        out.flush();

        EmbeddedChannel in = new EmbeddedChannel(new TunGsoSegmenter());
        for (Object msg; (msg = out.readOutbound()) != null; ) {
            in.writeInbound(msg instanceof TunPacket ? msg : new TunPacket((ByteBuf) msg));
        }
        Map<Integer, List<byte[]>> received = new LinkedHashMap<>();
        for (ByteBuf b; (b = in.readInbound()) != null; ) {
            assertTrue(PacketBuilder.checksumsVerify(b), what + ": checksums of a packet");
            byte[] bytes = drain(b);
            received.computeIfAbsent(flowOf(bytes), k -> new ArrayList<>()).add(bytes);
        }
        assertEquals(sent.keySet(), received.keySet(), what);
        for (Map.Entry<Integer, List<byte[]>> e : sent.entrySet()) {
            List<byte[]> got = received.get(e.getKey());
            assertEquals(e.getValue().size(), got.size(), what + ": packets of flow " + e.getKey());
            for (int i = 0; i < got.size(); i++) {
                assertTrue(Arrays.equals(e.getValue().get(i), got.get(i)),
                        what + ": flow " + e.getKey() + " packet " + i + " changed or out of order");
            }
        }
        assertFalse(out.finish());
        assertFalse(in.finish());
        return coalescer.coalesced();
    }

    /**
     * The packet as a composite of two parts, as a {@link TunGsoSegmenter} segment is (headers, payload), or cut at
     * a random point.
     */
    private static ByteBuf asComposite(ByteBuf buf, SplittableRandom random, int headerLength) {
        int length = buf.readableBytes();
        int cut = random.nextBoolean() ? headerLength : random.nextInt(length + 1);
        ByteBuf composite = new CompositeByteBuf(PooledByteBufAllocator.DEFAULT, true, 2,
                buf.retainedSlice(0, cut), buf.retainedSlice(cut, length - cut));
        buf.release();
        return composite;
    }

    /** The flow key the generator put into the last byte of the source address. */
    private static int flowOf(byte[] ip) {
        return (ip[0] >>> 4 & 0xf) == 4 ? ip[15] : ip[23];
    }
}

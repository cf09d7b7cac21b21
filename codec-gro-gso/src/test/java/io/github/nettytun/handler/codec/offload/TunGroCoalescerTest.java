/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.codec.offload;

import io.github.nettytun.channel.tun.InternetChecksum;
import io.github.nettytun.channel.tun.TunOffloads;
import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.channel.tun.VirtioNetHeader;
import io.github.nettytun.testing.PacketBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.github.nettytun.handler.codec.offload.SuperPackets.drain;
import static io.github.nettytun.testing.TestPackets.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Named.named;

/**
 * One named case per coalescing rule of DESIGN section 6. Each case is a batch of packets written between two
 * flushes and the grouping it must come out as: {@code {3, 1}} means a super-packet of the first three packets,
 * then the fourth alone. Every super-packet is checked field by field, and segmented again with the
 * {@link TunGsoSegmenter} it must give back the very packets that went in.
 */
class TunGroCoalescerTest {

    private static final int ACK = TcpHeader.ACK;
    private static final int PSH = TcpHeader.PSH;

    /** A batch and its expected grouping: the indexes of the packets in each write, in write order. */
    static final class Batch {
        final List<PacketBuilder> packets;
        final int[][] groups;
        final int offloads;

        Batch(List<PacketBuilder> packets, int offloads, int[][] groups) {
            this.packets = packets;
            this.groups = groups;
            this.offloads = offloads;
        }
    }

    /** Groups of consecutive packets: {@code runs(3, 1)} is {@code {{0, 1, 2}, {3}}}. */
    private static int[][] runs(int... sizes) {
        int[][] groups = new int[sizes.length][];
        for (int g = 0, next = 0; g < sizes.length; next += sizes[g], g++) {
            groups[g] = IntStream.range(next, next + sizes[g]).toArray();
        }
        return groups;
    }

    /** {@code n} packets of one TCP flow, continuing sequence numbers, 1000 payload bytes each, consecutive ids. */
    private static List<PacketBuilder> tcpRun(int version, int n, IntFunction<PacketBuilder> tweak) {
        List<PacketBuilder> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            PacketBuilder b = PacketBuilder.tcp(version).seq(1000 + i * 1000).id(100 + i)
                    .payload(pattern(1000, i));
            list.add(b);
        }
        if (tweak != null) {
            for (int i = 0; i < n; i++) {
                PacketBuilder t = tweak.apply(i);
                if (t != null) {
                    list.set(i, t);
                }
            }
        }
        return list;
    }

    private static PacketBuilder tcpAt(int version, int i) {
        return PacketBuilder.tcp(version).seq(1000 + i * 1000).id(100 + i).payload(pattern(1000, i));
    }

    private static List<PacketBuilder> udpRun(int version, int n, int size) {
        return udpRun(version, n, size, 7);
    }

    private static List<PacketBuilder> udpRun(int version, int n, int size, int firstId) {
        return IntStream.range(0, n).mapToObj(i -> PacketBuilder.udp(version).id(firstId + i)
                .payload(pattern(size, i))).collect(Collectors.toList());
    }

    private static Named<Batch> merges(String name, List<PacketBuilder> packets, int... runs) {
        return named(name, new Batch(packets, TunOffloads.DEFAULT, runs(runs)));
    }

    private static Named<Batch> merges(String name, int offloads, List<PacketBuilder> packets, int... runs) {
        return named(name, new Batch(packets, offloads, runs(runs)));
    }

    private static int[] ones(int n) {
        int[] a = new int[n];
        Arrays.fill(a, 1);
        return a;
    }

    static Stream<Named<Batch>> batches() {
        return Stream.of(
                // accept
                merges("TCPv4: a run of full segments becomes one super-packet", tcpRun(4, 4, null), 4),
                merges("TCPv6: the same", tcpRun(6, 4, null), 4),
                merges("a PSH segment is appended and closes the group",
                        tcpRun(4, 4, i -> i == 1 ? tcpAt(4, 1).flags(ACK | PSH) : null), 2, 2),
                merges("a short segment is appended and closes the group",
                        tcpRun(4, 4, i -> i == 1 ? tcpAt(4, 1).payload(pattern(500, 1))
                                : i > 1 ? tcpAt(4, i).seq(500 + i * 1000) : null), 2, 2),
                merges("a segment larger than the first is not appended",
                        tcpRun(4, 3, i -> i == 0 ? tcpAt(4, 0).payload(pattern(500, 0)).seq(1500) : null), 1, 2),
                named("two interleaved flows merge separately, groups in order of their first packet",
                        new Batch(interleaved(), TunOffloads.DEFAULT, new int[][] {{0, 2, 4}, {1, 3, 5}})),
                merges("TCP options byte-identical merge", tcpRun(4, 3, i -> tcpAt(4, i)
                        .tcpOptions(new byte[] {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8})), 3),
                merges("at most 64 segments", tcpRun(4, 66, i -> tcpAt(4, i).payload(pattern(100, i))
                        .seq(1000 + i * 100)), 64, 2),
                merges("at most 65535 bytes", tcpRun(6, 50, i -> tcpAt(6, i).payload(pattern(1400, i))
                        .seq(1000 + i * 1400)), 46, 4),
                merges("UDPv4 with USO: same-size datagrams merge, a short one closes the group",
                        concat(udpRun(4, 3, 1200, 7), udpRun(4, 1, 700, 10), udpRun(4, 2, 1200, 11)), 4, 2),
                merges("UDPv6 with USO", udpRun(6, 5, 1200), 5),
                // reject
                merges("UDP without USO is left alone", TunOffloads.REQUIRED, udpRun(4, 3, 1200), ones(3)),
                merges("TCP without TSO is left alone", TunOffloads.TUN_F_CSUM, tcpRun(4, 3, null), ones(3)),
                merges("IPv4 options are not coalesced",
                        tcpRun(4, 3, i -> tcpAt(4, i).ipv4Options(new byte[] {1, 1, 1, 0})), ones(3)),
                merges("IPv4 fragments are not coalesced",
                        tcpRun(4, 3, i -> tcpAt(4, i).fragment(0x2000)), ones(3)),
                merges("flags other than ACK or ACK|PSH are not coalesced", tcpRun(4, 5, i ->
                        tcpAt(4, i).flags(new int[] {ACK | TcpHeader.SYN, ACK | TcpHeader.FIN, ACK | TcpHeader.RST,
                                ACK | TcpHeader.URG, ACK | TcpHeader.ECE}[i])), ones(5)),
                merges("different ToS ends the group", tcpRun(4, 3, i -> i == 2 ? tcpAt(4, 2).tos(4) : null), 2, 1),
                merges("different TTL ends the group", tcpRun(4, 3, i -> i == 2 ? tcpAt(4, 2).ttl(3) : null), 2, 1),
                merges("different DF ends the group",
                        tcpRun(4, 3, i -> i == 2 ? tcpAt(4, 2).fragment(0) : null), 2, 1),
                merges("different IPv6 traffic class ends the group",
                        tcpRun(6, 3, i -> i == 2 ? tcpAt(6, 2).tos(8) : null), 2, 1),
                merges("different IPv6 hop limit ends the group",
                        tcpRun(6, 3, i -> i == 2 ? tcpAt(6, 2).ttl(9) : null), 2, 1),
                merges("different TCP options end the group", tcpRun(4, 3, i -> tcpAt(4, i)
                        .tcpOptions(new byte[] {1, 1, 8, 10, 0, 0, 0, (byte) (i == 2 ? 2 : 1), 0, 0, 0, 8})), 2, 1),
                merges("a sequence gap ends the group",
                        tcpRun(4, 3, i -> i == 2 ? tcpAt(4, 2).seq(3001) : null), 2, 1),
                merges("a different ACK number is another flow",
                        tcpRun(4, 3, i -> i == 1 ? tcpAt(4, 1).ack(78) : null), 1, 1, 1),
                merges("a different port is another flow",
                        tcpRun(4, 3, i -> i == 1 ? tcpAt(4, 1).source(new byte[] {10, 0, 0, 1}, 9) : null),
                        1, 1, 1),
                merges("a bad TCP checksum is not coalesced and ends the group",
                        tcpRun(4, 4, i -> i == 2 ? tcpAt(4, 2).corruptAt(60) : null), 2, 1, 1),
                merges("a bad IPv4 header checksum is not coalesced",
                        tcpRun(4, 3, i -> i == 1 ? tcpAt(4, 1).corruptAt(10) : null), 1, 1, 1),
                merges("a pure ACK (no payload) is not coalesced",
                        tcpRun(4, 3, i -> i == 2 ? tcpAt(4, 2).payload(new byte[0]) : null), 2, 1),
                merges("an IPv4 UDP datagram without checksum is not coalesced",
                        udpRun(4, 3, 1200).stream().map(b -> b.udpChecksum(false)).collect(Collectors.toList()),
                        ones(3)));
    }

    private static List<PacketBuilder> interleaved() {
        List<PacketBuilder> list = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            list.add(tcpAt(4, i));
            list.add(tcpAt(4, i).source(new byte[] {10, 0, 0, 3}, 41000));
        }
        return list;
    }

    @SafeVarargs
    private static List<PacketBuilder> concat(List<PacketBuilder>... lists) {
        return Stream.of(lists).flatMap(List::stream).collect(Collectors.toList());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("batches")
    void coalesces(Batch batch) {
        TunGroCoalescer coalescer = new TunGroCoalescer(batch.offloads, TunGroCoalescer.DEFAULT_MAX_PENDING);
        EmbeddedChannel channel = new EmbeddedChannel(coalescer);
        List<byte[]> in = new ArrayList<>();
        for (PacketBuilder b : batch.packets) {
            ByteBuf buf = b.build(PooledByteBufAllocator.DEFAULT);
            in.add(ByteBufUtil.getBytes(buf));
            channel.write(buf);
        }
        channel.flush();
        for (int g = 0; g < batch.groups.length; g++) {
            Object out = channel.readOutbound();
            List<byte[]> expected = IntStream.of(batch.groups[g]).mapToObj(in::get).collect(Collectors.toList());
            if (expected.size() == 1) {
                assertInstanceOf(ByteBuf.class, out, "group " + g + " is a single packet, written as it came");
                assertArrayEquals(expected.get(0), drain((ByteBuf) out), "group " + g);
            } else {
                assertInstanceOf(TunPacket.class, out, "group " + g);
                assertSuperPacket((TunPacket) out, expected, "group " + g);
            }
        }
        assertNull(channel.readOutbound(), "more writes than groups");
        assertEquals(batch.packets.size(), coalescer.packetsIn());
        assertEquals(batch.groups.length, coalescer.writesOut());
        assertFalse(channel.finish());
    }

    /** Checks a super-packet's virtio header and fields, then segments it and compares with what went in. */
    static void assertSuperPacket(TunPacket packet, List<byte[]> expected, String what) {
        VirtioNetHeader h = packet.header();
        ByteBuf ip = packet.content();
        int version = ip.getUnsignedByte(ip.readerIndex()) >>> 4;
        int ipLength = version == 4 ? 20 : 40;
        boolean tcp = ip.getUnsignedByte(ip.readerIndex() + (version == 4 ? 9 : 6)) == 6;
        int headerLength = ipLength + (tcp ? (ip.getUnsignedByte(ip.readerIndex() + ipLength + 12) >>> 4) * 4 : 8);
        int total = expected.stream().mapToInt(b -> b.length - headerLength).sum() + headerLength;
        assertEquals(VirtioNetHeader.F_NEEDS_CSUM, h.flags(), what);
        assertEquals(tcp ? (version == 4 ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_TCPV6)
                : VirtioNetHeader.GSO_UDP_L4, h.gsoType(), what);
        assertEquals(headerLength, h.hdrLen(), what);
        assertEquals(expected.get(0).length - headerLength, h.gsoSize(), what);
        assertEquals(ipLength, h.csumStart(), what);
        assertEquals(tcp ? 16 : 6, h.csumOffset(), what);
        assertEquals(total, ip.readableBytes(), what);
        int start = ip.readerIndex();
        if (version == 4) {
            assertEquals(total, ip.getUnsignedShort(start + 2), what + ": IPv4 total length");
            assertEquals(0xffff, InternetChecksum.sum(ip, start, 20), what + ": IPv4 header checksum");
        } else {
            assertEquals(total - 40, ip.getUnsignedShort(start + 4), what + ": IPv6 payload length");
        }
        int pseudo = version == 4 ? InternetChecksum.pseudoHeaderSumIpv4(ip, start, tcp ? 6 : 17, total - ipLength)
                : InternetChecksum.pseudoHeaderSumIpv6(ip, start, tcp ? 6 : 17, total - ipLength);
        assertEquals(pseudo, ip.getUnsignedShort(start + ipLength + (tcp ? 16 : 6)),
                what + ": checksum field holds the pseudo-header sum");

        EmbeddedChannel segmenter = new EmbeddedChannel(new TunGsoSegmenter());
        segmenter.writeInbound(packet);
        for (int i = 0; i < expected.size(); i++) {
            ByteBuf segment = segmenter.readInbound();
            assertArrayEquals(expected.get(i), drain(segment), what + ": segment " + i + " differs from its original");
        }
        assertNull(segmenter.readInbound(), what + ": more segments than packets");
        assertFalse(segmenter.finish());
    }

    // ------------------------------------------------------------------------------------------------- other

    @Test
    void promisesCompleteWithTheWriteThatCarriesThem() {
        EmbeddedChannel channel = new EmbeddedChannel(new TunGroCoalescer(TunOffloads.DEFAULT, 1024));
        List<ChannelFuture> futures = new ArrayList<>();
        for (PacketBuilder b : tcpRun(4, 3, null)) {
            futures.add(channel.write(b.build(PooledByteBufAllocator.DEFAULT)));
        }
        channel.write(tcpAt(6, 0).build(PooledByteBufAllocator.DEFAULT), channel.voidPromise());
        futures.forEach(f -> assertFalse(f.isDone(), "held until the flush"));
        channel.flush();
        futures.forEach(f -> assertTrue(f.isSuccess()));
        releaseAll(channel);
        assertFalse(channel.finish());
    }

    @Test
    void aFailedSuperPacketWriteFailsEveryPromiseInIt() {
        IOException refused = new IOException("refused");
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ReferenceCountUtil.release(msg);
                promise.setFailure(refused);
            }
        }, new TunGroCoalescer(TunOffloads.DEFAULT, 1024));
        List<ChannelFuture> futures = new ArrayList<>();
        for (PacketBuilder b : tcpRun(4, 3, null)) {
            futures.add(channel.write(b.build(PooledByteBufAllocator.DEFAULT)));
        }
        channel.flush();
        futures.forEach(f -> assertSame(refused, f.cause()));
        assertFalse(channel.finish());
    }

    @Test
    void anOffloadPacketInTheBatchIsABarrier() {
        TunGroCoalescer coalescer = new TunGroCoalescer(TunOffloads.DEFAULT, 1024);
        EmbeddedChannel channel = new EmbeddedChannel(coalescer);
        List<PacketBuilder> run = tcpRun(4, 4, null);
        channel.write(run.get(0).build(PooledByteBufAllocator.DEFAULT));
        channel.write(run.get(1).build(PooledByteBufAllocator.DEFAULT));
        TunPacket offload = SuperPackets.of(PacketBuilder.tcp(6).payload(pattern(3000, 1)), 1000);
        channel.write(offload);
        channel.write(run.get(2).build(PooledByteBufAllocator.DEFAULT));
        channel.write(run.get(3).build(PooledByteBufAllocator.DEFAULT));
        channel.flush();
        assertSuperPacket(channel.readOutbound(), List.of(run.get(0).bytes(), run.get(1).bytes()), "before");
        assertSame(offload, channel.readOutbound());
        offload.release();
        assertSuperPacket(channel.readOutbound(), List.of(run.get(2).bytes(), run.get(3).bytes()), "after");
        assertFalse(channel.finish());
    }

    @Test
    void switchedOffEverythingPassesThrough() {
        TunGroCoalescer coalescer = new TunGroCoalescer(TunOffloads.DEFAULT, 1024).setEnabled(false);
        EmbeddedChannel channel = new EmbeddedChannel(coalescer);
        List<ByteBuf> written = new ArrayList<>();
        for (PacketBuilder b : tcpRun(4, 3, null)) {
            ByteBuf buf = b.build(PooledByteBufAllocator.DEFAULT);
            written.add(buf);
            channel.write(buf);
        }
        channel.flush();
        for (ByteBuf buf : written) {
            ByteBuf out = channel.readOutbound();
            assertSame(buf, out);
            out.release();
        }
        assertEquals(0, coalescer.packetsIn());
        assertFalse(channel.finish());
    }

    @Test
    void aFullBatchIsWrittenWithoutWaitingForTheFlush() {
        List<Object> passed = new ArrayList<>();
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                passed.add(msg);
                ctx.write(msg, promise);
            }
        }, new TunGroCoalescer(TunOffloads.DEFAULT, 4));
        List<PacketBuilder> run = tcpRun(4, 6, null);
        for (int i = 0; i < run.size(); i++) {
            channel.write(run.get(i).build(PooledByteBufAllocator.DEFAULT));
            assertEquals(i < 3 ? 0 : 1, passed.size(), "after packet " + i);
        }
        channel.flush();
        assertEquals(2, passed.size());
        assertSuperPacket(channel.readOutbound(), List.of(run.get(0).bytes(), run.get(1).bytes(), run.get(2).bytes(),
                run.get(3).bytes()), "first batch");
        assertSuperPacket(channel.readOutbound(), List.of(run.get(4).bytes(), run.get(5).bytes()), "second batch");
        assertFalse(channel.finish());
    }

    @Test
    void closingWritesWhatIsHeld() {
        EmbeddedChannel channel = new EmbeddedChannel(new TunGroCoalescer(TunOffloads.DEFAULT, 1024));
        ChannelFuture f = channel.write(tcpAt(4, 0).build(PooledByteBufAllocator.DEFAULT));
        channel.close();
        assertTrue(f.isDone(), "the held packet was handed on before the close");
        releaseAll(channel);
        assertFalse(channel.finish());
    }

    private static void releaseAll(EmbeddedChannel channel) {
        for (Object o; (o = channel.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
    }
}

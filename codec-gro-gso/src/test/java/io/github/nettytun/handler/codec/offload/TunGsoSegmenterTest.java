/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.codec.offload;

import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.channel.tun.VirtioNetHeader;
import io.github.nettytun.handler.codec.offload.TunGsoSegmenter.DropReason;
import io.github.nettytun.testing.PacketBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static io.github.nettytun.handler.codec.offload.SuperPackets.drain;
import static io.github.nettytun.handler.codec.offload.SuperPackets.expectedSegments;
import static io.github.nettytun.testing.TestPackets.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Named.named;

/** One named case per segmentation rule of DESIGN section 6, each on an {@link EmbeddedChannel}. */
class TunGsoSegmenterTest {

    private static final int ACK = TcpHeader.ACK;
    private static final int PSH = TcpHeader.PSH;
    private static final int FIN = TcpHeader.FIN;
    private static final int CWR = TcpHeader.CWR;

    /** An accepted super-packet: the input, and the segments it must become. */
    static final class Split {
        final Supplier<TunPacket> input;
        final List<byte[]> expected;

        Split(Supplier<TunPacket> input, List<byte[]> expected) {
            this.input = input;
            this.expected = expected;
        }
    }

    private static Split tcp(int version, byte[] payload, int gsoSize, int flags, IntFunction<PacketBuilder> base) {
        int last = Math.max(1, (payload.length + gsoSize - 1) / gsoSize) - 1;
        return new Split(() -> SuperPackets.of(base.apply(0).flags(flags).payload(payload), gsoSize),
                expectedSegments(payload, gsoSize, i -> {
                    int f = flags;
                    if (i != last) {
                        f &= ~(FIN | PSH);
                    }
                    if (i != 0) {
                        f &= ~CWR;
                    }
                    return base.apply(i).flags(f);
                }));
    }

    private static IntFunction<PacketBuilder> tcpSegments(int version, int seq, int id) {
        return i -> PacketBuilder.tcp(version).seq(seq + i * 1000).id((id + i) & 0xffff);
    }

    static Stream<Named<Split>> accepted() {
        byte[] p = pattern(4500, 1);
        return Stream.of(
                named("TCPv4 splits into gso_size segments, the last shorter; seq and IPv4 id advance",
                        tcp(4, p, 1000, ACK, tcpSegments(4, 5000, 7))),
                named("TCPv6 splits the same way, payload length rewritten",
                        tcp(6, p, 1000, ACK, tcpSegments(6, 5000, 7))),
                named("FIN and PSH stay on the last segment only, CWR on the first only",
                        tcp(4, p, 1000, ACK | PSH | FIN | CWR, tcpSegments(4, 1, 1))),
                named("a payload that is an exact multiple of gso_size has no short segment",
                        tcp(4, pattern(3000, 2), 1000, ACK, tcpSegments(4, 9, 9))),
                named("a payload within gso_size gives one packet with full checksums",
                        tcp(6, pattern(700, 3), 1000, ACK | PSH, tcpSegments(6, 9, 9))),
                named("the IPv4 identification wraps at 65536",
                        tcp(4, p, 1000, ACK, tcpSegments(4, 0, 0xfffe))),
                named("the sequence number wraps at 2^32",
                        tcp(4, p, 1000, ACK, tcpSegments(4, -1500, 3))),
                named("TCP options are copied into every segment",
                        tcp(4, p, 1000, ACK, i -> tcpSegments(4, 1, 1).apply(i)
                                .tcpOptions(new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}))),
                named("UDPv4 (USO) splits into datagrams with their own length and checksum",
                        udp(4, p, 1200)),
                named("UDPv6 (USO) splits the same way", udp(6, p, 1200)),
                named("hdr_len is not trusted: the whole first packet's length there changes nothing",
                        withHdrLen(tcp(4, p, 1000, ACK, tcpSegments(4, 5, 5)), 1040)),
                named("hdr_len of 0 changes nothing either",
                        withHdrLen(tcp(6, p, 1000, ACK, tcpSegments(6, 5, 5)), 0)),
                named("the ECN bit of gso_type is accepted for TCP",
                        withGsoType(tcp(4, p, 1000, ACK | CWR, tcpSegments(4, 5, 5)),
                                VirtioNetHeader.GSO_TCPV4 | VirtioNetHeader.GSO_ECN)));
    }

    private static Split udp(int version, byte[] payload, int gsoSize) {
        return new Split(() -> SuperPackets.of(PacketBuilder.udp(version).id(40).payload(payload), gsoSize),
                expectedSegments(payload, gsoSize, i -> PacketBuilder.udp(version).id(40 + i)));
    }

    private static Split withHdrLen(Split s, int hdrLen) {
        return new Split(() -> {
            TunPacket in = s.input.get();
            VirtioNetHeader h = in.header();
            return new TunPacket(in.content(), VirtioNetHeader.of(h.flags(), h.gsoType(), hdrLen, h.gsoSize(),
                    h.csumStart(), h.csumOffset()));
        }, s.expected);
    }

    private static Split withGsoType(Split s, int gsoType) {
        return new Split(() -> {
            TunPacket in = s.input.get();
            VirtioNetHeader h = in.header();
            return new TunPacket(in.content(), VirtioNetHeader.of(h.flags(), gsoType, h.hdrLen(), h.gsoSize(),
                    h.csumStart(), h.csumOffset()));
        }, s.expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accepted")
    void segments(Split split) {
        TunGsoSegmenter segmenter = new TunGsoSegmenter();
        EmbeddedChannel channel = new EmbeddedChannel(segmenter);
        channel.writeInbound(split.input.get());
        List<byte[]> out = new ArrayList<>();
        for (ByteBuf b; (b = channel.readInbound()) != null; ) {
            assertTrue(PacketBuilder.checksumsVerify(b), "checksums of segment " + out.size());
            out.add(drain(b));
        }
        assertEquals(split.expected.size(), out.size(), "segments");
        for (int i = 0; i < out.size(); i++) {
            assertArrayEquals(split.expected.get(i), out.get(i), "segment " + i);
        }
        assertEquals(1, segmenter.superPackets());
        assertEquals(out.size(), segmenter.segments());
        assertEquals(0, segmenter.dropped());
        assertFalse(channel.finish());
    }

    // ------------------------------------------------------------------------------------------------ rejects

    /** A rejected packet and the reason it must be counted under. */
    static final class Reject {
        final Supplier<TunPacket> input;
        final DropReason reason;

        Reject(Supplier<TunPacket> input, DropReason reason) {
            this.input = input;
            this.reason = reason;
        }
    }

    private static Named<Reject> reject(String name, DropReason reason, Supplier<TunPacket> input) {
        return named(name + " -> " + reason, new Reject(input, reason));
    }

    private static TunPacket tcpSuper(int version) {
        return SuperPackets.of(PacketBuilder.tcp(version).payload(pattern(3000, 4)), 1000);
    }

    private static TunPacket udpSuper(int version) {
        return SuperPackets.of(PacketBuilder.udp(version).payload(pattern(3000, 4)), 1000);
    }

    /** {@code packet} with one virtio field replaced: 0 flags, 1 gsoType, 2 hdrLen, 3 gsoSize, 4 start, 5 offset. */
    private static TunPacket with(TunPacket packet, int field, int value) {
        VirtioNetHeader h = packet.header();
        int[] f = {h.flags(), h.gsoType(), h.hdrLen(), h.gsoSize(), h.csumStart(), h.csumOffset()};
        f[field] = value;
        return new TunPacket(packet.content(), VirtioNetHeader.of(f[0], f[1], f[2], f[3], f[4], f[5]));
    }

    private static TunPacket truncate(TunPacket packet, int length) {
        packet.content().writerIndex(length);
        return packet;
    }

    private static TunPacket poke(TunPacket packet, int index, int value) {
        packet.content().setByte(index, value);
        return packet;
    }

    static Stream<Named<Reject>> rejected() {
        return Stream.of(
                reject("legacy UFO (gso_type UDP)", DropReason.UNSUPPORTED_GSO_TYPE,
                        () -> with(udpSuper(4), 1, VirtioNetHeader.GSO_UDP)),
                reject("an unknown gso_type", DropReason.UNSUPPORTED_GSO_TYPE, () -> with(tcpSuper(4), 1, 9)),
                reject("UDP_L4 with the ECN bit", DropReason.UNSUPPORTED_GSO_TYPE,
                        () -> with(udpSuper(4), 1, VirtioNetHeader.GSO_UDP_L4 | VirtioNetHeader.GSO_ECN)),
                reject("TCPV4 on an IPv6 packet", DropReason.IP_VERSION,
                        () -> with(tcpSuper(6), 1, VirtioNetHeader.GSO_TCPV4)),
                reject("TCPV6 on an IPv4 packet", DropReason.IP_VERSION,
                        () -> with(tcpSuper(4), 1, VirtioNetHeader.GSO_TCPV6)),
                reject("IP version 5", DropReason.IP_VERSION, () -> poke(tcpSuper(4), 0, 0x55)),
                reject("gso_size 0", DropReason.GSO_SIZE, () -> with(tcpSuper(4), 3, 0)),
                reject("csum_start short of the IPv4 header's end", DropReason.TRANSPORT_HEADER,
                        () -> with(tcpSuper(4), 4, 16)),
                reject("csum_start beyond the IPv6 header", DropReason.TRANSPORT_HEADER,
                        () -> with(tcpSuper(6), 4, 48)),
                reject("a TCP gso_type on a UDP packet", DropReason.TRANSPORT_HEADER,
                        () -> with(udpSuper(4), 1, VirtioNetHeader.GSO_TCPV4)),
                reject("IPv4 header length below 20 (IHL 4)", DropReason.TRANSPORT_HEADER,
                        () -> with(poke(tcpSuper(4), 0, 0x44), 4, 16)),
                reject("TCP header length below 20 (data offset 4)", DropReason.TCP_HEADER_LENGTH,
                        () -> poke(tcpSuper(4), 20 + 12, 0x40)),
                reject("TCP header length 0", DropReason.TCP_HEADER_LENGTH, () -> poke(tcpSuper(6), 40 + 12, 0)),
                reject("TCP header of 60 bytes running past the packet's end", DropReason.TRUNCATED,
                        () -> truncate(poke(tcpSuper(4), 20 + 12, 0xf0), 70)),
                reject("packet ends inside the TCP header", DropReason.TRUNCATED, () -> truncate(tcpSuper(4), 30)),
                reject("packet ends inside the UDP header", DropReason.TRUNCATED, () -> truncate(udpSuper(6), 45)),
                reject("packet ends inside the IPv4 header", DropReason.TRUNCATED, () -> truncate(tcpSuper(4), 12)),
                reject("empty packet", DropReason.TRUNCATED, () -> truncate(tcpSuper(4), 0)),
                reject("csum_offset not the TCP checksum", DropReason.CSUM_OFFSET, () -> with(tcpSuper(4), 5, 6)),
                reject("csum_offset not the UDP checksum", DropReason.CSUM_OFFSET, () -> with(udpSuper(6), 5, 16)),
                reject("NEEDS_CSUM without GSO whose checksum field lies past the end", DropReason.CSUM_OFFSET,
                        () -> new TunPacket(PacketBuilder.udp(4).build(PooledByteBufAllocator.DEFAULT),
                                VirtioNetHeader.of(VirtioNetHeader.F_NEEDS_CSUM, 0, 0, 0, 20, 8))),
                reject("longer than 65535 bytes", DropReason.TOO_LONG, () -> {
                    TunPacket p = tcpSuper(4);
                    p.content().writeZero(65536 - p.content().readableBytes());
                    return p;
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejected")
    void drops(Reject reject) {
        TunGsoSegmenter segmenter = new TunGsoSegmenter();
        EmbeddedChannel channel = new EmbeddedChannel(segmenter);
        TunPacket input = reject.input.get();
        channel.writeInbound(input);
        assertNull(channel.readInbound(), "nothing passed on");
        assertEquals(0, input.refCnt(), "released");
        assertEquals(1, segmenter.dropped(reject.reason), segmenter.toString());
        assertEquals(1, segmenter.dropped(), segmenter.toString());
        assertFalse(channel.finish());
    }

    // ------------------------------------------------------------------------------------- without segmentation

    @ParameterizedTest(name = "IPv{0} {1}")
    @MethodSource("checksumCases")
    void needsCsumWithoutGsoGetsItsChecksumCompleted(int version, boolean tcp) {
        PacketBuilder b = (tcp ? PacketBuilder.tcp(version) : PacketBuilder.udp(version)).payload(pattern(333, 5));
        byte[] expected = b.bytes();
        TunPacket in = SuperPackets.of(b, 1500);
        VirtioNetHeader h = in.header();
        in = new TunPacket(in.content(), VirtioNetHeader.of(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_NONE,
                0, 0, h.csumStart(), h.csumOffset()));
        TunGsoSegmenter segmenter = new TunGsoSegmenter();
        EmbeddedChannel channel = new EmbeddedChannel(segmenter);
        channel.writeInbound(in);
        assertArrayEquals(expected, drain(channel.readInbound()));
        assertEquals(1, segmenter.checksumsCompleted());
        assertFalse(channel.finish());
    }

    static Stream<Object[]> checksumCases() {
        return Stream.of(new Object[] {4, true}, new Object[] {6, true}, new Object[] {4, false},
                new Object[] {6, false});
    }

    @Test
    void aUdpChecksumThatComputesToZeroIsSentAsAllOnes() {
        // Pick the two payload bytes that make the one's complement sum all ones, so the checksum computes to 0.
        byte[] zero = PacketBuilder.udp(4).payload(new byte[2]).bytes();
        int sum = ~(((zero[26] & 0xff) << 8) | (zero[27] & 0xff)) & 0xffff; // the checksum field is ~sum
        int word = 0xffff - sum;
        PacketBuilder b = PacketBuilder.udp(4).payload(new byte[] {(byte) (word >>> 8), (byte) word});
        byte[] bytes = b.bytes();
        assertEquals(0xffff, ((bytes[26] & 0xff) << 8) | (bytes[27] & 0xff), "the sender's checksum is all ones");
        TunPacket in = SuperPackets.of(b, 1500);
        in = new TunPacket(in.content(), VirtioNetHeader.of(VirtioNetHeader.F_NEEDS_CSUM, 0, 0, 0, 20, 6));
        EmbeddedChannel channel = new EmbeddedChannel(new TunGsoSegmenter());
        channel.writeInbound(in);
        assertArrayEquals(bytes, drain(channel.readInbound()));
        assertFalse(channel.finish());
    }

    @Test
    void packetsWithoutOffloadPassThroughUntouched() {
        TunGsoSegmenter segmenter = new TunGsoSegmenter();
        EmbeddedChannel channel = new EmbeddedChannel(segmenter);
        ByteBuf plain = PacketBuilder.tcp(4).payload(pattern(100, 6)).build(PooledByteBufAllocator.DEFAULT);
        ByteBuf valid = PacketBuilder.udp(6).payload(pattern(100, 7)).build(PooledByteBufAllocator.DEFAULT);
        byte[] plainBytes = ByteBufUtil.getBytes(plain);
        byte[] validBytes = ByteBufUtil.getBytes(valid);
        Object other = "not a packet";
        channel.writeInbound(new TunPacket(plain), new TunPacket(valid, VirtioNetHeader.DATA_VALID), other);
        ByteBuf first = channel.readInbound();
        assertSame(plain, first);
        assertArrayEquals(plainBytes, drain(first));
        ByteBuf second = channel.readInbound();
        assertSame(valid, second);
        assertArrayEquals(validBytes, drain(second));
        assertSame(other, channel.readInbound());
        assertEquals(2, segmenter.passedThrough());
        assertFalse(channel.finish());
    }

    @Test
    void segmentsShareTheSuperPacketsMemory() {
        EmbeddedChannel channel = new EmbeddedChannel(new TunGsoSegmenter());
        TunPacket in = tcpSuper(4);
        ByteBuf content = in.content();
        channel.writeInbound(in);
        List<ByteBuf> segments = new ArrayList<>();
        for (ByteBuf b; (b = channel.readInbound()) != null; ) {
            segments.add(b);
        }
        assertEquals(3, segments.size());
        assertTrue(content.refCnt() > 0, "held by the segments");
        // A payload byte changed in the super-packet shows in the segment: a slice, not a copy.
        int inSecond = 40 + 1000 + 10;
        content.setByte(inSecond, content.getByte(inSecond) ^ 0xff);
        assertEquals(content.getByte(inSecond), segments.get(1).getByte(40 + 10));
        segments.forEach(ByteBuf::release);
        assertEquals(0, content.refCnt(), "freed with the last segment");
        assertFalse(channel.finish());
    }

    @Test
    void countersAddUp() {
        TunGsoSegmenter segmenter = new TunGsoSegmenter();
        EmbeddedChannel channel = new EmbeddedChannel(segmenter);
        channel.writeInbound(tcpSuper(4), udpSuper(6), with(tcpSuper(4), 3, 0),
                new TunPacket(PacketBuilder.tcp(4).build(PooledByteBufAllocator.DEFAULT)));
        int n = 0;
        for (Object o; (o = channel.readInbound()) != null; n++) {
            ((ByteBuf) o).release();
        }
        assertEquals(4, segmenter.packetsIn());
        assertEquals(2, segmenter.superPackets());
        assertEquals(6, segmenter.segments());
        assertEquals(1, segmenter.passedThrough());
        assertEquals(1, segmenter.dropped(DropReason.GSO_SIZE));
        assertEquals(7, n);
        assertEquals(n, segmenter.packetsOut());
        assertTrue(segmenter.toString().contains("GSO_SIZE=1"), segmenter.toString());
        assertFalse(channel.finish());
    }
}

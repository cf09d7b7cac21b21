/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.ping;

import io.github.nettytun.channel.tun.InternetChecksum;
import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.channel.tun.VirtioNetHeader;
import io.github.nettytun.testing.TestPackets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class IcmpEchoResponderTest {

    private static final InetAddress HOST4 = address("10.99.0.1");
    private static final InetAddress PEER4 = address("10.99.0.2");
    private static final InetAddress HOST6 = address("fd99::1");
    private static final InetAddress PEER6 = address("fd99::2");

    @Test
    void answersAnIpv4EchoRequestInPlace() {
        IcmpEchoResponder responder = new IcmpEchoResponder();
        EmbeddedChannel channel = new EmbeddedChannel(responder);
        ByteBuf request = echoRequest4(56);
        byte[] payload = ByteBufUtil.getBytes(request, 28, 56);

        assertFalse(channel.writeInbound(new TunPacket(request)));

        TunPacket reply = channel.readOutbound();
        try {
            ByteBuf ip = reply.content();
            assertSame(request, ip, "the reply reuses the request's buffer");
            assertSame(VirtioNetHeader.NONE, reply.header());
            assertEquals(PEER4, TestPackets.source(ip));
            assertEquals(HOST4, TestPackets.destination(ip));
            assertEquals(0, ip.getUnsignedByte(20), "type: echo reply");
            assertEquals(0xffff, InternetChecksum.sum(ip, 0, 20), "IPv4 header checksum");
            assertEquals(0xffff, InternetChecksum.sum(ip, 20, ip.readableBytes() - 20), "ICMP checksum");
            assertEquals(0x4242, ip.getUnsignedShort(24), "identifier kept");
            assertArrayEquals(payload, ByteBufUtil.getBytes(ip, 28, 56));
        } finally {
            reply.release();
        }
        assertEquals(1, responder.answered());
        assertFalse(channel.finish());
    }

    @Test
    void answersAnIpv6EchoRequestInPlace() {
        IcmpEchoResponder responder = new IcmpEchoResponder();
        EmbeddedChannel channel = new EmbeddedChannel(responder);
        assertFalse(channel.writeInbound(new TunPacket(echoRequest6(33))));

        TunPacket reply = channel.readOutbound();
        try {
            ByteBuf ip = reply.content();
            assertEquals(PEER6, TestPackets.source(ip));
            assertEquals(HOST6, TestPackets.destination(ip));
            assertEquals(129, ip.getUnsignedByte(40), "type: echo reply");
            int length = ip.readableBytes() - 40;
            assertEquals(0xffff, InternetChecksum.add(InternetChecksum.pseudoHeaderSumIpv6(ip, 0, 58, length),
                    InternetChecksum.sum(ip, 40, length)), "ICMPv6 checksum with the pseudo-header");
        } finally {
            reply.release();
        }
        assertEquals(1, responder.answered());
        assertFalse(channel.finish());
    }

    /** Everything that is not a plain echo request goes on down the pipeline untouched. */
    static Stream<Arguments> notAnswered() {
        return Stream.of(
                Arguments.of("UDP", (Consumer<ByteBuf>) null, udp()),
                Arguments.of("echo reply", (Consumer<ByteBuf>) ip -> ip.setByte(20, 0), echoRequest4(8)),
                Arguments.of("ICMP code not 0", (Consumer<ByteBuf>) ip -> ip.setByte(21, 1), echoRequest4(8)),
                Arguments.of("IPv4 options", (Consumer<ByteBuf>) ip -> ip.setByte(0, 0x46), echoRequest4(8)),
                Arguments.of("fragment", (Consumer<ByteBuf>) ip -> ip.setShort(6, 0x2000), echoRequest4(8)),
                Arguments.of("length mismatch", (Consumer<ByteBuf>) ip -> ip.setShort(2, 100), echoRequest4(8)),
                Arguments.of("too short", (Consumer<ByteBuf>) ip -> ip.writerIndex(27), echoRequest4(8)),
                Arguments.of("empty", (Consumer<ByteBuf>) ip -> ip.writerIndex(0), echoRequest4(8)),
                Arguments.of("not IP", (Consumer<ByteBuf>) ip -> ip.setByte(0, 0x15), echoRequest4(8)),
                Arguments.of("IPv6 multicast", (Consumer<ByteBuf>) ip -> ip.setByte(24, 0xff), echoRequest6(8)),
                Arguments.of("IPv6 extension header", (Consumer<ByteBuf>) ip -> ip.setByte(6, 0), echoRequest6(8)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notAnswered")
    void passesOnWhatItDoesNotAnswer(String name, Consumer<ByteBuf> mutation, ByteBuf ip) {
        if (mutation != null) {
            mutation.accept(ip);
        }
        byte[] before = ByteBufUtil.getBytes(ip);
        IcmpEchoResponder responder = new IcmpEchoResponder();
        EmbeddedChannel channel = new EmbeddedChannel(responder);
        TunPacket packet = new TunPacket(ip);

        channel.writeInbound(packet);

        TunPacket passed = channel.readInbound();
        try {
            assertSame(packet, passed);
            assertArrayEquals(before, ByteBufUtil.getBytes(passed.content()), "modified although not answered");
        } finally {
            ReferenceCountUtil.release(passed);
        }
        assertNull(channel.readOutbound());
        assertEquals(0, responder.answered());
        assertFalse(channel.finish());
    }

    @Test
    void superPacketsAndPlainBuffersArePassedOn() {
        EmbeddedChannel channel = new EmbeddedChannel(new IcmpEchoResponder());
        TunPacket gso = new TunPacket(echoRequest4(8), VirtioNetHeader.of(1, VirtioNetHeader.GSO_TCPV4, 40, 1000, 20, 16));
        ByteBuf plain = echoRequest4(8);
        channel.writeInbound(gso, plain);
        assertSame(gso, channel.readInbound());
        assertSame(plain, channel.readInbound());
        gso.release();
        plain.release();
        assertFalse(channel.finish());
    }

    private static ByteBuf udp() {
        return TestPackets.udp(PooledByteBufAllocator.DEFAULT, HOST4, 1000, PEER4, 2000, new byte[10]);
    }

    /** An ICMP echo request from HOST4 to PEER4, as the kernel's ping would send it. */
    static ByteBuf echoRequest4(int payloadLength) {
        int length = 28 + payloadLength;
        ByteBuf ip = PooledByteBufAllocator.DEFAULT.directBuffer(length);
        ip.writeByte(0x45).writeByte(0).writeShort(length).writeShort(7).writeShort(0x4000)
                .writeByte(64).writeByte(1).writeShort(0).writeBytes(HOST4.getAddress()).writeBytes(PEER4.getAddress());
        ip.setShort(10, InternetChecksum.checksum(ip, 0, 20));
        ip.writeByte(8).writeByte(0).writeShort(0).writeShort(0x4242).writeShort(1)
                .writeBytes(TestPackets.pattern(payloadLength, 5));
        ip.setShort(22, InternetChecksum.checksum(ip, 20, length - 20));
        return ip;
    }

    /** An ICMPv6 echo request from HOST6 to PEER6. */
    static ByteBuf echoRequest6(int payloadLength) {
        int icmpLength = 8 + payloadLength;
        ByteBuf ip = PooledByteBufAllocator.DEFAULT.directBuffer(40 + icmpLength);
        ip.writeInt(0x60000000).writeShort(icmpLength).writeByte(58).writeByte(64)
                .writeBytes(HOST6.getAddress()).writeBytes(PEER6.getAddress());
        ip.writeByte(128).writeByte(0).writeShort(0).writeShort(0x4242).writeShort(1)
                .writeBytes(TestPackets.pattern(payloadLength, 6));
        int sum = InternetChecksum.add(InternetChecksum.pseudoHeaderSumIpv6(ip, 0, 58, icmpLength),
                InternetChecksum.sum(ip, 40, icmpLength));
        ip.setShort(42, InternetChecksum.finish(sum));
        return ip;
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}

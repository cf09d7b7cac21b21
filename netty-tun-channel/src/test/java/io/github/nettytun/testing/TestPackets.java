/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import io.github.nettytun.channel.tun.InternetChecksum;
import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.channel.tun.VirtioNetHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Hand-built IP packets for tests, and the few parsers tests need to look into packets read from a TUN.
 * Field offsets follow RFC 791 (IPv4), RFC 8200 (IPv6) and RFC 768 (UDP).
 */
public final class TestPackets {

    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;

    private TestPackets() {
    }

    /** A complete IPv4 or IPv6 UDP packet with correct checksums. */
    public static ByteBuf udp(ByteBufAllocator alloc, InetAddress src, int srcPort, InetAddress dst, int dstPort,
                              byte[] payload) {
        ByteBuf buf = ipAndUdpHeader(alloc, src, srcPort, dst, dstPort, payload.length);
        int udp = buf.writerIndex() - 8;
        buf.writeBytes(payload);
        int sum = InternetChecksum.add(pseudoSum(buf, udp, 8 + payload.length),
                InternetChecksum.sum(buf, udp, 8 + payload.length));
        int check = InternetChecksum.finish(sum);
        buf.setShort(udp + 6, check == 0 ? 0xffff : check);
        return buf;
    }

    /**
     * A UDP super-packet for a TUN device with USO: one IP/UDP header over the whole payload, and a virtio
     * header asking the kernel to cut it into datagrams of {@code segmentSize} payload bytes. As the
     * virtio-net spec has it, the UDP checksum field holds the pseudo-header sum (not complemented) and the
     * kernel completes the checksum of every segment.
     */
    public static TunPacket udpSuperPacket(ByteBufAllocator alloc, InetAddress src, int srcPort, InetAddress dst,
                                           int dstPort, byte[] payload, int segmentSize) {
        ByteBuf buf = ipAndUdpHeader(alloc, src, srcPort, dst, dstPort, payload.length);
        int udp = buf.writerIndex() - 8;
        buf.writeBytes(payload);
        buf.setShort(udp + 6, pseudoSum(buf, udp, 8 + payload.length));
        VirtioNetHeader header = VirtioNetHeader.of(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_UDP_L4,
                udp + 8, segmentSize, udp, 6);
        return new TunPacket(buf, header);
    }

    private static ByteBuf ipAndUdpHeader(ByteBufAllocator alloc, InetAddress src, int srcPort, InetAddress dst,
                                          int dstPort, int payloadLength) {
        boolean v4 = src instanceof Inet4Address;
        if (v4 != dst instanceof Inet4Address) {
            throw new IllegalArgumentException("mixed address families: " + src + " -> " + dst);
        }
        int udpLength = 8 + payloadLength;
        ByteBuf buf = alloc.directBuffer((v4 ? 20 : 40) + udpLength);
        if (v4) {
            buf.writeByte(0x45).writeByte(0).writeShort(20 + udpLength)
                    .writeShort(0x1234).writeShort(0x4000)             // id, DF
                    .writeByte(64).writeByte(PROTO_UDP).writeShort(0)  // ttl, protocol, checksum
                    .writeBytes(src.getAddress()).writeBytes(dst.getAddress());
            buf.setShort(10, InternetChecksum.checksum(buf, 0, 20));
        } else {
            buf.writeInt(0x60000000).writeShort(udpLength).writeByte(PROTO_UDP).writeByte(64)
                    .writeBytes(src.getAddress()).writeBytes(dst.getAddress());
        }
        buf.writeShort(srcPort).writeShort(dstPort).writeShort(udpLength).writeShort(0);
        return buf;
    }

    private static int pseudoSum(ByteBuf ip, int transportIndex, int transportLength) {
        return ipVersion(ip) == 4
                ? InternetChecksum.pseudoHeaderSumIpv4(ip, ip.readerIndex(), PROTO_UDP, transportLength)
                : InternetChecksum.pseudoHeaderSumIpv6(ip, ip.readerIndex(), PROTO_UDP, transportLength);
    }

    /** The IP version of the packet at the reader index. */
    public static int ipVersion(ByteBuf ip) {
        return ip.getUnsignedByte(ip.readerIndex()) >>> 4;
    }

    /** The transport protocol (IPv4 protocol / IPv6 next header, without extension-header walking). */
    public static int protocol(ByteBuf ip) {
        return ip.getUnsignedByte(ip.readerIndex() + (ipVersion(ip) == 4 ? 9 : 6));
    }

    /** Offset of the transport header from the reader index. */
    public static int transportOffset(ByteBuf ip) {
        return ipVersion(ip) == 4 ? (ip.getUnsignedByte(ip.readerIndex()) & 0xf) * 4 : 40;
    }

    public static InetAddress source(ByteBuf ip) {
        return address(ip, ipVersion(ip) == 4 ? 12 : 8);
    }

    public static InetAddress destination(ByteBuf ip) {
        return address(ip, ipVersion(ip) == 4 ? 16 : 24);
    }

    private static InetAddress address(ByteBuf ip, int offset) {
        byte[] a = new byte[ipVersion(ip) == 4 ? 4 : 16];
        ip.getBytes(ip.readerIndex() + offset, a);
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Whether the packet is UDP to {@code port}. */
    public static boolean isUdpTo(ByteBuf ip, int port) {
        return protocol(ip) == PROTO_UDP
                && ip.getUnsignedShort(ip.readerIndex() + transportOffset(ip) + 2) == port;
    }

    /** The UDP source port. */
    public static int udpSourcePort(ByteBuf ip) {
        return ip.getUnsignedShort(ip.readerIndex() + transportOffset(ip));
    }

    /** The UDP payload bytes. */
    public static byte[] udpPayload(ByteBuf ip) {
        int offset = ip.readerIndex() + transportOffset(ip) + 8;
        byte[] payload = new byte[ip.writerIndex() - offset];
        ip.getBytes(offset, payload);
        return payload;
    }

    /** Deterministic pseudo-random bytes, so that a payload mismatch shows where it is. */
    public static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        int x = seed * 0x9e3779b9 + 1;
        for (int i = 0; i < length; i++) {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            b[i] = (byte) x;
        }
        return b;
    }
}

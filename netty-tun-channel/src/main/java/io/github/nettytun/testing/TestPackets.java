/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import io.github.nettytun.channel.tun.TunPacket;
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

    /** A complete IPv4 or IPv6 UDP packet with correct checksums (DF, TTL 64; see {@link PacketBuilder}). */
    public static ByteBuf udp(ByteBufAllocator alloc, InetAddress src, int srcPort, InetAddress dst, int dstPort,
                              byte[] payload) {
        return udpBuilder(src, srcPort, dst, dstPort, payload).build(alloc);
    }

    /**
     * A UDP super-packet for a TUN device with USO: one IP/UDP header over the whole payload, and a virtio
     * header asking the kernel to cut it into datagrams of {@code segmentSize} payload bytes
     * ({@link PacketBuilder#buildSuperPacket(ByteBufAllocator, int)}).
     */
    public static TunPacket udpSuperPacket(ByteBufAllocator alloc, InetAddress src, int srcPort, InetAddress dst,
                                           int dstPort, byte[] payload, int segmentSize) {
        return udpBuilder(src, srcPort, dst, dstPort, payload).buildSuperPacket(alloc, segmentSize);
    }

    private static PacketBuilder udpBuilder(InetAddress src, int srcPort, InetAddress dst, int dstPort,
                                            byte[] payload) {
        boolean v4 = src instanceof Inet4Address;
        if (v4 != dst instanceof Inet4Address) {
            throw new IllegalArgumentException("mixed address families: " + src + " -> " + dst);
        }
        return PacketBuilder.udp(v4 ? 4 : 6).source(src.getAddress(), srcPort).destination(dst.getAddress(), dstPort)
                .id(0x1234).payload(payload);
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

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

/**
 * Builds one IPv4 or IPv6 packet carrying TCP or UDP, every field settable, checksums correct unless told otherwise:
 * the raw material of codec tests and benchmarks. Field offsets follow RFC 791, RFC 8200, RFC 9293 and RFC 768.
 */
public final class PacketBuilder {

    private int version;
    private int protocol;
    private byte[] source;
    private byte[] destination;
    private int sourcePort = 40000;
    private int destinationPort = 5201;
    private int seq = 1000;
    private int ack = 77;
    private int tcpFlags = 0x10; // ACK
    private int window = 512;
    private byte[] tcpOptions = new byte[0];
    private byte[] ipv4Options = new byte[0];
    private byte[] payload = new byte[0];
    private int id = 0x100;
    private int tos;
    private int ttl = 64;
    private int fragment = 0x4000; // DF
    private int flowLabel;
    private boolean udpChecksum = true;
    private int corruptAt = -1;

    private PacketBuilder(int version, int protocol) {
        this.version = version;
        this.protocol = protocol;
        this.source = version == 4 ? new byte[] {10, 0, 0, 1} : v6(1);
        this.destination = version == 4 ? new byte[] {10, 0, 0, 2} : v6(2);
    }

    private static byte[] v6(int last) {
        byte[] a = new byte[16];
        a[0] = (byte) 0xfd;
        a[15] = (byte) last;
        return a;
    }

    public static PacketBuilder tcp(int version) {
        return new PacketBuilder(version, TestPackets.PROTO_TCP);
    }

    public static PacketBuilder udp(int version) {
        return new PacketBuilder(version, TestPackets.PROTO_UDP);
    }

    public PacketBuilder source(byte[] address, int port) {
        this.source = address.clone();
        this.sourcePort = port;
        return this;
    }

    public PacketBuilder destination(byte[] address, int port) {
        this.destination = address.clone();
        this.destinationPort = port;
        return this;
    }

    public PacketBuilder seq(int seq) {
        this.seq = seq;
        return this;
    }

    public PacketBuilder ack(int ack) {
        this.ack = ack;
        return this;
    }

    public PacketBuilder flags(int tcpFlags) {
        this.tcpFlags = tcpFlags;
        return this;
    }

    /** TCP options; padded with zero bytes to a multiple of four. */
    public PacketBuilder tcpOptions(byte[] options) {
        this.tcpOptions = java.util.Arrays.copyOf(options, (options.length + 3) & ~3);
        return this;
    }

    /** IPv4 options; padded with zero bytes to a multiple of four. */
    public PacketBuilder ipv4Options(byte[] options) {
        this.ipv4Options = java.util.Arrays.copyOf(options, (options.length + 3) & ~3);
        return this;
    }

    public PacketBuilder payload(byte[] payload) {
        this.payload = payload;
        return this;
    }

    public PacketBuilder id(int id) {
        this.id = id;
        return this;
    }

    /** IPv4 ToS or IPv6 traffic class. */
    public PacketBuilder tos(int tos) {
        this.tos = tos;
        return this;
    }

    /** IPv4 TTL or IPv6 hop limit. */
    public PacketBuilder ttl(int ttl) {
        this.ttl = ttl;
        return this;
    }

    /** The IPv4 flags and fragment offset word (default DF). */
    public PacketBuilder fragment(int flagsAndOffset) {
        this.fragment = flagsAndOffset;
        return this;
    }

    public PacketBuilder flowLabel(int flowLabel) {
        this.flowLabel = flowLabel;
        return this;
    }

    /** Whether the UDP checksum is filled in (IPv4 allows zero: none). */
    public PacketBuilder udpChecksum(boolean on) {
        this.udpChecksum = on;
        return this;
    }

    /** Flips the bits of the byte at {@code index} after the checksums are computed: a corrupted packet. */
    public PacketBuilder corruptAt(int index) {
        this.corruptAt = index;
        return this;
    }

    public int ipHeaderLength() {
        return version == 4 ? 20 + ipv4Options.length : 40;
    }

    public int transportHeaderLength() {
        return protocol == TestPackets.PROTO_TCP ? 20 + tcpOptions.length : 8;
    }

    /** A direct buffer holding the packet. */
    public ByteBuf build(ByteBufAllocator alloc) {
        int ipLength = ipHeaderLength();
        int transportLength = transportHeaderLength() + payload.length;
        ByteBuf buf = alloc.directBuffer(ipLength + transportLength);
        if (version == 4) {
            buf.writeByte(0x40 | ipLength / 4).writeByte(tos).writeShort(ipLength + transportLength)
                    .writeShort(id).writeShort(fragment).writeByte(ttl).writeByte(protocol).writeShort(0)
                    .writeBytes(source).writeBytes(destination).writeBytes(ipv4Options);
            buf.setShort(10, InternetChecksum.checksum(buf, 0, ipLength));
        } else {
            buf.writeInt(0x60000000 | tos << 20 | flowLabel & 0xfffff).writeShort(transportLength)
                    .writeByte(protocol).writeByte(ttl).writeBytes(source).writeBytes(destination);
        }
        int t = buf.writerIndex();
        if (protocol == TestPackets.PROTO_TCP) {
            buf.writeShort(sourcePort).writeShort(destinationPort).writeInt(seq).writeInt(ack)
                    .writeByte((20 + tcpOptions.length) / 4 << 4).writeByte(tcpFlags).writeShort(window)
                    .writeShort(0).writeShort(0).writeBytes(tcpOptions);
        } else {
            buf.writeShort(sourcePort).writeShort(destinationPort).writeShort(transportLength).writeShort(0);
        }
        buf.writeBytes(payload);
        if (protocol == TestPackets.PROTO_TCP || udpChecksum) {
            int pseudo = version == 4
                    ? InternetChecksum.pseudoHeaderSumIpv4(buf, 0, protocol, transportLength)
                    : InternetChecksum.pseudoHeaderSumIpv6(buf, 0, protocol, transportLength);
            int check = InternetChecksum.finish(InternetChecksum.add(pseudo,
                    InternetChecksum.sum(buf, t, transportLength)));
            if (check == 0 && protocol == TestPackets.PROTO_UDP) {
                check = 0xffff;
            }
            buf.setShort(t + (protocol == TestPackets.PROTO_TCP ? 16 : 6), check);
        }
        if (corruptAt >= 0) {
            buf.setByte(corruptAt, ~buf.getByte(corruptAt));
        }
        return buf;
    }

    /**
     * A super-packet as a TUN device with offload hands it out (or takes it): the headers this builder makes for
     * the first segment over the whole payload, the transport checksum field holding the pseudo-header sum (not
     * complemented, as the virtio-net spec has it) and a virtio header with NEEDS_CSUM asking for segments of
     * {@code gsoSize} payload bytes (TSO for TCP, USO for UDP).
     */
    public TunPacket buildSuperPacket(ByteBufAllocator alloc, int gsoSize) {
        ByteBuf buf = build(alloc);
        int ipLength = ipHeaderLength();
        int transportLength = buf.readableBytes() - ipLength;
        boolean tcp = protocol == TestPackets.PROTO_TCP;
        int pseudo = version == 4
                ? InternetChecksum.pseudoHeaderSumIpv4(buf, 0, protocol, transportLength)
                : InternetChecksum.pseudoHeaderSumIpv6(buf, 0, protocol, transportLength);
        buf.setShort(ipLength + (tcp ? 16 : 6), pseudo);
        int gsoType = tcp ? (version == 4 ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_TCPV6)
                : VirtioNetHeader.GSO_UDP_L4;
        return new TunPacket(buf, VirtioNetHeader.of(VirtioNetHeader.F_NEEDS_CSUM, gsoType,
                ipLength + transportHeaderLength(), gsoSize, ipLength, tcp ? 16 : 6));
    }

    /** The packet's bytes. */
    public byte[] bytes() {
        ByteBuf buf = build(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
        try {
            return io.netty.buffer.ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    /** Whether the IPv4 header checksum (if any) and the TCP/UDP checksum of the packet verify. */
    public static boolean checksumsVerify(ByteBuf ip) {
        int start = ip.readerIndex();
        int version = ip.getUnsignedByte(start) >>> 4;
        int ipLength = version == 4 ? (ip.getUnsignedByte(start) & 0xf) * 4 : 40;
        int protocol = ip.getUnsignedByte(start + (version == 4 ? 9 : 6));
        int transportLength = ip.readableBytes() - ipLength;
        if (version == 4 && InternetChecksum.sum(ip, start, ipLength) != 0xffff) {
            return false;
        }
        if (protocol == TestPackets.PROTO_UDP && version == 4 && ip.getUnsignedShort(start + ipLength + 6) == 0) {
            return true;
        }
        int pseudo = version == 4
                ? InternetChecksum.pseudoHeaderSumIpv4(ip, start, protocol, transportLength)
                : InternetChecksum.pseudoHeaderSumIpv6(ip, start, protocol, transportLength);
        return InternetChecksum.add(pseudo, InternetChecksum.sum(ip, start + ipLength, transportLength)) == 0xffff;
    }
}

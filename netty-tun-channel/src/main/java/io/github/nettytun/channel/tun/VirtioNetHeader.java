/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import io.netty.buffer.ByteBuf;

import java.nio.ByteOrder;

/**
 * The virtio-net header that precedes every packet on a TUN device opened with {@code IFF_VNET_HDR}: how the
 * packet's checksum is to be completed and, for a super-packet, how it is to be segmented.
 * Mirrors {@code struct virtio_net_hdr} of {@code linux/virtio_net.h}:
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------+---------------+-------------------------------+
 * |     flags     |   gso_type    |            hdr_len            |
 * +---------------+---------------+-------------------------------+
 * |           gso_size            |          csum_start           |
 * +-------------------------------+-------------------------------+
 * |          csum_offset          |
 * +-------------------------------+
 * </pre>
 *
 * <table>
 *   <caption>Fields</caption>
 *   <tr><th>offset</th><th>field</th><th>meaning</th></tr>
 *   <tr><td>0</td><td>flags (u8)</td><td>{@link #F_NEEDS_CSUM}, {@link #F_DATA_VALID}</td></tr>
 *   <tr><td>1</td><td>gso_type (u8)</td><td>{@link #GSO_NONE}, {@link #GSO_TCPV4}, {@link #GSO_TCPV6},
 *       {@link #GSO_UDP_L4}, optionally or-ed with {@link #GSO_ECN}</td></tr>
 *   <tr><td>2</td><td>hdr_len (u16)</td><td>length of the headers to copy into each segment (a hint)</td></tr>
 *   <tr><td>4</td><td>gso_size (u16)</td><td>payload bytes per segment</td></tr>
 *   <tr><td>6</td><td>csum_start (u16)</td><td>offset (from the IP header) where checksumming starts</td></tr>
 *   <tr><td>8</td><td>csum_offset (u16)</td><td>offset from csum_start of the checksum field</td></tr>
 * </table>
 *
 * <p>The u16 fields are in the byte order of the TUN device, which is the host's unless changed with
 * {@code TUNSETVNETLE}/{@code TUNSETVNETBE}; netty-tun never changes it.
 *
 * <p>Instances are immutable; {@link #NONE} (all zero) is the header of a packet without offload.
 */
public final class VirtioNetHeader {

    /** {@code sizeof(struct virtio_net_hdr)}. */
    public static final int SIZE = 10;

    public static final int FLAGS_OFFSET = 0;
    public static final int GSO_TYPE_OFFSET = 1;
    public static final int HDR_LEN_OFFSET = 2;
    public static final int GSO_SIZE_OFFSET = 4;
    public static final int CSUM_START_OFFSET = 6;
    public static final int CSUM_OFFSET_OFFSET = 8;

    /** {@code VIRTIO_NET_HDR_F_NEEDS_CSUM}: the checksum at csum_start + csum_offset must be completed. */
    public static final int F_NEEDS_CSUM = 1;
    /** {@code VIRTIO_NET_HDR_F_DATA_VALID}: the checksum was already validated. */
    public static final int F_DATA_VALID = 2;

    /** {@code VIRTIO_NET_HDR_GSO_NONE}: not a super-packet. */
    public static final int GSO_NONE = 0;
    /** {@code VIRTIO_NET_HDR_GSO_TCPV4}: TCP over IPv4 super-packet (TSO). */
    public static final int GSO_TCPV4 = 1;
    /** {@code VIRTIO_NET_HDR_GSO_UDP}: legacy UDP fragmentation offload (UFO); rejected by netty-tun. */
    public static final int GSO_UDP = 3;
    /** {@code VIRTIO_NET_HDR_GSO_TCPV6}: TCP over IPv6 super-packet (TSO). */
    public static final int GSO_TCPV6 = 4;
    /** {@code VIRTIO_NET_HDR_GSO_UDP_L4}: UDP super-packet split into datagrams (USO, Linux 6.2+ on TUN). */
    public static final int GSO_UDP_L4 = 5;
    /** {@code VIRTIO_NET_HDR_GSO_ECN}: bit or-ed into gso_type when the TCP flow uses ECN (CWR on the first). */
    public static final int GSO_ECN = 0x80;

    /** The header of a packet with neither checksum offload nor segmentation. */
    public static final VirtioNetHeader NONE = new VirtioNetHeader(0, GSO_NONE, 0, 0, 0, 0);
    /** The header the kernel puts on a packet whose checksum it already verified. */
    public static final VirtioNetHeader DATA_VALID = new VirtioNetHeader(F_DATA_VALID, GSO_NONE, 0, 0, 0, 0);

    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private final byte flags;
    private final byte gsoType;
    private final short hdrLen;
    private final short gsoSize;
    private final short csumStart;
    private final short csumOffset;

    private VirtioNetHeader(int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset) {
        this.flags = (byte) flags;
        this.gsoType = (byte) gsoType;
        this.hdrLen = (short) hdrLen;
        this.gsoSize = (short) gsoSize;
        this.csumStart = (short) csumStart;
        this.csumOffset = (short) csumOffset;
    }

    /**
     * A header with the given fields; u8 fields must fit 0..255 and u16 fields 0..65535.
     */
    public static VirtioNetHeader of(int flags, int gsoType, int hdrLen, int gsoSize, int csumStart,
                                     int csumOffset) {
        checkRange("flags", flags, 0xff);
        checkRange("gsoType", gsoType, 0xff);
        checkRange("hdrLen", hdrLen, 0xffff);
        checkRange("gsoSize", gsoSize, 0xffff);
        checkRange("csumStart", csumStart, 0xffff);
        checkRange("csumOffset", csumOffset, 0xffff);
        return canonical(flags, gsoType, hdrLen, gsoSize, csumStart, csumOffset);
    }

    /** Decodes the header stored at {@code index} (reader and writer indexes are not touched). */
    public static VirtioNetHeader read(ByteBuf buf, int index) {
        if (buf.getShort(index) == 0 && buf.getLong(index + 2) == 0) {
            return NONE;
        }
        return canonical(buf.getUnsignedByte(index + FLAGS_OFFSET), buf.getUnsignedByte(index + GSO_TYPE_OFFSET), u16(buf, index + HDR_LEN_OFFSET), u16(buf, index + GSO_SIZE_OFFSET),
                u16(buf, index + CSUM_START_OFFSET), u16(buf, index + CSUM_OFFSET_OFFSET));
    }

    private static VirtioNetHeader canonical(int flags, int gsoType, int hdrLen, int gsoSize, int csumStart,
                                             int csumOffset) {
        if (gsoType == 0 && (hdrLen | gsoSize | csumStart | csumOffset) == 0) {
            if (flags == 0) {
                return NONE;
            }
            if (flags == F_DATA_VALID) {
                return DATA_VALID;
            }
        }
        return new VirtioNetHeader(flags, gsoType, hdrLen, gsoSize, csumStart, csumOffset);
    }

    /** Encodes this header at {@code index} (reader and writer indexes are not touched). */
    public void write(ByteBuf buf, int index) {
        buf.setByte(index + FLAGS_OFFSET, flags);
        buf.setByte(index + GSO_TYPE_OFFSET, gsoType);
        setU16(buf, index + HDR_LEN_OFFSET, hdrLen);
        setU16(buf, index + GSO_SIZE_OFFSET, gsoSize);
        setU16(buf, index + CSUM_START_OFFSET, csumStart);
        setU16(buf, index + CSUM_OFFSET_OFFSET, csumOffset);
    }

    private static int u16(ByteBuf buf, int index) {
        return LITTLE_ENDIAN ? buf.getUnsignedShortLE(index) : buf.getUnsignedShort(index);
    }

    private static void setU16(ByteBuf buf, int index, int value) {
        if (LITTLE_ENDIAN) {
            buf.setShortLE(index, value);
        } else {
            buf.setShort(index, value);
        }
    }

    private static void checkRange(String name, int value, int max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(name + " " + value + " out of range 0.." + max);
        }
    }

    public int flags() {
        return flags & 0xff;
    }

    /** The GSO type including the {@link #GSO_ECN} bit. */
    public int gsoType() {
        return gsoType & 0xff;
    }

    public int hdrLen() {
        return hdrLen & 0xffff;
    }

    public int gsoSize() {
        return gsoSize & 0xffff;
    }

    public int csumStart() {
        return csumStart & 0xffff;
    }

    public int csumOffset() {
        return csumOffset & 0xffff;
    }

    /** Whether this is a super-packet to be segmented (gso_type other than {@link #GSO_NONE}). */
    public boolean isGso() {
        return (gsoType() & ~GSO_ECN) != GSO_NONE;
    }

    /** Whether {@link #F_NEEDS_CSUM} is set. */
    public boolean needsCsum() {
        return (flags & F_NEEDS_CSUM) != 0;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof VirtioNetHeader)) {
            return false;
        }
        VirtioNetHeader h = (VirtioNetHeader) o;
        return flags == h.flags && gsoType == h.gsoType && hdrLen == h.hdrLen && gsoSize == h.gsoSize
                && csumStart == h.csumStart && csumOffset == h.csumOffset;
    }

    @Override
    public int hashCode() {
        return ((((flags * 31 + gsoType) * 31 + hdrLen) * 31 + gsoSize) * 31 + csumStart) * 31 + csumOffset;
    }

    @Override
    public String toString() {
        if (this == NONE) {
            return "VirtioNetHeader(NONE)";
        }
        return "VirtioNetHeader(flags=" + flags() + ", gsoType=" + gsoTypeName(gsoType()) + ", hdrLen=" + hdrLen()
                + ", gsoSize=" + gsoSize() + ", csumStart=" + csumStart() + ", csumOffset=" + csumOffset() + ')';
    }

    /** A readable name for a gso_type value ({@code TCPV4|ECN}, {@code UNKNOWN(9)}). */
    public static String gsoTypeName(int gsoType) {
        String ecn = (gsoType & GSO_ECN) != 0 ? "|ECN" : "";
        switch (gsoType & ~GSO_ECN) {
            case GSO_NONE: return "NONE" + ecn;
            case GSO_TCPV4: return "TCPV4" + ecn;
            case GSO_UDP: return "UDP" + ecn;
            case GSO_TCPV6: return "TCPV6" + ecn;
            case GSO_UDP_L4: return "UDP_L4" + ecn;
            default: return "UNKNOWN(" + gsoType + ')';
        }
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.codec.offload;

import io.github.nettytun.channel.tun.InternetChecksum;
import io.netty.buffer.ByteBuf;

/**
 * A flyweight over an IPv4 header (RFC 791 section 3.1) in a {@link ByteBuf}: {@link #wrap(ByteBuf, int)} points it
 * at a header, the accessors read and write fields in place, nothing is allocated or copied.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------+-------+---------------+-------------------------------+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * +-------+-------+---------------+-----+-------------------------+
 * |         Identification        |Flags|     Fragment Offset     |
 * +---------------+---------------+-----+-------------------------+
 * |  Time to Live |    Protocol   |        Header Checksum        |
 * +---------------+---------------+-------------------------------+
 * |                        Source Address                         |
 * +---------------------------------------------------------------+
 * |                     Destination Address                       |
 * +---------------------------------------------------------------+
 * |                  Options (IHL &gt; 5)                             |
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class Ipv4Header {

    public static final int VERSION_IHL_OFFSET = 0;
    public static final int TOS_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int IDENTIFICATION_OFFSET = 4;
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int CHECKSUM_OFFSET = 10;
    public static final int SOURCE_OFFSET = 12;
    public static final int DESTINATION_OFFSET = 16;
    /** Length of a header without options. */
    public static final int MIN_LENGTH = 20;

    /** The Don't Fragment bit of the flags/fragment-offset word. */
    public static final int DF = 0x4000;
    /** The More Fragments bit of the flags/fragment-offset word. */
    public static final int MF = 0x2000;
    private static final int FRAGMENT_OFFSET_MASK = 0x1fff;

    private ByteBuf buf;
    private int offset;

    /** Points this flyweight at the header starting at {@code offset} of {@code buf}. */
    public Ipv4Header wrap(ByteBuf buf, int offset) {
        this.buf = buf;
        this.offset = offset;
        return this;
    }

    public ByteBuf buffer() {
        return buf;
    }

    public int offset() {
        return offset;
    }

    public int version() {
        return buf.getUnsignedByte(offset) >>> 4;
    }

    /** The header length in bytes (IHL times four). */
    public int headerLength() {
        return (buf.getUnsignedByte(offset) & 0xf) << 2;
    }

    public int tos() {
        return buf.getUnsignedByte(offset + TOS_OFFSET);
    }

    public int totalLength() {
        return buf.getUnsignedShort(offset + TOTAL_LENGTH_OFFSET);
    }

    public Ipv4Header totalLength(int totalLength) {
        buf.setShort(offset + TOTAL_LENGTH_OFFSET, totalLength);
        return this;
    }

    public int identification() {
        return buf.getUnsignedShort(offset + IDENTIFICATION_OFFSET);
    }

    public Ipv4Header identification(int identification) {
        buf.setShort(offset + IDENTIFICATION_OFFSET, identification);
        return this;
    }

    /** The 16-bit word of the flags (reserved, {@link #DF}, {@link #MF}) and the fragment offset. */
    public int flagsAndFragmentOffset() {
        return buf.getUnsignedShort(offset + FLAGS_FRAGMENT_OFFSET);
    }

    /** Whether this is a fragment: MF set or a fragment offset other than zero. */
    public boolean isFragment() {
        return (flagsAndFragmentOffset() & (MF | FRAGMENT_OFFSET_MASK)) != 0;
    }

    public int ttl() {
        return buf.getUnsignedByte(offset + TTL_OFFSET);
    }

    public int protocol() {
        return buf.getUnsignedByte(offset + PROTOCOL_OFFSET);
    }

    public int checksum() {
        return buf.getUnsignedShort(offset + CHECKSUM_OFFSET);
    }

    public int source() {
        return buf.getInt(offset + SOURCE_OFFSET);
    }

    public int destination() {
        return buf.getInt(offset + DESTINATION_OFFSET);
    }

    /** Recomputes the header checksum over {@link #headerLength()} bytes. */
    public Ipv4Header updateChecksum() {
        buf.setShort(offset + CHECKSUM_OFFSET, 0);
        buf.setShort(offset + CHECKSUM_OFFSET, InternetChecksum.checksum(buf, offset, headerLength()));
        return this;
    }

    /** Whether the header checksum verifies (the sum over the header, checksum included, is all ones). */
    public boolean isChecksumValid() {
        return InternetChecksum.sum(buf, offset, headerLength()) == 0xffff;
    }

    /** The pseudo-header sum for a transport segment of {@code transportLength} bytes (RFC 793, RFC 768). */
    public int pseudoHeaderSum(int transportLength) {
        return InternetChecksum.pseudoHeaderSumIpv4(buf, offset, protocol(), transportLength);
    }
}

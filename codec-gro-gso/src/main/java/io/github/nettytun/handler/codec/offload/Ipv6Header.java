/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.codec.offload;

import io.github.nettytun.channel.tun.InternetChecksum;
import io.netty.buffer.ByteBuf;

/**
 * A flyweight over the fixed IPv6 header (RFC 8200 section 3) in a {@link ByteBuf}; see {@link Ipv4Header}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------+---------------+---------------------------------------+
 * |Version| Traffic Class |              Flow Label               |
 * +-------+---------------+-------+---------------+---------------+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-------------------------------+---------------+---------------+
 * |                                                               |
 * +                     Source Address (128 bits)                 +
 * |                                                               |
 * +---------------------------------------------------------------+
 * |                                                               |
 * +                  Destination Address (128 bits)               +
 * |                                                               |
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class Ipv6Header {

    public static final int VERSION_CLASS_FLOW_OFFSET = 0;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int HOP_LIMIT_OFFSET = 7;
    public static final int SOURCE_OFFSET = 8;
    public static final int DESTINATION_OFFSET = 24;
    /** Length of the fixed header. */
    public static final int LENGTH = 40;

    private ByteBuf buf;
    private int offset;

    /** Points this flyweight at the header starting at {@code offset} of {@code buf}. */
    public Ipv6Header wrap(ByteBuf buf, int offset) {
        this.buf = buf;
        this.offset = offset;
        return this;
    }

    public int version() {
        return buf.getUnsignedByte(offset) >>> 4;
    }

    public int trafficClass() {
        return (buf.getUnsignedShort(offset) >>> 4) & 0xff;
    }

    public int flowLabel() {
        return buf.getInt(offset) & 0xfffff;
    }

    public int payloadLength() {
        return buf.getUnsignedShort(offset + PAYLOAD_LENGTH_OFFSET);
    }

    public Ipv6Header payloadLength(int payloadLength) {
        buf.setShort(offset + PAYLOAD_LENGTH_OFFSET, payloadLength);
        return this;
    }

    public int nextHeader() {
        return buf.getUnsignedByte(offset + NEXT_HEADER_OFFSET);
    }

    public int hopLimit() {
        return buf.getUnsignedByte(offset + HOP_LIMIT_OFFSET);
    }

    /**
     * The pseudo-header sum (RFC 8200 section 8.1) for an upper-layer packet of {@code transportLength} bytes
     * with the given next header value.
     */
    public int pseudoHeaderSum(int nextHeader, int transportLength) {
        return InternetChecksum.pseudoHeaderSumIpv6(buf, offset, nextHeader, transportLength);
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.codec.offload;

import io.netty.buffer.ByteBuf;

/**
 * A flyweight over a UDP header (RFC 768) in a {@link ByteBuf}; see {@link Ipv4Header}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+-------------------------------+
 * |          Source Port          |       Destination Port        |
 * +-------------------------------+-------------------------------+
 * |            Length             |           Checksum            |
 * +-------------------------------+-------------------------------+
 * </pre>
 */
public final class UdpHeader {

    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int LENGTH_OFFSET = 4;
    public static final int CHECKSUM_OFFSET = 6;
    public static final int LENGTH = 8;

    private ByteBuf buf;
    private int offset;

    /** Points this flyweight at the header starting at {@code offset} of {@code buf}. */
    public UdpHeader wrap(ByteBuf buf, int offset) {
        this.buf = buf;
        this.offset = offset;
        return this;
    }

    public int sourcePort() {
        return buf.getUnsignedShort(offset + SOURCE_PORT_OFFSET);
    }

    public int destinationPort() {
        return buf.getUnsignedShort(offset + DESTINATION_PORT_OFFSET);
    }

    /** The length of header and payload. */
    public int length() {
        return buf.getUnsignedShort(offset + LENGTH_OFFSET);
    }

    public UdpHeader length(int length) {
        buf.setShort(offset + LENGTH_OFFSET, length);
        return this;
    }

    public int checksum() {
        return buf.getUnsignedShort(offset + CHECKSUM_OFFSET);
    }

    public UdpHeader checksum(int checksum) {
        buf.setShort(offset + CHECKSUM_OFFSET, checksum);
        return this;
    }
}

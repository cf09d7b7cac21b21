/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.codec.offload;

import io.netty.buffer.ByteBuf;

/**
 * A flyweight over a TCP header (RFC 9293 section 3.1) in a {@link ByteBuf}; see {@link Ipv4Header}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+-------------------------------+
 * |          Source Port          |       Destination Port        |
 * +-------------------------------+-------------------------------+
 * |                        Sequence Number                        |
 * +---------------------------------------------------------------+
 * |                    Acknowledgment Number                      |
 * +-------+-------+-+-+-+-+-+-+-+-+-------------------------------+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * |       |       |R|E|G|K|H|T|N|N|                               |
 * +-------+-------+-+-+-+-+-+-+-+-+-------------------------------+
 * |           Checksum            |         Urgent Pointer        |
 * +-------------------------------+-------------------------------+
 * |                   Options (data offset &gt; 5)                    |
 * +---------------------------------------------------------------+
 * </pre>
 */
public final class TcpHeader {

    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int SEQUENCE_OFFSET = 4;
    public static final int ACK_OFFSET = 8;
    public static final int DATA_OFFSET_OFFSET = 12;
    public static final int FLAGS_OFFSET = 13;
    public static final int WINDOW_OFFSET = 14;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int URGENT_POINTER_OFFSET = 18;
    /** Length of a header without options. */
    public static final int MIN_LENGTH = 20;
    /** Length of a header with the most options (data offset 15). */
    public static final int MAX_LENGTH = 60;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    private ByteBuf buf;
    private int offset;

    /** Points this flyweight at the header starting at {@code offset} of {@code buf}. */
    public TcpHeader wrap(ByteBuf buf, int offset) {
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

    /** The sequence number, as an unsigned 32-bit value in an int (compare with wrap-around arithmetic). */
    public int sequenceNumber() {
        return buf.getInt(offset + SEQUENCE_OFFSET);
    }

    public TcpHeader sequenceNumber(int sequenceNumber) {
        buf.setInt(offset + SEQUENCE_OFFSET, sequenceNumber);
        return this;
    }

    public int ackNumber() {
        return buf.getInt(offset + ACK_OFFSET);
    }

    /** The header length in bytes (data offset times four). */
    public int headerLength() {
        return (buf.getUnsignedByte(offset + DATA_OFFSET_OFFSET) >>> 4) << 2;
    }

    /** The eight flag bits ({@link #FIN} ... {@link #CWR}). */
    public int flags() {
        return buf.getUnsignedByte(offset + FLAGS_OFFSET);
    }

    public TcpHeader flags(int flags) {
        buf.setByte(offset + FLAGS_OFFSET, flags);
        return this;
    }

    public int window() {
        return buf.getUnsignedShort(offset + WINDOW_OFFSET);
    }

    public int checksum() {
        return buf.getUnsignedShort(offset + CHECKSUM_OFFSET);
    }

    public TcpHeader checksum(int checksum) {
        buf.setShort(offset + CHECKSUM_OFFSET, checksum);
        return this;
    }
}

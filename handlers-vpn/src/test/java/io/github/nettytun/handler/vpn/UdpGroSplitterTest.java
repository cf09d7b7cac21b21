/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link UdpGroSplitter} with a stand-in protocol whose first byte is the segment size: slices in order with the
 * packet's addresses, the coalesced buffer released with the last slice, answers that cannot be right ignored,
 * counters. WireGuard's own segmentation is tested in {@code WireGuardGroSegmentationTest}.
 */
class UdpGroSplitterTest {

    private static final int MAX = 200;
    private static final InetSocketAddress RECIPIENT = new InetSocketAddress("10.0.0.1", 51820);
    private static final InetSocketAddress SENDER = new InetSocketAddress("10.0.0.2", 51821);
    private static final UdpGroSplitter.Segmentation FIRST_BYTE = (buf, index, length) -> buf.getUnsignedByte(index);

    private final UdpGroSplitter splitter = new UdpGroSplitter(FIRST_BYTE, MAX);
    private final EmbeddedChannel ch = new EmbeddedChannel(splitter);

    private static byte[] content(int size, int length) {
        byte[] b = new byte[length];
        new SplittableRandom(length).nextBytes(b);
        b[0] = (byte) size;
        return b;
    }

    @Test
    void aCoalescedReceiveComesApartInOrder() {
        byte[] data = content(150, 150 * 7 + 40);
        ByteBuf buf = Unpooled.directBuffer().writeBytes(data);
        ch.writeInbound(new DatagramPacket(buf, RECIPIENT, SENDER));
        for (int i = 0; i < 8; i++) {
            DatagramPacket p = ch.readInbound();
            assertEquals(RECIPIENT, p.recipient());
            assertEquals(SENDER, p.sender());
            int from = 150 * i;
            assertArrayEquals(java.util.Arrays.copyOfRange(data, from, Math.min(data.length, from + 150)),
                    ByteBufUtil.getBytes(p.content()), "piece " + i);
            p.release();
        }
        assertNull(ch.readInbound());
        assertEquals(0, buf.refCnt());
        assertEquals(1, splitter.split());
        assertEquals(8, splitter.datagrams());
        assertFalse(ch.finish());
    }

    @Test
    void answersThatCannotBeRightPassThePacketOnWhole() {
        // 0 (unknown), larger than a datagram, the whole length or more: passed on; counted when long.
        int[][] cases = {{0, 500}, {MAX + 1, 1000}, {100, 100}, {120, 100}, {0, 50}};
        for (int[] c : cases) {
            DatagramPacket p = new DatagramPacket(Unpooled.wrappedBuffer(content(c[0], c[1])), RECIPIENT, SENDER);
            ch.writeInbound(p);
            DatagramPacket read = ch.readInbound();
            assertSame(p, read, "size " + c[0] + " length " + c[1]);
            read.release();
        }
        assertEquals(2, splitter.unsplit());
        assertEquals(0, splitter.split());
        assertFalse(ch.finish());
    }

    @Test
    void otherMessagesPassThrough() {
        ch.writeInbound("not a datagram");
        assertEquals("not a datagram", ch.readInbound());
        assertFalse(ch.finish());
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(NullPointerException.class, () -> new UdpGroSplitter(null, 100));
        assertThrows(IllegalArgumentException.class, () -> new UdpGroSplitter(FIRST_BYTE, 0));
        assertFalse(ch.finish());
    }
}

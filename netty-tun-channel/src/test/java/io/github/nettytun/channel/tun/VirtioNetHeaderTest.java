/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VirtioNetHeaderTest {

    @Test
    void encodesTheKernelLayoutInHostByteOrder() {
        VirtioNetHeader h = VirtioNetHeader.of(VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, 0x0102,
                0x0304, 0x0506, 0x0708);
        ByteBuf buf = Unpooled.buffer(VirtioNetHeader.SIZE).writeZero(VirtioNetHeader.SIZE);
        try {
            h.write(buf, 0);
            byte[] expected = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
                    ? new byte[] {1, 1, 2, 1, 4, 3, 6, 5, 8, 7}
                    : new byte[] {1, 1, 1, 2, 3, 4, 5, 6, 7, 8};
            byte[] actual = new byte[VirtioNetHeader.SIZE];
            buf.getBytes(0, actual);
            assertArrayEquals(expected, actual);
            assertEquals(h, VirtioNetHeader.read(buf, 0));
        } finally {
            buf.release();
        }
    }

    @Test
    void decodesAtAnOffsetAndKeepsUnsignedValues() {
        ByteBuf buf = Unpooled.buffer(32).writeZero(32);
        try {
            VirtioNetHeader h = VirtioNetHeader.of(0xff, VirtioNetHeader.GSO_TCPV6 | VirtioNetHeader.GSO_ECN,
                    65535, 65000, 40000, 16);
            h.write(buf, 7);
            VirtioNetHeader read = VirtioNetHeader.read(buf, 7);
            assertEquals(255, read.flags());
            assertEquals(VirtioNetHeader.GSO_TCPV6 | VirtioNetHeader.GSO_ECN, read.gsoType());
            assertEquals(65535, read.hdrLen());
            assertEquals(65000, read.gsoSize());
            assertEquals(40000, read.csumStart());
            assertEquals(16, read.csumOffset());
            assertTrue(read.isGso());
            assertTrue(read.needsCsum());
            assertEquals("TCPV6|ECN", VirtioNetHeader.gsoTypeName(read.gsoType()));
        } finally {
            buf.release();
        }
    }

    @Test
    void commonHeadersAreSharedInstances() {
        ByteBuf buf = Unpooled.buffer(VirtioNetHeader.SIZE).writeZero(VirtioNetHeader.SIZE);
        try {
            assertSame(VirtioNetHeader.NONE, VirtioNetHeader.read(buf, 0));
            buf.setByte(0, VirtioNetHeader.F_DATA_VALID);
            assertSame(VirtioNetHeader.DATA_VALID, VirtioNetHeader.read(buf, 0));
            assertSame(VirtioNetHeader.NONE, VirtioNetHeader.of(0, 0, 0, 0, 0, 0));
            assertFalse(VirtioNetHeader.NONE.isGso());
            assertFalse(VirtioNetHeader.of(0, VirtioNetHeader.GSO_ECN, 0, 0, 0, 0).isGso());
        } finally {
            buf.release();
        }
    }

    @Test
    void rejectsFieldsOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> VirtioNetHeader.of(256, 0, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> VirtioNetHeader.of(0, -1, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> VirtioNetHeader.of(0, 0, 65536, 0, 0, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VirtioNetHeader.of(0, 0, 0, 70000, 0, 0));
        assertEquals("gsoSize 70000 out of range 0..65535", e.getMessage());
    }

    @Test
    void namesUnknownGsoTypes() {
        assertEquals("UNKNOWN(9)", VirtioNetHeader.gsoTypeName(9));
        assertEquals("UDP_L4", VirtioNetHeader.gsoTypeName(VirtioNetHeader.GSO_UDP_L4));
    }
}

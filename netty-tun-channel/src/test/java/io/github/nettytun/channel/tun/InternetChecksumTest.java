/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class InternetChecksumTest {

    /** RFC 1071 written the plain way: 16-bit big-endian words, an odd byte padded, carries folded. */
    private static int referenceSum(byte[] data, int offset, int length) {
        long sum = 0;
        for (int i = 0; i < length; i += 2) {
            int hi = data[offset + i] & 0xff;
            int lo = i + 1 < length ? data[offset + i + 1] & 0xff : 0;
            sum += (hi << 8) | lo;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    @Test
    void matchesTheReferenceOnRandomDataOfEveryLengthAndAlignment() {
        SplittableRandom random = new SplittableRandom(42);
        byte[] data = new byte[70000];
        for (int round = 0; round < 4; round++) {
            random.nextBytes(data);
            if (round == 3) {
                java.util.Arrays.fill(data, (byte) 0xff); // the carry-heavy worst case
            }
            ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(data.length).writeBytes(data);
            ByteBuf heap = Unpooled.wrappedBuffer(data);
            try {
                for (int length : new int[] {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 20, 40, 1399, 1500, 65535}) {
                    for (int offset = 0; offset < 9; offset++) {
                        int expected = referenceSum(data, offset, length);
                        assertEquals(expected, InternetChecksum.sum(direct, offset, length),
                                "direct length " + length + " offset " + offset);
                        assertEquals(expected, InternetChecksum.sum(heap, offset, length),
                                "heap length " + length + " offset " + offset);
                        // The paths taken without Unsafe (Netty's default on JDK 25+): VarHandle views.
                        assertEquals(expected, InternetChecksum.sum(direct, offset, length, false),
                                "direct, no Unsafe, length " + length + " offset " + offset);
                        assertEquals(expected, InternetChecksum.sum(heap, offset, length, false),
                                "heap, no Unsafe, length " + length + " offset " + offset);
                    }
                }
            } finally {
                direct.release();
            }
        }
    }

    @Test
    void compositesOfOddLengthPartsMatchTheReference() {
        SplittableRandom random = new SplittableRandom(11);
        for (int round = 0; round < 200; round++) {
            int parts = 1 + random.nextInt(6);
            CompositeByteBuf composite = PooledByteBufAllocator.DEFAULT.compositeDirectBuffer(parts);
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            for (int p = 0; p < parts; p++) {
                byte[] part = new byte[random.nextInt(0, 40)];
                random.nextBytes(part);
                all.write(part, 0, part.length);
                ByteBuf buf = random.nextBoolean()
                        ? PooledByteBufAllocator.DEFAULT.directBuffer(part.length + 3).writeZero(3).writeBytes(part)
                        : Unpooled.buffer(part.length + 3).writeZero(3).writeBytes(part);
                composite.addComponent(true, buf.skipBytes(3));
            }
            byte[] data = all.toByteArray();
            try {
                int offset = data.length == 0 ? 0 : random.nextInt(data.length);
                int length = random.nextInt(data.length - offset + 1);
                assertEquals(referenceSum(data, offset, length), InternetChecksum.sum(composite, offset, length),
                        "round " + round + " offset " + offset + " length " + length);
            } finally {
                composite.release();
            }
        }
    }

    @Test
    void rfc1071Example() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        ByteBuf buf = Unpooled.wrappedBuffer(new byte[] {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5,
                (byte) 0xf6, (byte) 0xf7});
        assertEquals(0xddf2, InternetChecksum.sum(buf, 0, 8));
        assertEquals(0x220d, InternetChecksum.checksum(buf, 0, 8));
    }

    @Test
    void aValidIpv4HeaderSumsToAllOnes() {
        // A real IPv4 header (checksum 0xb861) from RFC 1071's common worked example.
        byte[] header = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, (byte) 0xb8, 0x61,
                (byte) 0xc0, (byte) 0xa8, 0x00, 0x01, (byte) 0xc0, (byte) 0xa8, 0x00, (byte) 0xc7};
        ByteBuf buf = Unpooled.wrappedBuffer(header);
        assertEquals(0xffff, InternetChecksum.sum(buf, 0, 20));
        buf.setShort(10, 0);
        assertEquals(0xb861, InternetChecksum.checksum(buf, 0, 20));
    }

    @Test
    void sumsCombine() {
        byte[] data = new byte[101];
        new SplittableRandom(7).nextBytes(data);
        ByteBuf buf = Unpooled.wrappedBuffer(data);
        int whole = InternetChecksum.sum(buf, 0, 100);
        assertEquals(whole, InternetChecksum.add(InternetChecksum.sum(buf, 0, 40), InternetChecksum.sum(buf, 40, 60)));
    }
}

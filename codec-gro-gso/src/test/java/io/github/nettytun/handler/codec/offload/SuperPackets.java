/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.codec.offload;

import io.github.nettytun.channel.tun.InternetChecksum;
import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.channel.tun.VirtioNetHeader;
import io.github.nettytun.testing.PacketBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

/** Super-packets as the kernel hands them out, and the segments they stand for, built independently. */
final class SuperPackets {

    private SuperPackets() {
    }

    /** A super-packet as the kernel hands it out: {@link PacketBuilder#buildSuperPacket}. */
    static TunPacket of(PacketBuilder template, int gsoSize) {
        return template.buildSuperPacket(PooledByteBufAllocator.DEFAULT, gsoSize);
    }

    /**
     * The packets a super-packet of {@code payload} stands for: segment {@code i} is made by
     * {@code segment.apply(i)} (a builder with that segment's fields) with its slice of the payload.
     */
    static List<byte[]> expectedSegments(byte[] payload, int gsoSize, IntFunction<PacketBuilder> segment) {
        List<byte[]> out = new ArrayList<>();
        int count = Math.max(1, (payload.length + gsoSize - 1) / gsoSize);
        for (int i = 0; i < count; i++) {
            byte[] part = Arrays.copyOfRange(payload, Math.min(payload.length, i * gsoSize),
                    Math.min(payload.length, (i + 1) * gsoSize));
            out.add(segment.apply(i).payload(part).bytes());
        }
        return out;
    }

    /** The bytes of a buffer, released. */
    static byte[] drain(ByteBuf buf) {
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }
}

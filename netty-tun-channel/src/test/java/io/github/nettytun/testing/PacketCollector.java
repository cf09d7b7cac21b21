/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.channel.tun.VirtioNetHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The last inbound handler of a test pipeline: copies each matching packet read from a TUN channel into a
 * queue (and releases the packet at once, so a failing test leaks nothing), counts read batches, and records
 * exceptions.
 */
@ChannelHandler.Sharable
public final class PacketCollector extends ChannelInboundHandlerAdapter {

    /** A packet as read: its virtio header and a copy of its IP bytes. */
    public static final class Captured {
        public final VirtioNetHeader header;
        public final byte[] bytes;

        public Captured(VirtioNetHeader header, byte[] bytes) {
            this.header = header;
            this.bytes = bytes;
        }

        /** The bytes as a buffer for {@link TestPackets}' parsers (unpooled heap, nothing to release). */
        public ByteBuf ip() {
            return Unpooled.wrappedBuffer(bytes);
        }

        @Override
        public String toString() {
            return bytes.length + " bytes, " + header;
        }
    }

    private final Predicate<ByteBuf> filter;
    private final BlockingQueue<Captured> packets = new LinkedBlockingQueue<>();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final AtomicInteger readCompletes = new AtomicInteger();

    /** Keeps the packets {@code filter} accepts (it sees the IP packet). */
    public PacketCollector(Predicate<ByteBuf> filter) {
        this.filter = filter;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        TunPacket packet = (TunPacket) msg;
        try {
            if (filter.test(packet.content())) {
                packets.add(new Captured(packet.header(), ByteBufUtil.getBytes(packet.content())));
            }
        } finally {
            packet.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        readCompletes.incrementAndGet();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        errors.add(cause);
    }

    /** The next matching packet; fails the test if none arrives within {@code seconds}. */
    public Captured take(int seconds, String what) throws InterruptedException {
        Captured c = packets.poll(seconds, TimeUnit.SECONDS);
        if (c == null) {
            throw new AssertionError("no packet (" + what + ") arrived within " + seconds + " s; errors: " + errors);
        }
        return c;
    }

    /** The matching packets received so far (removes them). */
    public int drainTo(List<Captured> out) {
        return packets.drainTo(out);
    }

    public int size() {
        return packets.size();
    }

    public List<Throwable> errors() {
        return errors;
    }

    public int readCompletes() {
        return readCompletes.get();
    }
}

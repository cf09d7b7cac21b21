/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.ping;

import io.github.nettytun.channel.tun.InternetChecksum;
import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.channel.tun.VirtioNetHeader;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Answers ICMP echo requests (RFC 792) and ICMPv6 echo requests (RFC 4443) read from a TUN channel, as if a host
 * sat behind the device at every address routed into it. Everything else is passed on unchanged.
 *
 * <p>The reply is made in place: source and destination swapped, type changed, TTL/hop limit reset, checksums
 * recomputed; the same buffer is written back, so answering allocates no packet buffer. Replies are flushed once
 * per read batch. Only packets without IP options or IPv6 extension headers are answered.
 */
@ChannelHandler.Sharable
public final class IcmpEchoResponder extends ChannelInboundHandlerAdapter {

    private static final int ICMP_ECHO_REPLY = 0;
    private static final int ICMP_ECHO_REQUEST = 8;
    private static final int ICMPV6_ECHO_REQUEST = 128;
    private static final int ICMPV6_ECHO_REPLY = 129;
    private static final int PROTO_ICMP = 1;
    private static final int PROTO_ICMPV6 = 58;
    private static final int TTL = 64;

    private final AtomicLong answered = new AtomicLong();

    /** How many echo requests were answered. */
    public long answered() {
        return answered.get();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof TunPacket) {
            TunPacket packet = (TunPacket) msg;
            if (!packet.header().isGso() && answer(packet.content())) {
                answered.incrementAndGet();
                // The reply's checksums are complete: no offload header goes with it.
                ctx.write(new TunPacket(packet.content(), VirtioNetHeader.NONE));
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    /** Turns an echo request into its reply in place; {@code false} (and nothing changed) for anything else. */
    static boolean answer(ByteBuf ip) {
        int start = ip.readerIndex();
        int length = ip.readableBytes();
        if (length < 1) {
            return false;
        }
        int version = ip.getUnsignedByte(start) >>> 4;
        if (version == 4) {
            return answerV4(ip, start, length);
        }
        if (version == 6) {
            return answerV6(ip, start, length);
        }
        return false;
    }

    private static boolean answerV4(ByteBuf ip, int start, int length) {
        if (length < 28 || ip.getUnsignedByte(start) != 0x45 || ip.getUnsignedByte(start + 9) != PROTO_ICMP
                || ip.getUnsignedShort(start + 2) != length
                || (ip.getUnsignedShort(start + 6) & 0x3fff) != 0           // a fragment
                || ip.getUnsignedByte(start + 20) != ICMP_ECHO_REQUEST || ip.getUnsignedByte(start + 21) != 0) {
            return false;
        }
        swap(ip, start + 12, start + 16, 4);
        ip.setByte(start + 8, TTL);
        ip.setShort(start + 10, 0);
        ip.setShort(start + 10, InternetChecksum.checksum(ip, start, 20));
        int icmp = start + 20;
        ip.setByte(icmp, ICMP_ECHO_REPLY);
        ip.setShort(icmp + 2, 0);
        ip.setShort(icmp + 2, InternetChecksum.checksum(ip, icmp, length - 20));
        return true;
    }

    private static boolean answerV6(ByteBuf ip, int start, int length) {
        if (length < 48 || ip.getUnsignedByte(start + 6) != PROTO_ICMPV6
                || 40 + ip.getUnsignedShort(start + 4) != length
                || ip.getUnsignedByte(start + 40) != ICMPV6_ECHO_REQUEST || ip.getUnsignedByte(start + 41) != 0
                || ip.getUnsignedByte(start + 24) == 0xff) {                // to a multicast group: not ours to answer
            return false;
        }
        swap(ip, start + 8, start + 24, 16);
        ip.setByte(start + 7, TTL);
        int icmp = start + 40;
        ip.setByte(icmp, ICMPV6_ECHO_REPLY);
        ip.setShort(icmp + 2, 0);
        int sum = InternetChecksum.add(InternetChecksum.pseudoHeaderSumIpv6(ip, start, PROTO_ICMPV6, length - 40),
                InternetChecksum.sum(ip, icmp, length - 40));
        ip.setShort(icmp + 2, InternetChecksum.finish(sum));
        return true;
    }

    private static void swap(ByteBuf buf, int a, int b, int length) {
        for (int i = 0; i < length; i += 4) {
            int x = buf.getInt(a + i);
            buf.setInt(a + i, buf.getInt(b + i));
            buf.setInt(b + i, x);
        }
    }
}

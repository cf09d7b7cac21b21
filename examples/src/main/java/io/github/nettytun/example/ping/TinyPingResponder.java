/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.ping;

import io.github.nettytun.channel.tun.InternetChecksum;
import io.github.nettytun.channel.tun.TunAddress;
import io.github.nettytun.channel.tun.TunChannel;
import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.channel.tun.epoll.EpollTunChannel;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;

import java.net.InetAddress;

/**
 * The TunChannel API in a few dozen lines: a TUN device {@code tiny0} with 10.97.0.1/24 whose handler answers
 * every IPv4 ping sent into it (to 10.97.0.2, say) by turning the request around. Run as root, then
 * {@code ping 10.97.0.2}:
 * {@code sudo java -cp examples/target/netty-tun-examples.jar io.github.nettytun.example.ping.TinyPingResponder}.
 */
public final class TinyPingResponder {

    public static void main(String[] args) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        start(group).closeFuture().sync();
    }

    /** Binds {@code tiny0}, configures it and answers pings until the channel closes. */
    public static TunChannel start(EventLoopGroup group) throws Exception {
        TunChannel tun = (TunChannel) new Bootstrap().group(group).channel(EpollTunChannel.class)
                .handler(new SimpleChannelInboundHandler<TunPacket>(false) {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, TunPacket packet) {
                        ByteBuf ip = packet.content();
                        int o = ip.readerIndex();
                        int ihl = (ip.getByte(o) & 0x0f) * 4;
                        if ((ip.getByte(o) & 0xf0) != 0x40 || ip.getByte(o + 9) != 1 || ip.getByte(o + ihl) != 8) {
                            packet.release(); // not an IPv4 ICMP echo request
                            return;
                        }
                        int source = ip.getInt(o + 12);
                        ip.setInt(o + 12, ip.getInt(o + 16)).setInt(o + 16, source); // swap the addresses
                        ip.setByte(o + ihl, 0).setShort(o + ihl + 2, 0); // echo reply, checksum recomputed
                        int icmpLength = ip.readableBytes() - ihl;
                        ip.setShort(o + ihl + 2, InternetChecksum.checksum(ip, o + ihl, icmpLength));
                        ctx.writeAndFlush(ip); // the IPv4 header checksum is unchanged by a swap
                    }
                })
                .bind(new TunAddress("tiny0")).sync().channel();
        tun.device().addAddress(InetAddress.getByName("10.97.0.1"), 24).up();
        return tun;
    }
}

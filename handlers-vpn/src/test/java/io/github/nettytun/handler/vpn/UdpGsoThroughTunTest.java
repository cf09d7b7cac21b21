/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn;

import io.github.nettytun.channel.tun.TunAddress;
import io.github.nettytun.channel.tun.TunChannel;
import io.github.nettytun.channel.tun.epoll.EpollTunChannel;
import io.github.nettytun.testing.PacketCollector;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TemporaryNetns;
import io.github.nettytun.testing.TestPackets;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.github.nettytun.testing.TestPackets.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A segmented send over a route whose device has no offload at all (a plain TUN device in a namespace of the
 * test's own): the kernel segments it in software, and the device sees every datagram whole and in order.
 *
 * <p>This is also where the EIO fallback would be triggered for real on older kernels. Linux 6.18 answers a UDP GSO
 * send with EIO only for UDP-Lite or a route through an IPsec (xfrm) policy, and this kernel has no ESP to build one
 * with ({@code ip xfrm state add ... proto esp}: "Requested type not found"), so the fallback is tested with an
 * injected EIO in {@link UdpGsoSenderTest}.
 */
@Privileged
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UdpGsoThroughTunTest {

    @Test
    void aDeviceWithoutOffloadGetsEveryDatagramWhole() throws Exception {
        InetAddress local = InetAddress.getByName("10.83.0.1");
        InetAddress peer = InetAddress.getByName("10.83.0.2");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (TemporaryNetns ns = TemporaryNetns.create()) {
            PacketCollector collector = new PacketCollector(ip -> TestPackets.isUdpTo(ip, 5555));
            TunChannel tun = ns.call(() -> (TunChannel) new Bootstrap().group(group).channel(EpollTunChannel.class)
                    .handler(collector).bind(new TunAddress("gsofb0")).sync().channel());
            UdpGsoSender sender = new UdpGsoSender();
            Channel udp = null;
            try {
                tun.device().addAddress(local, 24).up();
                udp = ns.call(() -> new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                        .handler(sender).bind(new InetSocketAddress(local, 0)).sync().channel());
                Channel channel = udp;
                InetSocketAddress to = new InetSocketAddress(peer, 5555);
                List<byte[]> sent = new ArrayList<>();
                List<ChannelFuture> futures = new ArrayList<>();
                channel.eventLoop().submit(() -> {
                    for (int i = 0; i < 8; i++) {
                        byte[] data = pattern(1000, i);
                        sent.add(data);
                        futures.add(channel.write(new DatagramPacket(
                                PooledByteBufAllocator.DEFAULT.directBuffer(1000).writeBytes(data), to)));
                    }
                    channel.flush();
                }).sync();
                for (ChannelFuture f : futures) {
                    f.sync();
                }
                assertEquals(1, sender.segmentedSends(), sender.toString());
                assertEquals(0, sender.fallbacks(), sender.toString());
                for (int i = 0; i < sent.size(); i++) {
                    PacketCollector.Captured p = collector.take(20, "datagram " + i);
                    assertArrayEquals(sent.get(i), TestPackets.udpPayload(p.ip()), "datagram " + i);
                }
            } finally {
                if (udp != null) {
                    udp.close().sync();
                }
                tun.close().sync();
            }
        } finally {
            group.shutdownGracefully(100, 5000, TimeUnit.MILLISECONDS).sync();
        }
    }
}

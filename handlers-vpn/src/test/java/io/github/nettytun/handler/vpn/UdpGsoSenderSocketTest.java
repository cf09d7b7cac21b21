/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.github.nettytun.testing.TestRequirements;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.github.nettytun.testing.TestPackets.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real sockets on loopback: a flush of same-size datagrams through {@link UdpGsoSender} leaves as one segmented send
 * and arrives at a plain socket as the same datagrams, byte for byte, on both of Netty's native transports.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UdpGsoSenderSocketTest {

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"epoll, 127.0.0.1", "epoll, ::1", "io_uring, 127.0.0.1", "io_uring, ::1"})
    void aFlushOfSameSizeDatagramsIsOneSegmentedSend(String transport, String host) throws Exception {
        boolean epoll = transport.equals("epoll");
        TestRequirements.require(epoll ? Epoll.isAvailable() : IoUring.isAvailable(), transport + " unavailable");
        InetAddress loopback = InetAddress.getByName(host);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                epoll ? EpollIoHandler.newFactory() : IoUringIoHandler.newFactory());
        try (DatagramSocket receiver = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
            receiver.setSoTimeout(10_000);
            receiver.setReceiveBufferSize(4 << 20);
            UdpGsoSender sender = new UdpGsoSender();
            Channel channel = new Bootstrap().group(group)
                    .channel(epoll ? EpollDatagramChannel.class : IoUringDatagramChannel.class)
                    .handler(sender).bind(new InetSocketAddress(loopback, 0)).sync().channel();
            try {
                assertTrue(UdpGsoSender.isSegmentedSendSupported(channel), "UDP_SEGMENT on " + channel);
                InetSocketAddress to = (InetSocketAddress) receiver.getLocalSocketAddress();
                List<byte[]> sent = new ArrayList<>();
                List<ChannelFuture> futures = new ArrayList<>();
                channel.eventLoop().submit(() -> {
                    for (int i = 0; i < 41; i++) {
                        byte[] data = pattern(i == 40 ? 500 : 1200, i);
                        sent.add(data);
                        futures.add(channel.write(new DatagramPacket(
                                PooledByteBufAllocator.DEFAULT.directBuffer(data.length).writeBytes(data), to)));
                    }
                    channel.flush();
                }).sync();
                for (ChannelFuture f : futures) {
                    f.sync();
                }
                for (int i = 0; i < sent.size(); i++) {
                    java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[65536], 65536);
                    receiver.receive(p);
                    assertArrayEquals(sent.get(i), Arrays.copyOf(p.getData(), p.getLength()), "datagram " + i);
                }
                assertEquals(1, sender.segmentedSends(), sender.toString());
                assertEquals(41, sender.segmentsSent(), sender.toString());
                assertEquals(0, sender.fallbacks());
            } finally {
                channel.close().sync();
            }
        } finally {
            group.shutdownGracefully(100, 5000, TimeUnit.MILLISECONDS).sync();
        }
    }
}

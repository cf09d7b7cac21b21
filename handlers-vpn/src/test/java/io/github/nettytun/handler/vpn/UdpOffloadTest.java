/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn;

import io.github.nettytun.testing.TestRequirements;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.ChannelOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.github.nettytun.testing.TestPackets.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link UdpOffload} on real loopback sockets: the options land, and batched receives lose nothing. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UdpOffloadTest {

    private final List<EventLoopGroup> groups = new ArrayList<>();
    private final List<Channel> channels = new ArrayList<>();

    @AfterEach
    void close() throws InterruptedException {
        for (Channel c : channels) {
            c.close().sync();
        }
        for (EventLoopGroup g : groups) {
            g.shutdownGracefully(100, 5000, TimeUnit.MILLISECONDS).sync();
        }
    }

    private Channel bind(String transport, Object handler, boolean offload) throws InterruptedException {
        Class<? extends Channel> type;
        EventLoopGroup group;
        switch (transport) {
            case "epoll":
                TestRequirements.require(Epoll.isAvailable(), "epoll unavailable");
                type = EpollDatagramChannel.class;
                group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
                break;
            case "io_uring":
                TestRequirements.require(IoUring.isAvailable(), "io_uring unavailable");
                type = IoUringDatagramChannel.class;
                group = new MultiThreadIoEventLoopGroup(1, IoUringIoHandler.newFactory());
                break;
            default:
                type = NioDatagramChannel.class;
                group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        }
        groups.add(group);
        Bootstrap b = new Bootstrap().group(group).channel(type).handler((io.netty.channel.ChannelHandler) handler);
        if (offload) {
            UdpOffload.configure(b, type, 1500);
        }
        Channel ch = b.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        channels.add(ch);
        return ch;
    }

    @Test
    void eachTransportGetsItsOptions() throws Exception {
        Channel epoll = bind("epoll", new io.netty.channel.ChannelInboundHandlerAdapter(), true);
        assertTrue(epoll.config().getOption(EpollChannelOption.UDP_GRO));
        assertEquals(0, epoll.config().getOption(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE));
        assertInstanceOf(FixedRecvByteBufAllocator.class, epoll.config().getOption(ChannelOption.RCVBUF_ALLOCATOR));

        Channel ioUring = bind("io_uring", new io.netty.channel.ChannelInboundHandlerAdapter(), true);
        assertEquals(1500, ioUring.config().getOption(IoUringChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE));
        assertEquals(1500 * UdpOffload.IO_URING_RECEIVES_PER_READ, ((FixedRecvByteBufAllocator) ioUring.config()
                .getOption(ChannelOption.RCVBUF_ALLOCATOR)).newHandle().guess(), "32 receives per read");

        // With groSplitByProtocol: UDP_GRO on the io_uring socket (read back from the kernel), 64 KiB receives.
        assertTrue(UdpOffload.needsGroSplitter(IoUringDatagramChannel.class));
        assertTrue(UdpOffload.needsGroSplitter(EpollDatagramChannel.class));
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, IoUringIoHandler.newFactory());
        groups.add(group);
        Bootstrap gro = new Bootstrap().group(group).channel(IoUringDatagramChannel.class)
                .handler(new io.netty.channel.ChannelInboundHandlerAdapter());
        UdpOffload.configure(gro, IoUringDatagramChannel.class, 1500, true);
        Channel ioUringGro = gro.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        channels.add(ioUringGro);
        assertEquals(1, ioUringGro.config().getOption(new IntegerUnixChannelOption("UDP_GRO", 17, 104)));
        assertEquals(UdpOffload.GRO_READ_BUFFER_SIZE,
                ioUringGro.config().getOption(IoUringChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE));

        EventLoopGroup epollGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        groups.add(epollGroup);
        Bootstrap epollGro = new Bootstrap().group(epollGroup).channel(EpollDatagramChannel.class)
                .handler(new io.netty.channel.ChannelInboundHandlerAdapter());
        UdpOffload.configure(epollGro, EpollDatagramChannel.class, 1500, true);
        Channel epollRecvmmsg = epollGro.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync()
                .channel();
        channels.add(epollRecvmmsg);
        assertEquals(UdpOffload.GRO_READ_BUFFER_SIZE,
                epollRecvmmsg.config().getOption(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE), "recvmmsg slots");
        assertTrue(epollRecvmmsg.config().getOption(EpollChannelOption.UDP_GRO));

        Channel nio = bind("nio", new io.netty.channel.ChannelInboundHandlerAdapter(), true);
        UdpOffload.BufferSizes sizes = UdpOffload.checkBufferSizes(nio);
        long rmemMax = sysctl("rmem_max");
        long wmemMax = sysctl("wmem_max");
        // The kernel grants min(asked, max) (and may report twice that).
        assertTrue(sizes.receive >= Math.min(UdpOffload.SOCKET_BUFFER_SIZE, rmemMax), sizes.toString());
        assertTrue(sizes.send >= Math.min(UdpOffload.SOCKET_BUFFER_SIZE, wmemMax), sizes.toString());
        assertEquals(sizes.receive < UdpOffload.SOCKET_BUFFER_SIZE || sizes.send < UdpOffload.SOCKET_BUFFER_SIZE,
                sizes.capped, sizes.toString());
        if (2 * Math.min(rmemMax, wmemMax) < UdpOffload.SOCKET_BUFFER_SIZE) {
            assertTrue(sizes.capped, "net.core.rmem_max " + rmemMax + ", wmem_max " + wmemMax + ": " + sizes);
        }
    }

    /** A net.core sysctl (readAllLines: procfs reports a size that makes Files.readString stop early). */
    private static long sysctl(String name) throws java.io.IOException {
        return Long.parseLong(Files.readAllLines(Paths.get("/proc/sys/net/core/" + name)).get(0).trim());
    }

    /**
     * Collects the datagrams a channel reads, as bytes, and counts those that start where the one before ended in
     * memory: slices of one receive buffer, i.e. datagrams the kernel coalesced (GRO) and Netty split.
     */
    static final class Receiver extends SimpleChannelInboundHandler<DatagramPacket> {
        final BlockingQueue<byte[]> datagrams = new LinkedBlockingQueue<>();
        volatile int adjacent;
        private long nextAddress = -1;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket msg) {
            io.netty.buffer.ByteBuf content = msg.content();
            if (content.hasMemoryAddress()) {
                long address = content.memoryAddress() + content.readerIndex();
                if (address == nextAddress) {
                    adjacent++;
                }
                nextAddress = address + content.readableBytes();
            }
            datagrams.add(ByteBufUtil.getBytes(content));
        }
    }

    @ParameterizedTest(name = "{0} receiver")
    @ValueSource(strings = {"epoll", "io_uring"})
    void aSegmentedBurstArrivesAsItsDatagrams(String transport) throws Exception {
        Receiver receiver = new Receiver();
        Channel in = bind(transport, receiver, true);
        UdpGsoSender sender = new UdpGsoSender();
        Channel out = bind("epoll", sender, false);
        InetSocketAddress to = (InetSocketAddress) in.localAddress();
        List<byte[]> sent = new ArrayList<>();
        out.eventLoop().submit(() -> {
            for (int i = 0; i < 41; i++) {
                byte[] data = pattern(i == 40 ? 300 : 1400, i);
                sent.add(data);
                out.write(new DatagramPacket(PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(data), to));
            }
            out.flush();
        }).sync();
        for (int i = 0; i < sent.size(); i++) {
            byte[] got = receiver.datagrams.poll(10, TimeUnit.SECONDS);
            assertNotNull(got, "datagram " + i + " of " + sent.size());
            assertArrayEquals(sent.get(i), got, "datagram " + i);
        }
        assertEquals(1, sender.segmentedSends());
        if (transport.equals("epoll")) {
            assertTrue(receiver.adjacent > 0, "with UDP_GRO the kernel coalesced the burst and Netty split it");
        }
    }
}

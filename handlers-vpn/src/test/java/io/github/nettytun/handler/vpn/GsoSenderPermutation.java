/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * netty-testsuite's datagram permutations on NIO, epoll and io_uring, every channel created with a
 * {@link UdpGsoSender} first in its pipeline (so behind every handler a test adds). Remembers the senders per
 * transport, so a suite can check that the native ones really sent segmented packets.
 */
final class GsoSenderPermutation {

    static final Map<String, List<UdpGsoSender>> SENDERS = new ConcurrentHashMap<>();

    private static final EventLoopGroup NIO = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private static EventLoopGroup epoll;
    private static EventLoopGroup ioUring;

    private GsoSenderPermutation() {
    }

    static synchronized List<BootstrapComboFactory<Bootstrap, Bootstrap>> datagram(SocketProtocolFamily family) {
        List<BootstrapFactory<Bootstrap>> factories = new ArrayList<>();
        factories.add(factory("nio", NIO, f -> new NioDatagramChannel(f), family));
        if (Epoll.isAvailable()) {
            if (epoll == null) {
                epoll = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
            }
            factories.add(factory("epoll", epoll, f -> new EpollDatagramChannel(f), family));
        }
        if (IoUring.isAvailable()) {
            if (ioUring == null) {
                ioUring = new MultiThreadIoEventLoopGroup(2, IoUringIoHandler.newFactory());
            }
            factories.add(factory("io_uring", ioUring, f -> new IoUringDatagramChannel(f), family));
        }
        List<BootstrapComboFactory<Bootstrap, Bootstrap>> combos = new ArrayList<>();
        for (BootstrapFactory<Bootstrap> server : factories) {
            for (BootstrapFactory<Bootstrap> client : factories) {
                combos.add(new BootstrapComboFactory<Bootstrap, Bootstrap>() {
                    @Override
                    public Bootstrap newServerInstance() {
                        return server.newInstance();
                    }

                    @Override
                    public Bootstrap newClientInstance() {
                        return client.newInstance();
                    }
                });
            }
        }
        return combos;
    }

    private static BootstrapFactory<Bootstrap> factory(String transport, EventLoopGroup group,
                                                       Function<SocketProtocolFamily, Channel> newChannel,
                                                       SocketProtocolFamily family) {
        return () -> new Bootstrap().group(group).channelFactory(new ChannelFactory<Channel>() {
            @Override
            public Channel newChannel() {
                Channel channel = newChannel.apply(family);
                UdpGsoSender sender = new UdpGsoSender();
                SENDERS.computeIfAbsent(transport, t -> new CopyOnWriteArrayList<>()).add(sender);
                channel.pipeline().addFirst(sender);
                return channel;
            }

            @Override
            public String toString() {
                return transport + " datagram channel with UdpGsoSender";
            }
        });
    }

    /** Segmented sends made by the senders of {@code transport} so far. */
    static long segmentedSends(String transport) {
        return SENDERS.getOrDefault(transport, List.of()).stream().mapToLong(UdpGsoSender::segmentedSends).sum();
    }
}

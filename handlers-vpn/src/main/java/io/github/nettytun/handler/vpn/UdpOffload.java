/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannelConfig;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.util.internal.ObjectUtil;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

/**
 * Sets up the encrypted side of a VPN, a UDP channel, for batched receives that lose nothing, per transport:
 *
 * <ul>
 *   <li><b>epoll</b> ({@code EpollDatagramChannel}): {@code UDP_GRO} on, so the kernel hands over runs of datagrams
 *       from one sender as one receive, which Netty splits into {@code DatagramPacket}s (slices of one buffer)
 *       before the pipeline. {@code MAX_DATAGRAM_PAYLOAD_SIZE} stays 0 and every read gets a 64 KiB buffer: with
 *       a smaller payload size Netty would use {@code recvmmsg} into fixed slots and a coalesced receive would be
 *       cut short, silently. With {@link #configure(Bootstrap, Class, int, boolean) groSplitByProtocol}, Netty
 *       reads with {@code recvmmsg} into 4 slots of 64 KiB ({@code MAX_DATAGRAM_PAYLOAD_SIZE} 64 KiB, reads of
 *       {@link #IO_URING_READ_BYTES}); that path hands coalesced receives over unsplit, so the pipeline holds a
 *       {@link UdpGroSplitter}, as on io_uring. Datagrams that were not coalesced (many senders, a flood) then cost
 *       a quarter of the system calls: under a handshake flood at about 200,000 datagrams a second, 2-4 % were
 *       lost to a full socket buffer instead of about 10 % (examples' {@code HandshakeFloodTest}).</li>
 *   <li><b>io_uring</b> ({@code IoUringDatagramChannel}): its read path does not parse the GRO control message, so
 *       coalesced datagrams reach the pipeline as one. By default no GRO: {@code MAX_DATAGRAM_PAYLOAD_SIZE} is the
 *       largest datagram expected and each read submits up to {@link #IO_URING_RECEIVES_PER_READ} receives at
 *       once; a datagram larger than that size is truncated by the kernel: size it for the path MTU. With
 *       {@link #configure(Bootstrap, Class, int, boolean) groSplitByProtocol} {@code UDP_GRO} is on, every receive
 *       gets 64 KiB, and the pipeline must hold a {@link UdpGroSplitter} (see {@link #needsGroSplitter(Class)})
 *       whose protocol tells the segment size.</li>
 *   <li>Any other channel (NIO): only the socket buffers.</li>
 * </ul>
 *
 * Every transport gets {@link #SOCKET_BUFFER_SIZE} send and receive buffers; the kernel caps them at
 * {@code net.core.wmem_max}/{@code rmem_max}, which {@link #checkBufferSizes(Channel)} reports in one log line.
 */
public final class UdpOffload {

    /** Socket send and receive buffer asked for: 7 MiB, as wireguard-go asks. */
    public static final int SOCKET_BUFFER_SIZE = 7 << 20;
    /** A UDP receive with GRO holds at most one 64 KiB IP packet's payload. */
    public static final int GRO_READ_BUFFER_SIZE = 65536;
    /** Receives submitted per read on io_uring, at most (fewer for large datagrams: {@link #IO_URING_READ_BYTES}). */
    public static final int IO_URING_RECEIVES_PER_READ = 32;
    /** io_uring read buffers stay within this size: 32 receives of 1500 bytes, 4 of 64 KiB. */
    public static final int IO_URING_READ_BYTES = 256 << 10;

    /** {@code SOL_UDP} and {@code UDP_GRO} of {@code include/uapi/linux/udp.h}. */
    private static final int SOL_UDP = 17;
    private static final int UDP_GRO = 104;
    /**
     * {@code SO_MARK} (a firewall mark on every packet the socket sends, for policy routing; needs CAP_NET_ADMIN),
     * for Netty's epoll and io_uring channels, which take any {@code IntegerUnixChannelOption}.
     */
    public static final ChannelOption<Integer> SO_MARK = new IntegerUnixChannelOption("SO_MARK", 1, 36);

    /** {@code SO_SNDBUFFORCE} and {@code SO_RCVBUFFORCE} of {@code include/uapi/asm-generic/socket.h}. */
    private static final IntegerUnixChannelOption SO_SNDBUFFORCE = new IntegerUnixChannelOption("SO_SNDBUFFORCE", 1,
            32);
    private static final IntegerUnixChannelOption SO_RCVBUFFORCE = new IntegerUnixChannelOption("SO_RCVBUFFORCE", 1,
            33);

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(UdpOffload.class);
    private static final String EPOLL_CHANNEL = "io.netty.channel.epoll.EpollDatagramChannel";
    private static final String IO_URING_CHANNEL = "io.netty.channel.uring.IoUringDatagramChannel";

    private UdpOffload() {
    }

    /**
     * Sets the options above on {@code bootstrap} for channels of {@code channelClass}.
     *
     * @param maxDatagramSize the largest datagram payload expected (io_uring truncates larger ones)
     * @return {@code bootstrap}
     */
    public static Bootstrap configure(Bootstrap bootstrap, Class<? extends Channel> channelClass,
                                      int maxDatagramSize) {
        return configure(bootstrap, channelClass, maxDatagramSize, false);
    }

    /**
     * Sets the options above on {@code bootstrap} for channels of {@code channelClass}.
     *
     * @param maxDatagramSize    the largest datagram payload expected (io_uring without GRO truncates larger ones)
     * @param groSplitByProtocol on io_uring, turn {@code UDP_GRO} on; on epoll, read with {@code recvmmsg}; the
     *                           caller adds a {@link UdpGroSplitter} when {@link #needsGroSplitter(Class)}
     * @return {@code bootstrap}
     */
    public static Bootstrap configure(Bootstrap bootstrap, Class<? extends Channel> channelClass,
                                      int maxDatagramSize, boolean groSplitByProtocol) {
        ObjectUtil.checkInRange(maxDatagramSize, 1, 65535, "maxDatagramSize");
        bootstrap.option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER_SIZE)
                .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER_SIZE);
        switch (channelClass.getName()) {
            case EPOLL_CHANNEL:
                bootstrap.option(option("io.netty.channel.epoll.EpollChannelOption", "UDP_GRO"), true);
                if (groSplitByProtocol) {
                    bootstrap.option(option("io.netty.channel.epoll.EpollChannelOption", "MAX_DATAGRAM_PAYLOAD_SIZE"),
                                    GRO_READ_BUFFER_SIZE)
                            .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(IO_URING_READ_BYTES));
                    break;
                }
                bootstrap.option(option("io.netty.channel.epoll.EpollChannelOption", "MAX_DATAGRAM_PAYLOAD_SIZE"), 0)
                        .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(GRO_READ_BUFFER_SIZE));
                break;
            case IO_URING_CHANNEL:
                if (groSplitByProtocol) {
                    bootstrap.option(new IntegerUnixChannelOption("UDP_GRO", SOL_UDP, UDP_GRO), 1)
                            .option(option("io.netty.channel.uring.IoUringChannelOption", "MAX_DATAGRAM_PAYLOAD_SIZE"),
                                    GRO_READ_BUFFER_SIZE)
                            .option(ChannelOption.RCVBUF_ALLOCATOR,
                                    new FixedRecvByteBufAllocator(IO_URING_READ_BYTES));
                    break;
                }
                int receives = Math.max(1,
                        Math.min(IO_URING_RECEIVES_PER_READ, IO_URING_READ_BYTES / maxDatagramSize));
                bootstrap.option(option("io.netty.channel.uring.IoUringChannelOption", "MAX_DATAGRAM_PAYLOAD_SIZE"),
                                maxDatagramSize)
                        .option(ChannelOption.RCVBUF_ALLOCATOR,
                                new FixedRecvByteBufAllocator(maxDatagramSize * receives));
                break;
            default:
                break;
        }
        return bootstrap;
    }

    /**
     * Whether channels of {@code channelClass}, configured with {@code groSplitByProtocol}, hand over coalesced
     * receives unsplit, so that the pipeline needs a {@link UdpGroSplitter}: io_uring's and epoll's.
     */
    public static boolean needsGroSplitter(Class<? extends Channel> channelClass) {
        return IO_URING_CHANNEL.equals(channelClass.getName()) || EPOLL_CHANNEL.equals(channelClass.getName());
    }

    /** A transport's option constant, read reflectively so that this module needs neither transport. */
    @SuppressWarnings("unchecked")
    private static <T> ChannelOption<T> option(String className, String name) {
        try {
            return (ChannelOption<T>) Class.forName(className).getField(name).get(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("cannot find " + className + '.' + name
                    + " although the channel class is on the classpath", e);
        }
    }

    /** What the kernel granted for a datagram channel's socket buffers. */
    public static final class BufferSizes {
        public final int receive;
        public final int send;
        /** Whether the kernel gave less than asked (it reports twice the size set, for its bookkeeping). */
        public final boolean capped;

        BufferSizes(int receive, int send, boolean capped) {
            this.receive = receive;
            this.send = send;
            this.capped = capped;
        }

        @Override
        public String toString() {
            return "SO_RCVBUF " + receive + ", SO_SNDBUF " + send + (capped ? " (capped)" : "");
        }
    }

    /**
     * Sets the socket buffers of a bound epoll or io_uring datagram channel to {@link #SOCKET_BUFFER_SIZE} past the
     * {@code net.core} limits ({@code SO_RCVBUFFORCE}, {@code SO_SNDBUFFORCE}), as wireguard-go does: a VPN server
     * holds {@code CAP_NET_ADMIN}, and a buffer that absorbs the moments its thread is not scheduled is what keeps a
     * flood of junk from pushing real datagrams out. Without the capability the buffers stay as the kernel capped
     * them; returns whether both were forced.
     */
    public static boolean forceBufferSizes(Channel channel) {
        String type = channel.getClass().getName();
        if (!type.equals(EPOLL_CHANNEL) && !type.equals(IO_URING_CHANNEL)) {
            return false;
        }
        try {
            return channel.config().setOption(SO_RCVBUFFORCE, SOCKET_BUFFER_SIZE)
                    && channel.config().setOption(SO_SNDBUFFORCE, SOCKET_BUFFER_SIZE);
        } catch (ChannelException e) {
            logger.debug("{}: SO_RCVBUFFORCE/SO_SNDBUFFORCE refused (no CAP_NET_ADMIN?)", channel, e);
            return false;
        }
    }

    /**
     * Reads back the socket buffer sizes of a bound datagram channel and logs one line at INFO if the kernel capped
     * them below {@link #SOCKET_BUFFER_SIZE}, naming the sysctls that lift the cap.
     */
    public static BufferSizes checkBufferSizes(Channel channel) {
        DatagramChannelConfig config = (DatagramChannelConfig) channel.config();
        int receive = config.getReceiveBufferSize();
        int send = config.getSendBufferSize();
        // Linux doubles the value set (socket(7)), so a granted request reads back as at least the request.
        boolean capped = receive < SOCKET_BUFFER_SIZE || send < SOCKET_BUFFER_SIZE;
        BufferSizes sizes = new BufferSizes(receive, send, capped);
        if (capped) {
            logger.info("{}: socket buffers {} of {} asked; bursts may be dropped. Raise the limits with "
                    + "sysctl -w net.core.rmem_max={} net.core.wmem_max={}", channel, sizes, SOCKET_BUFFER_SIZE,
                    SOCKET_BUFFER_SIZE, SOCKET_BUFFER_SIZE);
        }
        return sizes;
    }
}

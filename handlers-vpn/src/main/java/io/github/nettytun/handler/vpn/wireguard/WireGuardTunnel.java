/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.channel.tun.TunAddress;
import io.github.nettytun.channel.tun.TunChannel;
import io.github.nettytun.channel.tun.TunChannelOption;
import io.github.nettytun.channel.tun.TunDevice;
import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.handler.codec.offload.TunGroCoalescer;
import io.github.nettytun.handler.codec.offload.TunGsoSegmenter;
import io.github.nettytun.handler.vpn.UdpGsoSender;
import io.github.nettytun.handler.vpn.UdpGroSplitter;
import io.github.nettytun.handler.vpn.UdpOffload;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.DatagramChannel;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A running WireGuard interface: a {@link TunChannel} and a UDP {@link DatagramChannel} on one event loop, with a
 * {@link WireGuardDevice} between them. The builder wires the pipelines:
 *
 * <pre>
 *  TUN channel:  TunGroCoalescer (outbound) | TunGsoSegmenter (inbound) | inner handlers | device.tunHandler()
 *                [unwrap: TunPacket to ByteBuf] | inner handlers | device.tunHandler()        [offload off]
 *  UDP channel:  UdpGsoSender (outbound) | device.udpHandler()        + UdpOffload receive settings (UDP_GRO)
 *                UdpGsoSender | UdpGroSplitter (inbound) | device.udpHandler()                    [io_uring]
 * </pre>
 *
 * <h2>Inner packet handlers</h2>
 * {@link Builder#innerHandler} adds handlers of the caller's (a firewall, a shaper, NAT, a packet log) where they
 * see the inner IP packets in both directions, offload on or off, on either transport:
 * <ul>
 *   <li><b>Inbound</b> ({@code channelRead}): a packet read from the TUN device, to be encrypted and sent to the
 *       peer its destination routes to. Always a {@link io.netty.buffer.ByteBuf} holding one IPv4 or IPv6 packet
 *       from its reader index (a super-packet of the kernel's has been cut into MTU-sized packets, their checksums
 *       complete; a segment may be a composite buffer). Pass it on with {@code ctx.fireChannelRead(msg)}; to drop
 *       it, release it. Nothing of the device runs before it: the destination has not been routed yet.</li>
 *   <li><b>Outbound</b> ({@code write}): a packet a peer sent, decrypted, its source address checked against that
 *       peer's allowed IPs, on its way to the TUN device (and the GRO coalescer before it). Also a {@code ByteBuf}
 *       holding one IP packet. Pass it on with {@code ctx.write(msg, promise)}; to drop it, release it and
 *       {@code promise.trySuccess()} (the device writes with the channel's void promise). Do not hold back
 *       {@code flush()}: the device flushes once per read batch.</li>
 *   <li>Both run on the tunnel's event loop, must not block, and may change bytes in place or replace the buffer
 *       (releasing the old one). A changed packet needs correct IP and transport checksums: with offload on, the
 *       coalescer verifies them and leaves a packet with a wrong one uncoalesced (counted); the kernel drops it.</li>
 *   <li>A handler instance can be in one pipeline only unless it is {@code @Sharable}: use
 *       {@link Builder#innerHandler(String, Supplier)} to start more than one tunnel from a builder.</li>
 * </ul>
 *
 * <pre>{@code
 * WireGuardDevice device = new WireGuardDevice(privateKey);
 * device.addPeer(new PeerConfig(peerPublicKey).allowedIp("10.9.0.2/32").endpoint(peerEndpoint));
 * WireGuardTunnel tunnel = WireGuardTunnel.builder()
 *         .eventLoop(group.next())                       // an epoll or io_uring loop
 *         .tunChannel(EpollTunChannel.class)             // or IoUringTunChannel.class
 *         .datagramChannel(EpollDatagramChannel.class)   // or IoUringDatagramChannel.class
 *         .interfaceName("wg0").offload(true).mtu(1420)
 *         .address(InetAddress.getByName("10.9.0.1"), 24)
 *         .listenPort(51820)
 *         .start(device);
 * ...
 * tunnel.close();
 * }</pre>
 *
 * <p>{@link Builder#start} creates both channels on the calling thread, so they live in that thread's network
 * namespace (see {@code NetworkNamespace}). The module depends on no transport: the channel classes are the
 * caller's choice, and must match the event loop.
 */
public final class WireGuardTunnel implements AutoCloseable {

    private final WireGuardDevice device;
    private final TunChannel tun;
    private final Channel udp;
    private final TunGsoSegmenter segmenter;
    private final TunGroCoalescer coalescer;
    private final UdpGsoSender sender;
    private final UdpGroSplitter groSplitter;
    private boolean closed;

    private WireGuardTunnel(WireGuardDevice device, TunChannel tun, Channel udp, TunGsoSegmenter segmenter,
                           TunGroCoalescer coalescer, UdpGsoSender sender, UdpGroSplitter groSplitter) {
        this.device = device;
        this.tun = tun;
        this.udp = udp;
        this.segmenter = segmenter;
        this.coalescer = coalescer;
        this.sender = sender;
        this.groSplitter = groSplitter;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** The protocol state and its counters. */
    public WireGuardDevice device() {
        return device;
    }

    /** The TUN channel. */
    public TunChannel tunChannel() {
        return tun;
    }

    /** The UDP channel. */
    public Channel udpChannel() {
        return udp;
    }

    /** The UDP address the tunnel listens on. */
    public InetSocketAddress listenAddress() {
        return (InetSocketAddress) udp.localAddress();
    }

    /** The GSO segmenter, or {@code null} without offload. */
    public TunGsoSegmenter segmenter() {
        return segmenter;
    }

    /** The GRO coalescer, or {@code null} without offload. */
    public TunGroCoalescer coalescer() {
        return coalescer;
    }

    /** The UDP GSO sender. */
    public UdpGsoSender udpSender() {
        return sender;
    }

    /** The splitter of coalesced UDP receives (io_uring only), or {@code null}. */
    public UdpGroSplitter groSplitter() {
        return groSplitter;
    }

    /** Stops the device's timers and closes both channels (the interface goes with the TUN channel). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Channels first: a packet read between the device's close and the channel's would be staged for ever.
        try {
            udp.close().syncUninterruptibly();
            tun.close().syncUninterruptibly();
        } finally {
            device.close();
        }
    }

    @Override
    public String toString() {
        return "WireGuardTunnel(" + tun.localAddress() + ", udp " + udp.localAddress() + ", " + device + ')';
    }

    /**
     * Without offload, what the TUN channel reads is a {@link TunPacket} with no virtio header: its content, the IP
     * packet, goes on as a {@code ByteBuf}, as the segmenter passes packets on with offload.
     */
    @ChannelHandler.Sharable
    private static final class Unwrap extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof TunPacket && !((TunPacket) msg).header().isGso()
                    && !((TunPacket) msg).header().needsCsum()) {
                ctx.fireChannelRead(((TunPacket) msg).content());
            } else {
                ctx.fireChannelRead(msg);
            }
        }
    }

    private static final Unwrap UNWRAP = new Unwrap();

    /** Builds a {@link WireGuardTunnel}. */
    public static final class Builder {
        private EventLoop eventLoop;
        private Class<? extends TunChannel> tunChannelClass;
        private Class<? extends DatagramChannel> datagramChannelClass;
        private String interfaceName = "";
        private boolean offload;
        private int mtu = 1420;
        private InetSocketAddress listenAddress = new InetSocketAddress(0);
        private final List<InetAddress> addresses = new ArrayList<>();
        private final List<Integer> prefixLengths = new ArrayList<>();
        private final Map<String, Supplier<? extends ChannelHandler>> innerHandlers = new LinkedHashMap<>();
        private int fwmark;

        private Builder() {
        }

        /**
         * Adds a handler of inner packets (see the class documentation for what it sees and may do), after those
         * added before it: inbound packets pass them in the order added, outbound ones in the reverse order.
         *
         * @param name    its name in the TUN pipeline
         * @param handler the handler; a tunnel started from this builder takes it (once, unless {@code @Sharable})
         */
        public Builder innerHandler(String name, ChannelHandler handler) {
            Objects.requireNonNull(handler, "handler");
            return innerHandler(name, () -> handler);
        }

        /** Adds a handler of inner packets made for each tunnel this builder starts; see {@link #innerHandler}. */
        public Builder innerHandler(String name, Supplier<? extends ChannelHandler> handler) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(handler, "handler");
            if (innerHandlers.putIfAbsent(name, handler) != null) {
                throw new IllegalArgumentException("an inner handler named " + name + " was added already");
            }
            return this;
        }

        /** The event loop for both channels (epoll or io_uring, matching the channel classes). */
        public Builder eventLoop(EventLoop eventLoop) {
            this.eventLoop = Objects.requireNonNull(eventLoop, "eventLoop");
            return this;
        }

        /** The TUN channel class, e.g. {@code EpollTunChannel.class}. */
        public Builder tunChannel(Class<? extends TunChannel> tunChannelClass) {
            this.tunChannelClass = Objects.requireNonNull(tunChannelClass, "tunChannelClass");
            return this;
        }

        /** The UDP channel class, e.g. {@code EpollDatagramChannel.class}. */
        public Builder datagramChannel(Class<? extends DatagramChannel> datagramChannelClass) {
            this.datagramChannelClass = Objects.requireNonNull(datagramChannelClass, "datagramChannelClass");
            return this;
        }

        /** The interface name; empty lets the kernel choose ({@code tun%d}). */
        public Builder interfaceName(String interfaceName) {
            this.interfaceName = Objects.requireNonNull(interfaceName, "interfaceName");
            return this;
        }

        /**
         * Whether to open the TUN device with IFF_VNET_HDR and TSO/USO/checksum offload, segmenting its
         * super-packets before encryption and coalescing decrypted packets for its writes. Default off.
         */
        public Builder offload(boolean offload) {
            this.offload = offload;
            return this;
        }

        /** The interface MTU (default 1420, WireGuard's for a 1500-byte path). */
        public Builder mtu(int mtu) {
            this.mtu = mtu;
            return this;
        }

        /** The UDP port to listen on (0: any), all addresses. */
        public Builder listenPort(int port) {
            return listenAddress(new InetSocketAddress(port));
        }

        /** The UDP address to listen on. */
        public Builder listenAddress(InetSocketAddress address) {
            this.listenAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * A firewall mark on every datagram the tunnel sends ({@code SO_MARK}, wg's {@code fwmark}; 0, the default,
         * for none), set before the socket sends anything: with policy rules that send unmarked traffic into the
         * tunnel, the tunnel's own packets to its peers keep to the main table (a full tunnel, as wg-quick's).
         */
        public Builder fwmark(int mark) {
            this.fwmark = mark;
            return this;
        }

        /** An interface address (several allowed); the kernel adds the prefix route. */
        public Builder address(InetAddress address, int prefixLength) {
            addresses.add(Objects.requireNonNull(address, "address"));
            prefixLengths.add(prefixLength);
            return this;
        }

        /**
         * Creates and binds both channels (on this thread, so in its network namespace), configures and brings
         * up the interface, and attaches {@code device}. On failure everything opened is closed again.
         *
         * @throws Exception what failed: a bind (the port is taken, no permission), the interface configuration
         */
        public WireGuardTunnel start(WireGuardDevice device) throws Exception {
            Objects.requireNonNull(device, "device");
            if (eventLoop == null || tunChannelClass == null || datagramChannelClass == null) {
                throw new IllegalStateException("eventLoop, tunChannel and datagramChannel must be set");
            }
            if (eventLoop.inEventLoop()) {
                throw new IllegalStateException("start() blocks; call it from outside the event loop");
            }
            WriteBufferWaterMark waterMark = new WriteBufferWaterMark(1 << 20, 2 << 20);
            TunGsoSegmenter segmenter = offload ? new TunGsoSegmenter() : null;
            TunGroCoalescer coalescer = offload ? new TunGroCoalescer() : null;
            UdpGsoSender sender = new UdpGsoSender();
            TunChannel tun = null;
            Channel udp = null;
            try {
                Bootstrap tunBootstrap = new Bootstrap().group(eventLoop).channel(tunChannelClass)
                        .option(TunChannelOption.IFF_VNET_HDR, offload)
                        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
                        .handler(new ChannelInitializer<TunChannel>() {
                            @Override
                            protected void initChannel(TunChannel ch) {
                                if (offload) {
                                    ch.pipeline().addLast(coalescer, segmenter);
                                } else if (!innerHandlers.isEmpty()) {
                                    ch.pipeline().addLast(UNWRAP); // inner handlers see ByteBufs either way
                                }
                                for (Map.Entry<String, Supplier<? extends ChannelHandler>> h
                                        : innerHandlers.entrySet()) {
                                    ch.pipeline().addLast(h.getKey(), Objects.requireNonNull(h.getValue().get(),
                                            "inner handler " + h.getKey()));
                                }
                                ch.pipeline().addLast(device.tunHandler());
                            }
                        });
                // Reading starts once the device is attached, so no packet meets a device without channels.
                tunBootstrap.option(ChannelOption.AUTO_READ, false);
                tun = (TunChannel) tunBootstrap.bind(new TunAddress(interfaceName)).sync().channel();

                // The largest datagram a peer with this MTU sends; io_uring's coalesced receives are split by the
                // WireGuard message layout (the transport does not report the segment size).
                int maxDatagram = Math.min(65535, Math.max(2048, mtu + WireGuardDevice.DATA_OVERHEAD + 16));
                UdpGroSplitter groSplitter = UdpOffload.needsGroSplitter(datagramChannelClass)
                        ? new UdpGroSplitter(device::groSegmentSize, maxDatagram) : null;
                Bootstrap udpBootstrap = new Bootstrap().group(eventLoop).channel(datagramChannelClass)
                        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark)
                        .option(ChannelOption.AUTO_READ, false)
                        .handler(new ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel ch) {
                                ch.pipeline().addLast(sender);
                                if (groSplitter != null) {
                                    ch.pipeline().addLast(groSplitter);
                                }
                                ch.pipeline().addLast(device.udpHandler());
                            }
                        });
                UdpOffload.configure(udpBootstrap, datagramChannelClass, maxDatagram, true);
                if (fwmark != 0) {
                    udpBootstrap.option(UdpOffload.SO_MARK, fwmark);
                }
                udp = udpBootstrap.bind(listenAddress).sync().channel();
                // A bootstrap only logs an option it could not set; an unmarked socket would loop into a full
                // tunnel, so this one is checked.
                if (fwmark != 0 && !Integer.valueOf(fwmark).equals(udp.config().getOption(UdpOffload.SO_MARK))) {
                    throw new ChannelException("SO_MARK " + Integer.toUnsignedString(fwmark) + " could not be set "
                            + "on the UDP socket (it needs CAP_NET_ADMIN)");
                }
                UdpOffload.forceBufferSizes(udp);
                UdpOffload.checkBufferSizes(udp);

                TunDevice link = tun.device().mtu(mtu);
                for (int i = 0; i < addresses.size(); i++) {
                    link.addAddress(addresses.get(i), prefixLengths.get(i));
                }
                link.up();
                device.attach(tun, udp);
                device.sendRuns(true); // the UdpGsoSender in the UDP pipeline takes ready runs
                tun.config().setAutoRead(true);
                udp.config().setAutoRead(true);
                return new WireGuardTunnel(device, tun, udp, segmenter, coalescer, sender, groSplitter);
            } catch (Exception | Error e) {
                // A failed bind's sync() rethrows the native IOException, checked or not: close on anything.
                if (udp != null) {
                    udp.close().syncUninterruptibly();
                }
                if (tun != null) {
                    tun.close().syncUninterruptibly();
                }
                throw e;
            }
        }
    }
}

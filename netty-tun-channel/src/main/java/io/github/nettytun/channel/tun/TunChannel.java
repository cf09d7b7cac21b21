/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * A TUN device as a Netty {@link Channel}: each message read is a {@link TunPacket} (one IP packet, or one
 * super-packet with offload), and each message written is a {@link TunPacket} or a {@link ByteBuf} holding one
 * IP packet.
 *
 * <h2>Life cycle</h2>
 * <ul>
 *   <li>Constructing the channel opens {@code /dev/net/tun}. The device will live in the network namespace of
 *       the constructing thread (see {@link NetworkNamespace}), just as a socket lives in the namespace of the
 *       thread that created it.</li>
 *   <li>{@link #bind(java.net.SocketAddress) bind(TunAddress)} creates the device or attaches to an existing one
 *       ({@code TUNSETIFF}) and negotiates offloads; the channel is then active.</li>
 *   <li>{@link #device()} sets the MTU and addresses and brings the interface up, with no {@code ip} command.</li>
 *   <li>Closing the last channel of a device that is not persistent removes the device.</li>
 * </ul>
 *
 * <h2>Reads and writes</h2>
 * Reads deliver up to {@code maxMessagesPerRead} packets per wake-up, then one {@code channelReadComplete}:
 * that is the batch boundary for coalescing handlers. A write the kernel rejects fails only its own promise,
 * with the packet's length and header in the message; the channel stays open. Without
 * {@link TunChannelOption#IFF_VNET_HDR} a packet whose header asks for checksum completion or segmentation is
 * rejected; other headers ({@link VirtioNetHeader#DATA_VALID}) are dropped, so packets read from an offload
 * channel can be written to a plain one.
 */
public interface TunChannel extends Channel {

    @Override
    TunChannelConfig config();

    /** The device this channel is bound to, with its actual name; {@code null} before bind. */
    @Override
    TunAddress localAddress();

    /** Always {@code null}: a TUN device has no peer. */
    @Override
    TunAddress remoteAddress();

    /**
     * Interface control of the bound device (MTU, addresses, up/down).
     *
     * @throws IllegalStateException if the channel is not bound
     */
    TunDevice device();
}

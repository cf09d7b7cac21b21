/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import io.netty.channel.ChannelOption;

/**
 * Options of a {@link TunChannel}. They take effect when the channel binds (opens the device); changing them
 * on a bound channel throws {@link IllegalStateException}. See {@code Documentation/networking/tuntap.rst}.
 */
public final class TunChannelOption<T> extends ChannelOption<T> {

    /**
     * {@code IFF_VNET_HDR}: every packet carries a {@link VirtioNetHeader}, which is what makes checksum and
     * segmentation offload possible. Default {@code false}.
     */
    public static final ChannelOption<Boolean> IFF_VNET_HDR = valueOf(TunChannelOption.class, "IFF_VNET_HDR");

    /**
     * The {@code TUNSETOFFLOAD} flags to request ({@link TunOffloads}); only used with {@link #IFF_VNET_HDR}.
     * Default {@link TunOffloads#DEFAULT}. {@link TunOffloads#USO} is best effort (Linux 6.2+); every other
     * flag is required and bind fails if the kernel refuses it. What was granted is
     * {@link TunChannelConfig#getAcceptedOffloads()}.
     */
    public static final ChannelOption<Integer> TUN_OFFLOADS = valueOf(TunChannelOption.class, "TUN_OFFLOADS");

    /**
     * {@code IFF_MULTI_QUEUE}: several channels (one per event loop) bind the same name and each becomes a
     * queue of one device; the kernel spreads flows over the queues. All queues of a device must agree on
     * this option and on {@link #IFF_VNET_HDR}. Default {@code false}.
     */
    public static final ChannelOption<Boolean> IFF_MULTI_QUEUE = valueOf(TunChannelOption.class, "IFF_MULTI_QUEUE");

    @SuppressWarnings({"unused", "deprecation"})
    private TunChannelOption() {
        super(null);
    }
}

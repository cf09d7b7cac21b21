/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun.uring;

import io.netty.channel.ChannelOption;

/**
 * Options of an {@link IoUringTunChannel}, beyond those of {@link io.github.nettytun.channel.tun.TunChannelOption}.
 * They take effect when the channel binds.
 */
public final class IoUringTunChannelOption<T> extends ChannelOption<T> {

    /**
     * The most reads submitted at once, each with its own buffer and completing with one packet: the largest batch
     * in poll-first mode, or the number kept waiting on the device with {@link #POLL_FIRST} off. More lets one
     * {@code io_uring_enter} collect more packets; each costs one read buffer. Default 16.
     */
    public static final ChannelOption<Integer> READS_IN_FLIGHT =
            valueOf(IoUringTunChannelOption.class, "READS_IN_FLIGHT");

    /**
     * How many {@code IORING_OP_WRITEV}s may be submitted and not yet completed; a flush of more packets submits the
     * rest as these complete. Default 64.
     */
    public static final ChannelOption<Integer> WRITES_IN_FLIGHT =
            valueOf(IoUringTunChannelOption.class, "WRITES_IN_FLIGHT");

    /**
     * How reads wait for packets. {@code false}: {@link #READS_IN_FLIGHT} READs stay submitted and wait on the device
     * themselves. {@code true} (poll first): one multishot {@code IORING_OP_POLL_ADD} reports that the device has
     * packets, then a batch of up to {@link #READS_IN_FLIGHT} non-blocking ({@code RWF_NOWAIT}) READs collects them.
     * See {@link IoUringTunChannel} for the measurements behind the default.
     */
    public static final ChannelOption<Boolean> POLL_FIRST = valueOf(IoUringTunChannelOption.class, "POLL_FIRST");

    @SuppressWarnings({"unused", "deprecation"})
    private IoUringTunChannelOption() {
        super(null);
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun.uring;

import io.github.nettytun.channel.tun.TunChannel;
import io.github.nettytun.testing.TestRequirements;
import io.github.nettytun.testing.TunTransport;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;

import java.util.Map;

/** The io_uring permutations of the TunChannel contract: poll-first reads, or reads waiting on the device. */
public final class IoUringTunTransport implements TunTransport {

    private final boolean pollFirst;

    public IoUringTunTransport(boolean pollFirst) {
        this.pollFirst = pollFirst;
    }

    @Override
    public String name() {
        return pollFirst ? "io_uring (poll first)" : "io_uring (reads in flight)";
    }

    @Override
    public Map<ChannelOption<?>, Object> channelOptions() {
        return Map.of(IoUringTunChannelOption.POLL_FIRST, pollFirst);
    }

    @Override
    public void requireAvailable() {
        TestRequirements.require(IoUring.isAvailable(), "io_uring unavailable: " + IoUring.unavailabilityCause());
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
        return IoUringIoHandler.newFactory();
    }

    @Override
    public Class<? extends TunChannel> channelClass() {
        return IoUringTunChannel.class;
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun.uring;

import io.github.nettytun.channel.tun.TunChannel;
import io.github.nettytun.testing.TestRequirements;
import io.github.nettytun.testing.TunTransport;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;

/** The io_uring permutation of the TunChannel contract. */
public final class IoUringTunTransport implements TunTransport {

    @Override
    public String name() {
        return "io_uring";
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

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun.epoll;

import io.github.nettytun.channel.tun.TunChannel;
import io.github.nettytun.testing.TestRequirements;
import io.github.nettytun.testing.TunTransport;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;

/** The epoll permutation of the TunChannel contract. */
public final class EpollTunTransport implements TunTransport {

    @Override
    public String name() {
        return "epoll";
    }

    @Override
    public void requireAvailable() {
        TestRequirements.require(Epoll.isAvailable(), "epoll unavailable: " + Epoll.unavailabilityCause());
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
        return EpollIoHandler.newFactory();
    }

    @Override
    public Class<? extends TunChannel> channelClass() {
        return EpollTunChannel.class;
    }
}

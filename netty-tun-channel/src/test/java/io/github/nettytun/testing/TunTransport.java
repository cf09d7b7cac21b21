/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import io.github.nettytun.channel.tun.TunChannel;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandlerFactory;

import java.util.Map;

/**
 * One transport under test: how to build its event loops and which channel class to bootstrap. Each
 * transport module runs {@link TunChannelContractTest} with its own permutation.
 */
public interface TunTransport {

    /** A short name for test reports: {@code epoll}, {@code io_uring}. */
    String name();

    /** Skips (or fails under {@code NETTY_TUN_REQUIRE_PRIVILEGED=1}) when the transport cannot run here. */
    void requireAvailable();

    IoHandlerFactory ioHandlerFactory();

    Class<? extends TunChannel> channelClass();

    /** Options every channel of this permutation gets (a transport's own modes). */
    default Map<ChannelOption<?>, Object> channelOptions() {
        return Map.of();
    }
}

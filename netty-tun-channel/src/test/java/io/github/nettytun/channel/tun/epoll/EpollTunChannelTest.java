/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun.epoll;

import io.github.nettytun.testing.TunChannelContractTest;
import io.github.nettytun.testing.TunTransport;

/** The TunChannel contract on epoll. */
class EpollTunChannelTest extends TunChannelContractTest {

    @Override
    protected TunTransport transport() {
        return new EpollTunTransport();
    }
}

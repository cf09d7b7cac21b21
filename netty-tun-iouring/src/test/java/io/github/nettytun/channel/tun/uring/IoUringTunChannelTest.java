/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun.uring;

import io.github.nettytun.testing.TunChannelContractTest;
import io.github.nettytun.testing.TunTransport;

/** The TunChannel contract on io_uring in poll-first mode: the same suite the epoll channel passes, unchanged. */
class IoUringTunChannelTest extends TunChannelContractTest {

    @Override
    protected TunTransport transport() {
        return new IoUringTunTransport(true);
    }
}

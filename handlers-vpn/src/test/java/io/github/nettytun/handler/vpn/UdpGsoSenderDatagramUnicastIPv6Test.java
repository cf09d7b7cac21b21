/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn;

import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.DatagramUnicastIPv6Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** Netty's IPv6 unicast datagram suite with a {@link UdpGsoSender} in every channel, on NIO, epoll and io_uring. */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // Netty's suite waits without limit if a datagram is lost
public class UdpGsoSenderDatagramUnicastIPv6Test extends DatagramUnicastIPv6Test {

    @Override
    protected List<BootstrapComboFactory<Bootstrap, Bootstrap>> newFactories() {
        return GsoSenderPermutation.datagram(socketInternetProtocalFamily());
    }

    /** Left out for the reason {@link UdpGsoSenderDatagramUnicastInetTest} gives. */
    @Override
    public void testSendToUnresolvableAddress(TestInfo testInfo) {
    }
}

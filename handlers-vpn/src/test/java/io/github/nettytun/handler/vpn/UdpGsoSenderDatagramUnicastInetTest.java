/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn;

import io.github.nettytun.testing.TestRequirements;
import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.DatagramUnicastInetTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Netty's IPv4 unicast datagram suite with a {@link UdpGsoSender} in every channel, on NIO, epoll and io_uring:
 * the sender must not change datagram semantics.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // Netty's suite waits without limit if a datagram is lost
public class UdpGsoSenderDatagramUnicastInetTest extends DatagramUnicastInetTest {

    @Override
    protected List<BootstrapComboFactory<Bootstrap, Bootstrap>> newFactories() {
        return GsoSenderPermutation.datagram(socketInternetProtocalFamily());
    }

    /**
     * Left out: it resolves a made-up host name, which asks the machine's DNS resolver; tests here send nothing
     * beyond loopback and their own namespaces.
     */
    @Override
    public void testSendToUnresolvableAddress(TestInfo testInfo) {
    }

    @AfterAll
    static void theNativeSendersBatched() {
        for (String transport : new String[] {"epoll", "io_uring"}) {
            TestRequirements.require(GsoSenderPermutation.SENDERS.containsKey(transport),
                    transport + " is unavailable, so the suite ran without it");
            assertTrue(GsoSenderPermutation.segmentedSends(transport) > 0,
                    transport + ": the suite's flushes of same-size datagrams became segmented sends");
        }
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.ping;

import io.github.nettytun.channel.tun.TunChannel;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TemporaryNetns;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tiny example answers the kernel's ping, from Java and from the ping tool. */
@Privileged
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TinyPingResponderTest {

    @Test
    void answersPing() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (TemporaryNetns ns = TemporaryNetns.create()) {
            TunChannel tun = ns.call(() -> TinyPingResponder.start(group));
            try {
                assertTrue(ns.call(() -> InetAddress.getByName("10.97.0.2").isReachable(5000)));
                assertTrue(ns.call(() -> InetAddress.getByName("10.97.0.77").isReachable(5000)));
                ns.exec("ping", "-c", "2", "-w", "5", "10.97.0.3");
            } finally {
                tun.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }
}

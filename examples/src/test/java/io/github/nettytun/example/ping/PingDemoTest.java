/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.ping;

import io.github.nettytun.channel.tun.TunAddress;
import io.github.nettytun.channel.tun.TunChannel;
import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.channel.tun.epoll.EpollTunChannel;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TemporaryNetns;
import io.github.nettytun.testing.TestRequirements;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ping demo, the README's main job, in a namespace of the test's own: the kernel's ping is answered. */
@Privileged
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PingDemoTest {

    @ParameterizedTest(name = "{0}, offload={1}")
    @CsvSource({"epoll, false", "epoll, true", "io_uring, false", "io_uring, true"})
    void kernelPingIsAnsweredOverIpv4AndIpv6(String transport, boolean offload) throws Exception {
        if ("io_uring".equals(transport)) {
            TestRequirements.require(IoUring.isAvailable(), "io_uring unavailable: " + IoUring.unavailabilityCause());
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int exit;
        try (TemporaryNetns ns = TemporaryNetns.create();
             PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            exit = ns.call(() -> new CommandLine(new PingDemo(out)).execute(offload
                    ? new String[] {"--count", "3", "--transport", transport, "--offload"}
                    : new String[] {"--count", "3", "--transport", transport}));
        }
        String text = output.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, text);
        assertTrue(text.contains("reply from 10.99.0.2: seq=3"), text);
        assertTrue(text.contains("reply from fd99::2: seq=3"), text);
        assertTrue(text.contains("6 of 6 pings answered; the responder answered 6 echo requests"), text);
        assertTrue(text.contains(offload ? "offloads CSUM|TSO4|TSO6" : "offloads NONE"), text);
        assertTrue(text.contains("(" + transport + ", mtu"), text);
    }

    /** The control: without a responder behind the device, the same ping gets no answer. */
    @Test
    void withoutTheResponderNothingAnswers() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        AtomicInteger seen = new AtomicInteger();
        try (TemporaryNetns ns = TemporaryNetns.create()) {
            TunChannel tun = ns.call(() -> (TunChannel) new Bootstrap().group(group).channel(EpollTunChannel.class)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            seen.incrementAndGet();
                            ((TunPacket) msg).release();
                        }
                    }).bind(new TunAddress("demo0")).sync().channel());
            try {
                tun.device().addAddress(InetAddress.getByName("10.99.0.1"), 24).up();
                boolean reached = ns.call(() -> InetAddress.getByName("10.99.0.2").isReachable(500));
                assertFalse(reached, "something other than the responder answered");
                assertTrue(seen.get() > 0, "the echo request never reached the channel");
            } finally {
                tun.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).sync();
        }
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.codec.offload;

import io.github.nettytun.channel.tun.TunAddress;
import io.github.nettytun.channel.tun.TunChannel;
import io.github.nettytun.channel.tun.TunChannelOption;
import io.github.nettytun.channel.tun.epoll.EpollTunTransport;
import io.github.nettytun.testing.Closer;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TcpTransfer;
import io.github.nettytun.testing.TemporaryNetns;
import io.github.nettytun.testing.TunBridge;
import io.github.nettytun.testing.TunTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;

import static io.github.nettytun.testing.TestPackets.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A TUN-to-TUN forwarder in Java, the codecs on both sides: two namespaces, each with one TUN device, whose
 * channels forward to each other through {@code TunGsoSegmenter -> TunBridge -> TunGroCoalescer}. Kernel TCP
 * between the namespaces must arrive byte for byte, with offload (TSO super-packets segmented on one side and
 * coalesced again on the other) and without (plain devices; the codecs pass everything through).
 */
@Privileged
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TunForwarderTest {

    private static final int WAIT_SECONDS = 30;

    private final TunTransport transport = new EpollTunTransport();
    private final Closer resources = new Closer();
    private EventLoopGroup group;

    @BeforeEach
    void start() {
        transport.requireAvailable();
        group = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            resources.close();
        } finally {
            group.shutdownGracefully(100, 5000, TimeUnit.MILLISECONDS).sync();
        }
    }

    /** One side: a device in its own namespace and the handlers of its pipeline. */
    private final class Side {
        final TemporaryNetns ns;
        final TunGsoSegmenter segmenter = new TunGsoSegmenter();
        final TunGroCoalescer coalescer = new TunGroCoalescer();
        final TunBridge bridge = new TunBridge();
        final TunChannel channel;

        Side(String ifName, boolean offload) throws Exception {
            ns = TemporaryNetns.create();
            resources.add(ns);
            Bootstrap b = new Bootstrap().group(group).channel(transport.channelClass())
                    .option(TunChannelOption.IFF_VNET_HDR, offload)
                    .handler(new ChannelInitializer<TunChannel>() {
                        @Override
                        protected void initChannel(TunChannel ch) {
                            ch.pipeline().addLast(coalescer, segmenter, bridge);
                        }
                    });
            channel = ns.call(() -> (TunChannel) b.bind(new TunAddress(ifName)).sync().channel());
            resources.add(() -> channel.close().sync());
        }
    }

    @ParameterizedTest(name = "{0} IPv{1}")
    @CsvSource({"offload, 4", "offload, 6", "plain, 4"})
    void tcpCrossesTheForwarderByteForByte(String mode, int family) throws Exception {
        boolean offload = mode.equals("offload");
        Side a = new Side("fwda", offload);
        Side b = new Side("fwdb", offload);
        InetAddress addrA = InetAddress.getByName(family == 4 ? "10.81.0.1" : "fd81::1");
        InetAddress addrB = InetAddress.getByName(family == 4 ? "10.81.0.2" : "fd81::2");
        int prefix = family == 4 ? 24 : 64;
        a.channel.device().addAddress(addrA, prefix).up();
        b.channel.device().addAddress(addrB, prefix).up();
        a.bridge.connect(b.channel);
        b.bridge.connect(a.channel);

        ServerSocket server = b.ns.call(() -> new ServerSocket(0, 1, addrB));
        resources.add(server);
        server.setSoTimeout(WAIT_SECONDS * 1000);
        Socket client = a.ns.call(() -> {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(addrB, server.getLocalPort()), WAIT_SECONDS * 1000);
            return s;
        });
        resources.add(client);
        Socket accepted = server.accept();
        resources.add(accepted);

        int total = 32 << 20;
        TcpTransfer.assertExact(client, accepted, total, pattern(1 << 20, family), WAIT_SECONDS);

        String counters = a.segmenter + " " + b.coalescer + " " + b.segmenter + " " + a.coalescer;
        assertTrue(a.bridge.errors().isEmpty() && b.bridge.errors().isEmpty(),
                "a device refused a write: " + a.bridge.errors() + b.bridge.errors());
        assertEquals(0, a.segmenter.dropped() + b.segmenter.dropped(), counters);
        if (offload) {
            assertTrue(a.segmenter.superPackets() > 0, "A read super-packets and segmented them: " + counters);
            assertTrue(b.coalescer.superPackets() > 0, "B's coalescer rebuilt super-packets: " + counters);
            assertEquals(0, b.coalescer.badChecksums(), counters);
        } else {
            assertEquals(0, a.segmenter.superPackets() + b.coalescer.superPackets() + b.coalescer.packetsIn(),
                    "without IFF_VNET_HDR the codecs pass everything through: " + counters);
            assertTrue(a.segmenter.passedThrough() > total / 1500, counters);
        }
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.channel.tun.TunOffloads;
import io.github.nettytun.handler.codec.offload.TunGroCoalescer;
import io.github.nettytun.handler.codec.offload.TunGsoSegmenter;
import io.github.nettytun.handler.vpn.UdpGsoSender;
import io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.Transport;
import io.github.nettytun.testing.Await;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TestPackets;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.DatagramPacket;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import static io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.INNER_A4;
import static io.github.nettytun.handler.vpn.wireguard.WireGuardTestbed.UNDERLAY_B;
import static io.netty.buffer.ByteBufAllocator.DEFAULT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What {@link WireGuardTunnel} assembles, its backpressure between the two channels and its clean-up on failure. */
@Privileged
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WireGuardTunnelTest {

    private static WireGuardDevice device() {
        return new WireGuardDevice(WireGuardTestbed.newPrivateKey());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void assemblesBothPipelinesWithOffload(Transport transport) throws Exception {
        try (WireGuardTestbed bed = new WireGuardTestbed()) {
            WireGuardTunnel t = bed.startOurs(bed.a, transport, true, device(), 0);
            assertNotNull(t.tunChannel().pipeline().get(TunGroCoalescer.class));
            assertNotNull(t.tunChannel().pipeline().get(TunGsoSegmenter.class));
            assertNotNull(t.udpChannel().pipeline().get(UdpGsoSender.class));
            assertEquals(TunOffloads.REQUIRED,
                    t.tunChannel().config().getAcceptedOffloads() & TunOffloads.REQUIRED, "TSO and checksum offload");
            assertTrue(t.tunChannel().config().isAutoRead() && t.udpChannel().config().isAutoRead());
            assertTrue(t.tunChannel().device().isUp());
            assertEquals(1420, t.tunChannel().device().mtu());
            assertTrue(t.listenAddress().getPort() > 0);
        }
    }

    /**
     * Writes past the high water mark of one channel (through the context after its first handler, as the
     * GSO sender or coalescer would when they flush) stop the other channel's reading; the flush that drains them
     * starts it again.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void aChannelThatCannotWriteStopsTheOtherFromReading(Transport transport) throws Exception {
        try (WireGuardTestbed bed = new WireGuardTestbed()) {
            WireGuardTunnel t = bed.startOurs(bed.a, transport, true, device(), 0);
            Channel udp = t.udpChannel();
            Channel tun = t.tunChannel();
            udp.eventLoop().submit(() -> {
                udp.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1, 2));
                ChannelHandlerContext first = udp.pipeline().firstContext();
                first.write(new DatagramPacket(Unpooled.wrappedBuffer(new byte[100]),
                        new InetSocketAddress(UNDERLAY_B, 9)));
                assertFalse(udp.isWritable());
                assertFalse(tun.config().isAutoRead(), "UDP unwritable: the TUN stops reading");
                first.flush();
            }).sync();
            Await.until(() -> udp.isWritable() && tun.config().isAutoRead(), 10, () -> "TUN reading again");

            tun.eventLoop().submit(() -> {
                tun.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1, 2));
                ChannelHandlerContext first = tun.pipeline().firstContext();
                first.write(TestPackets.udp(DEFAULT, INNER_A4, 9, INNER_A4, 9, new byte[10]));
                assertFalse(tun.isWritable());
                assertFalse(udp.config().isAutoRead(), "TUN unwritable: the UDP socket stops reading");
                first.flush();
            }).sync();
            Await.until(() -> tun.isWritable() && udp.config().isAutoRead(), 10, () -> "UDP reading again");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aFailedStartLeavesNoDeviceBehind(Transport transport) throws Exception {
        try (WireGuardTestbed bed = new WireGuardTestbed()) {
            WireGuardTunnel first = bed.startOurs(bed.a, transport, false, device(), 0);
            int port = first.listenAddress().getPort();
            String before = bed.a.ip("-o", "link", "show");
            assertThrows(Exception.class, () -> bed.startOurs(bed.a, transport, false, device(), port),
                    "the port is taken");
            // The kernel unregisters a closed TUN device a moment after the close returns.
            Await.until(() -> linkCount(bed) == before.lines().count(), 10, () -> before + " then " + links(bed));
        }
    }

    private static long linkCount(WireGuardTestbed bed) {
        return links(bed).lines().count();
    }

    private static String links(WireGuardTestbed bed) {
        try {
            return bed.a.ip("-o", "link", "show");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

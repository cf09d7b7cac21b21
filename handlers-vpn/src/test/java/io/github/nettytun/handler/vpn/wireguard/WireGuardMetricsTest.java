/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The counters as a snapshot ({@link WireGuardDevice#stats()}) and as Micrometer meters
 * ({@link WireGuardMeterBinder}): what they show after a handshake, traffic and a malformed datagram, and peers
 * added, re-addressed and removed under a bound registry.
 */
class WireGuardMetricsTest {

    /** Two devices on embedded channels, with the device tests' helpers. */
    private final WireGuardDeviceTest net = new WireGuardDeviceTest();

    @AfterEach
    void close() throws Exception {
        net.close();
    }

    @Test
    void theSnapshotShowsTrafficHandshakesAndDrops() {
        net.pair();
        net.handshakeAndCheck();
        net.a.fromNetwork(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}), WireGuardDeviceTest.ADDR_B);
        WireGuardStats stats = net.a.device.stats();
        assertEquals(1, stats.peers().size());
        WireGuardStats.Peer p = stats.peers().get(0);
        assertEquals(net.bAtA.publicKeyBase64(), p.publicKey());
        assertEquals(List.of("10.201.0.2/32", "fd01::2/128"), p.allowedIps());
        assertEquals(WireGuardDeviceTest.ADDR_B, p.endpoint());
        assertEquals(net.bAtA.txBytes(), p.txBytes());
        assertTrue(p.txBytes() > 0 && p.rxBytes() > 0, stats.toString());
        assertEquals(1, p.handshakes());
        assertNotNull(p.latestHandshake());
        assertEquals(1, stats.dropped(DropCounts.Drop.MALFORMED));
        assertEquals(stats.dropped(), net.a.device.dropped());
        assertEquals(0, p.dropped(DropCounts.Drop.MALFORMED), "a malformed datagram is no peer's");
        assertEquals(p.txBytes(), stats.txBytes());
    }

    /** From a thread that is not the loop's, the snapshot waits for the loop and comes back whole. */
    @Test
    void theSnapshotIsTakenOnTheLoopFromAnyThread() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
        try {
            WireGuardDevice device = new WireGuardDevice(WireGuardTestbed.newPrivateKey());
            assertEquals(0, device.stats().peers().size(), "not attached: read at once");
            Channel tun = new LocalChannel();
            Channel udp = new LocalChannel();
            EventLoop loop = group.next();
            loop.register(tun).sync();
            loop.register(udp).sync();
            device.attach(tun, udp);
            assertThrows(IllegalStateException.class, () -> device.addPeer(new PeerConfig(
                    WireGuardCrypto.publicKey(net.keyB))), "configuration belongs on the loop");
            loop.submit(() -> device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(net.keyB))
                    .allowedIp("10.9.0.0/16"))).sync();
            WireGuardStats stats = device.stats(); // from this thread: taken on the loop
            assertEquals(List.of("10.9.0.0/16"), stats.peers().get(0).allowedIps());
            assertEquals(stats.peers().size(), device.statsAsync().get().peers().size());
            loop.submit(device::close).sync();
            tun.close().sync();
            udp.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void metersFollowPeersAndTheirTraffic() {
        net.pair();
        net.handshakeAndCheck();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        WireGuardMeterBinder binder = new WireGuardMeterBinder(net.a.device, "wg7", Duration.ofSeconds(1));
        binder.bindTo(registry);
        String key = net.bAtA.publicKeyBase64();
        FunctionCounter sent = registry.find("wireguard.sent").tag("interface", "wg7").tag("public_key", key)
                .tag("allowed_ips", "10.201.0.2/32,fd01::2/128").functionCounter();
        assertNotNull(sent, names(registry));
        assertEquals(net.bAtA.txBytes(), sent.count());
        double before = sent.count();
        ByteBuf packet = WireGuardDeviceTest.udp(WireGuardDeviceTest.A4, WireGuardDeviceTest.B4, 200);
        net.a.fromTun(packet);
        EmbeddedPeer.exchange(net.a, net.b);
        net.b.releaseDelivered();
        assertTrue(sent.count() > before, "the counter follows the peer without a refresh");
        assertTrue(registry.get("wireguard.latest.handshake").tag("public_key", key).gauge().value() > 1e9,
                "a Unix time");
        assertEquals(1, registry.get("wireguard.peers").gauge().value());
        net.a.fromNetwork(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}), WireGuardDeviceTest.ADDR_B);
        assertEquals(1, registry.get("wireguard.dropped").tag("reason", "malformed").functionCounter().count());

        // A second peer, then new allowed IPs for the first: seen at the next refresh (here: at once).
        byte[] keyC = WireGuardTestbed.newPrivateKey();
        WireGuardPeer c = net.a.device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(keyC))
                .allowedIp("10.7.0.0/24"));
        net.a.device.setAllowedIps(net.bAtA, List.of(PeerConfig.Prefix.parse("10.201.0.0/24")));
        net.time.advance(1, TimeUnit.SECONDS);
        net.a.channel.runScheduledPendingTasks();
        assertEquals(2, registry.get("wireguard.peers").gauge().value());
        assertNotNull(registry.find("wireguard.sent").tag("public_key", c.publicKeyBase64()).functionCounter());
        assertNull(registry.find("wireguard.sent").tag("allowed_ips", "10.201.0.2/32,fd01::2/128").functionCounter(),
                "the old allowed IPs' series went");
        assertNotNull(registry.find("wireguard.sent").tag("public_key", key).tag("allowed_ips", "10.201.0.0/24")
                .functionCounter());

        net.a.device.removePeer(WireGuardCrypto.publicKey(keyC));
        binder.refresh();
        assertNull(registry.find("wireguard.handshakes").tag("public_key", c.publicKeyBase64()).functionCounter());
        assertEquals(1, registry.get("wireguard.peers").gauge().value());
        assertThrows(IllegalStateException.class, () -> binder.bindTo(registry));

        binder.close();
        List<Meter> left = registry.getMeters().stream().filter(m -> m.getId().getName().startsWith("wireguard"))
                .collect(Collectors.toList());
        assertTrue(left.isEmpty(), "close removes every meter: " + left);
    }

    @Test
    void bindingNeedsAnAttachedDevice() {
        WireGuardDevice device = new WireGuardDevice(WireGuardTestbed.newPrivateKey());
        WireGuardMeterBinder binder = new WireGuardMeterBinder(device, "wg0", Duration.ofSeconds(5));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        assertThrows(IllegalStateException.class, () -> binder.bindTo(registry));
        assertTrue(registry.getMeters().isEmpty(), "a refused binding registers nothing: " + names(registry));
        assertThrows(IllegalArgumentException.class,
                () -> new WireGuardMeterBinder(device, "wg0", Duration.ZERO));
    }

    private static String names(SimpleMeterRegistry registry) {
        return registry.getMeters().stream().map(m -> m.getId().toString()).collect(Collectors.joining("\n"));
    }
}

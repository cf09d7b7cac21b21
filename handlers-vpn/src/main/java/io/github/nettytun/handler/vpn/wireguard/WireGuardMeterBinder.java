/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.channel.tun.TunOffloads;
import io.github.nettytun.handler.codec.offload.TunGroCoalescer;
import io.github.nettytun.handler.codec.offload.TunGsoSegmenter;
import io.github.nettytun.handler.vpn.UdpGroSplitter;
import io.github.nettytun.handler.vpn.UdpGsoSender;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The counters of a {@link WireGuardDevice} (and of its {@link WireGuardTunnel}'s offload handlers) as Micrometer
 * meters. Per peer, tagged {@code interface}, {@code public_key} and {@code allowed_ips}, under the names of
 * {@code prometheus_wireguard_exporter} (so its Grafana dashboards work) when the registry is Prometheus':
 * {@code wireguard_sent_bytes_total}, {@code wireguard_received_bytes_total},
 * {@code wireguard_latest_handshake_seconds} (Unix time, 0 before the first), and ours:
 * {@code wireguard_sent_packets_total}, {@code wireguard_received_packets_total},
 * {@code wireguard_handshakes_total}, {@code wireguard_peer_dropped_total}. Per interface:
 * {@code wireguard_dropped_total} by {@code reason} (every {@link DropCounts.Drop}), {@code wireguard_peers},
 * {@code wireguard_cookie_replies_total}; for a tunnel also {@code wireguard_offload_total} by {@code handler} and
 * {@code event} (the GSO segmenter's, the GRO coalescer's, the UDP GSO sender's and the UDP GRO splitter's
 * counters) and {@code wireguard_tunnel_info} (1, tagged with the transport, offloads, cipher and JDK).
 *
 * <p>Counters are read where they are kept, from the registry's thread, without stopping the data path. Peers
 * added or removed later (or whose allowed IPs changed) are followed every {@code refresh} on the device's event
 * loop; {@link #refresh()} applies a change at once. Micrometer is an optional dependency of this module: an
 * application that uses this class brings {@code io.micrometer:micrometer-core}. {@link #close()} removes the
 * meters and stops the refresh.
 */
public final class WireGuardMeterBinder implements MeterBinder, AutoCloseable {

    private final WireGuardDevice device;
    private final WireGuardTunnel tunnel;
    private final Tags tags;
    private final Duration refresh;
    private final List<Meter> interfaceMeters = new ArrayList<>();
    /** The meters of each peer, keyed by public key and allowed IPs (a change re-tags them). */
    private final Map<String, List<Meter>> peerMeters = new HashMap<>();
    private volatile int peers;
    private MeterRegistry registry;
    private ScheduledFuture<?> refreshing;

    /**
     * Meters of {@code device} (attached to its channels), tagged {@code interface=interfaceName}.
     *
     * @param refresh how often the set of peers is looked at again
     */
    public WireGuardMeterBinder(WireGuardDevice device, String interfaceName, Duration refresh) {
        this(device, null, interfaceName, refresh);
    }

    /** Meters of the tunnel's device and of its offload handlers, tagged {@code interface=interfaceName}. */
    public WireGuardMeterBinder(WireGuardTunnel tunnel, String interfaceName, Duration refresh) {
        this(tunnel.device(), tunnel, interfaceName, refresh);
    }

    private WireGuardMeterBinder(WireGuardDevice device, WireGuardTunnel tunnel, String interfaceName,
                                 Duration refresh) {
        this.device = device;
        this.tunnel = tunnel;
        this.tags = Tags.of("interface", interfaceName);
        if (refresh.isNegative() || refresh.isZero()) {
            throw new IllegalArgumentException("refresh: " + refresh + " (expected > 0)");
        }
        this.refresh = refresh;
    }

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        if (this.registry != null) {
            throw new IllegalStateException("bound already");
        }
        if (device.eventLoop() == null) {
            throw new IllegalStateException("bind after the device is attached to its channels");
        }
        this.registry = registry;
        for (DropCounts.Drop reason : DropCounts.Drop.values()) {
            interfaceMeters.add(FunctionCounter.builder("wireguard.dropped", device, d -> d.dropped(reason))
                    .tags(tags).tag("reason", reason.name().toLowerCase(Locale.ROOT))
                    .description("Packets and messages the device dropped, by reason").register(registry));
        }
        interfaceMeters.add(FunctionCounter.builder("wireguard.cookie.replies", device,
                        WireGuardDevice::cookieRepliesSent)
                .tags(tags).description("Cookie replies sent while under load").register(registry));
        interfaceMeters.add(Gauge.builder("wireguard.peers", this, b -> b.peers).tags(tags)
                .description("Peers configured").register(registry));
        if (tunnel != null) {
            bindTunnel(registry);
        }
        refresh();
        refreshing = device.eventLoop().scheduleAtFixedRate(this::refreshOnLoop, refresh.toNanos(),
                refresh.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void bindTunnel(MeterRegistry registry) {
        TunGsoSegmenter segmenter = tunnel.segmenter();
        TunGroCoalescer coalescer = tunnel.coalescer();
        UdpGsoSender sender = tunnel.udpSender();
        UdpGroSplitter splitter = tunnel.groSplitter();
        if (segmenter != null) {
            offload("tun_gso_segmenter", "super_packets", segmenter, TunGsoSegmenter::superPackets);
            offload("tun_gso_segmenter", "segments", segmenter, TunGsoSegmenter::segments);
            offload("tun_gso_segmenter", "passed_through", segmenter, TunGsoSegmenter::passedThrough);
            offload("tun_gso_segmenter", "checksums_completed", segmenter, TunGsoSegmenter::checksumsCompleted);
            offload("tun_gso_segmenter", "dropped", segmenter, TunGsoSegmenter::dropped);
        }
        if (coalescer != null) {
            offload("tun_gro_coalescer", "packets_in", coalescer, TunGroCoalescer::packetsIn);
            offload("tun_gro_coalescer", "writes", coalescer, TunGroCoalescer::writesOut);
            offload("tun_gro_coalescer", "super_packets", coalescer, TunGroCoalescer::superPackets);
            offload("tun_gro_coalescer", "coalesced", coalescer, TunGroCoalescer::coalesced);
            offload("tun_gro_coalescer", "bad_checksums", coalescer, TunGroCoalescer::badChecksums);
        }
        offload("udp_gso_sender", "datagrams_in", sender, UdpGsoSender::datagramsIn);
        offload("udp_gso_sender", "segmented_sends", sender, UdpGsoSender::segmentedSends);
        offload("udp_gso_sender", "segments", sender, UdpGsoSender::segmentsSent);
        offload("udp_gso_sender", "fallbacks", sender, UdpGsoSender::fallbacks);
        if (splitter != null) {
            offload("udp_gro_splitter", "split", splitter, UdpGroSplitter::split);
            offload("udp_gro_splitter", "datagrams", splitter, UdpGroSplitter::datagrams);
            offload("udp_gro_splitter", "unsplit", splitter, UdpGroSplitter::unsplit);
        }
        String transport = tunnel.tunChannel().getClass().getSimpleName().startsWith("IoUring") ? "io_uring"
                : "epoll";
        int accepted = tunnel.tunChannel().config().getAcceptedOffloads();
        interfaceMeters.add(Gauge.builder("wireguard.tunnel.info", () -> 1).tags(tags)
                .tag("transport", transport)
                .tag("offloads", segmenter == null ? "off" : TunOffloads.toString(accepted))
                .tag("cipher", device.cipher().name().toLowerCase(Locale.ROOT))
                .tag("jdk", System.getProperty("java.version"))
                .description("The tunnel's transport, TUN offloads, cipher and JDK (value 1)").register(registry));
    }

    private <T> void offload(String handler, String event, T owner, ToDoubleFunction<T> count) {
        interfaceMeters.add(FunctionCounter.builder("wireguard.offload", owner, count).tags(tags)
                .tag("handler", handler).tag("event", event)
                .description("Events of the tunnel's offload handlers").register(registry));
    }

    /** Follows the device's peers now: meters for new ones, none for removed ones. From any thread. */
    public void refresh() {
        WireGuardStats stats = device.stats();
        synchronized (this) {
            apply(stats);
        }
    }

    private void refreshOnLoop() {
        WireGuardStats stats = device.statsAsync().getNow(); // on the loop: done at once
        synchronized (this) {
            apply(stats);
        }
    }

    private void apply(WireGuardStats stats) {
        if (registry == null || stats == null) {
            return;
        }
        Map<String, List<Meter>> old = new HashMap<>(peerMeters);
        peerMeters.clear();
        for (WireGuardStats.Peer p : stats.peers()) {
            String allowed = String.join(",", p.allowedIps());
            String key = p.publicKey() + ' ' + allowed;
            List<Meter> meters = old.remove(key);
            if (meters == null) {
                meters = peerMeters(p.peer, tags.and(Tags.of(Tag.of("public_key", p.publicKey()),
                        Tag.of("allowed_ips", allowed))));
            }
            peerMeters.put(key, meters);
        }
        peers = stats.peers().size();
        for (List<Meter> gone : old.values()) {
            for (Meter m : gone) {
                registry.remove(m);
            }
        }
    }

    private List<Meter> peerMeters(WireGuardPeer peer, Tags peerTags) {
        List<Meter> meters = new ArrayList<>();
        meters.add(FunctionCounter.builder("wireguard.sent", peer, WireGuardPeer::txBytes).tags(peerTags)
                .baseUnit(BaseUnits.BYTES).description("Bytes sent to the peer").register(registry));
        meters.add(FunctionCounter.builder("wireguard.received", peer, WireGuardPeer::rxBytes).tags(peerTags)
                .baseUnit(BaseUnits.BYTES).description("Bytes received from the peer").register(registry));
        meters.add(FunctionCounter.builder("wireguard.sent.packets", peer, WireGuardPeer::txPackets)
                .tags(peerTags).description("Data messages sent to the peer (keepalives included)")
                .register(registry));
        meters.add(FunctionCounter.builder("wireguard.received.packets", peer, WireGuardPeer::rxPackets)
                .tags(peerTags).description("Data messages received from the peer (keepalives included)")
                .register(registry));
        meters.add(FunctionCounter.builder("wireguard.handshakes", peer, WireGuardPeer::handshakes)
                .tags(peerTags).description("Completed handshakes with the peer").register(registry));
        meters.add(FunctionCounter.builder("wireguard.peer.dropped", peer, WireGuardPeer::dropped)
                .tags(peerTags).description("The peer's packets and messages dropped").register(registry));
        meters.add(Gauge.builder("wireguard.latest.handshake", peer, p -> {
            Instant at = p.latestHandshake();
            return at == null ? 0 : at.getEpochSecond() + at.getNano() / 1e9;
        }).tags(peerTags).baseUnit("seconds")
                .description("Unix time of the latest handshake with the peer, 0 before the first").register(registry));
        return meters;
    }

    /** Removes the meters and stops following the peers. */
    @Override
    public synchronized void close() {
        if (refreshing != null) {
            refreshing.cancel(false);
        }
        if (registry != null) {
            for (Meter m : interfaceMeters) {
                registry.remove(m);
            }
            for (List<Meter> meters : peerMeters.values()) {
                for (Meter m : meters) {
                    registry.remove(m);
                }
            }
        }
        interfaceMeters.clear();
        peerMeters.clear();
    }
}

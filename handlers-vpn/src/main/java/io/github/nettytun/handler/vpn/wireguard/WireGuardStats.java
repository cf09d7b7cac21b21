/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.util.NetUtil;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The counters of a {@link WireGuardDevice} and of each of its peers at one moment, taken on the device's event
 * loop ({@link WireGuardDevice#stats()}): immutable, for any thread. Counters only grow while the device runs (a
 * peer removed and added again starts at zero).
 */
public final class WireGuardStats implements DropCounts {

    /** One peer's counters and state. */
    public static final class Peer implements DropCounts {
        private final String publicKey;
        private final InetSocketAddress endpoint;
        private final List<String> allowedIps;
        private final long rxBytes;
        private final long txBytes;
        private final long rxPackets;
        private final long txPackets;
        private final long handshakes;
        private final Instant latestHandshake;
        private final Map<Drop, Long> drops;
        private final long dropped;
        /** The live peer, for readers in this package that follow its counters (the meter binder). */
        final WireGuardPeer peer;

        Peer(WireGuardPeer p, List<String> allowedIps) {
            peer = p;
            publicKey = p.publicKeyBase64();
            endpoint = p.endpoint();
            this.allowedIps = Collections.unmodifiableList(allowedIps);
            rxBytes = p.rxBytes();
            txBytes = p.txBytes();
            rxPackets = p.rxPackets();
            txPackets = p.txPackets();
            handshakes = p.handshakes();
            latestHandshake = p.latestHandshake();
            drops = dropsOf(p);
            dropped = sum(drops);
        }

        /** The public key in base64, as {@code wg} prints it. */
        public String publicKey() {
            return publicKey;
        }

        /** The endpoint, or {@code null} while none is known. */
        public InetSocketAddress endpoint() {
            return endpoint;
        }

        /** The allowed IPs as {@code address/length} (IPv6 in its short form, as {@code wg} prints it). */
        public List<String> allowedIps() {
            return allowedIps;
        }

        /** See {@link WireGuardPeer#rxBytes()}. */
        public long rxBytes() {
            return rxBytes;
        }

        /** See {@link WireGuardPeer#txBytes()}. */
        public long txBytes() {
            return txBytes;
        }

        /** See {@link WireGuardPeer#rxPackets()}. */
        public long rxPackets() {
            return rxPackets;
        }

        /** See {@link WireGuardPeer#txPackets()}. */
        public long txPackets() {
            return txPackets;
        }

        /** Completed handshakes, either role. */
        public long handshakes() {
            return handshakes;
        }

        /** Wall-clock time of the latest completed handshake, or {@code null}. */
        public Instant latestHandshake() {
            return latestHandshake;
        }

        @Override
        public long dropped(Drop reason) {
            return drops.getOrDefault(reason, 0L);
        }

        @Override
        public long dropped() {
            return dropped;
        }
    }

    private final Instant takenAt;
    private final List<Peer> peers;
    private final Map<Drop, Long> drops;
    private final long dropped;
    private final long cookieReplies;

    private WireGuardStats(Instant takenAt, List<Peer> peers, Map<Drop, Long> drops, long cookieReplies) {
        this.takenAt = takenAt;
        this.peers = Collections.unmodifiableList(peers);
        this.drops = drops;
        this.dropped = sum(drops);
        this.cookieReplies = cookieReplies;
    }

    /** The device's state now; on its event loop (or before it is attached). */
    static WireGuardStats of(WireGuardDevice device, Instant now) {
        List<Peer> peers = new ArrayList<>();
        for (WireGuardPeer p : device.peers()) {
            List<String> allowed = new ArrayList<>();
            for (AllowedIps.Entry<WireGuardPeer> e : p.allowedIps()) {
                allowed.add(NetUtil.toAddressString(e.address()) + '/' + e.prefixLength());
            }
            peers.add(new Peer(p, allowed));
        }
        return new WireGuardStats(now, peers, dropsOf(device), device.cookieRepliesSent());
    }

    private static Map<Drop, Long> dropsOf(DropCounts counts) {
        Map<Drop, Long> drops = new EnumMap<>(Drop.class);
        for (Drop reason : Drop.values()) {
            long n = counts.dropped(reason);
            if (n != 0) {
                drops.put(reason, n);
            }
        }
        return Collections.unmodifiableMap(drops);
    }

    private static long sum(Map<Drop, Long> drops) {
        long n = 0;
        for (long v : drops.values()) {
            n += v;
        }
        return n;
    }

    /** When the snapshot was taken (the device's clock). */
    public Instant takenAt() {
        return takenAt;
    }

    /** The peers, in the order they were added. */
    public List<Peer> peers() {
        return peers;
    }

    /** Bytes received from all peers. */
    public long rxBytes() {
        return peers.stream().mapToLong(Peer::rxBytes).sum();
    }

    /** Bytes sent to all peers. */
    public long txBytes() {
        return peers.stream().mapToLong(Peer::txBytes).sum();
    }

    /** Completed handshakes with all peers. */
    public long handshakes() {
        return peers.stream().mapToLong(Peer::handshakes).sum();
    }

    /** Cookie replies sent while under load. */
    public long cookieReplies() {
        return cookieReplies;
    }

    /** Drops for {@code reason} by the device, any peer's included. */
    @Override
    public long dropped(Drop reason) {
        return drops.getOrDefault(reason, 0L);
    }

    /** All drops. */
    @Override
    public long dropped() {
        return dropped;
    }

    @Override
    public String toString() {
        return "WireGuardStats(" + takenAt + ", peers=" + peers.size() + ", rx=" + rxBytes() + "B, tx=" + txBytes()
                + "B, handshakes=" + handshakes() + ", dropped=" + dropped + ')';
    }
}

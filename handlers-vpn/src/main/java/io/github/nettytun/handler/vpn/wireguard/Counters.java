/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.handler.HandlerCounters;

/**
 * The counters of a device or of one peer: traffic, handshakes and drops by {@link DropCounts.Drop}; single
 * writer (the device's event loop), any reader, as every handler's {@link HandlerCounters}.
 */
final class Counters {

    /** Bytes of every message sent to the peer: data, keepalives and handshake messages, as wireguard-go counts. */
    static final int TX_BYTES = 0;
    /** Bytes of every authenticated message received from the peer, handshake messages included. */
    static final int RX_BYTES = 1;
    /** Transport data messages sent, keepalives included. */
    static final int TX_PACKETS = 2;
    /** Transport data messages received and authenticated, keepalives included. */
    static final int RX_PACKETS = 3;
    /** Completed handshakes, either role. */
    static final int HANDSHAKES = 4;
    /** Completed handshakes that the peer initiated. */
    static final int RESPONDER_HANDSHAKES = 5;
    /** Cookie replies sent (device only). */
    static final int COOKIE_REPLIES = 6;

    private final HandlerCounters traffic = new HandlerCounters("txBytes", "rxBytes", "txPackets", "rxPackets",
            "handshakes", "responderHandshakes", "cookieReplies");
    private final HandlerCounters drops = new HandlerCounters(HandlerCounters.namesOf(DropCounts.Drop.class));

    /** Adds {@code delta} to {@code slot}; event loop only. */
    void add(int slot, long delta) {
        traffic.add(slot, delta);
    }

    void increment(int slot) {
        traffic.increment(slot);
    }

    /** The value of {@code slot}; any thread. */
    long get(int slot) {
        return traffic.get(slot);
    }

    /** Counts a drop here and, when known, for the peer it belongs to. */
    void drop(DropCounts.Drop reason, WireGuardPeer peer) {
        drops.increment(reason.ordinal());
        if (peer != null) {
            peer.counters.drops.increment(reason.ordinal());
        }
    }

    long dropped(DropCounts.Drop reason) {
        return drops.get(reason.ordinal());
    }

    long dropped() {
        return drops.sum();
    }

    /** Appends {@code , REASON=n} for every reason counted. */
    StringBuilder appendDrops(StringBuilder sb) {
        return drops.appendNonZero(sb);
    }
}

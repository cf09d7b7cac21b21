/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The counters of a device or of one peer: traffic, handshakes and drops by {@link DropCounts.Drop}.
 *
 * <p>Single writer, any reader, in the manner of Agrona's {@code AtomicCounter.incrementOrdered}: only the device's
 * event loop writes, with a plain read and a release store (no read-modify-write, no fence on x86 beyond a plain
 * store); any thread reads with an acquire load and sees every count up to some recent moment.
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
    private static final int DROPS = 7;
    private static final DropCounts.Drop[] REASONS = DropCounts.Drop.values();

    private final AtomicLongArray values = new AtomicLongArray(DROPS + REASONS.length);

    /** Adds {@code delta} to {@code slot}; event loop only. */
    void add(int slot, long delta) {
        values.setRelease(slot, values.getPlain(slot) + delta);
    }

    void increment(int slot) {
        add(slot, 1);
    }

    /** The value of {@code slot}; any thread. */
    long get(int slot) {
        return values.getAcquire(slot);
    }

    /** Counts a drop here and, when known, for the peer it belongs to. */
    void drop(DropCounts.Drop reason, WireGuardPeer peer) {
        increment(DROPS + reason.ordinal());
        if (peer != null) {
            peer.counters.increment(DROPS + reason.ordinal());
        }
    }

    long dropped(DropCounts.Drop reason) {
        return get(DROPS + reason.ordinal());
    }

    long dropped() {
        long sum = 0;
        for (DropCounts.Drop d : REASONS) {
            sum += dropped(d);
        }
        return sum;
    }

    /** Appends {@code , REASON=n} for every reason counted. */
    StringBuilder appendDrops(StringBuilder sb) {
        for (DropCounts.Drop d : REASONS) {
            long n = dropped(d);
            if (n != 0) {
                sb.append(", ").append(d).append('=').append(n);
            }
        }
        return sb;
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

/**
 * How much handshake work the device takes on. Two limits, both device-wide (the per-source ones are
 * {@link HandshakeRateLimiter}'s):
 * <ul>
 *   <li><b>Under load</b> (whitepaper section 5.3): more than {@code perSecond} handshake messages got past the
 *       per-source limits in one second, or the work budget ran out; the state holds for one second after. Under
 *       load every handshake message needs a valid MAC2, so a sender must prove it owns its address (a cookie
 *       reply) before it gets any Diffie-Hellman work.</li>
 *   <li><b>Work budget</b>: the time spent on Diffie-Hellman work (consuming initiations and responses) may not
 *       exceed {@code percent} of each 100 ms window. The device shares its event loop with the data path, so this
 *       is what keeps a flood of valid handshakes from many addresses from starving established sessions (the
 *       kernel module and wireguard-go get the same from handshake workers apart from the data path).</li>
 * </ul>
 * Event loop only.
 */
final class HandshakeLoad {

    private static final long ONE_SECOND = 1_000_000_000L;
    private static final long WORK_WINDOW = 100_000_000L;

    private final int perSecond;
    private final long workPerWindow;
    private long windowStart = WireGuardPeer.NEVER;
    private int inWindow;
    private long underLoadUntil = WireGuardPeer.NEVER;
    private long workWindowStart = WireGuardPeer.NEVER;
    private long workSpent;

    HandshakeLoad(int perSecond, int workPercent) {
        this.perSecond = perSecond;
        this.workPerWindow = WORK_WINDOW * workPercent / 100;
    }

    /** Whether the device is under load at {@code now}. */
    boolean underLoad(long now) {
        return underLoadUntil != WireGuardPeer.NEVER && now - underLoadUntil < 0;
    }

    /**
     * Counts a message that passed the per-source limits and tells whether its work fits the budget; when it does
     * not, the device is under load from now on.
     */
    boolean admit(long now) {
        if (windowStart == WireGuardPeer.NEVER || now - windowStart >= ONE_SECOND) {
            windowStart = now;
            inWindow = 0;
        }
        if (++inWindow > perSecond) {
            underLoadUntil = now + ONE_SECOND;
        }
        if (workWindowStart == WireGuardPeer.NEVER || now - workWindowStart >= WORK_WINDOW) {
            workWindowStart = now;
            workSpent = 0;
        }
        if (workSpent >= workPerWindow) {
            underLoadUntil = now + ONE_SECOND;
            return false;
        }
        return true;
    }

    /**
     * As {@link #admit} for a device that does handshake work on an executor: {@code queued} messages wait there,
     * at most {@code capacity}; from an eighth of that on the device is under load (wireguard-go's rule).
     */
    boolean admitQueued(long now, int queued, int capacity) {
        if (windowStart == WireGuardPeer.NEVER || now - windowStart >= ONE_SECOND) {
            windowStart = now;
            inWindow = 0;
        }
        if (++inWindow > perSecond || queued >= capacity / 8) {
            underLoadUntil = now + ONE_SECOND;
        }
        return queued < capacity;
    }

    /** Adds the time of one message's work, measured from {@code start} to {@code end}. */
    void worked(long start, long end) {
        workSpent += Math.max(0, end - start);
    }
}

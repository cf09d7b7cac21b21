/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

/**
 * Whether the device is under load (whitepaper section 5.3): more handshake messages in one second than
 * {@code perSecond}, and for one second after. Under load a handshake message needs a valid MAC2, so a sender must
 * prove it owns its address (a cookie reply) before it gets any Diffie-Hellman work. Event loop only.
 */
final class HandshakeLoad {

    private static final long ONE_SECOND = 1_000_000_000L;

    private final int perSecond;
    private long windowStart = WireGuardPeer.NEVER;
    private int inWindow;
    private long underLoadUntil = WireGuardPeer.NEVER;

    HandshakeLoad(int perSecond) {
        this.perSecond = perSecond;
    }

    /** Counts one handshake message at {@code now} and tells whether the device is under load. */
    boolean countAndCheck(long now) {
        if (windowStart == WireGuardPeer.NEVER || now - windowStart >= ONE_SECOND) {
            windowStart = now;
            inWindow = 0;
        }
        if (++inWindow > perSecond) {
            underLoadUntil = now + ONE_SECOND;
        }
        return underLoadUntil != WireGuardPeer.NEVER && now - underLoadUntil < 0;
    }
}

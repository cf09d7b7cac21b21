/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import java.util.Arrays;

/**
 * One peer's Noise handshake state (whitepaper section 5.4; wireguard-go's {@code Handshake}): written only by
 * {@link NoiseHandshake}, on the device's event loop.
 *
 * <p>{@code NONE} -> {@code INITIATION_CREATED} (we sent an initiation; its sender index is in the index table)
 * -> {@code NONE} when the response is consumed and the session derived. {@code NONE} -> {@code
 * INITIATION_CONSUMED} (the peer's initiation was accepted) -> {@code NONE} when our response is created and the
 * session derived. A new initiation, either way, replaces whatever was under way. Ephemeral secrets are zeroed when
 * the state returns to {@code NONE}.
 */
final class Handshake {

    enum State { NONE, INITIATION_CREATED, INITIATION_CONSUMED }

    /** HandshakeInitationRate in wireguard-go: at most one accepted initiation per peer per 20 ms. */
    static final long MIN_INITIATION_INTERVAL = 20_000_000;

    final WireGuardPeer peer;
    /** DH(our static private key, the peer's static public key), computed once. */
    final byte[] precomputedStaticStatic;
    byte[] presharedKey;

    State state = State.NONE;
    byte[] hash;
    byte[] chainKey;
    byte[] localEphemeral;
    byte[] remoteEphemeral;
    int localIndex;
    int remoteIndex;
    /** The responder's Diffie-Hellman work done ahead by a handshake executor, or null. */
    NoiseHandshake.PreparedResponse preparedResponse;
    /** The greatest TAI64N timestamp accepted from the peer: an initiation must carry a later one. */
    byte[] latestTimestamp;
    /** Ticker time of the last accepted initiation ({@link WireGuardPeer#NEVER} before one). */
    long lastInitiationConsumed = WireGuardPeer.NEVER;

    Handshake(WireGuardPeer peer, byte[] precomputedStaticStatic, byte[] presharedKey) {
        this.peer = peer;
        this.precomputedStaticStatic = precomputedStaticStatic;
        this.presharedKey = presharedKey;
    }

    /** Zeroes the ephemeral secrets and forgets the transcript. */
    void wipe() {
        if (localEphemeral != null) {
            Arrays.fill(localEphemeral, (byte) 0);
        }
        if (chainKey != null && chainKey != Messages.INITIAL_CHAIN_KEY) {
            Arrays.fill(chainKey, (byte) 0);
        }
        localEphemeral = null;
        chainKey = null;
        hash = null;
        remoteEphemeral = null;
        if (preparedResponse != null) {
            preparedResponse.wipe();
            preparedResponse = null;
        }
    }
}

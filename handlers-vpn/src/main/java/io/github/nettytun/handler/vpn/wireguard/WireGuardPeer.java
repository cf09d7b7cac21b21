/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.buffer.ByteBuf;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.List;

/**
 * One peer of a {@link WireGuardDevice}: its public key, optional preshared key, endpoint, allowed IPs and
 * persistent keepalive, plus the protocol state (handshake, keypairs, timers) and its counters.
 *
 * <p>Created by {@link WireGuardDevice#addPeer(PeerConfig)}; state changes only on the device's event loop.
 * Counters may be read from any thread (they may lag by a packet).
 */
public final class WireGuardPeer {

    /** Packets kept while a handshake is under way (wireguard-go keeps as many). */
    static final int MAX_STAGED_PACKETS = 128;
    static final long NEVER = Long.MIN_VALUE;

    enum HandshakeState { NONE, INITIATION_CREATED, INITIATION_CONSUMED }

    final WireGuardDevice device;
    final byte[] publicKey;
    byte[] presharedKey;
    final byte[] staticStatic;
    final byte[] mac1Key;
    final byte[] cookieKey;
    volatile InetSocketAddress endpoint;
    volatile int persistentKeepaliveSeconds;

    // handshake
    HandshakeState handshakeState = HandshakeState.NONE;
    byte[] hash;
    byte[] chainKey;
    byte[] ephemeralPrivate;
    byte[] remoteEphemeral;
    int handshakeLocalIndex;
    int handshakeRemoteIndex;
    byte[] latestTimestamp;
    long lastInitiationConsumed = NEVER;

    // cookies (we are the sender)
    byte[] lastMac1Sent;
    byte[] cookie;
    long cookieReceived = NEVER;

    // keypairs
    Keypair previous;
    Keypair current;
    Keypair next;

    // timers (System.nanoTime-based; NEVER when not set)
    boolean handshakeInProgress;
    long handshakeAttemptsStart = NEVER;
    long lastInitiationSent = NEVER;
    long retransmitJitter;
    long lastHandshakeCompleted = NEVER;
    long lastSent = NEVER;
    long lastReceived = NEVER;
    long newHandshakeDeadline = NEVER;
    long keepaliveDeadline = NEVER;

    final ArrayDeque<ByteBuf> staged = new ArrayDeque<>();

    // counters
    volatile long txBytes;
    volatile long rxBytes;
    volatile long txPackets;
    volatile long rxPackets;
    volatile long handshakes;
    volatile long responderHandshakes;
    volatile Instant latestHandshake;
    final long[] drops = new long[WireGuardDevice.Drop.values().length];

    WireGuardPeer(WireGuardDevice device, PeerConfig config, byte[] staticStatic) {
        this.device = device;
        this.publicKey = config.publicKey();
        this.presharedKey = config.presharedKey();
        this.staticStatic = staticStatic;
        this.mac1Key = WireGuardCrypto.hash(WireGuardDevice.LABEL_MAC1, publicKey);
        this.cookieKey = WireGuardCrypto.hash(WireGuardDevice.LABEL_COOKIE, publicKey);
        this.endpoint = config.endpoint();
        this.persistentKeepaliveSeconds = config.persistentKeepaliveSeconds();
    }

    /** Whether no initiation went out within {@code rekeyTimeout} (one per REKEY_TIMEOUT, retransmits aside). */
    boolean mayInitiate(long now, long rekeyTimeout) {
        return lastInitiationSent == NEVER || now - lastInitiationSent >= rekeyTimeout;
    }

    /** The peer's public key (a copy). */
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** The public key in base64, as {@code wg} prints it. */
    public String publicKeyBase64() {
        return Base64.getEncoder().encodeToString(publicKey);
    }

    /** The preshared key (a copy; all zeros when none). */
    public byte[] presharedKey() {
        return presharedKey.clone();
    }

    /** Whether a preshared key is set. */
    public boolean hasPresharedKey() {
        for (byte b : presharedKey) {
            if (b != 0) {
                return true;
            }
        }
        return false;
    }

    /** The endpoint: configured, or where the last authenticated packet came from; {@code null} if unknown. */
    public InetSocketAddress endpoint() {
        return endpoint;
    }

    /** Persistent keepalive interval in seconds, 0 when off. */
    public int persistentKeepaliveSeconds() {
        return persistentKeepaliveSeconds;
    }

    /** The allowed IPs of this peer (computed on the device's event loop). */
    public List<AllowedIps.Entry<WireGuardPeer>> allowedIps() {
        return device.allowedIpsOf(this);
    }

    /** Bytes of transport messages sent (UDP payload, as {@code wg show} counts). */
    public long txBytes() {
        return txBytes;
    }

    /** Bytes of transport messages received and authenticated. */
    public long rxBytes() {
        return rxBytes;
    }

    /** Inner packets sent (keepalives included). */
    public long txPackets() {
        return txPackets;
    }

    /** Inner packets received and authenticated (keepalives included). */
    public long rxPackets() {
        return rxPackets;
    }

    /** Completed handshakes, as initiator and as responder. */
    public long handshakes() {
        return handshakes;
    }

    /** Completed handshakes that the peer initiated (we answered). */
    public long responderHandshakes() {
        return responderHandshakes;
    }

    /**
     * Packets and messages of this peer dropped for {@code reason} (those that can be told apart as this peer's:
     * its stale, replayed, undecryptable or out-of-range packets, its staged packets, its rejected handshakes).
     * The device counts every drop, these included.
     */
    public long dropped(WireGuardDevice.Drop reason) {
        return drops[reason.ordinal()];
    }

    /** Wall-clock time of the latest completed handshake, or {@code null}. */
    public Instant latestHandshake() {
        return latestHandshake;
    }

    @Override
    public String toString() {
        return "WireGuardPeer(" + publicKeyBase64() + ", endpoint=" + endpoint + ", handshakes=" + handshakes
                + ", tx=" + txPackets + '/' + txBytes + "B, rx=" + rxPackets + '/' + rxBytes + "B)";
    }
}

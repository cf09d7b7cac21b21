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
import java.util.Random;

/**
 * One peer of a {@link WireGuardDevice}: its public key, endpoint, allowed IPs and persistent keepalive, and its
 * protocol state grouped as wireguard-go's {@code Peer} groups it. Each group is written only by the part named:
 *
 * <ul>
 *   <li>{@link #handshake}: the Noise transcript and replay/flood guard, by {@link NoiseHandshake};</li>
 *   <li>{@link #keypairs}: previous, current and next transport keys, by {@link Keypairs} (rotation rules there);</li>
 *   <li>{@link #timers}: the protocol's timers, by {@link PeerTimers};</li>
 *   <li>{@link #cookieGenerator}: MACs of our handshake messages and the peer's cookie, by
 *       {@link CookieGenerator};</li>
 *   <li>{@link #staged}: packets waiting for a keypair, by {@link SendPath};</li>
 *   <li>{@link #counters}: traffic, handshakes and drops, single-writer, readable from any thread.</li>
 * </ul>
 *
 * <p>Created by {@link WireGuardDevice#addPeer(PeerConfig)}; state changes only on the device's event loop. The
 * getters may be called from any thread.
 */
public final class WireGuardPeer implements DropCounts {

    /** Packets kept while a handshake is under way (wireguard-go keeps as many). */
    static final int MAX_STAGED_PACKETS = 128;
    /** "Not set" for ticker times. */
    static final long NEVER = Long.MIN_VALUE;

    final WireGuardDevice device;
    final byte[] publicKey;
    final Handshake handshake;
    final Keypairs keypairs;
    final PeerTimers timers;
    final CookieGenerator cookieGenerator;
    final ArrayDeque<ByteBuf> staged = new ArrayDeque<>();
    final Counters counters = new Counters();
    private volatile InetSocketAddress endpoint;
    private volatile Instant latestHandshake;

    WireGuardPeer(WireGuardDevice device, PeerConfig config, byte[] staticStatic, IndexTable indices,
                  WireGuardTimers timers, Random random) {
        this.device = device;
        this.publicKey = config.publicKey();
        this.handshake = new Handshake(this, staticStatic, config.presharedKey());
        this.keypairs = new Keypairs(indices);
        this.timers = new PeerTimers(this, timers, random, config.persistentKeepaliveSeconds());
        this.cookieGenerator = new CookieGenerator(publicKey, timers.cookieRefreshTime);
        this.endpoint = config.endpoint();
    }

    /** Sets the endpoint: configured, or where the last authenticated packet came from. */
    void endpoint(InetSocketAddress endpoint) {
        this.endpoint = endpoint;
    }

    /**
     * A handshake completed at {@code at}: the attempt under way ends and it is counted. Initiator: when the
     * response was consumed; responder: when the initiator's first data message opened under the new keypair.
     */
    void handshakeCompleted(Instant at, boolean asResponder) {
        timers.handshakeComplete();
        counters.increment(Counters.HANDSHAKES);
        if (asResponder) {
            counters.increment(Counters.RESPONDER_HANDSHAKES);
        }
        latestHandshake = at;
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
        return handshake.presharedKey.clone();
    }

    /** Whether a preshared key is set. */
    public boolean hasPresharedKey() {
        return PeerConfig.isSet(handshake.presharedKey);
    }

    /** The endpoint: configured, or where the last authenticated packet came from; {@code null} if unknown. */
    public InetSocketAddress endpoint() {
        return endpoint;
    }

    /** Persistent keepalive interval in seconds, 0 when off. */
    public int persistentKeepaliveSeconds() {
        return timers.persistentKeepaliveSeconds();
    }

    /** The allowed IPs of this peer (computed on the device's event loop). */
    public List<AllowedIps.Entry<WireGuardPeer>> allowedIps() {
        return device.allowedIpsOf(this);
    }

    /**
     * Bytes sent to the peer: every data message, keepalive and handshake message, as UDP payload (what
     * {@code wg show} reports as sent, counted as wireguard-go counts it).
     */
    public long txBytes() {
        return counters.get(Counters.TX_BYTES);
    }

    /** Bytes received from the peer and authenticated: data messages, keepalives and handshake messages. */
    public long rxBytes() {
        return counters.get(Counters.RX_BYTES);
    }

    /** Data messages sent (keepalives included). */
    public long txPackets() {
        return counters.get(Counters.TX_PACKETS);
    }

    /** Data messages received and authenticated (keepalives included). */
    public long rxPackets() {
        return counters.get(Counters.RX_PACKETS);
    }

    /** Completed handshakes, as initiator and as responder. */
    public long handshakes() {
        return counters.get(Counters.HANDSHAKES);
    }

    /** Completed handshakes that the peer initiated (we answered, and its first data message confirmed it). */
    public long responderHandshakes() {
        return counters.get(Counters.RESPONDER_HANDSHAKES);
    }

    /**
     * Packets and messages of this peer dropped for {@code reason} (those that can be told apart as this peer's:
     * its stale, replayed, undecryptable or out-of-range packets, its staged packets, its rejected handshakes).
     * The device counts every drop, these included.
     */
    @Override
    public long dropped(Drop reason) {
        return counters.dropped(reason);
    }

    @Override
    public long dropped() {
        return counters.dropped();
    }

    /** Wall-clock time of the latest completed handshake, or {@code null}. */
    public Instant latestHandshake() {
        return latestHandshake;
    }

    @Override
    public String toString() {
        return "WireGuardPeer(" + publicKeyBase64() + ", endpoint=" + endpoint + ", handshakes=" + handshakes()
                + ", tx=" + txPackets() + '/' + txBytes() + "B, rx=" + rxPackets() + '/' + rxBytes() + "B)";
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.handler.vpn.wireguard.DropCounts.Drop;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;

import static io.github.nettytun.handler.vpn.wireguard.Messages.INITIAL_CHAIN_KEY;
import static io.github.nettytun.handler.vpn.wireguard.Messages.INITIAL_HASH;
import static io.github.nettytun.handler.vpn.wireguard.Messages.INITIATION_LENGTH;
import static io.github.nettytun.handler.vpn.wireguard.Messages.RESPONSE_LENGTH;
import static io.github.nettytun.handler.vpn.wireguard.Messages.SENDER_OFFSET;
import static io.github.nettytun.handler.vpn.wireguard.Messages.TYPE_INITIATION;
import static io.github.nettytun.handler.vpn.wireguard.Messages.TYPE_RESPONSE;
import static io.github.nettytun.handler.vpn.wireguard.Messages.getIntLE;
import static io.github.nettytun.handler.vpn.wireguard.Messages.putIntLE;

/**
 * Noise_IKpsk2 as WireGuard uses it (whitepaper sections 5.4.2 to 5.4.5; wireguard-go's
 * {@code noise-protocol.go}): creating and consuming initiations and responses, and deriving the transport keys.
 * Holds this interface's static key pair; each peer's transcript lives in its {@link Handshake}, which only this
 * class writes. MACs are not its business ({@link CookieGenerator}, {@link CookieChecker}); neither is sending.
 *
 * <p>A consumed initiation must carry a TAI64N timestamp later than the peer's last accepted one (replay) and come
 * at least 20 ms after it (flood); both are counted drops. Every failure returns {@code null} with the drop counted.
 */
final class NoiseHandshake {

    private static final byte[] EMPTY = new byte[0];

    private final byte[] staticPrivate;
    private final byte[] staticPublic;
    private final Map<ByteBuffer, WireGuardPeer> peers;
    private final IndexTable indices;
    private final SecureRandom random;
    private final Clock clock;
    private final Counters counters;

    NoiseHandshake(byte[] staticPrivate, byte[] staticPublic, Map<ByteBuffer, WireGuardPeer> peers,
                   IndexTable indices, SecureRandom random, Clock clock, Counters counters) {
        this.staticPrivate = staticPrivate;
        this.staticPublic = staticPublic;
        this.peers = peers;
        this.indices = indices;
        this.random = random;
        this.clock = clock;
        this.counters = counters;
    }

    /** A new handshake with {@code peer}: the initiation message without its MACs. Replaces any under way. */
    byte[] createInitiation(WireGuardPeer peer) {
        Handshake hs = peer.handshake;
        clear(hs);
        byte[] msg = new byte[INITIATION_LENGTH];
        int localIndex = indices.register(hs);
        byte[] chainKey = INITIAL_CHAIN_KEY;
        byte[] hash = WireGuardCrypto.hash(INITIAL_HASH, peer.publicKey);
        byte[] ePriv = WireGuardCrypto.generatePrivateKey(random);
        byte[] ePub = WireGuardCrypto.publicKey(ePriv);
        chainKey = WireGuardCrypto.kdf(1, chainKey, ePub)[0];
        hash = WireGuardCrypto.hash(hash, ePub);
        byte[][] k = WireGuardCrypto.kdf(2, chainKey, WireGuardCrypto.dh(ePriv, peer.publicKey));
        chainKey = k[0];
        byte[] encStatic = WireGuardCrypto.aeadSeal(k[1], 0, staticPublic, hash);
        hash = WireGuardCrypto.hash(hash, encStatic);
        k = WireGuardCrypto.kdf(2, chainKey, hs.precomputedStaticStatic);
        chainKey = k[0];
        byte[] encTimestamp = WireGuardCrypto.aeadSeal(k[1], 0, Tai64n.of(clock.instant()), hash);
        hash = WireGuardCrypto.hash(hash, encTimestamp);

        msg[0] = TYPE_INITIATION;
        putIntLE(msg, SENDER_OFFSET, localIndex);
        System.arraycopy(ePub, 0, msg, 8, 32);
        System.arraycopy(encStatic, 0, msg, 40, 48);
        System.arraycopy(encTimestamp, 0, msg, 88, 28);

        hs.localIndex = localIndex;
        hs.hash = hash;
        hs.chainKey = chainKey;
        hs.localEphemeral = ePriv;
        hs.state = Handshake.State.INITIATION_CREATED;
        return msg;
    }

    /**
     * The Diffie-Hellman part of consuming initiation {@code msg}: the {@code es} agreement and the initiator's
     * static key, and with {@code prepareResponse} also the responder's ephemeral key pair and its two agreements
     * for {@link #createResponse}. Reads only this interface's static keys, so any thread may call it (a handshake
     * executor); {@link #applyInitiation} finishes on the event loop.
     */
    OpenedInitiation openInitiation(byte[] msg, boolean prepareResponse) {
        byte[] chainKey = INITIAL_CHAIN_KEY;
        byte[] hash = WireGuardCrypto.hash(INITIAL_HASH, staticPublic);
        byte[] e = Arrays.copyOfRange(msg, 8, 40);
        chainKey = WireGuardCrypto.kdf(1, chainKey, e)[0];
        hash = WireGuardCrypto.hash(hash, e);
        byte[][] k;
        try {
            k = WireGuardCrypto.kdf(2, chainKey, WireGuardCrypto.dh(staticPrivate, e));
        } catch (IllegalArgumentException lowOrder) {
            return OpenedInitiation.FAILED;
        }
        chainKey = k[0];
        byte[] encStatic = Arrays.copyOfRange(msg, 40, 88);
        byte[] peerKey = WireGuardCrypto.aeadOpen(k[1], 0, encStatic, hash);
        if (peerKey == null) {
            return OpenedInitiation.FAILED;
        }
        hash = WireGuardCrypto.hash(hash, encStatic);
        PreparedResponse prepared = null;
        if (prepareResponse) {
            byte[] ePriv = WireGuardCrypto.generatePrivateKey(random);
            try {
                prepared = new PreparedResponse(WireGuardCrypto.publicKey(ePriv), WireGuardCrypto.dh(ePriv, e),
                        WireGuardCrypto.dh(ePriv, peerKey));
            } catch (IllegalArgumentException lowOrder) {
                prepared = null; // createResponse computes it again and counts the failure
            } finally {
                Arrays.fill(ePriv, (byte) 0);
            }
        }
        return new OpenedInitiation(e, chainKey, hash, peerKey, prepared);
    }

    /** Finishes consuming initiation {@code msg} from what {@link #openInitiation} found: event loop only. */
    WireGuardPeer applyInitiation(byte[] msg, OpenedInitiation opened, long now) {
        if (opened == OpenedInitiation.FAILED) {
            return dropped(opened, Drop.HANDSHAKE_FAILED, null);
        }
        byte[] chainKey = opened.chainKey;
        byte[] hash = opened.hash;
        WireGuardPeer peer = peers.get(ByteBuffer.wrap(opened.peerKey));
        if (peer == null) {
            return dropped(opened, Drop.UNKNOWN_PEER, null);
        }
        Handshake hs = peer.handshake;
        byte[][] k = WireGuardCrypto.kdf(2, chainKey, hs.precomputedStaticStatic);
        chainKey = k[0];
        byte[] encTimestamp = Arrays.copyOfRange(msg, 88, 116);
        byte[] timestamp = WireGuardCrypto.aeadOpen(k[1], 0, encTimestamp, hash);
        if (timestamp == null) {
            return dropped(opened, Drop.HANDSHAKE_FAILED, peer);
        }
        hash = WireGuardCrypto.hash(hash, encTimestamp);
        if (!Tai64n.isAfter(timestamp, hs.latestTimestamp)) {
            return dropped(opened, Drop.HANDSHAKE_REPLAY, peer);
        }
        if (hs.lastInitiationConsumed != WireGuardPeer.NEVER
                && now - hs.lastInitiationConsumed < Handshake.MIN_INITIATION_INTERVAL) {
            return dropped(opened, Drop.HANDSHAKE_FLOOD, peer);
        }
        clear(hs);
        hs.latestTimestamp = timestamp;
        hs.lastInitiationConsumed = now;
        hs.hash = hash;
        hs.chainKey = chainKey;
        hs.remoteEphemeral = opened.e;
        hs.remoteIndex = getIntLE(msg, SENDER_OFFSET);
        hs.preparedResponse = opened.prepared;
        hs.state = Handshake.State.INITIATION_CONSUMED;
        return peer;
    }

    private WireGuardPeer dropped(OpenedInitiation opened, Drop reason, WireGuardPeer peer) {
        opened.wipe();
        counters.drop(reason, peer);
        return null;
    }

    /**
     * The response to the initiation consumed from {@code peer}, without its MACs, and the responder's keypair
     * (the caller installs it as {@code next}); {@code null} with the drop counted when the peer's ephemeral key is
     * of low order.
     */
    Session createResponse(WireGuardPeer peer, long now, WireGuardTimers timers,
                           TransportCipher.Implementation cipher) {
        Handshake hs = peer.handshake;
        if (hs.state != Handshake.State.INITIATION_CONSUMED) {
            throw new IllegalStateException("no initiation consumed from " + peer);
        }
        byte[] chainKey = hs.chainKey;
        byte[] hash = hs.hash;
        PreparedResponse prepared = hs.preparedResponse;
        if (prepared == null) {
            byte[] ePriv = WireGuardCrypto.generatePrivateKey(random);
            try {
                prepared = new PreparedResponse(WireGuardCrypto.publicKey(ePriv),
                        WireGuardCrypto.dh(ePriv, hs.remoteEphemeral), WireGuardCrypto.dh(ePriv, peer.publicKey));
            } catch (IllegalArgumentException lowOrder) {
                clear(hs);
                counters.drop(Drop.HANDSHAKE_FAILED, peer);
                return null;
            } finally {
                Arrays.fill(ePriv, (byte) 0);
            }
        }
        byte[] ePub = prepared.ephemeralPublic;
        chainKey = WireGuardCrypto.kdf(1, chainKey, ePub)[0];
        hash = WireGuardCrypto.hash(hash, ePub);
        chainKey = WireGuardCrypto.kdf(1, chainKey, prepared.ee)[0];
        chainKey = WireGuardCrypto.kdf(1, chainKey, prepared.se)[0];
        prepared.wipe();
        byte[][] k = WireGuardCrypto.kdf(3, chainKey, hs.presharedKey);
        chainKey = k[0];
        hash = WireGuardCrypto.hash(hash, k[1]);
        byte[] empty = WireGuardCrypto.aeadSeal(k[2], 0, EMPTY, hash);
        byte[][] keys = WireGuardCrypto.kdf(2, chainKey, EMPTY);

        int localIndex = indices.register(hs);
        byte[] msg = new byte[RESPONSE_LENGTH];
        msg[0] = TYPE_RESPONSE;
        putIntLE(msg, SENDER_OFFSET, localIndex);
        putIntLE(msg, Messages.RESPONSE_RECEIVER_OFFSET, hs.remoteIndex);
        System.arraycopy(ePub, 0, msg, 12, 32);
        System.arraycopy(empty, 0, msg, 44, 16);

        Keypair kp = new Keypair(peer, keys[1], keys[0], localIndex, hs.remoteIndex, false, now,
                timers.rejectAfterMessages, cipher);
        indices.replace(localIndex, kp);
        hs.state = Handshake.State.NONE;
        hs.wipe();
        return new Session(msg, kp);
    }

    /**
     * The initiator's keypair from response {@code msg} (its MACs already checked), or {@code null} with the drop
     * counted. The index of our initiation passes to the keypair.
     */
    Keypair consumeResponse(byte[] msg, long now, WireGuardTimers timers, TransportCipher.Implementation cipher) {
        int receiver = getIntLE(msg, Messages.RESPONSE_RECEIVER_OFFSET);
        Handshake hs = indices.handshake(receiver);
        if (hs == null || hs.state != Handshake.State.INITIATION_CREATED || hs.localIndex != receiver) {
            counters.drop(Drop.UNKNOWN_INDEX, hs == null ? indices.peer(receiver) : hs.peer);
            return null;
        }
        WireGuardPeer peer = hs.peer;
        byte[] e = Arrays.copyOfRange(msg, 12, 44);
        byte[] chainKey = WireGuardCrypto.kdf(1, hs.chainKey, e)[0];
        byte[] hash = WireGuardCrypto.hash(hs.hash, e);
        try {
            chainKey = WireGuardCrypto.kdf(1, chainKey, WireGuardCrypto.dh(hs.localEphemeral, e))[0];
            chainKey = WireGuardCrypto.kdf(1, chainKey, WireGuardCrypto.dh(staticPrivate, e))[0];
        } catch (IllegalArgumentException lowOrder) {
            counters.drop(Drop.HANDSHAKE_FAILED, peer);
            return null;
        }
        byte[][] k = WireGuardCrypto.kdf(3, chainKey, hs.presharedKey);
        chainKey = k[0];
        hash = WireGuardCrypto.hash(hash, k[1]);
        byte[] empty = Arrays.copyOfRange(msg, 44, 60);
        if (WireGuardCrypto.aeadOpen(k[2], 0, empty, hash) == null) {
            counters.drop(Drop.HANDSHAKE_FAILED, peer);
            return null;
        }
        byte[][] keys = WireGuardCrypto.kdf(2, chainKey, EMPTY);
        Keypair kp = new Keypair(peer, keys[0], keys[1], receiver, getIntLE(msg, SENDER_OFFSET), true, now,
                timers.rejectAfterMessages, cipher);
        indices.replace(receiver, kp);
        hs.state = Handshake.State.NONE;
        hs.wipe();
        return kp;
    }

    /** Abandons the handshake under way with the peer of {@code hs}: its index is freed, its secrets zeroed. */
    void clear(Handshake hs) {
        if (hs.state == Handshake.State.INITIATION_CREATED) {
            indices.remove(hs.localIndex, hs);
        }
        hs.state = Handshake.State.NONE;
        hs.wipe();
    }

    /** Sets the preshared key a peer's next handshake uses. */
    void presharedKey(WireGuardPeer peer, byte[] key) {
        peer.handshake.presharedKey = key;
    }

    /** What {@link #openInitiation} found; {@link #FAILED} when the initiation does not open. */
    static final class OpenedInitiation {
        static final OpenedInitiation FAILED = new OpenedInitiation(null, null, null, null, null);

        final byte[] e;
        final byte[] chainKey;
        final byte[] hash;
        final byte[] peerKey;
        final PreparedResponse prepared;

        OpenedInitiation(byte[] e, byte[] chainKey, byte[] hash, byte[] peerKey, PreparedResponse prepared) {
            this.e = e;
            this.chainKey = chainKey;
            this.hash = hash;
            this.peerKey = peerKey;
            this.prepared = prepared;
        }

        /** Zeroes the agreements computed ahead, for an initiation that will not be answered. */
        void wipe() {
            if (prepared != null) {
                prepared.wipe();
            }
        }
    }

    /** The responder's ephemeral public key and its agreements {@code ee} and {@code se}, computed ahead. */
    static final class PreparedResponse {
        final byte[] ephemeralPublic;
        final byte[] ee;
        final byte[] se;

        PreparedResponse(byte[] ephemeralPublic, byte[] ee, byte[] se) {
            this.ephemeralPublic = ephemeralPublic;
            this.ee = ee;
            this.se = se;
        }

        void wipe() {
            Arrays.fill(ee, (byte) 0);
            Arrays.fill(se, (byte) 0);
        }
    }

    /** A response message and the responder's keypair it derived. */
    static final class Session {
        final byte[] response;
        final Keypair keypair;

        Session(byte[] response, Keypair keypair) {
            this.response = response;
            this.keypair = keypair;
        }
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.github.nettytun.handler.vpn.wireguard.WireGuardPeer.NEVER;

/**
 * One peer's timers (whitepaper section 6; wireguard-go's {@code timers.go}, after the kernel's
 * {@code timers.c}): deadlines in ticker time, set and cleared by the events below and fired by
 * {@link #expire}, which the device calls on every tick of its timer wheel. Event loop only, except
 * {@link #persistentKeepaliveSeconds()}.
 *
 * <table>
 *   <caption>Timers</caption>
 *   <tr><th>timer</th><th>armed</th><th>cleared</th><th>on expiry</th></tr>
 *   <tr><td>retransmit handshake</td><td>initiation sent: REKEY_TIMEOUT + jitter (0-333 ms)</td>
 *       <td>a handshake completes</td><td>retransmit; after REKEY_ATTEMPT_TIME of attempts give up (staged
 *       packets dropped, key material zeroed 3 x REJECT_AFTER_TIME later)</td></tr>
 *   <tr><td>send keepalive</td><td>data received: KEEPALIVE_TIMEOUT (once more if data arrives meanwhile)</td>
 *       <td>anything authenticated sent</td><td>a keepalive (passive keepalive)</td></tr>
 *   <tr><td>new handshake</td><td>data sent: KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter</td>
 *       <td>anything authenticated received</td><td>a new handshake (the peer stopped answering)</td></tr>
 *   <tr><td>zero key material</td><td>session derived: 3 x REJECT_AFTER_TIME</td><td>re-armed</td>
 *       <td>every key and handshake secret forgotten</td></tr>
 *   <tr><td>persistent keepalive</td><td>anything authenticated sent or received, if configured</td>
 *       <td>re-armed</td><td>a keepalive</td></tr>
 * </table>
 */
final class PeerTimers {

    /** What the device does when a timer fires; called from {@link #expire}. */
    interface Actions {
        void retransmitHandshake(WireGuardPeer peer);

        void giveUpHandshake(WireGuardPeer peer);

        void sendKeepalive(WireGuardPeer peer);

        void newHandshake(WireGuardPeer peer);

        void zeroKeyMaterial(WireGuardPeer peer);
    }

    /** RekeyTimeoutJitterMaxMs in wireguard-go. */
    static final long MAX_JITTER = TimeUnit.MILLISECONDS.toNanos(334);

    private final WireGuardPeer peer;
    private final WireGuardTimers t;
    private final Random random;

    private long retransmitHandshake = NEVER;
    private long sendKeepalive = NEVER;
    private boolean needAnotherKeepalive;
    private long newHandshake = NEVER;
    private long zeroKeyMaterial = NEVER;
    private long persistentKeepalive = NEVER;
    private long attemptsStart = NEVER;
    private long lastHandshakeSent = NEVER;
    private boolean sentLastMinuteHandshake;
    private volatile int persistentKeepaliveSeconds;

    PeerTimers(WireGuardPeer peer, WireGuardTimers timers, Random random, int persistentKeepaliveSeconds) {
        this.peer = peer;
        this.t = timers;
        this.random = random;
        this.persistentKeepaliveSeconds = persistentKeepaliveSeconds;
    }

    int persistentKeepaliveSeconds() {
        return persistentKeepaliveSeconds;
    }

    /** Sets the persistent keepalive interval; returns the previous one. */
    int persistentKeepaliveSeconds(int seconds) {
        int old = persistentKeepaliveSeconds;
        persistentKeepaliveSeconds = seconds;
        if (seconds == 0) {
            persistentKeepalive = NEVER;
        }
        return old;
    }

    // ------------------------------------------------------------------------------------------------- events

    /** An authenticated data message (not a keepalive) was sent. */
    void dataSent(long now) {
        if (newHandshake == NEVER) {
            newHandshake = now + t.keepaliveTimeout + t.rekeyTimeout + jitter();
        }
    }

    /** An authenticated data message (not a keepalive) was received. */
    void dataReceived(long now) {
        if (sendKeepalive == NEVER) {
            sendKeepalive = now + t.keepaliveTimeout;
        } else {
            needAnotherKeepalive = true;
        }
    }

    /** Anything authenticated was sent: data, a keepalive or a handshake message. */
    void anyAuthenticatedPacketSent() {
        sendKeepalive = NEVER;
    }

    /** Anything authenticated was received. */
    void anyAuthenticatedPacketReceived() {
        newHandshake = NEVER;
    }

    /** Anything authenticated was sent or received: the persistent keepalive starts over. */
    void anyAuthenticatedPacketTraversal(long now) {
        int keepalive = persistentKeepaliveSeconds;
        if (keepalive > 0) {
            persistentKeepalive = now + TimeUnit.SECONDS.toNanos(keepalive);
        }
    }

    /**
     * Whether a handshake message may go out now: at most one per REKEY_TIMEOUT, initiations and responses
     * together. A first (not retransmitted) attempt starts the REKEY_ATTEMPT_TIME budget over.
     */
    boolean mayInitiate(long now, boolean retransmit) {
        if (!retransmit) {
            attemptsStart = now;
        }
        return lastHandshakeSent == NEVER || now - lastHandshakeSent >= t.rekeyTimeout;
    }

    /** A handshake message (initiation or response) was created for sending. */
    void handshakeSent(long now) {
        lastHandshakeSent = now;
    }

    /** An initiation was sent: retransmit unless a handshake completes first. */
    void handshakeInitiated(long now) {
        if (attemptsStart == NEVER) {
            attemptsStart = now;
        }
        retransmitHandshake = now + t.rekeyTimeout + jitter();
    }

    /** A handshake completed (initiator: response consumed; responder: first data under the new keypair). */
    void handshakeComplete() {
        retransmitHandshake = NEVER;
        attemptsStart = NEVER;
        sentLastMinuteHandshake = false;
    }

    /** New transport keys were derived (either role). */
    void sessionDerived(long now) {
        zeroKeyMaterial = now + 3 * t.rejectAfterTime;
    }

    /**
     * Whether the initiator should start its last handshake before the current keypair can no longer receive
     * (REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT); true once per handshake.
     */
    boolean takeLastMinuteHandshake() {
        if (sentLastMinuteHandshake) {
            return false;
        }
        sentLastMinuteHandshake = true;
        return true;
    }

    /** Every timer off (the peer was removed or the device closed). */
    void stop() {
        retransmitHandshake = NEVER;
        sendKeepalive = NEVER;
        needAnotherKeepalive = false;
        newHandshake = NEVER;
        zeroKeyMaterial = NEVER;
        persistentKeepalive = NEVER;
        attemptsStart = NEVER;
    }

    /** Whether a handshake attempt is under way (retransmits pending). */
    boolean isHandshakeInProgress() {
        return retransmitHandshake != NEVER;
    }

    // ------------------------------------------------------------------------------------------------- expiry

    /** Fires every timer due at {@code now}, in wireguard-go's order of concern. */
    void expire(long now, Actions actions) {
        if (due(retransmitHandshake, now)) {
            retransmitHandshake = NEVER;
            if (now - attemptsStart >= t.rekeyAttemptTime) {
                sendKeepalive = NEVER;
                attemptsStart = NEVER;
                if (zeroKeyMaterial == NEVER) {
                    zeroKeyMaterial = now + 3 * t.rejectAfterTime;
                }
                actions.giveUpHandshake(peer);
            } else {
                actions.retransmitHandshake(peer);
            }
        }
        if (due(sendKeepalive, now)) {
            sendKeepalive = NEVER;
            actions.sendKeepalive(peer);
            if (needAnotherKeepalive) {
                needAnotherKeepalive = false;
                sendKeepalive = now + t.keepaliveTimeout;
            }
        }
        if (due(newHandshake, now)) {
            newHandshake = NEVER;
            actions.newHandshake(peer);
        }
        if (due(zeroKeyMaterial, now)) {
            zeroKeyMaterial = NEVER;
            actions.zeroKeyMaterial(peer);
        }
        if (due(persistentKeepalive, now)) {
            persistentKeepalive = NEVER;
            if (persistentKeepaliveSeconds > 0) {
                actions.sendKeepalive(peer);
            }
        }
    }

    private static boolean due(long deadline, long now) {
        return deadline != NEVER && now - deadline >= 0;
    }

    private long jitter() {
        return (long) (random.nextDouble() * MAX_JITTER);
    }
}

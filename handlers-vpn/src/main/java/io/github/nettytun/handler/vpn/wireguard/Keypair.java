/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

/**
 * The transport keys of one completed handshake: both directions, the indices, the send counter and the replay
 * window. {@code created} is ticker time; which keypairs a peer holds is {@link Keypairs}' business.
 */
final class Keypair {
    final WireGuardPeer peer;
    final TransportCipher send;
    final TransportCipher receive;
    final int localIndex;
    final int remoteIndex;
    final boolean initiator;
    final long created;
    final ReplayWindow replay;
    long sendCounter;

    Keypair(WireGuardPeer peer, byte[] sendKey, byte[] receiveKey, int localIndex, int remoteIndex,
            boolean initiator, long created, long rejectAfterMessages, TransportCipher.Implementation cipher) {
        this.peer = peer;
        this.send = TransportCipher.create(sendKey, cipher);
        this.receive = TransportCipher.create(receiveKey, cipher);
        this.localIndex = localIndex;
        this.remoteIndex = remoteIndex;
        this.initiator = initiator;
        this.created = created;
        this.replay = new ReplayWindow(rejectAfterMessages);
    }

    /** Whether no more data may be sent with it: REJECT_AFTER_TIME or REJECT_AFTER_MESSAGES reached. */
    boolean isExpiredForSending(long now, WireGuardTimers timers) {
        return now - created >= timers.rejectAfterTime
                || Long.compareUnsigned(sendCounter, timers.rejectAfterMessages) >= 0;
    }

    /** Whether the initiator should start a new handshake: REKEY_AFTER_TIME or REKEY_AFTER_MESSAGES reached. */
    boolean needsRekeyAfterSending(long now, WireGuardTimers timers) {
        return initiator && (now - created >= timers.rekeyAfterTime
                || Long.compareUnsigned(sendCounter, timers.rekeyAfterMessages) >= 0);
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

/** The transport keys of one completed handshake: both directions, the indices and the counters. */
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
}

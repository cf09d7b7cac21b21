/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.util.collection.IntObjectHashMap;

import java.security.SecureRandom;

/**
 * The receiver indices this device handed out (whitepaper section 5.4.1: "sender index"), each owned by a
 * handshake in progress ({@link Handshake}) or a keypair ({@link Keypair}). A response or cookie reply names a
 * handshake's index, a data message a keypair's; anything else is {@code UNKNOWN_INDEX}. Indices are random, never
 * 0, and unique while registered. Event loop only.
 */
final class IndexTable {

    private final IntObjectHashMap<Object> entries = new IntObjectHashMap<>();
    private final SecureRandom random;

    IndexTable(SecureRandom random) {
        this.random = random;
    }

    /** A new index for {@code owner}. */
    int register(Object owner) {
        assert owner instanceof Handshake || owner instanceof Keypair;
        int index;
        do {
            index = random.nextInt();
        } while (index == 0 || entries.containsKey(index));
        entries.put(index, owner);
        return index;
    }

    /** Registers {@code owner} under the index a handshake held (a responder's keypair takes over its index). */
    void replace(int index, Object owner) {
        entries.put(index, owner);
    }

    /** Removes {@code index} if {@code owner} still holds it. */
    void remove(int index, Object owner) {
        entries.remove(index, owner);
    }

    /** The keypair holding {@code index}, or {@code null}. */
    Keypair keypair(int index) {
        Object owner = entries.get(index);
        return owner instanceof Keypair ? (Keypair) owner : null;
    }

    /** The handshake holding {@code index}, or {@code null}. */
    Handshake handshake(int index) {
        Object owner = entries.get(index);
        return owner instanceof Handshake ? (Handshake) owner : null;
    }

    /** The peer whose handshake or keypair holds {@code index}, or {@code null}. */
    WireGuardPeer peer(int index) {
        Object owner = entries.get(index);
        return owner instanceof Keypair ? ((Keypair) owner).peer
                : owner instanceof Handshake ? ((Handshake) owner).peer : null;
    }

    boolean contains(int index) {
        return entries.containsKey(index);
    }

    int size() {
        return entries.size();
    }
}

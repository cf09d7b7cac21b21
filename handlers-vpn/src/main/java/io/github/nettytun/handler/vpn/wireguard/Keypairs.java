/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

/**
 * A peer's transport keypairs (whitepaper section 5.4.6 and 6; wireguard-go's {@code Keypairs}): written only
 * here, on the device's event loop.
 *
 * <ul>
 *   <li>{@code current} is the keypair data is sent with; every keypair held here can receive (the replay window
 *       and REJECT_AFTER_TIME decide what it accepts).</li>
 *   <li>An initiator's new keypair becomes {@code current} at once: it consumed the response, so both sides hold
 *       it. The old {@code current} becomes {@code previous} (late packets still open); if an unconfirmed
 *       {@code next} was waiting, that becomes {@code previous} instead and the old {@code current} goes.</li>
 *   <li>A responder's new keypair waits as {@code next}: the responder may not send with it until the initiator
 *       proves it has it. The first data message (a keepalive counts) that opens under {@code next} makes it
 *       {@code current}, the old {@code current} {@code previous}; that moment completes the responder's
 *       handshake. A new responder keypair replaces a waiting {@code next} and drops {@code previous}.</li>
 *   <li>The index table holds the local index of exactly the keypairs held here: a keypair that leaves is
 *       removed from it, so its data messages become {@code UNKNOWN_INDEX}.</li>
 * </ul>
 */
final class Keypairs {

    private final IndexTable indices;
    private Keypair previous;
    private Keypair current;
    private Keypair next;

    Keypairs(IndexTable indices) {
        this.indices = indices;
    }

    /** The keypair to send with, or {@code null}. */
    Keypair current() {
        return current;
    }

    /** Installs the keypair this side derived as initiator (the response was consumed). */
    void installAsInitiator(Keypair kp) {
        if (next != null) {
            remove(previous);
            previous = next;
            next = null;
            remove(current);
        } else {
            remove(previous);
            previous = current;
        }
        current = kp;
    }

    /** Installs the keypair this side derived as responder: it waits as {@code next}. */
    void installAsResponder(Keypair kp) {
        remove(next);
        next = kp;
        remove(previous);
        previous = null;
    }

    /**
     * Notes that an authenticated data message arrived under {@code kp}: if that is {@code next}, it becomes
     * {@code current}. Returns whether it did (the responder's handshake completes then).
     */
    boolean receivedWith(Keypair kp) {
        if (kp != next) {
            return false;
        }
        remove(previous);
        previous = current;
        current = next;
        next = null;
        return true;
    }

    /** Forgets every keypair (peer removed, device closed, keys expired for good). */
    void clear() {
        remove(previous);
        remove(current);
        remove(next);
        previous = null;
        current = null;
        next = null;
    }

    private void remove(Keypair kp) {
        if (kp != null) {
            indices.remove(kp.localIndex, kp);
        }
    }
}

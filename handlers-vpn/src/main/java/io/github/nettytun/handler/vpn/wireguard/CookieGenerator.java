/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import java.util.Arrays;

import static io.github.nettytun.handler.vpn.wireguard.Messages.MAC_LENGTH;

/**
 * The sending side of WireGuard's cookies for one peer (whitepaper section 5.4.4 and 5.4.7; wireguard-go's
 * {@code CookieGenerator}): MAC1 on every handshake message to the peer, MAC2 while a cookie from it is fresher
 * than COOKIE_REFRESH_TIME, and the cookie replies that bring such a cookie. Event loop only.
 */
final class CookieGenerator {

    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private final long refreshTime;
    private byte[] lastMac1Sent;
    private byte[] cookie;
    private long cookieReceived = WireGuardPeer.NEVER;

    CookieGenerator(byte[] peerPublicKey, long refreshTime) {
        this.mac1Key = WireGuardCrypto.hash(Messages.LABEL_MAC1, peerPublicKey);
        this.cookieKey = WireGuardCrypto.hash(Messages.LABEL_COOKIE, peerPublicKey);
        this.refreshTime = refreshTime;
    }

    /** Writes MAC1, and MAC2 when a fresh cookie is held, into {@code msg} at {@code mac1Offset}. */
    void addMacs(byte[] msg, int mac1Offset, long now) {
        byte[] mac1 = WireGuardCrypto.mac(mac1Key, msg, 0, mac1Offset);
        System.arraycopy(mac1, 0, msg, mac1Offset, MAC_LENGTH);
        lastMac1Sent = mac1;
        if (cookie != null && now - cookieReceived < refreshTime) {
            byte[] mac2 = WireGuardCrypto.mac(cookie, msg, 0, mac1Offset + MAC_LENGTH);
            System.arraycopy(mac2, 0, msg, mac1Offset + MAC_LENGTH, MAC_LENGTH);
        }
    }

    /** Takes the cookie from reply {@code msg}; false when nothing was sent to answer or it does not open. */
    boolean consumeReply(byte[] msg, long now) {
        if (lastMac1Sent == null) {
            return false;
        }
        byte[] opened = WireGuardCrypto.xaeadOpen(cookieKey, Arrays.copyOfRange(msg, 8, 32),
                Arrays.copyOfRange(msg, 32, 64), lastMac1Sent);
        if (opened == null) {
            return false;
        }
        cookie = opened;
        cookieReceived = now;
        return true;
    }

    /** Whether a cookie from the peer is held (for tests and monitoring). */
    boolean hasCookie() {
        return cookie != null;
    }
}

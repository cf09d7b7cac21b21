/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Arrays;

import static io.github.nettytun.handler.vpn.wireguard.Messages.COOKIE_REPLY_LENGTH;
import static io.github.nettytun.handler.vpn.wireguard.Messages.MAC_LENGTH;
import static io.github.nettytun.handler.vpn.wireguard.Messages.TYPE_COOKIE_REPLY;

/**
 * The receiving side of WireGuard's cookies (whitepaper section 5.4.4 and 5.4.7; wireguard-go's
 * {@code CookieChecker}): MAC1 of handshake messages addressed to this interface, MAC2 from the sender's cookie
 * while under load, and the cookie replies that hand a sender its cookie. A cookie is MAC(secret, address || port),
 * the secret changing every COOKIE_REFRESH_TIME; replies are sealed with XChaCha20-Poly1305 under a key derived
 * from our public key, with the message's MAC1 as associated data. No state is kept per sender.
 */
final class CookieChecker {

    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private final SecureRandom random;
    private final long refreshTime;
    private byte[] secret;
    private long secretSet = WireGuardPeer.NEVER;

    CookieChecker(byte[] staticPublic, SecureRandom random, long refreshTime) {
        this.mac1Key = WireGuardCrypto.hash(Messages.LABEL_MAC1, staticPublic);
        this.cookieKey = WireGuardCrypto.hash(Messages.LABEL_COOKIE, staticPublic);
        this.random = random;
        this.refreshTime = refreshTime;
    }

    /** Whether {@code msg} carries a valid MAC1 at {@code mac1Offset} (constant time). */
    boolean checkMac1(byte[] msg, int mac1Offset) {
        byte[] mac1 = WireGuardCrypto.mac(mac1Key, msg, 0, mac1Offset);
        return WireGuardCrypto.constantTimeEquals(mac1, 0, msg, mac1Offset, MAC_LENGTH);
    }

    /** Whether {@code msg} carries a valid MAC2 for {@code sender}'s current cookie (constant time). */
    boolean checkMac2(byte[] msg, int mac1Offset, InetSocketAddress sender, long now) {
        byte[] mac2 = WireGuardCrypto.mac(cookie(sender, now), msg, 0, mac1Offset + MAC_LENGTH);
        return WireGuardCrypto.constantTimeEquals(mac2, 0, msg, mac1Offset + MAC_LENGTH, MAC_LENGTH);
    }

    /** The cookie reply to handshake message {@code msg} from {@code sender}. */
    byte[] createReply(byte[] msg, int mac1Offset, InetSocketAddress sender, long now) {
        byte[] reply = new byte[COOKIE_REPLY_LENGTH];
        reply[0] = TYPE_COOKIE_REPLY;
        System.arraycopy(msg, Messages.SENDER_OFFSET, reply, 4, 4);
        byte[] nonce = new byte[WireGuardCrypto.XNONCE_LENGTH];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, reply, 8, nonce.length);
        byte[] mac1 = Arrays.copyOfRange(msg, mac1Offset, mac1Offset + MAC_LENGTH);
        byte[] encrypted = WireGuardCrypto.xaeadSeal(cookieKey, nonce, cookie(sender, now), mac1);
        System.arraycopy(encrypted, 0, reply, 32, encrypted.length);
        return reply;
    }

    private byte[] cookie(InetSocketAddress sender, long now) {
        if (secret == null || now - secretSet >= refreshTime) {
            secret = new byte[32];
            random.nextBytes(secret);
            secretSet = now;
        }
        byte[] addr = sender.getAddress().getAddress();
        byte[] input = Arrays.copyOf(addr, addr.length + 2);
        input[addr.length] = (byte) (sender.getPort() >>> 8);
        input[addr.length + 1] = (byte) sender.getPort();
        return WireGuardCrypto.mac(secret, input, 0, input.length);
    }
}

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
 *
 * <p>Any thread: a device with a handshake executor checks MACs and makes cookie replies there. The only state, the
 * secret, is replaced whole.
 */
final class CookieChecker {

    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private final SecureRandom random;
    private final long refreshTime;
    private volatile Secret secret;

    /** The cookie secret and when it was made. */
    private static final class Secret {
        final byte[] bytes;
        final long made;

        Secret(byte[] bytes, long made) {
            this.bytes = bytes;
            this.made = made;
        }
    }

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

    /**
     * Whether {@code msg} carries a MAC2 at all: a sender without a cookie sends zeros (whitepaper 5.4.4). Such a
     * message is refused without computing the MAC (a match would take a 2^-128 chance), so a flood without cookies
     * costs two BLAKE2s less per message.
     */
    static boolean hasMac2(byte[] msg, int mac1Offset) {
        int any = 0;
        for (int i = mac1Offset + MAC_LENGTH; i < mac1Offset + 2 * MAC_LENGTH; i++) {
            any |= msg[i];
        }
        return any != 0;
    }

    /** Whether {@code msg} carries a valid MAC2 for {@code cookie} (constant time). */
    boolean checkMac2(byte[] msg, int mac1Offset, byte[] cookie) {
        int mac2Offset = mac1Offset + MAC_LENGTH;
        byte[] mac2 = WireGuardCrypto.mac(cookie, msg, 0, mac2Offset);
        return WireGuardCrypto.constantTimeEquals(mac2, 0, msg, mac2Offset, MAC_LENGTH);
    }

    /** The cookie reply to handshake message {@code msg} that hands its sender {@code cookie}. */
    byte[] createReply(byte[] msg, int mac1Offset, byte[] cookie) {
        byte[] reply = new byte[COOKIE_REPLY_LENGTH];
        reply[0] = TYPE_COOKIE_REPLY;
        System.arraycopy(msg, Messages.SENDER_OFFSET, reply, 4, 4);
        byte[] nonce = new byte[WireGuardCrypto.XNONCE_LENGTH];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, reply, 8, nonce.length);
        byte[] mac1 = Arrays.copyOfRange(msg, mac1Offset, mac1Offset + MAC_LENGTH);
        byte[] encrypted = WireGuardCrypto.xaeadSeal(cookieKey, nonce, cookie, mac1);
        System.arraycopy(encrypted, 0, reply, 32, encrypted.length);
        return reply;
    }

    /** {@code sender}'s cookie at {@code now}: MAC(secret, address || port), for MAC2 and for a cookie reply. */
    byte[] cookie(InetSocketAddress sender, long now) {
        Secret current = secret;
        if (current == null || now - current.made >= refreshTime) {
            current = refresh(now);
        }
        byte[] addr = sender.getAddress().getAddress();
        byte[] input = Arrays.copyOf(addr, addr.length + 2);
        input[addr.length] = (byte) (sender.getPort() >>> 8);
        input[addr.length + 1] = (byte) sender.getPort();
        return WireGuardCrypto.mac(current.bytes, input, 0, input.length);
    }

    private synchronized Secret refresh(long now) {
        Secret current = secret;
        if (current == null || now - current.made >= refreshTime) {
            byte[] bytes = new byte[32];
            random.nextBytes(bytes);
            current = new Secret(bytes, now);
            secret = current;
        }
        return current;
    }
}

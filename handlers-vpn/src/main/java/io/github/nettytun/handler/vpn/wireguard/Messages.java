/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import java.nio.charset.StandardCharsets;

/**
 * The four WireGuard messages (whitepaper section 5.4) and the Noise constants they are built from. All integers
 * on the wire are little-endian.
 *
 * <pre>
 *  initiation (148)  | type 1 | reserved | sender | ephemeral 32 | static 32+16 | timestamp 12+16 | mac1 | mac2 |
 *  response (92)     | type 2 | reserved | sender | receiver | ephemeral 32 | empty 0+16 | mac1 | mac2 |
 *  cookie reply (64) | type 3 | reserved | receiver | nonce 24 | cookie 16+16 |
 *  data (32 + n)     | type 4 | reserved | receiver | counter 8 | packet n (padded to 16) + tag 16 |
 *                      1 byte   3 bytes    4 bytes     ...                              mac1, mac2: 16 bytes each
 * </pre>
 */
final class Messages {

    static final byte[] CONSTRUCTION = ascii("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s");
    static final byte[] IDENTIFIER = ascii("WireGuard v1 zx2c4 Jason@zx2c4.com");
    static final byte[] LABEL_MAC1 = ascii("mac1----");
    static final byte[] LABEL_COOKIE = ascii("cookie--");
    static final byte[] INITIAL_CHAIN_KEY = WireGuardCrypto.hash(CONSTRUCTION);
    static final byte[] INITIAL_HASH = WireGuardCrypto.hash(INITIAL_CHAIN_KEY, IDENTIFIER);

    static final int TYPE_INITIATION = 1;
    static final int TYPE_RESPONSE = 2;
    static final int TYPE_COOKIE_REPLY = 3;
    static final int TYPE_DATA = 4;

    static final int INITIATION_LENGTH = 148;
    static final int RESPONSE_LENGTH = 92;
    static final int COOKIE_REPLY_LENGTH = 64;
    /** Type, receiver index and counter in front of the ciphertext. */
    static final int DATA_HEADER_LENGTH = 16;
    /** Header and tag around the padded plaintext: a keepalive is this long. */
    static final int DATA_OVERHEAD = DATA_HEADER_LENGTH + WireGuardCrypto.TAG_LENGTH;

    static final int SENDER_OFFSET = 4;
    static final int RESPONSE_RECEIVER_OFFSET = 8;
    static final int INITIATION_MAC1 = 116;
    static final int RESPONSE_MAC1 = 60;
    static final int MAC_LENGTH = 16;
    /** The largest UDP payload over IPv4; a data message must fit. */
    static final int MAX_UDP_PAYLOAD = 65507;

    private Messages() {
    }

    /** The length of a handshake message or cookie reply of {@code type}, or 0 for data and unknown types. */
    static int fixedLength(int type) {
        return type == TYPE_INITIATION ? INITIATION_LENGTH : type == TYPE_RESPONSE ? RESPONSE_LENGTH
                : type == TYPE_COOKIE_REPLY ? COOKIE_REPLY_LENGTH : 0;
    }

    /** Where MAC1 sits in a message of {@code type} (initiation or response). */
    static int mac1Offset(int type) {
        return type == TYPE_INITIATION ? INITIATION_MAC1 : RESPONSE_MAC1;
    }

    static int getIntLE(byte[] b, int i) {
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
    }

    static void putIntLE(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
        b[i + 2] = (byte) (v >>> 16);
        b[i + 3] = (byte) (v >>> 24);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}

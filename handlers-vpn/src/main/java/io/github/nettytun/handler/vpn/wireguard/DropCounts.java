/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

/**
 * Packets and messages dropped, counted by reason: by a {@link WireGuardDevice} (every drop) and by each
 * {@link WireGuardPeer} (the drops that can be told apart as that peer's). Readable from any thread; the counts may
 * lag the event loop by a packet. {@code WireGuardDevice.Drop} names the same enum.
 */
public interface DropCounts {

    /** Why a packet or message was dropped. */
    enum Drop {
        /** A datagram too short, with an unknown type or the wrong length for its type. */
        MALFORMED,
        /** A handshake message whose MAC1 is wrong (never answered). */
        BAD_MAC1,
        /**
         * A handshake message without a valid MAC2 while the device is under load or its source address over its
         * rate: answered with a cookie reply instead.
         */
        COOKIE_REQUIRED,
        /**
         * A handshake message over its source address's rate limit: with a valid MAC2, or (then no MAC is computed)
         * from an address whose cookie-holding sender has used up its rate already.
         */
        RATE_LIMITED,
        /** A handshake message that found the device's handshake work budget spent (a flood from many sources). */
        HANDSHAKE_OVERLOAD,
        /** A handshake message that did not decrypt or carried a low-order key. */
        HANDSHAKE_FAILED,
        /** An initiation from a static key that is not a peer. */
        UNKNOWN_PEER,
        /** An initiation whose TAI64N timestamp is not newer than the last accepted one. */
        HANDSHAKE_REPLAY,
        /** An initiation less than 20 ms after the last accepted one from the same peer. */
        HANDSHAKE_FLOOD,
        /** A response, cookie or data message for a receiver index we do not hold. */
        UNKNOWN_INDEX,
        /** A cookie reply that did not decrypt. */
        BAD_COOKIE,
        /** A data message for a keypair older than REJECT_AFTER_TIME. */
        KEY_EXPIRED,
        /** A data message that did not authenticate. */
        DECRYPT_FAILED,
        /** A data message whose counter was seen before or fell out of the window. */
        REPLAY,
        /** A decrypted packet that is not a well-formed IPv4/IPv6 packet. */
        INVALID_INNER_PACKET,
        /** A decrypted packet whose source address is not in the sending peer's allowed IPs. */
        SOURCE_NOT_ALLOWED,
        /** An outbound packet whose destination no peer's allowed IPs contain. */
        NO_ROUTE,
        /** An outbound packet that is not IPv4/IPv6, or a TUN packet still needing offload work. */
        INVALID_OUTBOUND_PACKET,
        /** An outbound packet too large for one UDP datagram. */
        TOO_LARGE,
        /** A staged packet pushed out by newer ones while waiting for a handshake. */
        STAGED_OVERFLOW,
        /** A staged packet dropped after REKEY_ATTEMPT_TIME without a handshake, or with its peer removed. */
        HANDSHAKE_TIMEOUT,
        /**
         * A failure the TUN or UDP channel reported, usually a send the kernel refused (no route to the endpoint,
         * unreachable); logged at most once per kind every 10 s.
         */
        IO_ERROR,
        /** A packet or datagram that arrived after the device was closed (or a packet staged when it closed). */
        CLOSED,
    }

    /** Packets and messages dropped for {@code reason}. */
    long dropped(Drop reason);

    /** All drops. */
    long dropped();
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import java.time.Instant;

/**
 * TAI64N timestamps (12 bytes, big-endian: {@code 2^62 + 10 + seconds}, then nanoseconds), the replay protection
 * of handshake initiations: a responder accepts an initiation only when its timestamp is greater than the last
 * one it accepted from that peer.
 *
 * <p>Like wireguard-go, the nanoseconds are rounded down to a multiple of 2^24 (about 16.8 ms), so that the
 * timestamp does not leak the sender's clock to the nanosecond.
 */
public final class Tai64n {

    /** Bytes of a timestamp. */
    public static final int LENGTH = 12;

    private static final long BASE = (1L << 62) + 10;
    private static final int WHITENER_MASK = (1 << 24) - 1;

    private Tai64n() {
    }

    /** The timestamp of {@code time}. */
    public static byte[] of(Instant time) {
        byte[] out = new byte[LENGTH];
        long seconds = BASE + time.getEpochSecond();
        int nanos = time.getNano() & ~WHITENER_MASK;
        for (int i = 0; i < 8; i++) {
            out[i] = (byte) (seconds >>> (56 - 8 * i));
        }
        for (int i = 0; i < 4; i++) {
            out[8 + i] = (byte) (nanos >>> (24 - 8 * i));
        }
        return out;
    }

    /** Whether {@code a} is later than {@code b} (unsigned big-endian comparison); a null {@code b} is earliest. */
    public static boolean isAfter(byte[] a, byte[] b) {
        if (b == null) {
            return true;
        }
        for (int i = 0; i < LENGTH; i++) {
            int x = a[i] & 0xff;
            int y = b[i] & 0xff;
            if (x != y) {
                return x > y;
            }
        }
        return false;
    }
}

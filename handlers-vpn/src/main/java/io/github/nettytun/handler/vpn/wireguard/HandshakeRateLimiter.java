/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Token buckets of handshake messages per source address (an IPv4 address, an IPv6 /64), as the kernel module's
 * {@code ratelimiter.c}: {@code perSecond} messages a second with a burst of {@code burst}. Each source has two
 * buckets: one for messages without a valid MAC2 ("unproven": anyone can send them with any source address) and
 * one for messages with a valid MAC2 (the sender received our cookie at that address). A spoofer can empty a
 * victim's unproven bucket, never its proven one.
 *
 * <p>The table is fixed in size, allocated once: 4-way set-associative, indexed by a hash of the source mixed with a
 * random seed per device (a sender does not know which sources share a set). A slot is taken over only when its
 * source has been quiet for a second (its buckets would be full again anyway); when a set holds four live sources
 * the newcomer gets no slot ({@code -1}), and the caller treats it as a source without tokens. So a flood from many
 * addresses costs no memory beyond the table. Event loop only.
 */
final class HandshakeRateLimiter {

    private static final long ONE_SECOND = 1_000_000_000L;
    private static final int WAYS = 4;

    private final long cost;
    private final long max;
    private final long seed;
    private final int setMask;
    private final long[] keys;
    private final boolean[] v6;
    private final boolean[] used;
    private final long[] lastSeen;
    private final long[] unproven;
    private final long[] unprovenAt;
    private final long[] proven;
    private final long[] provenAt;

    HandshakeRateLimiter(int perSecond, int burst, int entries, long seed) {
        if (perSecond < 1 || burst < 1) {
            throw new IllegalArgumentException("rate " + perSecond + "/s, burst " + burst);
        }
        if (entries < WAYS || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("entries must be a power of two >= " + WAYS + ": " + entries);
        }
        this.cost = ONE_SECOND / perSecond;
        this.max = cost * burst;
        this.seed = seed;
        this.setMask = entries / WAYS - 1;
        this.keys = new long[entries];
        this.v6 = new boolean[entries];
        this.used = new boolean[entries];
        this.lastSeen = new long[entries];
        this.unproven = new long[entries];
        this.unprovenAt = new long[entries];
        this.proven = new long[entries];
        this.provenAt = new long[entries];
    }

    /** The slot {@code sender}'s address holds, or -1 (nothing is taken: for checks before any MAC). */
    int find(InetSocketAddress sender, long now) {
        return lookup(sender, now, false);
    }

    /** The slot of {@code sender}'s address at {@code now}, taking a free or quiet one; -1 when its set is full. */
    int slot(InetSocketAddress sender, long now) {
        return lookup(sender, now, true);
    }

    private int lookup(InetSocketAddress sender, long now, boolean take) {
        InetAddress address = sender.getAddress();
        boolean six = !(address instanceof Inet4Address);
        long key = key(address.getAddress());
        int base = (int) (mix(key ^ seed ^ (six ? 0x9e3779b97f4a7c15L : 0)) & setMask) * WAYS;
        int quiet = -1;
        for (int i = base; i < base + WAYS; i++) {
            if (used[i] && keys[i] == key && v6[i] == six) {
                lastSeen[i] = now;
                return i;
            }
            if (quiet < 0 && (!used[i] || now - lastSeen[i] >= ONE_SECOND)) {
                quiet = i;
            }
        }
        if (quiet >= 0 && take) {
            used[quiet] = true;
            keys[quiet] = key;
            v6[quiet] = six;
            lastSeen[quiet] = now;
            unproven[quiet] = max;
            unprovenAt[quiet] = now;
            proven[quiet] = max;
            provenAt[quiet] = now;
            return quiet;
        }
        return -1;
    }

    /** Takes a token for a message without a valid MAC2 from the source in {@code slot}; false when none is left. */
    boolean takeUnproven(int slot, long now) {
        long tokens = Math.min(max, unproven[slot] + (now - unprovenAt[slot]));
        unprovenAt[slot] = now;
        if (tokens < cost) {
            unproven[slot] = tokens;
            return false;
        }
        unproven[slot] = tokens - cost;
        return true;
    }

    /** Whether the unproven bucket of the source in {@code slot} holds a token (taking none). */
    boolean hasUnproven(int slot, long now) {
        return Math.min(max, unproven[slot] + (now - unprovenAt[slot])) >= cost;
    }

    /** Whether the proven bucket of the source in {@code slot} holds a token (taking none). */
    boolean hasProven(int slot, long now) {
        return Math.min(max, proven[slot] + (now - provenAt[slot])) >= cost;
    }

    /** Takes a token for a message with a valid MAC2 from the source in {@code slot}; false when none is left. */
    boolean takeProven(int slot, long now) {
        long tokens = Math.min(max, proven[slot] + (now - provenAt[slot]));
        provenAt[slot] = now;
        if (tokens < cost) {
            proven[slot] = tokens;
            return false;
        }
        proven[slot] = tokens - cost;
        return true;
    }

    /** Sources seen within the last second (for tests and monitoring). */
    int liveEntries(long now) {
        int n = 0;
        for (int i = 0; i < used.length; i++) {
            if (used[i] && now - lastSeen[i] < ONE_SECOND) {
                n++;
            }
        }
        return n;
    }

    /** The table's fixed size. */
    int capacity() {
        return used.length;
    }

    /** An IPv4 address whole, an IPv6 address by its /64 (one host usually owns a whole /64). */
    private static long key(byte[] a) {
        long k = 0;
        for (int i = 0; i < Math.min(a.length, 8); i++) {
            k = (k << 8) | (a[i] & 0xff);
        }
        return k;
    }

    /** A 64-bit finalizer (MurmurHash3's fmix64). */
    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static io.github.nettytun.handler.vpn.wireguard.WireGuardDeviceTest.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandshakeRateLimiterTest {

    private static final long MS = 1_000_000L;

    private static InetSocketAddress at(String address, int port) {
        return new InetSocketAddress(ip(address), port);
    }

    @Test
    void aBurstThenOneTokenPerIntervalForEachBucketApart() {
        HandshakeRateLimiter limiter = new HandshakeRateLimiter(20, 5, 16, 1);
        int slot = limiter.slot(at("192.0.2.1", 1), 0);
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.takeUnproven(slot, 0));
        }
        assertFalse(limiter.takeUnproven(slot, 0), "burst spent");
        assertTrue(limiter.takeProven(slot, 0), "the proven bucket is apart");
        assertFalse(limiter.takeUnproven(slot, 49 * MS));
        assertTrue(limiter.takeUnproven(slot, 50 * MS), "one token per 50 ms");
        assertFalse(limiter.takeUnproven(slot, 50 * MS));
        int refilled = 0;
        while (limiter.takeUnproven(slot, 10_000 * MS)) {
            refilled++;
        }
        assertEquals(5, refilled, "never more than the burst");
    }

    @Test
    void portsShareTheAddressAndIpv6SharesTheSlash64() {
        HandshakeRateLimiter limiter = new HandshakeRateLimiter(20, 5, 16, 2);
        assertEquals(limiter.slot(at("192.0.2.1", 1), 0), limiter.slot(at("192.0.2.1", 2), 0));
        assertEquals(limiter.slot(at("2001:db8:1:2::1", 1), 0), limiter.slot(at("2001:db8:1:2:ffff::9", 1), 0));
        int a = limiter.slot(at("2001:db8:1:2::1", 1), 0);
        int b = limiter.slot(at("2001:db8:1:3::1", 1), 0);
        assertTrue(a >= 0 && b >= 0);
        assertNotEquals(a, b, "another /64 is another source");
    }

    @Test
    void aFullTableRefusesNewcomersUntilASourceIsQuietForASecond() {
        HandshakeRateLimiter limiter = new HandshakeRateLimiter(20, 5, 4, 3); // one set of four
        for (int i = 1; i <= 4; i++) {
            assertTrue(limiter.slot(at("192.0.2." + i, 1), 0) >= 0);
        }
        assertEquals(-1, limiter.slot(at("192.0.2.5", 1), 500 * MS), "no room, nothing evicted");
        assertEquals(4, limiter.liveEntries(500 * MS));
        limiter.slot(at("192.0.2.1", 1), 900 * MS); // still active
        int reused = limiter.slot(at("192.0.2.5", 1), 1000 * MS);
        assertTrue(reused >= 0, "a quiet source's slot is taken over");
        assertEquals(reused, limiter.slot(at("192.0.2.5", 1), 1000 * MS));
        assertTrue(limiter.takeUnproven(reused, 1000 * MS), "with full buckets");
        assertEquals(2, limiter.liveEntries(1000 * MS), "192.0.2.1 and .5 live; .2-.4 quiet");
    }

    @Test
    void findTakesNoSlot() {
        HandshakeRateLimiter limiter = new HandshakeRateLimiter(20, 5, 4, 4);
        assertEquals(-1, limiter.find(at("192.0.2.1", 1), 0));
        assertEquals(0, limiter.liveEntries(0), "a lookup before any MAC leaves nothing behind");
        int slot = limiter.slot(at("192.0.2.1", 1), 0);
        assertEquals(slot, limiter.find(at("192.0.2.1", 1), 0));
    }
}

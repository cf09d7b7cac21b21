/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Longest-prefix match for IPv4 and IPv6, from an address and from a packet buffer, against a linear model. */
class AllowedIpsTest {

    static InetAddress ip(String s) {
        return PeerConfig.parseLiteral(s);
    }

    @Test
    void longestPrefixWins() {
        AllowedIps<String> t = new AllowedIps<>();
        t.insert(ip("0.0.0.0"), 0, "default");
        t.insert(ip("10.0.0.0"), 8, "ten");
        t.insert(ip("10.1.0.0"), 16, "ten-one");
        t.insert(ip("10.1.2.3"), 32, "host");
        t.insert(ip("fd00::"), 8, "ula");
        t.insert(ip("fd00:1::"), 32, "ula-1");
        assertEquals("host", t.lookup(ip("10.1.2.3")));
        assertEquals("ten-one", t.lookup(ip("10.1.2.4")));
        assertEquals("ten", t.lookup(ip("10.2.0.1")));
        assertEquals("default", t.lookup(ip("192.0.2.1")));
        assertEquals("ula-1", t.lookup(ip("fd00:1::5")));
        assertEquals("ula", t.lookup(ip("fd00:2::5")));
        assertNull(t.lookup(ip("2001:db8::1")), "IPv4 default does not cover IPv6");
        t.insert(ip("10.1.0.0"), 16, "moved");
        assertEquals("moved", t.lookup(ip("10.1.9.9")), "re-inserting moves the prefix");
        assertTrue(t.remove(ip("10.1.2.3"), 32));
        assertFalse(t.remove(ip("10.1.2.3"), 32));
        assertEquals("moved", t.lookup(ip("10.1.2.3")));
        t.removeAll("moved");
        assertEquals("ten", t.lookup(ip("10.1.2.3")));
        assertEquals(List.of("10.0.0.0/8"), t.entries("ten").stream().map(Object::toString).toList());
        assertEquals("fd00:1:0:0:0:0:0:0/32", t.entries("ula-1").get(0).toString());
        assertThrows(IllegalArgumentException.class, () -> t.insert(ip("10.0.0.0"), 33, "x"));
    }

    @Test
    void hostBitsAreIgnored() {
        AllowedIps<String> t = new AllowedIps<>();
        t.insert(ip("10.9.8.7"), 24, "net");
        assertEquals("net", t.lookup(ip("10.9.8.200")));
        assertEquals("10.9.8.0/24", t.entries("net").get(0).toString());
    }

    @Test
    void randomTablesMatchALinearScan() {
        Random random = new Random(17);
        for (int v : new int[] {4, 16}) {
            AllowedIps<Integer> t = new AllowedIps<>();
            List<byte[]> nets = new ArrayList<>();
            List<Integer> lengths = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                byte[] a = new byte[v];
                random.nextBytes(a);
                a[0] = (byte) (random.nextInt(4)); // cluster them so that prefixes overlap
                int len = random.nextInt(v * 8 + 1);
                nets.add(a);
                lengths.add(len);
                t.insert(addr(a), len, i);
            }
            ByteBuf buf = Unpooled.buffer(3 + v);
            for (int q = 0; q < 5000; q++) {
                byte[] probe = q % 2 == 0 ? nets.get(random.nextInt(nets.size())).clone() : new byte[v];
                if (q % 2 != 0) {
                    random.nextBytes(probe);
                    probe[0] = (byte) random.nextInt(4);
                } else {
                    probe[v - 1] ^= (byte) random.nextInt(256);
                }
                Integer expected = null;
                int best = -1;
                for (int i = 0; i < nets.size(); i++) {
                    if (lengths.get(i) >= best && matches(nets.get(i), probe, lengths.get(i))) {
                        best = lengths.get(i);
                        expected = i; // a later insert of the same prefix replaces an earlier one
                    }
                }
                assertEquals(expected, t.lookup(addr(probe)));
                buf.clear().writeBytes(new byte[] {9, 9, 9}).writeBytes(probe);
                assertEquals(expected, t.lookup(buf, 3, v));
            }
            buf.release();
        }
    }

    /**
     * Inserts, moves, removes and removes-by-owner at random (prefixes clustered so that they nest and fork at every
     * depth, across the 64-bit halves of IPv6), checking after every step the lookups of addresses in and around
     * the table and each owner's entries, in order, against a plain map of prefixes.
     */
    @Test
    void randomChangesMatchAModel() {
        Random random = new Random(23);
        for (int v : new int[] {4, 16}) {
            AllowedIps<Integer> t = new AllowedIps<>();
            Map<String, Integer> model = new HashMap<>(); // "bits/len" -> owner
            List<byte[]> seen = new ArrayList<>();
            ByteBuf buf = Unpooled.directBuffer(v);
            for (int step = 0; step < 3000; step++) {
                int op = random.nextInt(10);
                byte[] a = seen.isEmpty() || random.nextInt(3) == 0 ? new byte[v]
                        : seen.get(random.nextInt(seen.size())).clone();
                if (a[0] == 0 && random.nextBoolean()) {
                    random.nextBytes(a);
                    a[0] &= 0x03;
                }
                a[random.nextInt(v)] ^= (byte) (1 << random.nextInt(8));
                int len = random.nextInt(4) == 0 ? v * 8 : random.nextInt(v * 8 + 1);
                String key = bits(a, len) + '/' + len;
                if (op < 6) {
                    int owner = random.nextInt(8);
                    t.insert(addr(a), len, owner);
                    model.put(key, owner);
                    seen.add(a);
                } else if (op < 9) {
                    assertEquals(model.remove(key) != null, t.remove(addr(a), len), "remove " + key);
                } else {
                    int owner = random.nextInt(8);
                    t.removeAll(owner);
                    model.values().removeIf(o -> o == owner);
                }
                for (int q = 0; q < 20; q++) {
                    byte[] probe = seen.isEmpty() ? new byte[v] : seen.get(random.nextInt(seen.size())).clone();
                    probe[random.nextInt(v)] ^= (byte) random.nextInt(256);
                    String probeBits = bits(probe, v * 8);
                    Integer expected = null;
                    int best = -1;
                    for (Map.Entry<String, Integer> e : model.entrySet()) {
                        String net = e.getKey().substring(0, e.getKey().indexOf('/'));
                        if (net.length() > best && probeBits.startsWith(net)) {
                            best = net.length();
                            expected = e.getValue();
                        }
                    }
                    assertEquals(expected, t.lookup(addr(probe)), "lookup " + probeBits + " after step " + step);
                    buf.clear().writeBytes(probe);
                    assertEquals(expected, t.lookup(buf, 0, v));
                }
                int owner = random.nextInt(8);
                List<String> expected = model.entrySet().stream().filter(e -> e.getValue() == owner)
                        .map(Map.Entry::getKey).sorted(Comparator.comparing(k -> k.substring(0, k.indexOf('/'))))
                        .toList();
                List<String> actual = t.entries(owner).stream()
                        .map(e -> bits(e.address().getAddress(), e.prefixLength()) + '/' + e.prefixLength())
                        .toList();
                assertEquals(expected, actual, "entries of " + owner + " after step " + step);
            }
            buf.release();
        }
    }

    /** The first {@code len} bits of {@code a} as a string of 0 and 1. */
    private static String bits(byte[] a, int len) {
        StringBuilder sb = new StringBuilder(len);
        for (int i = 0; i < len; i++) {
            sb.append((a[i >>> 3] >>> (7 - (i & 7))) & 1);
        }
        return sb.toString();
    }

    private static boolean matches(byte[] net, byte[] a, int len) {
        for (int i = 0; i < len; i++) {
            if (((net[i >>> 3] >>> (7 - (i & 7))) & 1) != ((a[i >>> 3] >>> (7 - (i & 7))) & 1)) {
                return false;
            }
        }
        return true;
    }

    private static InetAddress addr(byte[] a) {
        try {
            return InetAddress.getByAddress(a);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}

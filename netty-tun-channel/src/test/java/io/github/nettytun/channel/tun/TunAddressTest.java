/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TunAddressTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "tun0", "wg%d", "a-fifteen-char0"})
    void acceptsNamesLinuxAccepts(String name) {
        assertEquals(name, new TunAddress(name).ifName());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sixteen-chars-xx", "a/b", "a:b", "a b", ".", "..", "tün"})
    void rejectsNamesLinuxRejects(String name) {
        assertThrows(IllegalArgumentException.class, () -> new TunAddress(name));
    }

    @Test
    void equalityAndText() {
        assertEquals(new TunAddress("tun0"), new TunAddress("tun0"));
        assertEquals("tun:tun0", new TunAddress("tun0").toString());
        assertEquals("tun:<any>", TunAddress.ANY.toString());
    }

    @Test
    void kernelVersionComparison() {
        assertEquals(true, Tun.kernelAtLeast("6.18.44-fc-v657", 6, 2));
        assertEquals(true, Tun.kernelAtLeast("6.2.0", 6, 2));
        assertEquals(false, Tun.kernelAtLeast("6.1.0-13-amd64", 6, 2));
        assertEquals(false, Tun.kernelAtLeast("5.19", 6, 2));
        assertEquals(false, Tun.kernelAtLeast("garbage", 6, 2));
    }
}

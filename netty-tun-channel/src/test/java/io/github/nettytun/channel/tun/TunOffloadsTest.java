/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.github.nettytun.channel.tun.TunOffloads.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TunOffloadsTest {

    /** Each row: requested flags, and the error fragment, or "ok". Mirrors set_offload() of drivers/net/tun.c. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "0,   ok",
            "1,   ok",                           // CSUM
            "7,   ok",                           // CSUM|TSO4|TSO6
            "103, ok",                           // DEFAULT
            "15,  ok",                           // with TSO_ECN
            "2,   needs TUN_F_CSUM",             // TSO4 alone
            "96,  needs TUN_F_CSUM",             // USO without CSUM
            "33,  go together",                  // CSUM|USO4
            "9,   TUN_F_TSO_ECN needs",          // CSUM|TSO_ECN
            "17,  unknown or unsupported",       // UFO is not requested by netty-tun
            "129, unknown or unsupported",
    })
    void validatesLikeTheKernel(int offloads, String expected) {
        if ("ok".equals(expected)) {
            assertEquals(offloads, validate(offloads));
        } else {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> validate(offloads));
            assertTrue(e.getMessage().contains(expected), e.getMessage());
        }
    }

    @ParameterizedTest
    @CsvSource({"0, NONE", "103, CSUM|TSO4|TSO6|USO4|USO6", "16, UFO", "257, CSUM|0x100"})
    void printsFlagNames(int offloads, String name) {
        assertEquals(name, TunOffloads.toString(offloads));
    }
}

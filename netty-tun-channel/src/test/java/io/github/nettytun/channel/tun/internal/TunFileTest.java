/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun.internal;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The errors a user sees for the kernel answers that cannot be provoked as root on this machine. */
class TunFileTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "2  | modprobe tun",
            "13 | run as root, or give the process access to /dev/net/tun and CAP_NET_ADMIN",
            "1  | CAP_NET_ADMIN",
            "19 | CONFIG_TUN",
    })
    void openErrorsSayWhatToDo(int errno, String advice) {
        String message = TunFile.openErrorMessage(errno, "[" + errno + "] reason");
        assertTrue(message.startsWith("cannot open /dev/net/tun: [" + errno + "] reason"), message);
        assertTrue(message.contains(advice), message);
    }

    @org.junit.jupiter.api.Test
    void refusedOffloadsAreNamedWithTheWayOut() {
        String message = TunFile.offloadRefused("wg0", 0x07, new com.sun.jna.LastErrorException(22)).getMessage();
        assertTrue(message.startsWith("the kernel refused offloads CSUM|TSO4|TSO6 on wg0 (TUNSETOFFLOAD: "), message);
        assertTrue(message.contains("TunChannelOption.TUN_OFFLOADS") && message.contains("IFF_VNET_HDR off"), message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "1  | needs CAP_NET_ADMIN in its network namespace",
            "16 | needs TunChannelOption.IFF_MULTI_QUEUE on every one of them",
            "22 | exists and is not a TUN device",
    })
    void attachErrorsSayWhatToDo(int errno, String advice) {
        String message = TunFile.setIffErrorMessage("wg0", false, errno, "[" + errno + "] reason");
        assertTrue(message.startsWith("cannot attach TUN device 'wg0': [" + errno + "] reason"), message);
        assertTrue(message.contains(advice), message);
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.handler.vpn.wireguard.DropCounts.Drop;
import io.github.nettytun.testing.AllowLog;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failures the device's channels report: counted, and logged at a bounded rate ({@link FailureLog}); running out of
 * memory ends the device.
 */
class FailureLogTest {

    private final MockTicker time = Ticker.newMockTicker();

    @Test
    @AllowLog(logger = "io.github.nettytun.handler.vpn.wireguard.WireGuardDevice",
            message = "^UDP: IOException: Network is unreachable", reason = "failures provoked on purpose")
    void repeatedChannelFailuresAreCountedAndLoggedAtABoundedRate() {
        EmbeddedPeer b = new EmbeddedPeer(WireGuardTestbed.newPrivateKey(), new WireGuardOptions(),
                WireGuardDeviceTest.ADDR_B, time);
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(WireGuardDevice.class.getName());
        List<String> lines = new ArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                lines.add(r.getMessage()); // Netty formats the message before JUL sees it
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(capture);
        try {
            for (int i = 0; i < 1000; i++) {
                b.channel.pipeline().fireExceptionCaught(new java.io.IOException("Network is unreachable"));
            }
            assertEquals(1000, b.device.dropped(Drop.IO_ERROR));
            assertEquals(1, lines.size(), "logged once: " + lines);
            time.advance(10, TimeUnit.SECONDS);
            b.channel.pipeline().fireExceptionCaught(new java.io.IOException("Network is unreachable"));
            assertEquals(2, lines.size(), "and again after 10 s: " + lines);
            assertTrue(lines.get(1).contains("1000 times since the last report"), lines.get(1));
        } finally {
            jul.removeHandler(capture);
            b.close();
        }
    }

    @Test
    @AllowLog(logger = "io.github.nettytun.handler.vpn.wireguard.WireGuardDevice",
            message = "^UDP: IOException: Network is unreachable", reason = "failure provoked on purpose")
    @AllowLog(logger = "io.github.nettytun.handler.vpn.wireguard.WireGuardDevice",
            message = "^UDP: java.lang.OutOfMemoryError: Direct buffer memory; a device without memory cannot go on",
            reason = "failure provoked on purpose")
    void runningOutOfMemoryClosesTheChannelsAndSaysWhy() {
        EmbeddedPeer b = new EmbeddedPeer(WireGuardTestbed.newPrivateKey(), new WireGuardOptions(),
                WireGuardDeviceTest.ADDR_B, time);
        try {
            b.channel.pipeline().fireExceptionCaught(new java.io.IOException("Network is unreachable"));
            assertTrue(b.channel.isOpen(), "an I/O failure is counted, the device goes on");
            assertNull(b.device.fatalFailure());
            OutOfMemoryError oom = new OutOfMemoryError("Direct buffer memory");
            b.channel.pipeline().fireExceptionCaught(oom);
            // The closed channel's pipeline has no handlers left: a second report goes straight to the device, which
            // keeps the first cause.
            b.device.channelFailed("UDP", new OutOfMemoryError("Direct buffer memory"));
            assertFalse(b.channel.isOpen(), "the channels are closed: the owner sees it on their close futures");
            assertSame(oom, b.device.fatalFailure(), "and reads why");
            assertEquals(3, b.device.dropped(Drop.IO_ERROR));
        } finally {
            b.close();
        }
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.handler.vpn.wireguard.WireGuardDevice;
import io.github.nettytun.handler.vpn.wireguard.WireGuardPeer;
import io.netty.util.internal.PlatformDependent;

import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The server's counters for its operator: a line every {@code interval} when traffic, handshakes or drops
 * changed, and on demand ({@code kill -USR1 PID}) that line with one more per peer and one for the memory.
 * Snapshots are taken on the device's event loop (where the peer list lives); printing happens on a thread of its
 * own, so a slow terminal never stalls the data path.
 */
final class StatsReporter implements AutoCloseable {

    private final WireGuardDevice device;
    private final String name;
    private final PrintStream out;
    private final ScheduledExecutorService thread;
    private final Object extra;
    private String lastSummary;

    /** @param extra what else to report on the summary line (its {@code toString()}, any thread), or null */
    StatsReporter(WireGuardDevice device, String name, PrintStream out, long intervalSeconds, Object extra) {
        this.device = device;
        this.extra = extra;
        this.name = name;
        this.out = out;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wireguard-stats");
            t.setDaemon(true);
            return t;
        });
        if (intervalSeconds > 0) {
            thread.scheduleWithFixedDelay(this::printIfChanged, intervalSeconds, intervalSeconds, TimeUnit.SECONDS);
        }
    }

    /** Prints the summary and every peer's line now (from any thread; returns at once). */
    void printAll() {
        thread.execute(() -> {
            String[] s = snapshot(true);
            if (s != null) {
                out.print(now() + s[0] + s[1] + memory());
            }
        });
    }

    private void printIfChanged() {
        String[] s = snapshot(false);
        if (s != null && !s[0].equals(lastSummary)) {
            lastSummary = s[0];
            out.print(now() + s[0]);
        }
    }

    /** The summary line and, with {@code peers}, the peer lines; null when the device is gone. */
    private String[] snapshot(boolean peers) {
        try {
            return device.eventLoop().submit(() -> new String[] {summary(), peers ? peerLines() : ""})
                    .get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            return null; // shutting down
        }
    }

    /** The process's memory: heap, and direct memory as the JDK and Netty count it. */
    private static String memory() {
        Runtime rt = Runtime.getRuntime();
        long jdkDirect = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                jdkDirect = pool.getMemoryUsed();
            }
        }
        return String.format(Locale.ROOT, "  memory: heap %d MiB used of %d MiB, direct %d MiB (JDK) %d MiB (Netty)%n",
                (rt.totalMemory() - rt.freeMemory()) >> 20, rt.maxMemory() >> 20, jdkDirect >> 20,
                Math.max(0, PlatformDependent.usedDirectMemory()) >> 20);
    }

    private static String now() {
        return LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + " ";
    }

    /** The device's line (without the time, so that an unchanged state compares equal). */
    private String summary() {
        long rxBytes = 0;
        long txBytes = 0;
        long rxPackets = 0;
        long txPackets = 0;
        long handshakes = 0;
        for (WireGuardPeer p : device.peers()) {
            rxBytes += p.rxBytes();
            txBytes += p.txBytes();
            rxPackets += p.rxPackets();
            txPackets += p.txPackets();
            handshakes += p.handshakes();
        }
        StringBuilder sb = new StringBuilder();
        sb.append(name).append(": stats ")
                .append(String.format(Locale.ROOT, "peers %d, rx %d packets %d bytes, tx %d packets %d bytes, "
                                + "handshakes %d, cookie replies %d, dropped %d", device.peers().size(), rxPackets,
                        rxBytes, txPackets, txBytes, handshakes, device.cookieRepliesSent(), device.dropped()));
        appendDrops(sb, device.dropped(), reason -> device.dropped(reason));
        if (extra != null) {
            sb.append("; ").append(extra);
        }
        return sb.append('\n').toString();
    }

    private String peerLines() {
        StringBuilder sb = new StringBuilder();
        for (WireGuardPeer p : device.peers()) {
            sb.append("  peer ").append(p.publicKeyBase64()).append(" endpoint ").append(p.endpoint())
                    .append(String.format(Locale.ROOT, ", latest handshake %s, rx %d packets %d bytes, tx %d packets"
                                    + " %d bytes, handshakes %d, dropped %d", p.latestHandshake(), p.rxPackets(),
                            p.rxBytes(), p.txPackets(), p.txBytes(), p.handshakes(), p.dropped()));
            appendDrops(sb, p.dropped(), p::dropped);
            sb.append('\n');
        }
        return sb.toString();
    }

    private static void appendDrops(StringBuilder sb, long total,
                                    java.util.function.ToLongFunction<WireGuardDevice.Drop> count) {
        if (total == 0) {
            return;
        }
        String sep = " (";
        for (WireGuardDevice.Drop reason : WireGuardDevice.Drop.values()) {
            long n = count.applyAsLong(reason);
            if (n != 0) {
                sb.append(sep).append(reason).append('=').append(n);
                sep = ", ";
            }
        }
        sb.append(')');
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import io.github.nettytun.channel.tun.Tun;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The check behind {@link Privileged}. */
public final class PrivilegedExtension implements BeforeAllCallback {

    private static final int CAP_NET_ADMIN = 12;
    private static final int CAP_SYS_ADMIN = 21;

    private static volatile String missing;

    @Override
    public void beforeAll(ExtensionContext context) {
        String why = missing();
        TestRequirements.require(why.isEmpty(), "privileged test skipped: " + why);
    }

    /** Everything that is missing for privileged tests, or an empty string. */
    public static synchronized String missing() {
        if (missing == null) {
            missing = probe();
        }
        return missing;
    }

    private static String probe() {
        List<String> reasons = new ArrayList<>();
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            reasons.add("not Linux");
            return String.join("; ", reasons);
        }
        long caps = effectiveCapabilities();
        if ((caps & (1L << CAP_NET_ADMIN)) == 0) {
            reasons.add("no CAP_NET_ADMIN (run as root)");
        }
        if ((caps & (1L << CAP_SYS_ADMIN)) == 0) {
            reasons.add("no CAP_SYS_ADMIN (needed to enter network namespaces)");
        }
        if (!Tun.isAvailable()) {
            reasons.add("TUN unavailable: " + Tun.unavailabilityCause());
        }
        if (!ipNetnsWorks()) {
            reasons.add("iproute2 'ip netns' does not work (install iproute2)");
        }
        return String.join("; ", reasons);
    }

    private static long effectiveCapabilities() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("CapEff:")) {
                    return Long.parseUnsignedLong(line.substring(7).trim(), 16);
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // reported as missing capabilities
        }
        return 0;
    }

    private static boolean ipNetnsWorks() {
        try {
            Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import org.junit.jupiter.api.Assumptions;

/**
 * The one gate for tests that need something the machine may lack (root, {@code /dev/net/tun}, io_uring, a
 * stock WireGuard peer): without it the test is skipped with the reason, unless
 * {@code NETTY_TUN_REQUIRE_PRIVILEGED=1} is set (as {@code .ci/run} does), in which case it fails, so that CI
 * proves these tests ran.
 */
public final class TestRequirements {

    /** The environment variable that turns skips into failures. */
    public static final String REQUIRE_ENV = "NETTY_TUN_REQUIRE_PRIVILEGED";

    private TestRequirements() {
    }

    /** Whether skipping is forbidden in this run. */
    public static boolean isRequired() {
        return "1".equals(System.getenv(REQUIRE_ENV));
    }

    /**
     * Skips (or, with {@code NETTY_TUN_REQUIRE_PRIVILEGED=1}, fails) the current test unless {@code condition}.
     */
    public static void require(boolean condition, String reason) {
        if (condition) {
            return;
        }
        if (isRequired()) {
            throw new AssertionError(reason + " (" + REQUIRE_ENV + "=1 forbids skipping this test)");
        }
        Assumptions.abort(reason);
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waiting for something a test cannot be told of (a kernel counter, another process, an event loop's state): poll
 * every 10 ms, fail after a generous bound. The bound is a failure guard, never a timing assertion.
 */
public final class Await {

    private Await() {
    }

    /**
     * Returns once {@code condition} holds; after {@code seconds} fails with {@code what} (read at the failure, so
     * it can show the state then).
     */
    public static void until(BooleanSupplier condition, int seconds, Supplier<String> what)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gave up waiting " + seconds + " s for " + what.get());
            }
            Thread.sleep(10);
        }
    }
}

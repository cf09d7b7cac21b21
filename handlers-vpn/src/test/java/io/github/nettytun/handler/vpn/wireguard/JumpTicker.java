/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.util.concurrent.Ticker;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The system ticker plus jumps the test makes: ages the keys of devices on real event loops without sleeping
 * ({@link WireGuardOptions#ticker}). The timer wheel still ticks in real time; a jump takes effect at its
 * next tick.
 */
final class JumpTicker implements Ticker {

    private final Ticker system = Ticker.systemTicker();
    private volatile long offset;

    /** Moves this ticker's time forward by {@code d}; one thread jumps. */
    void jump(Duration d) {
        offset += d.toNanos();
    }

    @Override
    public long initialNanoTime() {
        return system.initialNanoTime();
    }

    @Override
    public long nanoTime() {
        return system.nanoTime() + offset;
    }

    @Override
    public void sleep(long delay, TimeUnit unit) throws InterruptedException {
        system.sleep(delay, unit);
    }
}

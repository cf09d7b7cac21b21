/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Ticker;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/** Settings of a {@link WireGuardDevice}; each setter returns this. */
public final class WireGuardOptions {
    WireGuardTimers timers = WireGuardTimers.DEFAULT;
    TransportCipher.Implementation cipher = TransportCipher.Implementation.DEFAULT;
    int handshakesPerSecondUnderLoad = 128;
    int handshakesPerSecondPerSource = 20;
    int handshakeBurstPerSource = 5;
    int rateLimiterEntries = 8192;
    int handshakeWorkPercent = 25;
    Executor handshakeExecutor;
    int handshakeQueue;
    int mtu = 1420;
    SecureRandom random;
    Clock clock = Clock.systemUTC();
    Ticker ticker;
    Consumer<WireGuardPeer> onHandshake = peer -> { };

    /** The protocol's timers; tests shorten them. */
    public WireGuardOptions timers(WireGuardTimers timers) {
        this.timers = Objects.requireNonNull(timers, "timers");
        return this;
    }

    /** The transport cipher implementation (default {@link TransportCipher.Implementation#DEFAULT}). */
    public WireGuardOptions cipher(TransportCipher.Implementation cipher) {
        if (!Objects.requireNonNull(cipher, "cipher").isAvailable()) {
            throw new IllegalArgumentException(cipher + " is not available here (its native library does not load)");
        }
        this.cipher = cipher;
        return this;
    }

    /**
     * Handshake messages per second above which the device is under load and answers handshakes without a
     * valid MAC2 with cookie replies (for one second after the rate fell back). Default 128.
     */
    public WireGuardOptions handshakesPerSecondUnderLoad(int rate) {
        if (rate < 1) {
            throw new IllegalArgumentException("rate: " + rate);
        }
        this.handshakesPerSecondUnderLoad = rate;
        return this;
    }

    /**
     * Handshake messages a second that one source address (an IPv4 address, an IPv6 /64) gets worked on, and the
     * burst above that; beyond it the source needs a valid MAC2 (a cookie reply otherwise), and is held to the same
     * rate with one. The source table holds {@code entries} addresses (a power of two; fixed memory, about 60
     * bytes each); a source finding no room is treated as over its rate. Default 20 a second, a burst of 5, 8192
     * entries: the kernel module's values.
     */
    public WireGuardOptions handshakeRateLimit(int perSecond, int burst, int entries) {
        new HandshakeRateLimiter(perSecond, burst, 4, 0); // validates the rate and burst
        if (entries < 4 || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("entries must be a power of two >= 4: " + entries);
        }
        this.handshakesPerSecondPerSource = perSecond;
        this.handshakeBurstPerSource = burst;
        this.rateLimiterEntries = entries;
        return this;
    }

    /**
     * The share of the event loop's time that handshake work (Diffie-Hellman) may take, in each 100 ms: beyond
     * it handshake messages are dropped and the device is under load. Established sessions keep the rest. Default 25.
     */
    public WireGuardOptions handshakeWorkPercent(int percent) {
        if (percent < 1 || percent > 100) {
            throw new IllegalArgumentException("percent " + percent + " out of 1..100");
        }
        this.handshakeWorkPercent = percent;
        return this;
    }

    /**
     * Does the Diffie-Hellman work of handshake initiations on {@code executor} instead of the event loop (as
     * wireguard-go's handshake workers do); the rest of the handshake, and all state, stays on the event loop. At most
     * {@code queue} initiations wait there, more are dropped ({@code HANDSHAKE_OVERLOAD}), and from an eighth of
     * {@code queue} on the device is under load (cookies required). Cookie replies are made there too (and, for a
     * message that comes without any MAC2 while the device is under load, its MAC1 checked), at most {@code queue}
     * waiting, and sent from the loop in batches. The work budget
     * ({@link #handshakeWorkPercent}) then does not apply. The executor is the caller's (to share between devices
     * and to shut down); one thread is plenty for one device.
     *
     * <p>Recommended for a device that faces the internet: under a flood of valid-cookie initiations from 200
     * addresses the example server with one handshake thread kept 97-99 of 100 pings of a live session and did
     * twice the handshake work, against 81-93 with the work budget on the event loop (the examples'
     * {@code HandshakeFloodTest}). Default: none, the work runs on the event loop within the budget (no threads of
     * the device's own, deterministic on an {@code EmbeddedChannel}).
     */
    public WireGuardOptions handshakeExecutor(Executor executor, int queue) {
        if (queue < 8) {
            throw new IllegalArgumentException("queue " + queue + " < 8");
        }
        this.handshakeExecutor = Objects.requireNonNull(executor, "executor");
        this.handshakeQueue = queue;
        return this;
    }

    /** The interface MTU: plaintext is padded to a multiple of 16 but not beyond it. Default 1420. */
    public WireGuardOptions mtu(int mtu) {
        if (mtu < 576 || mtu > 65535) {
            throw new IllegalArgumentException("mtu " + mtu + " out of 576..65535");
        }
        this.mtu = mtu;
        return this;
    }

    /** Called on the event loop after each completed handshake (to log it, say); must not block. */
    public WireGuardOptions onHandshake(Consumer<WireGuardPeer> listener) {
        this.onHandshake = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /** The source of keys, indices, nonces and timer jitter. */
    public WireGuardOptions random(SecureRandom random) {
        this.random = Objects.requireNonNull(random, "random");
        return this;
    }

    /**
     * The time of the protocol's timers and key ages. Default: the event loop's {@link EventLoop#ticker()}, so
     * an {@code EmbeddedChannel} built with a mock ticker drives them; set one to move time for a device on a
     * real event loop.
     */
    public WireGuardOptions ticker(Ticker ticker) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        return this;
    }

    /** The wall clock of handshake timestamps (TAI64N) and {@link WireGuardPeer#latestHandshake()}. */
    public WireGuardOptions clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }
}

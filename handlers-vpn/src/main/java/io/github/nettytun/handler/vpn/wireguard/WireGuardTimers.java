/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import java.time.Duration;

/**
 * WireGuard's protocol constants for time and message counts (whitepaper section 6.1, wireguard-go's
 * {@code device/constants.go}). {@link #DEFAULT} holds the protocol's values; tests shorten them to watch rekeying
 * and key expiry happen in seconds. All times in nanoseconds.
 */
public final class WireGuardTimers {

    /** The protocol's values. */
    public static final WireGuardTimers DEFAULT = new WireGuardTimers(
            Duration.ofSeconds(120), Duration.ofSeconds(180), Duration.ofSeconds(90), Duration.ofSeconds(5),
            Duration.ofSeconds(10), Duration.ofSeconds(120), 1L << 60, -(1L << 13) - 1, Duration.ofMillis(100));

    final long rekeyAfterTime;
    final long rejectAfterTime;
    final long rekeyAttemptTime;
    final long rekeyTimeout;
    final long keepaliveTimeout;
    final long cookieRefreshTime;
    final long rekeyAfterMessages;
    final long rejectAfterMessages;
    final long tick;

    private WireGuardTimers(Duration rekeyAfterTime, Duration rejectAfterTime, Duration rekeyAttemptTime,
                            Duration rekeyTimeout, Duration keepaliveTimeout, Duration cookieRefreshTime,
                            long rekeyAfterMessages, long rejectAfterMessages, Duration tick) {
        this.rekeyAfterTime = rekeyAfterTime.toNanos();
        this.rejectAfterTime = rejectAfterTime.toNanos();
        this.rekeyAttemptTime = rekeyAttemptTime.toNanos();
        this.rekeyTimeout = rekeyTimeout.toNanos();
        this.keepaliveTimeout = keepaliveTimeout.toNanos();
        this.cookieRefreshTime = cookieRefreshTime.toNanos();
        this.rekeyAfterMessages = rekeyAfterMessages;
        this.rejectAfterMessages = rejectAfterMessages;
        this.tick = tick.toNanos();
        if (this.rekeyTimeout <= 0 || this.keepaliveTimeout <= 0 || this.tick <= 0
                || this.rekeyAfterTime >= this.rejectAfterTime
                || Long.compareUnsigned(rekeyAfterMessages, rejectAfterMessages) >= 0) {
            throw new IllegalArgumentException("inconsistent timers: " + this);
        }
    }

    /**
     * These timers with other times: REKEY_AFTER_TIME, REJECT_AFTER_TIME, REKEY_ATTEMPT_TIME, REKEY_TIMEOUT,
     * KEEPALIVE_TIMEOUT. The timer wheel ticks at a tenth of the shortest of them (at most every 100 ms).
     */
    public WireGuardTimers withTimes(Duration rekeyAfter, Duration rejectAfter, Duration rekeyAttempt,
                                     Duration rekeyTimeout, Duration keepalive) {
        long shortest = Math.min(rekeyTimeout.toNanos(), keepalive.toNanos());
        Duration tick = Duration.ofNanos(Math.max(1_000_000, Math.min(100_000_000, shortest / 10)));
        return new WireGuardTimers(rekeyAfter, rejectAfter, rekeyAttempt, rekeyTimeout, keepalive,
                Duration.ofNanos(cookieRefreshTime), rekeyAfterMessages, rejectAfterMessages, tick);
    }

    /** These timers with other message limits: REKEY_AFTER_MESSAGES and REJECT_AFTER_MESSAGES (unsigned). */
    public WireGuardTimers withMessages(long rekeyAfter, long rejectAfter) {
        return new WireGuardTimers(Duration.ofNanos(rekeyAfterTime), Duration.ofNanos(rejectAfterTime),
                Duration.ofNanos(rekeyAttemptTime), Duration.ofNanos(rekeyTimeout),
                Duration.ofNanos(keepaliveTimeout), Duration.ofNanos(cookieRefreshTime), rekeyAfter, rejectAfter,
                Duration.ofNanos(tick));
    }

    @Override
    public String toString() {
        return "WireGuardTimers(rekeyAfterTime=" + Duration.ofNanos(rekeyAfterTime)
                + ", rejectAfterTime=" + Duration.ofNanos(rejectAfterTime)
                + ", rekeyAttemptTime=" + Duration.ofNanos(rekeyAttemptTime)
                + ", rekeyTimeout=" + Duration.ofNanos(rekeyTimeout)
                + ", keepaliveTimeout=" + Duration.ofNanos(keepaliveTimeout)
                + ", rekeyAfterMessages=" + Long.toUnsignedString(rekeyAfterMessages)
                + ", rejectAfterMessages=" + Long.toUnsignedString(rejectAfterMessages) + ')';
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.util.internal.logging.InternalLogger;

import java.util.HashMap;
import java.util.Map;

/**
 * Failures the device's channels report (a send the kernel refuses for every packet: no route, unreachable), logged
 * without flooding the log: the first of a kind at once, then at most one line per kind per {@code interval} with
 * the count since the last line. A kind is the channel side, the exception class and its message; at most
 * {@value #MAX_KINDS} kinds are told apart, the rest share one. The stack trace only at debug level. Event loop only.
 */
final class FailureLog {

    static final int MAX_KINDS = 32;
    private static final String OTHER = "other failures";

    private final InternalLogger logger;
    private final long interval;
    private final Map<String, long[]> kinds = new HashMap<>(); // kind -> {unreported count, last logged}

    FailureLog(InternalLogger logger, long intervalNanos) {
        this.logger = logger;
        this.interval = intervalNanos;
    }

    /** Counts {@code cause} from {@code side} at {@code now}; logs it when its kind is due. */
    void failed(String side, Throwable cause, long now) {
        String kind = side + ": " + cause.getClass().getSimpleName() + ": " + cause.getMessage();
        long[] state = kinds.get(kind);
        if (state == null) {
            if (kinds.size() >= MAX_KINDS) {
                kind = OTHER;
                state = kinds.computeIfAbsent(OTHER, k -> new long[] {0, now - interval});
            } else {
                state = new long[] {0, now - interval};
                kinds.put(kind, state);
            }
        }
        state[0]++;
        if (now - state[1] >= interval) {
            long count = state[0];
            state[0] = 0;
            state[1] = now;
            String repeat = count > 1 ? " (" + count + " times since the last report; reported at most every "
                    + interval / 1_000_000_000L + " s)" : "";
            if (logger.isDebugEnabled()) {
                logger.warn("{}{}", kind, repeat, cause);
            } else {
                logger.warn("{}{}", kind, repeat);
            }
        }
    }
}

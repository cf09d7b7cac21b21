/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

/**
 * The sliding window of received transport counters (RFC 6479's bitmap, as in the kernel's and wireguard-go's
 * WireGuard): a counter is accepted once, and only if it is at most {@link #WINDOW} below the highest counter
 * seen. Counters are unsigned; those at or above {@code REJECT_AFTER_MESSAGES} are never accepted.
 *
 * <p>Call {@link #accept(long)} only after the packet authenticated, so forged counters cannot move the window.
 * Not thread-safe: one keypair's receive side lives on one event loop.
 */
public final class ReplayWindow {

    private static final int WORD_BITS = 64;
    private static final int WORDS = 128;
    private static final int MASK = WORDS - 1;
    /** How far below the highest counter seen a counter may be and still be accepted: 8128 counters. */
    public static final int WINDOW = (WORDS - 1) * WORD_BITS;

    private final long[] bitmap = new long[WORDS];
    private final long rejectAfterMessages;
    private long last;
    private boolean any;

    /** A window rejecting counters at or above {@code rejectAfterMessages} (unsigned). */
    public ReplayWindow(long rejectAfterMessages) {
        this.rejectAfterMessages = rejectAfterMessages;
    }

    /** Checks {@code counter} and, if new, marks it as seen. */
    public boolean accept(long counter) {
        if (Long.compareUnsigned(counter, rejectAfterMessages) >= 0) {
            return false;
        }
        long index = counter >>> 6;
        if (!any || Long.compareUnsigned(counter, last) > 0) {
            long current = any ? last >>> 6 : -1;
            long diff = any ? index - current : WORDS;
            if (diff > WORDS) {
                diff = WORDS;
            }
            for (long i = 1; i <= diff; i++) {
                bitmap[(int) ((current + i) & MASK)] = 0;
            }
            last = counter;
            any = true;
        } else if (last - counter > WINDOW) {
            return false;
        }
        int word = (int) (index & MASK);
        long bit = 1L << (counter & (WORD_BITS - 1));
        if ((bitmap[word] & bit) != 0) {
            return false;
        }
        bitmap[word] |= bit;
        return true;
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The replay window against its rules and against a plain model of them. */
class ReplayWindowTest {

    private static final long REJECT = -(1L << 13) - 1; // 2^64 - 2^13 - 1, unsigned

    @Test
    void acceptsEachCounterOnceInAnyOrderWithinTheWindow() {
        ReplayWindow w = new ReplayWindow(REJECT);
        assertTrue(w.accept(0));
        assertFalse(w.accept(0));
        assertTrue(w.accept(5000));
        assertTrue(w.accept(1), "2048 and more below the top are still in the window");
        assertTrue(w.accept(4999));
        assertFalse(w.accept(4999));
        assertTrue(w.accept(20000));
        assertTrue(w.accept(20000 - ReplayWindow.WINDOW), "the bottom of the window");
        assertFalse(w.accept(20000 - ReplayWindow.WINDOW - 1), "just outside the window");
        assertFalse(w.accept(4999), "seen, and now outside");
        assertTrue(ReplayWindow.WINDOW >= 2048);
    }

    @Test
    void aBigJumpForgetsTheOldBitmap() {
        ReplayWindow w = new ReplayWindow(REJECT);
        for (int i = 0; i < 100; i++) {
            assertTrue(w.accept(i));
        }
        long far = 1_000_000;
        assertTrue(w.accept(far));
        assertFalse(w.accept(99));
        for (long i = far - 64 * 3; i < far; i++) {
            assertTrue(w.accept(i), "fresh bits below a jump: " + i);
        }
    }

    @Test
    void countersAtOrAboveRejectAfterMessagesAreRefused() {
        ReplayWindow w = new ReplayWindow(REJECT);
        assertFalse(w.accept(REJECT));
        assertFalse(w.accept(-1L));
        assertTrue(w.accept(REJECT - 1));
        ReplayWindow small = new ReplayWindow(10);
        assertTrue(small.accept(9));
        assertFalse(small.accept(10));
    }

    /** Random counters near a moving top against a model: accepted iff unseen and within the window. */
    @Test
    void matchesAModel() {
        Random random = new Random(5);
        ReplayWindow w = new ReplayWindow(REJECT);
        BitSet seen = new BitSet();
        long top = -1;
        for (int i = 0; i < 200_000; i++) {
            long c = Math.max(0, (top < 0 ? 0 : top) + random.nextInt(600) - 9000);
            boolean expected = !seen.get((int) c) && (top < 0 || c > top || top - c <= ReplayWindow.WINDOW);
            assertEquals(expected, w.accept(c), "counter " + c + " top " + top);
            if (expected) {
                seen.set((int) c);
                top = Math.max(top, c);
            }
            if (random.nextInt(4) == 0) {
                long next = top + 1 + random.nextInt(100);
                assertEquals(!seen.get((int) next), w.accept(next));
                seen.set((int) next);
                top = next;
            }
        }
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The counters of a handler: written by the handler's event loop, read from any thread, and listed by the
 * handler's {@code toString} ({@code in=12, writes=3}).
 *
 * <p>Single writer, in the manner of Agrona's {@code AtomicCounter.incrementOrdered}: the event loop adds with a
 * plain read and a release store (no read-modify-write, no lock prefix on x86); readers load with acquire and see
 * every count up to a recent moment.
 *
 * <pre>{@code
 * private static final int IN = 0;
 * private static final int OUT = 1;
 * private final HandlerCounters counters = new HandlerCounters("in", "out");
 * ...
 * counters.increment(IN);                                    // on the event loop
 * public long in() { return counters.get(IN); }              // any thread
 * public String toString() { return "MyHandler(" + counters + ')'; }
 * }</pre>
 */
public final class HandlerCounters {

    private final String[] names;
    private final AtomicLongArray values;

    /** Counters named {@code names}, addressed by their position. */
    public HandlerCounters(String... names) {
        this.names = names.clone();
        this.values = new AtomicLongArray(names.length);
    }

    /** Adds one to {@code counter}; the handler's event loop only. */
    public void increment(int counter) {
        add(counter, 1);
    }

    /** Adds {@code delta} to {@code counter}; the handler's event loop only. */
    public void add(int counter, long delta) {
        values.setRelease(counter, values.getPlain(counter) + delta);
    }

    /** The value of {@code counter}; any thread. */
    public long get(int counter) {
        return values.getAcquire(counter);
    }

    /** How many counters there are. */
    public int size() {
        return names.length;
    }

    /** The name of {@code counter}. */
    public String name(int counter) {
        return names[counter];
    }

    /** The sum of every counter (all drops, say). */
    public long sum() {
        long sum = 0;
        for (int i = 0; i < names.length; i++) {
            sum += get(i);
        }
        return sum;
    }

    /** Appends {@code , name=value} for every counter that is not zero (drop reasons, say). */
    public StringBuilder appendNonZero(StringBuilder sb) {
        for (int i = 0; i < names.length; i++) {
            long v = get(i);
            if (v != 0) {
                sb.append(", ").append(names[i]).append('=').append(v);
            }
        }
        return sb;
    }

    /** The names of an enum's constants, for counters indexed by ordinal. */
    public static String[] namesOf(Class<? extends Enum<?>> type) {
        Enum<?>[] constants = type.getEnumConstants();
        String[] names = new String[constants.length];
        for (int i = 0; i < names.length; i++) {
            names[i] = constants[i].name();
        }
        return names;
    }

    /** {@code name=value} for every counter, comma-separated. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < names.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(names[i]).append('=').append(get(i));
        }
        return sb.toString();
    }
}

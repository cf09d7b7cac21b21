/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun.uring;

import io.github.nettytun.channel.tun.TunChannelConfig;
import io.netty.channel.ChannelOption;
import io.netty.util.internal.ObjectUtil;

import java.util.Map;

import static io.github.nettytun.channel.tun.uring.IoUringTunChannelOption.POLL_FIRST;
import static io.github.nettytun.channel.tun.uring.IoUringTunChannelOption.READS_IN_FLIGHT;
import static io.github.nettytun.channel.tun.uring.IoUringTunChannelOption.WRITES_IN_FLIGHT;

/** The configuration of an {@link IoUringTunChannel}. */
public final class IoUringTunChannelConfig extends TunChannelConfig {

    /** Default of {@link IoUringTunChannelOption#READS_IN_FLIGHT}. */
    public static final int DEFAULT_READS_IN_FLIGHT = 16;
    /** Default of {@link IoUringTunChannelOption#WRITES_IN_FLIGHT}. */
    public static final int DEFAULT_WRITES_IN_FLIGHT = 64;
    /** Default of {@link IoUringTunChannelOption#POLL_FIRST}. */
    public static final boolean DEFAULT_POLL_FIRST = true;
    /** Upper bound of both: slot numbers travel in the 16-bit user data of a submission. */
    static final int MAX_IN_FLIGHT = 4096;

    private final IoUringTunChannel channel;
    private volatile int readsInFlight = DEFAULT_READS_IN_FLIGHT;
    private volatile int writesInFlight = DEFAULT_WRITES_IN_FLIGHT;
    private volatile boolean pollFirst = DEFAULT_POLL_FIRST;

    IoUringTunChannelConfig(IoUringTunChannel channel) {
        super(channel);
        this.channel = channel;
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), READS_IN_FLIGHT, WRITES_IN_FLIGHT, POLL_FIRST);
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> T getOption(ChannelOption<T> option) {
        if (option == READS_IN_FLIGHT) {
            return (T) Integer.valueOf(getReadsInFlight());
        }
        if (option == WRITES_IN_FLIGHT) {
            return (T) Integer.valueOf(getWritesInFlight());
        }
        if (option == POLL_FIRST) {
            return (T) Boolean.valueOf(isPollFirst());
        }
        return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option == READS_IN_FLIGHT) {
            setReadsInFlight((Integer) value);
        } else if (option == WRITES_IN_FLIGHT) {
            setWritesInFlight((Integer) value);
        } else if (option == POLL_FIRST) {
            setPollFirst((Boolean) value);
        } else {
            return super.setOption(option, value);
        }
        return true;
    }

    /** See {@link IoUringTunChannelOption#READS_IN_FLIGHT}. */
    public int getReadsInFlight() {
        return readsInFlight;
    }

    /** See {@link IoUringTunChannelOption#READS_IN_FLIGHT}. */
    public IoUringTunChannelConfig setReadsInFlight(int readsInFlight) {
        checkNotBound(READS_IN_FLIGHT);
        this.readsInFlight = ObjectUtil.checkInRange(readsInFlight, 1, MAX_IN_FLIGHT, "readsInFlight");
        return this;
    }

    /** See {@link IoUringTunChannelOption#WRITES_IN_FLIGHT}. */
    public int getWritesInFlight() {
        return writesInFlight;
    }

    /** See {@link IoUringTunChannelOption#WRITES_IN_FLIGHT}. */
    public IoUringTunChannelConfig setWritesInFlight(int writesInFlight) {
        checkNotBound(WRITES_IN_FLIGHT);
        this.writesInFlight = ObjectUtil.checkInRange(writesInFlight, 1, MAX_IN_FLIGHT, "writesInFlight");
        return this;
    }

    /** See {@link IoUringTunChannelOption#POLL_FIRST}. */
    public boolean isPollFirst() {
        return pollFirst;
    }

    /** See {@link IoUringTunChannelOption#POLL_FIRST}. */
    public IoUringTunChannelConfig setPollFirst(boolean pollFirst) {
        checkNotBound(POLL_FIRST);
        this.pollFirst = pollFirst;
        return this;
    }

    private void checkNotBound(ChannelOption<?> option) {
        if (channel.localAddress() != null) {
            throw new IllegalStateException(option + " applies when the device is opened; "
                    + channel.localAddress() + " is already bound");
        }
    }
}

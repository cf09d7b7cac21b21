/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.internal.ObjectUtil;

import java.util.Map;

import static io.github.nettytun.channel.tun.TunChannelOption.IFF_MULTI_QUEUE;
import static io.github.nettytun.channel.tun.TunChannelOption.IFF_VNET_HDR;
import static io.github.nettytun.channel.tun.TunChannelOption.TUN_OFFLOADS;

/**
 * The configuration of a {@link TunChannel}.
 *
 * <p>Read buffers are not sized by the {@link RecvByteBufAllocator}: a TUN read must hold the largest packet
 * the device can deliver (the MTU, or 64 KiB plus the virtio header with offload), or the kernel silently
 * truncates it. The allocator decides how many packets are read per wake-up
 * ({@code maxMessagesPerRead}, default 16) before {@code channelReadComplete}.
 */
public class TunChannelConfig extends DefaultChannelConfig {

    private final AbstractTunChannel channel;
    private volatile boolean vnetHdr;
    private volatile int offloads = TunOffloads.DEFAULT;
    private volatile boolean multiQueue;
    private volatile int acceptedOffloads;
    private volatile int sendBufferSize;

    public TunChannelConfig(AbstractTunChannel channel) {
        super(channel);
        this.channel = channel;
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), IFF_VNET_HDR, TUN_OFFLOADS, IFF_MULTI_QUEUE, ChannelOption.SO_SNDBUF);
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> T getOption(ChannelOption<T> option) {
        if (option == IFF_VNET_HDR) {
            return (T) Boolean.valueOf(isVnetHdr());
        }
        if (option == TUN_OFFLOADS) {
            return (T) Integer.valueOf(getOffloads());
        }
        if (option == IFF_MULTI_QUEUE) {
            return (T) Boolean.valueOf(isMultiQueue());
        }
        if (option == ChannelOption.SO_SNDBUF) {
            return (T) Integer.valueOf(getSendBufferSize());
        }
        return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option == IFF_VNET_HDR) {
            setVnetHdr((Boolean) value);
        } else if (option == TUN_OFFLOADS) {
            setOffloads((Integer) value);
        } else if (option == IFF_MULTI_QUEUE) {
            setMultiQueue((Boolean) value);
        } else if (option == ChannelOption.SO_SNDBUF) {
            setSendBufferSize((Integer) value);
        } else {
            return super.setOption(option, value);
        }
        return true;
    }

    /** See {@link TunChannelOption#IFF_VNET_HDR}. */
    public boolean isVnetHdr() {
        return vnetHdr;
    }

    /** See {@link TunChannelOption#IFF_VNET_HDR}. */
    public TunChannelConfig setVnetHdr(boolean vnetHdr) {
        checkNotBound(IFF_VNET_HDR);
        this.vnetHdr = vnetHdr;
        return this;
    }

    /** The requested offloads; see {@link TunChannelOption#TUN_OFFLOADS} and {@link #getAcceptedOffloads()}. */
    public int getOffloads() {
        return offloads;
    }

    /** See {@link TunChannelOption#TUN_OFFLOADS}; validated with {@link TunOffloads#validate(int)}. */
    public TunChannelConfig setOffloads(int offloads) {
        checkNotBound(TUN_OFFLOADS);
        this.offloads = TunOffloads.validate(offloads);
        return this;
    }

    /** See {@link TunChannelOption#IFF_MULTI_QUEUE}. */
    public boolean isMultiQueue() {
        return multiQueue;
    }

    /** See {@link TunChannelOption#IFF_MULTI_QUEUE}. */
    public TunChannelConfig setMultiQueue(boolean multiQueue) {
        checkNotBound(IFF_MULTI_QUEUE);
        this.multiQueue = multiQueue;
        return this;
    }

    /**
     * {@link ChannelOption#SO_SNDBUF} of a TUN file ({@code TUNGETSNDBUF}): how many bytes of written packets the
     * kernel holds before a write returns {@code EAGAIN}, which makes the channel wait for {@code EPOLLOUT}.
     * Unlimited ({@code Integer.MAX_VALUE}) unless set; 0 before bind means "not set".
     */
    public int getSendBufferSize() {
        return channel.isOpen() && channel.localAddress() != null ? channel.sendBufferSize() : sendBufferSize;
    }

    /** See {@link #getSendBufferSize()}; applied at once on a bound channel ({@code TUNSETSNDBUF}), else at bind. */
    public TunChannelConfig setSendBufferSize(int sendBufferSize) {
        ObjectUtil.checkPositive(sendBufferSize, "sendBufferSize");
        this.sendBufferSize = sendBufferSize;
        if (channel.localAddress() != null) {
            channel.sendBufferSize(sendBufferSize);
        }
        return this;
    }

    /**
     * The offloads the kernel granted at bind ({@link TunOffloads} flags): 0 before bind or without
     * {@link TunChannelOption#IFF_VNET_HDR}; without {@link TunOffloads#USO} on kernels older than 6.2.
     */
    public int getAcceptedOffloads() {
        return acceptedOffloads;
    }

    void setAcceptedOffloads(int acceptedOffloads) {
        this.acceptedOffloads = acceptedOffloads;
    }

    private void checkNotBound(ChannelOption<?> option) {
        if (channel.localAddress() != null) {
            throw new IllegalStateException(option + " applies when the device is opened; "
                    + channel.localAddress() + " is already bound");
        }
    }

    @Override
    protected void autoReadCleared() {
        channel.autoReadCleared();
    }

    @Override
    public TunChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    @Override
    @Deprecated
    public TunChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public TunChannelConfig setMaxMessagesPerWrite(int maxMessagesPerWrite) {
        super.setMaxMessagesPerWrite(maxMessagesPerWrite);
        return this;
    }

    @Override
    public TunChannelConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public TunChannelConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    @Override
    public TunChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public TunChannelConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public TunChannelConfig setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return this;
    }

    @Override
    @Deprecated
    public TunChannelConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return this;
    }

    @Override
    @Deprecated
    public TunChannelConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return this;
    }

    @Override
    public TunChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }

    @Override
    public TunChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.testing;

import io.github.nettytun.channel.tun.TunPacket;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Joins two TUN channels: every packet one reads is written, header and all, to the other, flushed once per read
 * batch. Packets are {@link TunPacket}s, or plain {@link ByteBuf}s when a codec before the bridge unwrapped them. Two devices in two namespaces joined this way make a wire that the kernels on both sides send real
 * traffic over, with offload super-packets crossing unchanged.
 *
 * <p>Install one instance on each channel and point each at the other with {@link #connect(Channel)} once both
 * devices are up. Counts what it forwards; a write the peer refuses arrives at the peer's bridge through
 * {@code exceptionCaught} (writes use void promises, so forwarding allocates no listener per packet).
 */
@ChannelHandler.Sharable
public final class TunBridge extends ChannelInboundHandlerAdapter {

    private final AtomicReference<Channel> peer = new AtomicReference<>();
    private final AtomicLong packets = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final Consumer<TunPacket> observer;

    public TunBridge() {
        this(null);
    }

    /** @param observer sees every {@code TunPacket} read before it is forwarded (on the event loop) */
    public TunBridge(Consumer<TunPacket> observer) {
        this.observer = observer;
    }

    /** Starts forwarding to {@code to}; until then packets read are dropped. */
    public void connect(Channel to) {
        peer.set(to);
    }

    /** Packets read (and forwarded, once connected). */
    public long packets() {
        return packets.get();
    }

    /** IP bytes read. */
    public long bytes() {
        return bytes.get();
    }

    /** Errors on this channel, including writes coming from the other side that this channel refused. */
    public List<Throwable> errors() {
        return errors;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf content = msg instanceof TunPacket ? ((TunPacket) msg).content() : (ByteBuf) msg;
        // Single writer (this channel's event loop): no read-modify-write race.
        packets.lazySet(packets.get() + 1);
        bytes.lazySet(bytes.get() + content.readableBytes());
        if (observer != null && msg instanceof TunPacket) {
            observer.accept((TunPacket) msg);
        }
        Channel to = peer.get();
        if (to == null) {
            content.release();
            return;
        }
        to.write(msg, to.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Channel to = peer.get();
        if (to != null) {
            to.flush();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        errors.add(cause);
    }
}

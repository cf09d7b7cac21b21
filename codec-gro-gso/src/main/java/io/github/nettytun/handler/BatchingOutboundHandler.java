/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.PromiseNotifier;
import io.netty.util.internal.ObjectUtil;

/**
 * An outbound handler that holds the writes it can batch until the flush (or until {@code maxPending} are held),
 * then writes them in fewer, larger writes: what {@code TunGroCoalescer} (TCP/UDP super-packets for a TUN device)
 * and {@code UdpGsoSender} (UDP_SEGMENT sends) have in common. A read batch becomes one flush, so a batch is what
 * one read brought.
 *
 * <p>Order is kept: a write that is not held first writes everything held. Closing or removing the handler writes
 * what is held (the channel fails it if it can no longer write). A batched write's promise completes when the
 * write that carries it does ({@link #fanIn}).
 */
public abstract class BatchingOutboundHandler extends ChannelOutboundHandlerAdapter {

    /** Writes held at most before a batch is written without waiting for the flush. */
    public static final int DEFAULT_MAX_PENDING = 1024;

    private final int maxPending;

    protected BatchingOutboundHandler(int maxPending) {
        this.maxPending = ObjectUtil.checkPositive(maxPending, "maxPending");
    }

    /**
     * Takes {@code msg} into the batch and returns true, or returns false (having changed nothing) when it is not
     * for batching; it is then written at once, after the batch.
     */
    protected abstract boolean hold(ChannelHandlerContext ctx, Object msg, ChannelPromise promise);

    /** How many writes are held. */
    protected abstract int pending();

    /** Writes everything held (without flushing) and empties the batch. */
    protected abstract void writePending(ChannelHandlerContext ctx);

    @Override
    public final void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!hold(ctx, msg, promise)) {
            writePending(ctx);
            ctx.write(msg, promise);
        } else if (pending() >= maxPending) {
            writePending(ctx);
        }
    }

    @Override
    public final void flush(ChannelHandlerContext ctx) {
        writePending(ctx);
        ctx.flush();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        writePending(ctx);
        ctx.close(promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        writePending(ctx);
    }

    /**
     * The promise for one write that carries the first {@code n} of {@code members}: the void promise if all of
     * theirs are void, the one non-void promise itself, else a new promise that completes them all.
     */
    protected static ChannelPromise fanIn(ChannelHandlerContext ctx, ChannelPromise[] members, int n) {
        int nonVoid = 0;
        ChannelPromise single = null;
        for (int i = 0; i < n; i++) {
            if (!members[i].isVoid()) {
                nonVoid++;
                single = members[i];
            }
        }
        if (nonVoid == 0) {
            return ctx.voidPromise();
        }
        if (nonVoid == 1) {
            return single;
        }
        ChannelPromise[] targets = new ChannelPromise[nonVoid];
        for (int i = 0, t = 0; i < n; i++) {
            if (!members[i].isVoid()) {
                targets[t++] = members[i];
            }
        }
        ChannelPromise promise = ctx.newPromise();
        promise.addListener(new PromiseNotifier<>(targets));
        return promise;
    }
}

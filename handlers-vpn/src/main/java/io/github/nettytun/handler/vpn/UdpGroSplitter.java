/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn;

import io.github.nettytun.handler.HandlerCounters;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.internal.ObjectUtil;

import java.net.InetSocketAddress;

/**
 * Splits coalesced UDP receives ({@code UDP_GRO}) into their datagrams where the channel does not: Netty's io_uring
 * datagram channel reads with {@code UDP_GRO} on but does not read the control message that gives the segment
 * size, so a run of datagrams from one sender reaches the pipeline as one {@link DatagramPacket}. The segment size
 * then comes from the protocol: a {@link Segmentation} recognises it in the content of every received packet
 * (small datagrams coalesce too, into receives no longer than one datagram). A packet it recognises as several is
 * cut into packets of that segment size (the last may be shorter), slices of the one buffer, fired in order; any
 * other passes on unchanged, and one longer than {@code maxDatagramSize}, which must have been coalesced, is
 * counted as unsplit (the protocol handler then drops it as malformed).
 *
 * <p>Why bother: without {@code UDP_GRO} on the receiving socket the kernel cuts every UDP GSO send back into
 * datagrams in the sender's softirq, and the receiver takes one receive per datagram; measured on io_uring that
 * doubled the CPU per GB of a tunnel (benchmarks/results/vpn.md). See {@link UdpOffload#configure}.
 */
public class UdpGroSplitter extends ChannelInboundHandlerAdapter {

    /** Finds the size of the datagrams in a coalesced receive. */
    @FunctionalInterface
    public interface Segmentation {
        /**
         * The size of each datagram (all but the last, which may be shorter) in {@code length} bytes of
         * {@code content} from {@code index}, or 0 when it cannot be told. Must not change the buffer.
         */
        int segmentSize(ByteBuf content, int index, int length);
    }

    /**
     * A datagram cut from a coalesced receive: its content is a slice of that receive's buffer, which
     * {@link #whole()} names with the slice's place in it ({@link #wholeIndex}). A consumer that works on the
     * memory in place can use the receive's buffer instead of the slice: Netty hands out a new NIO view of a derived
     * buffer on every {@code internalNioBuffer} call, the receive's own view is made once.
     */
    public static final class Segment extends DatagramPacket {
        private final ByteBuf whole;
        private final int offset;

        Segment(ByteBuf slice, ByteBuf whole, int offset, InetSocketAddress recipient, InetSocketAddress sender) {
            super(slice, recipient, sender);
            this.whole = whole;
            this.offset = offset;
        }

        /** The coalesced receive's buffer (kept alive by the slice; not retained for the caller). */
        public ByteBuf whole() {
            return whole;
        }

        /** The index in {@link #whole()} of index {@code index} of this datagram's content. */
        public int wholeIndex(int index) {
            return offset + index;
        }
    }

    private final Segmentation segmentation;
    private final int maxDatagramSize;
    private static final int SPLIT = 0;
    private static final int DATAGRAMS = 1;
    private static final int UNSPLIT = 2;
    private final HandlerCounters counters = new HandlerCounters("split", "datagrams", "unsplit");

    /**
     * @param segmentation    the protocol's rule for the segment size
     * @param maxDatagramSize the largest single datagram (and segment); anything longer was coalesced
     */
    public UdpGroSplitter(Segmentation segmentation, int maxDatagramSize) {
        this.segmentation = ObjectUtil.checkNotNull(segmentation, "segmentation");
        this.maxDatagramSize = ObjectUtil.checkPositive(maxDatagramSize, "maxDatagramSize");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket)) {
            ctx.fireChannelRead(msg);
            return;
        }
        DatagramPacket packet = (DatagramPacket) msg;
        ByteBuf content = packet.content();
        int index = content.readerIndex();
        int length = content.readableBytes();
        // Every receive is asked, not only the long ones: small datagrams (acknowledgements, keepalives) coalesce
        // too, into receives no longer than one datagram.
        int size = segmentation.segmentSize(content, index, length);
        if (size <= 0 || size > maxDatagramSize || size >= length) {
            if (length > maxDatagramSize) {
                counters.increment(UNSPLIT);
            }
            ctx.fireChannelRead(msg);
            return;
        }
        counters.increment(SPLIT);
        try {
            for (int offset = 0; offset < length; offset += size) {
                int n = Math.min(size, length - offset);
                counters.increment(DATAGRAMS);
                ctx.fireChannelRead(new Segment(content.retainedSlice(index + offset, n), content, index + offset,
                        packet.recipient(), packet.sender()));
            }
        } finally {
            packet.release();
        }
    }

    /** Coalesced receives split. */
    public long split() {
        return counters.get(SPLIT);
    }

    /** Datagrams fired from split receives. */
    public long datagrams() {
        return counters.get(DATAGRAMS);
    }

    /** Receives longer than a datagram whose segment size could not be told, passed on unchanged. */
    public long unsplit() {
        return counters.get(UNSPLIT);
    }

    @Override
    public String toString() {
        return "UdpGroSplitter(" + counters + ')';
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn;

import io.github.nettytun.handler.BatchingOutboundHandler;
import io.github.nettytun.handler.HandlerCounters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.util.internal.ObjectUtil;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.lang.reflect.Method;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Objects;

/**
 * Batches the {@link DatagramPacket}s written to a datagram channel between two flushes into UDP GSO sends: each
 * run of consecutive packets to the same recipient (from the same sender), all of one size except a shorter last
 * one, leaves as one {@link SegmentedDatagramPacket}, which Netty's epoll and io_uring datagram channels send with
 * one {@code sendmsg} and {@code UDP_SEGMENT}; the kernel cuts it into the original datagrams (Linux 4.18+,
 * {@code udp(7)}). A run holds at most {@link #MAX_SEGMENTS} datagrams and 65507 (IPv4) or 65527 (IPv6) payload
 * bytes. Order is kept, and every packet that does not batch is written as it came.
 *
 * <p>The segmented payload is by default one pooled buffer the datagrams are copied into ({@link Payload#COPY}):
 * measured on loopback with 1400-byte datagrams (benchmarks/results/udp-gso-jdk17.md), copying sends 1.25 times
 * (epoll) and 1.65 times (io_uring) as many datagrams per CPU-second as a {@link CompositeByteBuf} of the
 * datagrams' own buffers ({@link Payload#COMPOSITE}): Netty turns a composite into a {@code ByteBuffer} per
 * component on every send and the kernel walks up to 64 iovecs, while copying 90 KB that are still in the cache
 * takes a few microseconds. (A VPN can avoid both by encrypting straight into one buffer per run.)
 *
 * <p>Each write's promise completes when the send that carries it does. On a channel that cannot send segmented
 * packets (NIO, or a kernel without UDP_SEGMENT) this handler passes everything through. When a segmented send fails
 * with {@code EIO}, the route cannot do GSO (no checksum offload on the device, or IPsec): the handler switches GSO
 * off for its channel, logs that once, and resends the run's packets one by one.
 *
 * <p>Place it right after the datagram channel's head, behind any handler that writes datagrams. One instance per
 * channel; the counters may be read from any thread.
 */
public class UdpGsoSender extends BatchingOutboundHandler {

    /** Most datagrams in one segmented send ({@code UDP_MAX_SEGMENTS} of {@code include/linux/udp.h}). */
    public static final int MAX_SEGMENTS = 64;
    /** Most payload bytes in one IPv4 UDP send: 65535 - 20 (IPv4 header) - 8 (UDP header). */
    public static final int MAX_IPV4_PAYLOAD = 65507;
    /** Most payload bytes in one IPv6 UDP send: 65535 - 8 (UDP header); the IPv6 header does not count. */
    public static final int MAX_IPV6_PAYLOAD = 65527;

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(UdpGsoSender.class);
    /** {@code EIO} of {@code asm-generic/errno-base.h}. */
    private static final int EIO = 5;

    private enum Gso { UNKNOWN, ON, OFF }

    /** How the payload of a segmented send is built. */
    public enum Payload {
        /** A {@link CompositeByteBuf} of the datagrams' own buffers: no copy, one iovec per datagram. */
        COMPOSITE,
        /** One pooled buffer the datagrams are copied into: one iovec, one copy of every payload byte. */
        COPY
    }

    private static final int DATAGRAMS_IN = 0;
    private static final int SEGMENTED_SENDS = 1;
    private static final int SEGMENTS_SENT = 2;
    private static final int FALLBACKS = 3;

    private final Payload payloadMode;
    private Gso gso = Gso.UNKNOWN;
    private DatagramPacket[] packets = new DatagramPacket[16];
    private ChannelPromise[] promises = new ChannelPromise[16];
    private int count;

    private final HandlerCounters counters = new HandlerCounters("in", "segmentedSends", "segments", "fallbacks");

    public UdpGsoSender() {
        this(DEFAULT_MAX_PENDING);
    }

    /** @param maxPending packets held at most before they are written without waiting for the flush */
    public UdpGsoSender(int maxPending) {
        this(maxPending, Payload.COPY);
    }

    /**
     * @param maxPending packets held at most before they are written without waiting for the flush
     * @param payload    how a segmented send's payload is built
     */
    public UdpGsoSender(int maxPending, Payload payload) {
        super(maxPending);
        this.payloadMode = ObjectUtil.checkNotNull(payload, "payload");
    }

    /**
     * Whether {@code channel} sends {@link SegmentedDatagramPacket}s with UDP_SEGMENT: Netty's epoll and io_uring
     * datagram channels on a kernel that has it. Other channels (NIO among them) would send one large datagram.
     */
    public static boolean isSegmentedSendSupported(Channel channel) {
        String name = channel.getClass().getName();
        if (!name.equals("io.netty.channel.epoll.EpollDatagramChannel")
                && !name.equals("io.netty.channel.uring.IoUringDatagramChannel")) {
            return false;
        }
        try {
            // Reflection keeps this module free of a dependency on either transport.
            Method probe = channel.getClass().getMethod("isSegmentedDatagramPacketSupported");
            return (Boolean) probe.invoke(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            logger.debug("cannot ask {} for UDP_SEGMENT support", name, e);
            return false;
        }
    }

    /** Whether this handler batches for {@code channel}; {@link #isSegmentedSendSupported(Channel)} by default. */
    protected boolean supportsSegmentedSend(Channel channel) {
        return isSegmentedSendSupported(channel);
    }

    // ------------------------------------------------------------------------------------------------ handler

    /**
     * Batches plain datagrams. A {@link SegmentedDatagramPacket} written to this handler is a ready run (a sender
     * that laid its datagrams out in one buffer, as the WireGuard device does): it goes out at once after the
     * batch, with the same EIO fallback, or split into its datagrams where segmented sends are off.
     */
    @Override
    protected boolean hold(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof SegmentedDatagramPacket) {
            writePending(ctx);
            writeReadyRun(ctx, (SegmentedDatagramPacket) msg, promise);
            return true;
        }
        if (!(msg instanceof DatagramPacket) || !gsoOn(ctx)) {
            return false;
        }
        counters.increment(DATAGRAMS_IN);
        if (count == packets.length) {
            packets = Arrays.copyOf(packets, count * 2);
            promises = Arrays.copyOf(promises, count * 2);
        }
        packets[count] = (DatagramPacket) msg;
        promises[count] = promise;
        count++;
        return true;
    }

    @Override
    protected int pending() {
        return count;
    }

    private boolean gsoOn(ChannelHandlerContext ctx) {
        if (gso == Gso.UNKNOWN) {
            gso = supportsSegmentedSend(ctx.channel()) ? Gso.ON : Gso.OFF;
            if (gso == Gso.OFF) {
                logger.debug("{} cannot send segmented datagrams; {} passes everything through", ctx.channel(),
                        getClass().getSimpleName());
            }
        }
        return gso == Gso.ON;
    }

    /** Writes the held packets, each run of them as one segmented packet. */
    @Override
    protected void writePending(ChannelHandlerContext ctx) {
        int n = count;
        if (n == 0) {
            return;
        }
        count = 0;
        try {
            for (int i = 0; i < n; ) {
                int end = runEnd(i, n);
                if (end - i == 1) {
                    ctx.write(packets[i], promises[i]);
                } else {
                    writeRun(ctx, i, end);
                }
                i = end;
            }
        } finally {
            Arrays.fill(packets, 0, n, null);
            Arrays.fill(promises, 0, n, null);
        }
    }

    /** The end (exclusive) of the run that starts at {@code start}. */
    private int runEnd(int start, int n) {
        DatagramPacket first = packets[start];
        int size = first.content().readableBytes();
        if (size == 0) {
            return start + 1;
        }
        InetSocketAddress recipient = first.recipient();
        InetSocketAddress sender = first.sender();
        int limit = recipient.getAddress() instanceof Inet6Address ? MAX_IPV6_PAYLOAD : MAX_IPV4_PAYLOAD;
        int total = size;
        int end = start + 1;
        while (end < n && end - start < MAX_SEGMENTS) {
            DatagramPacket p = packets[end];
            int length = p.content().readableBytes();
            if (length == 0 || length > size || total + length > limit || !recipient.equals(p.recipient())
                    || !Objects.equals(sender, p.sender())) {
                break;
            }
            total += length;
            end++;
            if (length < size) {
                break; // a shorter datagram ends the run
            }
        }
        return end;
    }

    private void writeRun(ChannelHandlerContext ctx, int start, int end) {
        DatagramPacket first = packets[start];
        int size = first.content().readableBytes();
        int segments = end - start;
        ChannelPromise[] members = new ChannelPromise[segments];
        ByteBuf payload;
        if (payloadMode == Payload.COMPOSITE) {
            CompositeByteBuf composite = ctx.alloc().compositeDirectBuffer(segments);
            for (int i = start; i < end; i++) {
                composite.addComponent(true, packets[i].content());
                members[i - start] = promises[i];
            }
            payload = composite;
        } else {
            int total = 0;
            for (int i = start; i < end; i++) {
                total += packets[i].content().readableBytes();
            }
            payload = ctx.alloc().directBuffer(total);
            for (int i = start; i < end; i++) {
                ByteBuf content = packets[i].content();
                payload.writeBytes(content, content.readerIndex(), content.readableBytes());
                content.release();
                members[i - start] = promises[i];
            }
        }
        SegmentedDatagramPacket send = first.sender() == null
                ? new SegmentedDatagramPacket(payload, size, first.recipient())
                : new SegmentedDatagramPacket(payload, size, first.recipient(), first.sender());
        counters.increment(SEGMENTED_SENDS);
        counters.add(SEGMENTS_SENT, segments);
        // Held until the send completes, to resend the packets one by one if the route cannot do GSO.
        payload.retain();
        ctx.write(send).addListener(new RunListener(ctx, payload, size, first.recipient(), first.sender(), members));
    }

    private void writeReadyRun(ChannelHandlerContext ctx, SegmentedDatagramPacket run, ChannelPromise promise) {
        ByteBuf payload = run.content();
        int size = run.segmentSize();
        int segments = Math.max(1, (payload.readableBytes() + size - 1) / size);
        // The run's promise goes with its last datagram when it has to be sent as datagrams.
        ChannelPromise[] members = new ChannelPromise[segments];
        Arrays.fill(members, 0, segments - 1, ctx.voidPromise());
        members[segments - 1] = promise;
        if (!gsoOn(ctx) || segments == 1) {
            splitInto(ctx, payload.retain(), size, run.recipient(), run.sender(), members);
            run.release();
            return;
        }
        counters.add(DATAGRAMS_IN, segments);
        counters.increment(SEGMENTED_SENDS);
        counters.add(SEGMENTS_SENT, segments);
        payload.retain();
        ctx.write(run).addListener(new RunListener(ctx, payload, size, run.recipient(), run.sender(), members));
    }

    /** Writes {@code payload}'s datagrams of {@code size} bytes one by one, each with its member's promise. */
    private static void splitInto(ChannelHandlerContext ctx, ByteBuf payload, int size, InetSocketAddress recipient,
                                  InetSocketAddress sender, ChannelPromise[] members) {
        try {
            int index = payload.readerIndex();
            int end = payload.writerIndex();
            for (ChannelPromise p : members) {
                int length = Math.min(size, end - index);
                ByteBuf part = payload.retainedSlice(index, length);
                index += length;
                ctx.write(sender == null ? new DatagramPacket(part, recipient)
                        : new DatagramPacket(part, recipient, sender), p);
            }
        } finally {
            payload.release();
        }
    }

    /** Completes a run's promises when its send completes; on EIO resends its packets without GSO. */
    private final class RunListener implements ChannelFutureListener {
        private final ChannelHandlerContext ctx;
        private final ByteBuf payload;
        private final int size;
        private final InetSocketAddress recipient;
        private final InetSocketAddress sender;
        private final ChannelPromise[] members;

        RunListener(ChannelHandlerContext ctx, ByteBuf payload, int size, InetSocketAddress recipient,
                    InetSocketAddress sender, ChannelPromise[] members) {
            this.ctx = ctx;
            this.payload = payload;
            this.size = size;
            this.recipient = recipient;
            this.sender = sender;
            this.members = members;
        }

        @Override
        public void operationComplete(ChannelFuture future) {
            try {
                Throwable cause = future.cause();
                if (cause == null) {
                    for (ChannelPromise p : members) {
                        p.trySuccess();
                    }
                } else if (isEio(cause) && ctx.channel().isActive()) {
                    fallBack(cause);
                } else {
                    for (ChannelPromise p : members) {
                        p.tryFailure(cause);
                    }
                }
            } finally {
                payload.release();
            }
        }

        private void fallBack(Throwable cause) {
            if (gso != Gso.OFF) {
                gso = Gso.OFF;
                counters.increment(FALLBACKS);
                logger.warn("{}: a UDP GSO send to {} failed with EIO (the route cannot segment); sending "
                        + "unsegmented from now on", ctx.channel(), recipient, cause);
            }
            splitInto(ctx, payload.retain(), size, recipient, sender, members); // the listener releases its own
            ctx.flush();
        }
    }

    private static boolean isEio(Throwable cause) {
        return cause instanceof Errors.NativeIoException && ((Errors.NativeIoException) cause).expectedErr() == -EIO;
    }

    // ------------------------------------------------------------------------------------------------- counters

    /** Datagrams taken into batches. */
    public long datagramsIn() {
        return counters.get(DATAGRAMS_IN);
    }

    /** Segmented sends written. */
    public long segmentedSends() {
        return counters.get(SEGMENTED_SENDS);
    }

    /** Datagrams that went out inside segmented sends. */
    public long segmentsSent() {
        return counters.get(SEGMENTS_SENT);
    }

    /** Average datagrams per segmented send (0 before the first). */
    public double segmentsPerSend() {
        long sends = segmentedSends();
        return sends == 0 ? 0 : (double) segmentsSent() / sends;
    }

    /** Times GSO was switched off for the channel after an EIO (0 or 1). */
    public long fallbacks() {
        return counters.get(FALLBACKS);
    }

    /** Whether segmented sends are on for this handler's channel (false before the first write is seen). */
    public boolean isGsoActive() {
        return gso == Gso.ON;
    }

    @Override
    public String toString() {
        return "UdpGsoSender(gso=" + gso + ", " + counters + ')';
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.pcap;

import io.github.nettytun.channel.tun.TunPacket;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.internal.ObjectUtil;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Records the IP packets a TUN pipeline reads and writes, both directions in one file, in the classic pcap format
 * with link type {@code LINKTYPE_RAW} (101: each record an IPv4 or IPv6 packet), which tcpdump, tshark and Wireshark
 * read. Put it where the packets are the ones peers see: after a {@code TunGsoSegmenter} and before a
 * {@code TunGroCoalescer} (as {@code WireGuardTunnel.Builder.innerHandler} places it), so the kernel's offload
 * super-packets are recorded as their segments; elsewhere a super-packet is recorded as it is. Messages pass on
 * unchanged.
 *
 * <p>It writes on the event loop, through a 64 KiB buffer flushed with each read batch and each flush: a debugging
 * tool, with a cost per packet. Each record keeps at most {@code snapLength} bytes of its packet; after
 * {@code maxBytes} the recording stops (logged once) and the file stays valid. Netty's {@code PcapWriteHandler}
 * does not fit here: it records sockets' payloads under made-up Ethernet, IP and TCP/UDP headers. The stream is
 * closed when the handler is removed (the channel closes).
 */
public final class TunPcapWriteHandler extends ChannelDuplexHandler {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(TunPcapWriteHandler.class);

    /** {@code LINKTYPE_RAW}: raw IPv4 or IPv6, told apart by the version nibble. */
    static final int LINKTYPE_RAW = 101;
    /** The pcap magic number, microsecond timestamps. */
    static final int MAGIC = 0xa1b2c3d4;
    static final int GLOBAL_HEADER_LENGTH = 24;
    static final int RECORD_HEADER_LENGTH = 16;

    private final OutputStream out;
    private final int snapLength;
    private final long maxBytes;
    private final byte[] header = new byte[RECORD_HEADER_LENGTH];
    private final long baseMicros = System.currentTimeMillis() * 1000;
    private final long baseNanos = System.nanoTime();
    private long written;
    private long records;
    private boolean stopped;

    /**
     * @param out        where the file goes (closed with the handler)
     * @param snapLength the most bytes kept of each packet (tcpdump's default: 262144)
     * @param maxBytes   the most bytes written in all; recording stops there
     */
    public TunPcapWriteHandler(OutputStream out, int snapLength, long maxBytes) throws IOException {
        this.out = new BufferedOutputStream(ObjectUtil.checkNotNull(out, "out"), 65536);
        this.snapLength = ObjectUtil.checkPositive(snapLength, "snapLength");
        this.maxBytes = ObjectUtil.checkPositive(maxBytes, "maxBytes");
        byte[] global = new byte[GLOBAL_HEADER_LENGTH];
        putInt(global, 0, MAGIC);
        putShort(global, 4, 2);
        putShort(global, 6, 4);
        putInt(global, 16, snapLength);
        putInt(global, 20, LINKTYPE_RAW);
        this.out.write(global);
        written = GLOBAL_HEADER_LENGTH;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        record(msg);
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushFile();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        record(msg);
        ctx.write(msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        flushFile();
        ctx.flush();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        try {
            out.close();
        } catch (IOException e) {
            logger.warn("{}: closing the pcap file failed: {}", ctx.channel(), e.toString());
        }
        stopped = true;
    }

    /** Packets recorded so far. */
    public long records() {
        return records;
    }

    private void record(Object msg) {
        ByteBuf packet = msg instanceof ByteBuf ? (ByteBuf) msg
                : msg instanceof TunPacket ? ((TunPacket) msg).content() : null;
        if (packet == null || stopped) {
            return;
        }
        int length = packet.readableBytes();
        int kept = Math.min(length, snapLength);
        if (written + RECORD_HEADER_LENGTH + kept > maxBytes) {
            stop("reached its limit of " + maxBytes + " bytes");
            return;
        }
        long micros = baseMicros + (System.nanoTime() - baseNanos) / 1000;
        putInt(header, 0, (int) (micros / 1_000_000));
        putInt(header, 4, (int) (micros % 1_000_000));
        putInt(header, 8, kept);
        putInt(header, 12, length);
        try {
            out.write(header);
            packet.getBytes(packet.readerIndex(), out, kept);
        } catch (IOException e) {
            stop("could not be written: " + e);
            return;
        }
        written += RECORD_HEADER_LENGTH + kept;
        records++;
    }

    private void flushFile() {
        if (stopped) {
            return;
        }
        try {
            out.flush();
        } catch (IOException e) {
            stop("could not be written: " + e);
        }
    }

    private void stop(String why) {
        stopped = true;
        logger.warn("pcap recording stopped after {} packets: the file {}", records, why);
        try {
            out.flush();
        } catch (IOException e) {
            // already reported
        }
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) (v >>> 16);
        b[at + 3] = (byte) (v >>> 24);
    }

    private static void putShort(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
    }
}

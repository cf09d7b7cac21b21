/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link WireGuardDevice} on one {@link EmbeddedChannel} that stands for both its TUN and its UDP channel (so
 * both share an event loop, as the device requires): IP packets written inbound go to the TUN handler, datagrams to
 * the UDP handler; outbound, {@link DatagramPacket}s are what the device sent to the network and plain
 * {@link ByteBuf}s what it wrote to the TUN device. Time is a {@link MockTicker}, shared by the peers of a test:
 * {@link #advance} moves it and runs the timers that came due.
 */
final class EmbeddedPeer implements AutoCloseable {

    final WireGuardDevice device;
    final EmbeddedChannel channel;
    final MockTicker ticker;
    final InetSocketAddress address;
    /** IP packets the device delivered to its TUN side, kept until the test releases them. */
    final List<ByteBuf> delivered = new ArrayList<>();

    EmbeddedPeer(byte[] privateKey, WireGuardOptions options, InetSocketAddress address) {
        this(privateKey, options, address, Ticker.newMockTicker());
    }

    EmbeddedPeer(byte[] privateKey, WireGuardOptions options, InetSocketAddress address, MockTicker ticker) {
        // Handshake timestamps (TAI64N) must move with the mock time, or a retried initiation replays the last one.
        this.device = new WireGuardDevice(privateKey, options.clock(new TickerClock(ticker)));
        this.address = address;
        this.ticker = ticker;
        this.channel = EmbeddedChannel.builder().ticker(ticker).build();
        channel.pipeline().addLast(device.udpHandler(), device.tunHandler());
        device.attach(channel, channel);
    }

    /** An IP packet read from this side's TUN device. */
    void fromTun(ByteBuf packet) {
        channel.writeInbound(packet);
    }

    /** A datagram arriving at this side's UDP socket from {@code sender}. */
    void fromNetwork(ByteBuf content, InetSocketAddress sender) {
        channel.writeInbound(new DatagramPacket(content, address, sender));
    }

    /** Datagrams sent since the last call (the caller releases them); delivered IP packets go to {@link #delivered}. */
    List<DatagramPacket> sent() {
        List<DatagramPacket> out = new ArrayList<>();
        for (Object m; (m = channel.readOutbound()) != null; ) {
            if (m instanceof DatagramPacket) {
                out.add((DatagramPacket) m);
            } else {
                delivered.add((ByteBuf) m);
            }
        }
        return out;
    }

    /** Moves datagrams between the two peers until both are quiet; returns how many moved. */
    static int exchange(EmbeddedPeer x, EmbeddedPeer y) {
        int moved = 0;
        for (boolean again = true; again; ) {
            again = false;
            for (DatagramPacket d : x.sent()) {
                y.fromNetwork(d.content(), x.address);
                moved++;
                again = true;
            }
            for (DatagramPacket d : y.sent()) {
                x.fromNetwork(d.content(), y.address);
                moved++;
                again = true;
            }
        }
        return moved;
    }

    /**
     * Moves the shared mock time on by {@code millis} in steps of {@code stepMillis}; at each step every peer's due
     * timers run and the peers' datagrams are exchanged when {@code exchange} is set (otherwise they stay in
     * {@link #sent()}).
     */
    static void advance(long millis, long stepMillis, boolean exchange, EmbeddedPeer... peers) {
        MockTicker ticker = peers[0].ticker;
        for (long done = 0; done < millis; done += stepMillis) {
            ticker.advance(Math.min(stepMillis, millis - done), TimeUnit.MILLISECONDS);
            for (EmbeddedPeer p : peers) {
                p.channel.runScheduledPendingTasks();
            }
            if (exchange && peers.length == 2) {
                exchange(peers[0], peers[1]);
            }
        }
    }

    static ByteBuf copyOf(DatagramPacket d) {
        return Unpooled.copiedBuffer(d.content());
    }

    void releaseDelivered() {
        delivered.forEach(ReferenceCountUtil::release);
        delivered.clear();
    }

    @Override
    public void close() {
        sent().forEach(ReferenceCountUtil::release);
        releaseDelivered();
        device.close();
        channel.finishAndReleaseAll();
    }

    /**
     * Wall-clock time that is the ticker's time after a fixed instant: every device on one mock ticker agrees on
     * it, a restarted one included, as machines with synchronised clocks do.
     */
    static final class TickerClock extends Clock {
        private static final Instant BASE = Instant.parse("2026-01-01T00:00:00Z");
        private final Ticker ticker;

        TickerClock(Ticker ticker) {
            this.ticker = ticker;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return BASE.plusNanos(ticker.nanoTime());
        }
    }
}

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

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link WireGuardDevice} on one {@link EmbeddedChannel} that stands for both its TUN and its UDP channel (so
 * both share an event loop, as the device requires): IP packets written inbound go to the TUN handler, datagrams to
 * the UDP handler; outbound, {@link DatagramPacket}s are what the device sent to the network and plain
 * {@link ByteBuf}s what it wrote to the TUN device.
 */
final class EmbeddedPeer implements AutoCloseable {

    final WireGuardDevice device;
    final EmbeddedChannel channel = new EmbeddedChannel();
    final InetSocketAddress address;
    /** IP packets the device delivered to its TUN side, kept until the test releases them. */
    final List<ByteBuf> delivered = new ArrayList<>();

    EmbeddedPeer(byte[] privateKey, WireGuardDevice.Options options, InetSocketAddress address) {
        this.device = new WireGuardDevice(privateKey, options);
        this.address = address;
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
}

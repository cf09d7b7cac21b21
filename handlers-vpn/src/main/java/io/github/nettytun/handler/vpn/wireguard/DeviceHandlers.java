/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.channel.tun.TunPacket;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;

/**
 * The two pipeline handlers of a {@link WireGuardDevice}: the TUN side takes IP packets (after the GSO segmenter),
 * the UDP side datagrams. Both end a read batch with one flush of each channel the device wrote to, and each holds
 * back the other channel's reading while its own channel is not writable (backpressure both ways). Messages of
 * other types pass on.
 */
final class DeviceHandlers {

    private DeviceHandlers() {
    }

    private abstract static class Side extends ChannelInboundHandlerAdapter {
        final WireGuardDevice device;

        Side(WireGuardDevice device) {
            this.device = device;
        }

        /** The other channel, whose reading this one's writability governs; null before attach. */
        abstract Channel other();

        /**
         * Failures of this side's channel (a refused send, say) are counted and logged at a bounded rate; running out
         * of memory ends the device ({@link WireGuardDevice#channelFailed}).
         */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            device.channelFailed(this instanceof TunSide ? "TUN" : "UDP", cause);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            device.flush();
            ctx.fireChannelReadComplete();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            Channel other = other();
            if (other != null) {
                other.config().setAutoRead(ctx.channel().isWritable());
            }
            ctx.fireChannelWritabilityChanged();
        }
    }

    static final class TunSide extends Side {
        TunSide(WireGuardDevice device) {
            super(device);
        }

        @Override
        Channel other() {
            return device.udpChannel();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf) {
                device.send((ByteBuf) msg);
            } else if (msg instanceof TunPacket) {
                TunPacket p = (TunPacket) msg;
                if (p.header().isGso() || p.header().needsCsum()) {
                    // Only the segmenter can turn these into packets a peer can use.
                    p.release();
                    device.dropOutbound(DropCounts.Drop.INVALID_OUTBOUND_PACKET);
                } else {
                    device.send(p.content());
                }
            } else {
                ctx.fireChannelRead(msg);
            }
        }
    }

    static final class UdpSide extends Side {
        UdpSide(WireGuardDevice device) {
            super(device);
        }

        @Override
        Channel other() {
            return device.tunChannel();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof DatagramPacket) {
                device.receive((DatagramPacket) msg);
            } else {
                ctx.fireChannelRead(msg);
            }
        }
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.handler.codec.offload.Ipv4Header;
import io.github.nettytun.handler.codec.offload.Ipv6Header;
import io.github.nettytun.handler.vpn.UdpGsoSender;
import io.github.nettytun.handler.vpn.wireguard.DropCounts.Drop;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.util.concurrent.Ticker;

import java.net.Inet6Address;
import java.net.InetSocketAddress;

import static io.github.nettytun.handler.vpn.wireguard.Messages.DATA_HEADER_LENGTH;
import static io.github.nettytun.handler.vpn.wireguard.Messages.DATA_OVERHEAD;
import static io.github.nettytun.handler.vpn.wireguard.Messages.INITIATION_MAC1;
import static io.github.nettytun.handler.vpn.wireguard.Messages.MAX_UDP_PAYLOAD;
import static io.github.nettytun.handler.vpn.wireguard.Messages.RESPONSE_MAC1;
import static io.github.nettytun.handler.vpn.wireguard.Messages.TYPE_DATA;

/**
 * What goes out on the UDP channel (wireguard-go's {@code send.go}), on the device's event loop:
 * <ol>
 *   <li>An IP packet from the TUN pipeline is routed by its destination address to the peer whose allowed IPs
 *       hold it (cryptokey routing, whitepaper section 2); a malformed, unroutable or oversize packet is
 *       dropped and counted.</li>
 *   <li>Without a keypair to send with (none, expired, or no endpoint known) the packet is staged (at most
 *       {@link WireGuardPeer#MAX_STAGED_PACKETS}, the oldest dropped) and a handshake initiation goes out.</li>
 *   <li>Otherwise the packet is padded to 16 bytes (within the MTU), sealed under the keypair's next counter and
 *       written as one data message (section 5.4.6); an initiator whose keypair is due for rekeying starts a
 *       handshake.</li>
 *   <li>Handshake messages and keepalives go the same way; everything written waits for {@link #flush}, one per
 *       read batch, so {@code UdpGsoSender} can batch it.</li>
 * </ol>
 * It is also the {@link PeerTimers.Actions} the timers fire.
 */
final class SendPath implements PeerTimers.Actions {

    private final Channel udp;
    private final AllowedIps<WireGuardPeer> allowedIps;
    private final NoiseHandshake noise;
    private final Counters counters;
    private final WireGuardTimers timers;
    private final TransportCipher.Implementation cipher;
    private final int mtu;
    private final Ticker ticker;
    private boolean dirty;
    private boolean runs;
    /** The open run (data messages to one endpoint, one size, back to back), or null. */
    private ByteBuf run;
    private InetSocketAddress runRecipient;
    private int runSegment;
    private int runCount;

    SendPath(Channel udp, AllowedIps<WireGuardPeer> allowedIps, NoiseHandshake noise, Counters counters,
             WireGuardTimers timers, TransportCipher.Implementation cipher, int mtu, Ticker ticker) {
        this.udp = udp;
        this.allowedIps = allowedIps;
        this.noise = noise;
        this.counters = counters;
        this.timers = timers;
        this.cipher = cipher;
        this.mtu = mtu;
        this.ticker = ticker;
    }

    /** Routes, encrypts and writes one IP packet from the TUN side (taking ownership of it). */
    void send(ByteBuf packet) {
        int len = packet.readableBytes();
        int ri = packet.readerIndex();
        int version = len >= Ipv4Header.MIN_LENGTH ? packet.getUnsignedByte(ri) >>> 4 : 0;
        WireGuardPeer peer;
        if (version == 4) {
            peer = allowedIps.lookup(packet, ri + Ipv4Header.DESTINATION_OFFSET, 4);
        } else if (version == 6 && len >= Ipv6Header.LENGTH) {
            peer = allowedIps.lookup(packet, ri + Ipv6Header.DESTINATION_OFFSET, 16);
        } else {
            packet.release();
            counters.drop(Drop.INVALID_OUTBOUND_PACKET, null);
            return;
        }
        if (peer == null) {
            packet.release();
            counters.drop(Drop.NO_ROUTE, null);
            return;
        }
        if (DATA_OVERHEAD + paddedLength(len) > MAX_UDP_PAYLOAD) {
            packet.release();
            counters.drop(Drop.TOO_LARGE, peer);
            return;
        }
        sendTo(peer, packet);
    }

    /** Sends {@code packet} (null: a keepalive) to {@code peer}, staging it and shaking hands when needed. */
    private void sendTo(WireGuardPeer peer, ByteBuf packet) {
        long now = ticker.nanoTime();
        Keypair kp = peer.keypairs.current();
        if (kp == null || kp.isExpiredForSending(now, timers) || peer.endpoint() == null) {
            if (packet != null) {
                stage(peer, packet);
            }
            sendInitiation(peer, false);
            return;
        }
        seal(peer, kp, packet, now);
        if (kp.needsRekeyAfterSending(now, timers)) {
            sendInitiation(peer, false);
        }
    }

    @Override
    public void sendKeepalive(WireGuardPeer peer) {
        sendTo(peer, null);
    }

    private void stage(WireGuardPeer peer, ByteBuf packet) {
        if (peer.staged.size() == WireGuardPeer.MAX_STAGED_PACKETS) {
            peer.staged.poll().release();
            counters.drop(Drop.STAGED_OVERFLOW, peer);
        }
        peer.staged.add(packet);
    }

    /** Sends what waited for a keypair, in order, as far as the current keypair allows. */
    void sendStaged(WireGuardPeer peer) {
        long now = ticker.nanoTime();
        Keypair kp = peer.keypairs.current();
        ByteBuf packet;
        while (kp != null && peer.endpoint() != null && !kp.isExpiredForSending(now, timers)
                && (packet = peer.staged.poll()) != null) {
            seal(peer, kp, packet, now);
        }
    }

    /** Releases and counts every staged packet of {@code peer}. */
    void dropStaged(WireGuardPeer peer, Drop reason) {
        ByteBuf packet;
        while ((packet = peer.staged.poll()) != null) {
            packet.release();
            counters.drop(reason, peer);
        }
    }

    /** The plaintext length after padding: to a multiple of 16, but not beyond the MTU. */
    int paddedLength(int length) {
        int last = length > mtu ? length % mtu : length;
        int padded = (last + 15) & ~15;
        if (padded > mtu) {
            padded = mtu;
        }
        return length - last + padded;
    }

    /**
     * The hot path: the payload is copied once, into the buffer that goes to the socket (after the 16-byte header,
     * zero-padded), and sealed there in place. With {@link #sendRuns} that buffer is the open run: consecutive
     * messages to one endpoint of one size lie back to back in it and leave as one segmented send.
     */
    private void seal(WireGuardPeer peer, Keypair kp, ByteBuf packet, long now) {
        int len = packet != null ? packet.readableBytes() : 0;
        int padded = paddedLength(len);
        int size = DATA_HEADER_LENGTH + padded + WireGuardCrypto.TAG_LENGTH;
        InetSocketAddress endpoint = peer.endpoint();
        ByteBuf out = runs ? runFor(endpoint, size) : udp.alloc().directBuffer(size);
        int base = out.writerIndex();
        long counter = kp.sendCounter++;
        out.writeIntLE(TYPE_DATA).writeIntLE(kp.remoteIndex).writeLongLE(counter);
        if (packet != null) {
            out.writeBytes(packet, packet.readerIndex(), len);
            packet.release();
        }
        out.writeZero(padded - len);
        try {
            kp.send.seal(counter, out, base + DATA_HEADER_LENGTH, padded);
        } catch (RuntimeException e) {
            out.writerIndex(base);
            if (!runs) {
                out.release();
            }
            throw e;
        }
        out.writerIndex(base + size);
        peer.counters.add(Counters.TX_BYTES, size);
        peer.counters.increment(Counters.TX_PACKETS);
        if (!runs) {
            write(out, endpoint);
        } else if (++runCount == UdpGsoSender.MAX_SEGMENTS || size < runSegment) {
            closeRun(); // full, or a shorter message ends it (as the kernel's GSO wants)
        }
        peer.timers.anyAuthenticatedPacketTraversal(now);
        peer.timers.anyAuthenticatedPacketSent();
        if (len > 0) {
            peer.timers.dataSent(now);
        }
    }

    // ------------------------------------------------------------------------------------------------ handshake

    /**
     * Starts a handshake with {@code peer} (a retransmit continues the attempt under way): at most one handshake
     * message per REKEY_TIMEOUT, and none before the peer's endpoint is known.
     */
    void sendInitiation(WireGuardPeer peer, boolean retransmit) {
        long now = ticker.nanoTime();
        if (!peer.timers.mayInitiate(now, retransmit)) {
            return;
        }
        InetSocketAddress endpoint = peer.endpoint();
        if (endpoint == null) {
            return; // nothing to send to until the peer reaches us
        }
        peer.timers.handshakeSent(now);
        byte[] msg = noise.createInitiation(peer);
        peer.cookieGenerator.addMacs(msg, INITIATION_MAC1, now);
        sendHandshakeMessage(peer, msg, endpoint, now);
        peer.timers.handshakeInitiated(now);
    }

    /** Answers the initiation just consumed from {@code peer}; returns its keypair, or null when that failed. */
    Keypair sendResponse(WireGuardPeer peer, InetSocketAddress endpoint) {
        long now = ticker.nanoTime();
        peer.timers.handshakeSent(now);
        NoiseHandshake.Session session = noise.createResponse(peer, now, timers, cipher);
        if (session == null) {
            return null;
        }
        peer.keypairs.installAsResponder(session.keypair);
        peer.timers.sessionDerived(now);
        peer.cookieGenerator.addMacs(session.response, RESPONSE_MAC1, now);
        sendHandshakeMessage(peer, session.response, endpoint, now);
        return session.keypair;
    }

    /**
     * Writes a handshake message; its bytes count once the socket took it, as wireguard-go counts them (a peer
     * without a route is no transfer). A failure is not the pipeline's business: the timers retry.
     */
    private void sendHandshakeMessage(WireGuardPeer peer, byte[] msg, InetSocketAddress endpoint, long now) {
        peer.timers.anyAuthenticatedPacketTraversal(now);
        peer.timers.anyAuthenticatedPacketSent();
        ChannelPromise sent = udp.newPromise();
        sent.addListener(f -> {
            if (f.isSuccess()) {
                peer.counters.add(Counters.TX_BYTES, msg.length);
            } else if (WireGuardDevice.logger.isDebugEnabled()) {
                WireGuardDevice.logger.debug("handshake message to {} not sent: {}", endpoint, f.cause().toString());
            }
        });
        closeRun(); // in order
        udp.write(new DatagramPacket(udp.alloc().directBuffer(msg.length).writeBytes(msg), endpoint), sent);
        dirty = true;
    }

    /**
     * Whether data messages are laid out in runs and written as {@link SegmentedDatagramPacket}s: only when a
     * {@link UdpGsoSender} in the UDP pipeline takes them (it splits them where segmented sends are off).
     */
    void sendRuns(boolean on) {
        closeRun();
        this.runs = on;
    }

    /** The open run if a message of {@code size} bytes to {@code recipient} may join it, else a new one. */
    private ByteBuf runFor(InetSocketAddress recipient, int size) {
        if (run != null && (size > runSegment || run.writableBytes() < size || !recipient.equals(runRecipient))) {
            closeRun();
        }
        if (run == null) {
            int limit = recipient.getAddress() instanceof Inet6Address ? UdpGsoSender.MAX_IPV6_PAYLOAD
                    : UdpGsoSender.MAX_IPV4_PAYLOAD;
            run = udp.alloc().directBuffer(limit, limit);
            runRecipient = recipient;
            runSegment = size;
            runCount = 0;
        }
        return run;
    }

    /** Writes the open run, if any: one datagram as itself, more as one segmented send. */
    private void closeRun() {
        ByteBuf r = run;
        if (r == null) {
            return;
        }
        run = null;
        if (!r.isReadable()) {
            r.release();
            return;
        }
        if (r.readableBytes() < r.capacity() / 4) { // a lone or short run: a buffer of its size, not 64 KiB
            ByteBuf small = udp.alloc().directBuffer(r.readableBytes()).writeBytes(r);
            r.release();
            r = small;
        }
        udp.write(runCount == 1 ? new DatagramPacket(r, runRecipient)
                : new SegmentedDatagramPacket(r, runSegment, runRecipient), udp.voidPromise());
        dirty = true;
    }

    /** The device closes: the open run is written and flushed, or released when the channel cannot take it. */
    void closeOpenRun(boolean write) {
        if (write) {
            flush();
        } else if (run != null) {
            run.release();
            run = null;
        }
    }

    /** A cookie reply (or any message not a peer's) to {@code recipient}. */
    void sendUnattributed(byte[] msg, InetSocketAddress recipient) {
        write(udp.alloc().directBuffer(msg.length).writeBytes(msg), recipient);
    }

    /** A datagram on its own (cookie replies to anyone keep no order with the open run; it stays open). */
    private void write(ByteBuf content, InetSocketAddress recipient) {
        udp.write(new DatagramPacket(content, recipient), udp.voidPromise());
        dirty = true;
    }

    /** Writes the open run and flushes the UDP channel if anything was written since the last flush. */
    void flush() {
        closeRun();
        if (dirty) {
            dirty = false;
            udp.flush();
        }
    }

    // ------------------------------------------------------------------------------------------- timer actions

    @Override
    public void retransmitHandshake(WireGuardPeer peer) {
        sendInitiation(peer, true);
    }

    @Override
    public void giveUpHandshake(WireGuardPeer peer) {
        noise.clear(peer.handshake);
        dropStaged(peer, Drop.HANDSHAKE_TIMEOUT);
    }

    @Override
    public void newHandshake(WireGuardPeer peer) {
        sendInitiation(peer, false);
    }

    @Override
    public void zeroKeyMaterial(WireGuardPeer peer) {
        peer.keypairs.clear();
        noise.clear(peer.handshake);
    }
}

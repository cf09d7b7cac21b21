/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.handler.codec.offload.Ipv4Header;
import io.github.nettytun.handler.codec.offload.Ipv6Header;
import io.github.nettytun.handler.vpn.UdpGroSplitter;
import io.github.nettytun.handler.vpn.wireguard.DropCounts.Drop;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.Ticker;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import static io.github.nettytun.handler.vpn.wireguard.Messages.COOKIE_REPLY_LENGTH;
import static io.github.nettytun.handler.vpn.wireguard.Messages.DATA_HEADER_LENGTH;
import static io.github.nettytun.handler.vpn.wireguard.Messages.DATA_OVERHEAD;
import static io.github.nettytun.handler.vpn.wireguard.Messages.INITIATION_LENGTH;
import static io.github.nettytun.handler.vpn.wireguard.Messages.INITIATION_MAC1;
import static io.github.nettytun.handler.vpn.wireguard.Messages.RESPONSE_LENGTH;
import static io.github.nettytun.handler.vpn.wireguard.Messages.RESPONSE_MAC1;
import static io.github.nettytun.handler.vpn.wireguard.Messages.TYPE_COOKIE_REPLY;
import static io.github.nettytun.handler.vpn.wireguard.Messages.TYPE_DATA;
import static io.github.nettytun.handler.vpn.wireguard.Messages.TYPE_INITIATION;
import static io.github.nettytun.handler.vpn.wireguard.Messages.TYPE_RESPONSE;
import static io.github.nettytun.handler.vpn.wireguard.Messages.getIntLE;

/**
 * What comes in on the UDP channel (wireguard-go's {@code receive.go}), on the device's event loop:
 * <ol>
 *   <li>A datagram is classified by its type and length; anything else is {@code MALFORMED}.</li>
 *   <li>Handshake messages need a valid MAC1, a token of their source address's rate limit and room in the
 *       device's handshake work budget (or, with a handshake executor, in its queue: an initiation's
 *       Diffie-Hellman work then runs there and the rest back on the event loop); while the device is under load
 *       or the source is over its rate, a valid
 *       MAC2 too (otherwise a cookie reply answers them). An initiation is consumed and answered, a response
 *       completes our handshake (a keepalive or the staged packets confirm it to the peer), a cookie reply gives us
 *       the peer's cookie.</li>
 *   <li>A data message is looked up by its receiver index, checked against REJECT_AFTER_TIME, opened, and its
 *       counter checked against the replay window; only then does it count: the endpoint follows its sender,
 *       timers learn of it, a waiting {@code next} keypair is confirmed (the responder's handshake completes).</li>
 *   <li>The plaintext must be an IPv4 or IPv6 packet whose source address the peer's allowed IPs hold; it is
 *       written to the TUN channel in the datagram's own buffer. Keepalives end at step 3.</li>
 * </ol>
 * Every drop is counted by reason, for the device and, where it is known, for the peer.
 */
final class ReceivePath {

    private final Channel tun;
    private final SendPath send;
    private final IndexTable indices;
    private final NoiseHandshake noise;
    private final CookieChecker cookies;
    private final HandshakeLoad load;
    private final HandshakeRateLimiter limiter;
    private final AllowedIps<WireGuardPeer> allowedIps;
    private final Counters counters;
    private final WireGuardTimers timers;
    private final TransportCipher.Implementation cipher;
    private final Ticker ticker;
    private final Clock clock;
    private final Consumer<WireGuardPeer> onHandshake;
    private boolean dirty;
    private Executor handshakeExecutor;
    private int handshakeQueue;
    private int handshakesInFlight;
    /** Cookie replies handed to the executor and not yet sent (event loop only). */
    private int repliesInFlight;
    /** Cookie replies the executor made, for the loop to send. */
    private final Queue<CookieReply> readyReplies = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean replySendScheduled = new AtomicBoolean();
    private final Runnable sendReadyReplies = this::sendReadyReplies;
    private boolean closed;
    private final Ipv4Header ipv4 = new Ipv4Header();
    private final Ipv6Header ipv6 = new Ipv6Header();

    ReceivePath(Channel tun, SendPath send, IndexTable indices, NoiseHandshake noise, CookieChecker cookies,
                HandshakeLoad load, HandshakeRateLimiter limiter, AllowedIps<WireGuardPeer> allowedIps,
                Counters counters, WireGuardTimers timers, TransportCipher.Implementation cipher, Ticker ticker,
                Clock clock, Consumer<WireGuardPeer> onHandshake) {
        this.tun = tun;
        this.send = send;
        this.indices = indices;
        this.noise = noise;
        this.cookies = cookies;
        this.load = load;
        this.limiter = limiter;
        this.allowedIps = allowedIps;
        this.counters = counters;
        this.timers = timers;
        this.cipher = cipher;
        this.ticker = ticker;
        this.clock = clock;
        this.onHandshake = onHandshake;
    }

    /**
     * Consumes initiations on {@code executor} instead of the event loop, at most {@code queue} at a time (more are
     * dropped as {@code HANDSHAKE_OVERLOAD}); the device is under load from an eighth of that on, as in wireguard-go.
     * The work budget does not apply then. Cookie replies are made there too, at most {@code queue} waiting (more
     * go unanswered), and sent from the loop in batches.
     */
    void handshakeExecutor(Executor executor, int queue) {
        this.handshakeExecutor = executor;
        this.handshakeQueue = queue;
    }

    /** Handles one datagram read from the UDP socket (taking ownership of it). */
    void receive(DatagramPacket datagram) {
        ByteBuf buf = datagram.content();
        int len = buf.readableBytes();
        int type = len >= 4 ? buf.getIntLE(buf.readerIndex()) : -1;
        try {
            if (type == TYPE_DATA && len >= DATA_OVERHEAD) {
                receiveData(datagram);
                datagram = null; // ownership passed on
            } else if (type == TYPE_INITIATION && len == INITIATION_LENGTH) {
                receiveInitiation(bytes(buf), datagram.sender());
            } else if (type == TYPE_RESPONSE && len == RESPONSE_LENGTH) {
                receiveResponse(bytes(buf), datagram.sender());
            } else if (type == TYPE_COOKIE_REPLY && len == COOKIE_REPLY_LENGTH) {
                receiveCookieReply(bytes(buf));
            } else {
                counters.drop(Drop.MALFORMED, null);
            }
        } finally {
            if (datagram != null) {
                datagram.release();
            }
        }
    }

    private static byte[] bytes(ByteBuf buf) {
        byte[] msg = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), msg);
        return msg;
    }

    // --------------------------------------------------------------------------------------------------- data

    private void receiveData(DatagramPacket datagram) {
        ByteBuf buf = datagram.content();
        int ri = buf.readerIndex();
        int len = buf.readableBytes();
        Keypair kp = indices.keypair(buf.getIntLE(ri + 4));
        if (kp == null) {
            datagram.release();
            counters.drop(Drop.UNKNOWN_INDEX, null);
            return;
        }
        WireGuardPeer peer = kp.peer;
        long now = ticker.nanoTime();
        if (now - kp.created >= timers.rejectAfterTime) {
            datagram.release();
            counters.drop(Drop.KEY_EXPIRED, peer);
            return;
        }
        long counter = buf.getLongLE(ri + 8);
        int cipherLen = len - DATA_HEADER_LENGTH;
        int start = ri + DATA_HEADER_LENGTH;
        // In place: the plaintext replaces the ciphertext. A datagram cut from a coalesced receive is opened in
        // that receive's buffer, whose NIO view is made once (a slice's is made anew per call).
        boolean opened = datagram instanceof UdpGroSplitter.Segment
                ? kp.receive.open(counter, ((UdpGroSplitter.Segment) datagram).whole(),
                        ((UdpGroSplitter.Segment) datagram).wholeIndex(start), cipherLen)
                : kp.receive.open(counter, buf, start, cipherLen);
        if (!opened) {
            datagram.release();
            counters.drop(Drop.DECRYPT_FAILED, peer);
            return;
        }
        if (!kp.replay.accept(counter)) {
            datagram.release();
            counters.drop(Drop.REPLAY, peer);
            return;
        }
        peer.endpoint(datagram.sender());
        if (peer.keypairs.receivedWith(kp)) {
            completed(peer, true);
            send.sendStaged(peer);
        }
        if (kp == peer.keypairs.current() && kp.initiator
                && now - kp.created >= timers.rejectAfterTime - timers.keepaliveTimeout - timers.rekeyTimeout
                && peer.timers.takeLastMinuteHandshake()) {
            send.sendInitiation(peer, false);
        }
        peer.timers.anyAuthenticatedPacketTraversal(now);
        peer.timers.anyAuthenticatedPacketReceived();
        peer.counters.add(Counters.RX_BYTES, len);
        peer.counters.increment(Counters.RX_PACKETS);
        int plainLen = cipherLen - WireGuardCrypto.TAG_LENGTH;
        if (plainLen == 0) {
            datagram.release(); // keepalive
            return;
        }
        peer.timers.dataReceived(now);
        int ipLen = ipLength(buf, start, plainLen);
        if (ipLen < 0) {
            datagram.release();
            counters.drop(Drop.INVALID_INNER_PACKET, peer);
            return;
        }
        WireGuardPeer source = (buf.getByte(start) & 0xf0) == 0x40
                ? allowedIps.lookup(buf, start + Ipv4Header.SOURCE_OFFSET, 4)
                : allowedIps.lookup(buf, start + Ipv6Header.SOURCE_OFFSET, 16);
        if (source != peer) {
            datagram.release();
            counters.drop(Drop.SOURCE_NOT_ALLOWED, peer);
            return;
        }
        buf.setIndex(start, start + ipLen);
        tun.write(buf, tun.voidPromise());
        dirty = true;
    }

    /**
     * The IP packet length in the decrypted plaintext {@code buf[index, index+plainLen)}, or -1 when it is not a
     * well-formed IPv4/IPv6 packet; read through the codec's header flyweights, as the coalescer reads it next.
     */
    private int ipLength(ByteBuf buf, int index, int plainLen) {
        int version = buf.getUnsignedByte(index) >>> 4;
        int ipLen;
        if (version == 4 && plainLen >= Ipv4Header.MIN_LENGTH) {
            int headerLength = ipv4.wrap(buf, index).headerLength();
            ipLen = ipv4.totalLength();
            if (headerLength < Ipv4Header.MIN_LENGTH || headerLength > ipLen) {
                return -1;
            }
        } else if (version == 6 && plainLen >= Ipv6Header.LENGTH) {
            ipLen = Ipv6Header.LENGTH + ipv6.wrap(buf, index).payloadLength();
        } else {
            return -1;
        }
        return ipLen <= plainLen ? ipLen : -1;
    }

    /** Flushes the TUN channel if anything was written since the last flush. */
    void flush() {
        if (dirty) {
            dirty = false;
            tun.flush();
        }
    }

    // ---------------------------------------------------------------------------------------------- handshake

    /**
     * Whether a handshake message gets Diffie-Hellman work, checked cheapest first. A source already in the table
     * whose proven bucket is empty while it would need it is dropped before any MAC is computed (only the owner of an
     * address can empty that bucket, so this is all a flood with a valid cookie costs us). Then MAC1 (and only then a
     * table slot); then a token of the source's unproven bucket while the device is not under load, else a valid
     * MAC2 (a cookie reply otherwise) and a token of the proven bucket; then the device's work budget.
     */
    private boolean admit(byte[] msg, int mac1Offset, InetSocketAddress sender, long now, boolean budgeted) {
        int slot = limiter.find(sender, now);
        boolean underLoad = load.underLoad(now) || !budgeted && handshakesInFlight >= handshakeQueue / 8;
        if (slot >= 0 && (underLoad || !limiter.hasUnproven(slot, now)) && !limiter.hasProven(slot, now)) {
            counters.drop(Drop.RATE_LIMITED, null);
            return false;
        }
        boolean hasMac2 = CookieChecker.hasMac2(msg, mac1Offset);
        if (underLoad && !hasMac2 && handshakeExecutor != null) {
            // It cannot be admitted: whether MAC1 holds (a cookie reply) or not (a drop) is the executor's to find.
            replyWithCookie(msg, mac1Offset, null, sender, now);
            return false;
        }
        if (!cookies.checkMac1(msg, mac1Offset)) {
            counters.drop(Drop.BAD_MAC1, null);
            return false;
        }
        if (slot < 0) {
            slot = limiter.slot(sender, now); // a table entry only for a sender that knows our public key
        }
        if (underLoad || slot < 0 || !limiter.takeUnproven(slot, now)) {
            byte[] cookie = hasMac2 ? cookies.cookie(sender, now) : null;
            if (cookie == null || !cookies.checkMac2(msg, mac1Offset, cookie)) {
                replyWithCookie(msg, mac1Offset, cookie, sender, now);
                return false;
            }
            if (slot >= 0 && !limiter.takeProven(slot, now)) {
                counters.drop(Drop.RATE_LIMITED, null);
                return false;
            }
        }
        if (budgeted ? !load.admit(now) : !load.admitQueued(now, handshakesInFlight, handshakeQueue)) {
            counters.drop(Drop.HANDSHAKE_OVERLOAD, null);
            return false;
        }
        return true;
    }

    /**
     * Answers a handshake message that needs a cookie ({@code COOKIE_REQUIRED}); {@code cookie} is the sender's when
     * it was computed already, else null. Without an executor here. With one, the reply (a BLAKE2s for the cookie and
     * an XChaCha20-Poly1305 seal, more than half of what a flood without cookies cost the loop) is made there and
     * sent from the loop in one flush with the others made meanwhile; a message that arrives while the device is under
     * load without any MAC2 has its MAC1 checked there too ({@code BAD_MAC1}, counted when the loop learns of it).
     * Beyond {@code queue} waiting replies a message goes unanswered and unchecked ({@code HANDSHAKE_OVERLOAD}), as a
     * full handshake queue leaves it in wireguard-go. So a flood from many addresses the attacker owns costs the
     * loop a copy and a hand-over per message.
     */
    private void replyWithCookie(byte[] msg, int mac1Offset, byte[] cookie, InetSocketAddress sender, long now) {
        Executor executor = handshakeExecutor;
        if (executor == null) {
            counters.drop(Drop.COOKIE_REQUIRED, null);
            byte[] senderCookie = cookie != null ? cookie : cookies.cookie(sender, now);
            sendCookieReply(cookies.createReply(msg, mac1Offset, senderCookie), sender);
            return;
        }
        if (repliesInFlight >= handshakeQueue) {
            counters.drop(Drop.HANDSHAKE_OVERLOAD, null);
            return;
        }
        repliesInFlight++;
        try {
            executor.execute(() -> {
                byte[] reply = null;
                if (cookie != null || cookies.checkMac1(msg, mac1Offset)) {
                    byte[] senderCookie = cookie != null ? cookie : cookies.cookie(sender, now);
                    reply = cookies.createReply(msg, mac1Offset, senderCookie);
                }
                readyReplies.add(new CookieReply(reply, sender));
                if (replySendScheduled.compareAndSet(false, true)) {
                    try {
                        tun.eventLoop().execute(sendReadyReplies);
                    } catch (RejectedExecutionException loopGone) {
                        // the device is gone: nothing to send them from
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            repliesInFlight--;
            counters.drop(Drop.HANDSHAKE_OVERLOAD, null);
        }
    }

    private void sendCookieReply(byte[] reply, InetSocketAddress recipient) {
        send.sendUnattributed(reply, recipient);
        counters.increment(Counters.COOKIE_REPLIES);
    }

    /** A cookie reply the executor made, or none for a message whose MAC1 it found wrong. */
    private static final class CookieReply {
        final byte[] reply;
        final InetSocketAddress recipient;

        CookieReply(byte[] reply, InetSocketAddress recipient) {
            this.reply = reply;
            this.recipient = recipient;
        }
    }

    /** On the loop: counts and sends what the executor made, in one flush (one sendmmsg on epoll). */
    private void sendReadyReplies() {
        replySendScheduled.set(false);
        for (CookieReply r; (r = readyReplies.poll()) != null; ) {
            repliesInFlight--;
            if (r.reply == null) {
                counters.drop(Drop.BAD_MAC1, null);
                continue;
            }
            counters.drop(Drop.COOKIE_REQUIRED, null);
            if (!closed) {
                sendCookieReply(r.reply, r.recipient);
            }
        }
        send.flush();
    }

    private void receiveInitiation(byte[] msg, InetSocketAddress sender) {
        long now = ticker.nanoTime();
        Executor executor = handshakeExecutor;
        if (!admit(msg, INITIATION_MAC1, sender, now, executor == null)) {
            return;
        }
        if (executor != null) {
            receiveInitiationOn(executor, msg, sender);
            return;
        }
        try {
            receiveOpenedInitiation(msg, noise.openInitiation(msg, false), sender, now);
        } finally {
            load.worked(now, ticker.nanoTime());
        }
    }

    /**
     * The Diffie-Hellman work of an admitted initiation on the executor, the rest back on the event loop (the state
     * stays confined there). A device closed meanwhile, or a loop that went away, drops it ({@code CLOSED}).
     */
    private void receiveInitiationOn(Executor executor, byte[] msg, InetSocketAddress sender) {
        handshakesInFlight++;
        try {
            executor.execute(() -> {
                NoiseHandshake.OpenedInitiation opened = noise.openInitiation(msg, true);
                try {
                    tun.eventLoop().execute(() -> finishInitiation(msg, opened, sender));
                } catch (RejectedExecutionException loopGone) {
                    opened.wipe();
                }
            });
        } catch (RejectedExecutionException e) {
            handshakesInFlight--;
            counters.drop(Drop.HANDSHAKE_OVERLOAD, null);
        }
    }

    private void finishInitiation(byte[] msg, NoiseHandshake.OpenedInitiation opened, InetSocketAddress sender) {
        handshakesInFlight--;
        if (closed) {
            opened.wipe();
            counters.drop(Drop.CLOSED, null);
            return;
        }
        receiveOpenedInitiation(msg, opened, sender, ticker.nanoTime());
        send.flush();
    }

    /**
     * The device closed: initiations still on the handshake executor are dropped when they come back, cookie replies
     * are not sent.
     */
    void close() {
        closed = true;
    }

    private void receiveOpenedInitiation(byte[] msg, NoiseHandshake.OpenedInitiation opened,
                                         InetSocketAddress sender, long now) {
        WireGuardPeer peer = noise.applyInitiation(msg, opened, now);
        if (peer == null) {
            return;
        }
        peer.timers.anyAuthenticatedPacketTraversal(now);
        peer.timers.anyAuthenticatedPacketReceived();
        peer.endpoint(sender);
        peer.counters.add(Counters.RX_BYTES, msg.length);
        // The handshake completes when the initiator's first data message opens under this keypair.
        send.sendResponse(peer, sender);
    }

    private void receiveResponse(byte[] msg, InetSocketAddress sender) {
        long now = ticker.nanoTime();
        if (!admit(msg, RESPONSE_MAC1, sender, now, true)) {
            return;
        }
        try {
            receiveAdmittedResponse(msg, sender, now);
        } finally {
            load.worked(now, ticker.nanoTime());
        }
    }

    private void receiveAdmittedResponse(byte[] msg, InetSocketAddress sender, long now) {
        Keypair kp = noise.consumeResponse(msg, now, timers, cipher);
        if (kp == null) {
            return;
        }
        WireGuardPeer peer = kp.peer;
        peer.endpoint(sender);
        peer.counters.add(Counters.RX_BYTES, msg.length);
        peer.timers.anyAuthenticatedPacketTraversal(now);
        peer.timers.anyAuthenticatedPacketReceived();
        peer.keypairs.installAsInitiator(kp);
        peer.timers.sessionDerived(now);
        completed(peer, false);
        if (peer.staged.isEmpty()) {
            send.sendKeepalive(peer); // confirms the keypair to the responder
        } else {
            send.sendStaged(peer);
        }
    }

    private void receiveCookieReply(byte[] msg) {
        WireGuardPeer peer = indices.peer(getIntLE(msg, 4));
        if (peer == null) {
            counters.drop(Drop.UNKNOWN_INDEX, null);
            return;
        }
        if (!peer.cookieGenerator.consumeReply(msg, ticker.nanoTime())) {
            counters.drop(Drop.BAD_COOKIE, peer);
        }
    }

    /** A handshake with {@code peer} completed: the attempt ends, it is counted, logged and reported. */
    private void completed(WireGuardPeer peer, boolean asResponder) {
        peer.handshakeCompleted(clock.instant(), asResponder);
        if (WireGuardDevice.logger.isDebugEnabled()) {
            WireGuardDevice.logger.debug("handshake completed with {} at {}", peer.publicKeyBase64(), peer.endpoint());
        }
        try {
            onHandshake.accept(peer);
        } catch (RuntimeException e) {
            WireGuardDevice.logger.warn("handshake listener failed", e);
        }
    }
}

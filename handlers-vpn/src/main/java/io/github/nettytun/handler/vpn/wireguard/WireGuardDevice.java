/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.github.nettytun.channel.tun.TunPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A WireGuard interface: the static key pair, the peers, the cryptokey routing table and the protocol
 * (Noise_IKpsk2 handshakes, cookies, transport messages, timers) between a TUN channel and a UDP channel.
 *
 * <p>The device sits in two pipelines, through {@link #tunHandler()} (IP packets read from the TUN device, after
 * the GSO segmenter: encrypted and written to the UDP channel) and {@link #udpHandler()} (datagrams read from the
 * UDP socket: handshake messages answered, transport messages decrypted in place and written to the TUN channel,
 * in front of the GRO coalescer). A read batch on either channel ends with one flush of each channel written to.
 * When the UDP channel is not writable the TUN channel stops reading, and the reverse. {@link WireGuardTunnel}
 * assembles all of this.
 *
 * <p>Both channels must use one event loop, the device's: all protocol state is confined to it, so the data path
 * takes no locks. Configuration methods must run there too once {@link #attach attached} (use
 * {@link #eventLoop()}).
 *
 * <p>Timers are not one scheduled task per event but one tick per device ({@code WireGuardTimers}: 100 ms by
 * default) that compares each peer's timestamps with the protocol's deadlines, so sending and receiving a packet
 * touch only a few longs.
 */
public final class WireGuardDevice {

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(WireGuardDevice.class);

    static final byte[] CONSTRUCTION = ascii("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s");
    static final byte[] IDENTIFIER = ascii("WireGuard v1 zx2c4 Jason@zx2c4.com");
    static final byte[] LABEL_MAC1 = ascii("mac1----");
    static final byte[] LABEL_COOKIE = ascii("cookie--");
    static final byte[] INITIAL_CHAIN_KEY = WireGuardCrypto.hash(CONSTRUCTION);
    static final byte[] INITIAL_HASH = WireGuardCrypto.hash(INITIAL_CHAIN_KEY, IDENTIFIER);

    /** Message type 1: handshake initiation, 148 bytes. */
    public static final int TYPE_INITIATION = 1;
    /** Message type 2: handshake response, 92 bytes. */
    public static final int TYPE_RESPONSE = 2;
    /** Message type 3: cookie reply, 64 bytes. */
    public static final int TYPE_COOKIE_REPLY = 3;
    /** Message type 4: transport data, 32 bytes + padded plaintext. */
    public static final int TYPE_DATA = 4;
    static final int INITIATION_LENGTH = 148;
    static final int RESPONSE_LENGTH = 92;
    static final int COOKIE_REPLY_LENGTH = 64;
    /** Type, receiver index and counter in front of the ciphertext. */
    public static final int DATA_HEADER_LENGTH = 16;
    /** Header and tag around the padded plaintext. */
    public static final int DATA_OVERHEAD = DATA_HEADER_LENGTH + WireGuardCrypto.TAG_LENGTH;
    static final int INITIATION_MAC1 = 116;
    static final int RESPONSE_MAC1 = 60;
    private static final int MAX_UDP_PAYLOAD = 65507;
    private static final long HANDSHAKE_INITIATION_RATE = TimeUnit.SECONDS.toNanos(1) / 50;
    private static final long ONE_SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long MAX_TIMER_JITTER = TimeUnit.MILLISECONDS.toNanos(334);
    private static final byte[] EMPTY = new byte[0];

    /** Why a packet or message was dropped. */
    public enum Drop {
        /** A datagram too short, with an unknown type or the wrong length for its type. */
        MALFORMED,
        /** A handshake message whose MAC1 is wrong (never answered). */
        BAD_MAC1,
        /** A handshake message without a valid MAC2 while under load: answered with a cookie reply instead. */
        COOKIE_REQUIRED,
        /** A handshake message that did not decrypt or carried a low-order key. */
        HANDSHAKE_FAILED,
        /** An initiation from a static key that is not a peer. */
        UNKNOWN_PEER,
        /** An initiation whose TAI64N timestamp is not newer than the last accepted one. */
        HANDSHAKE_REPLAY,
        /** An initiation less than 20 ms after the last accepted one from the same peer. */
        HANDSHAKE_FLOOD,
        /** A response, cookie or data message for a receiver index we do not hold. */
        UNKNOWN_INDEX,
        /** A cookie reply that did not decrypt. */
        BAD_COOKIE,
        /** A data message for a keypair older than REJECT_AFTER_TIME. */
        KEY_EXPIRED,
        /** A data message that did not authenticate. */
        DECRYPT_FAILED,
        /** A data message whose counter was seen before or fell out of the window. */
        REPLAY,
        /** A decrypted packet that is not a well-formed IPv4/IPv6 packet. */
        INVALID_INNER_PACKET,
        /** A decrypted packet whose source address is not in the sending peer's allowed IPs. */
        SOURCE_NOT_ALLOWED,
        /** An outbound packet whose destination no peer's allowed IPs contain. */
        NO_ROUTE,
        /** An outbound packet that is not IPv4/IPv6, or a TUN packet still needing offload work. */
        INVALID_OUTBOUND_PACKET,
        /** An outbound packet too large for one UDP datagram. */
        TOO_LARGE,
        /** A staged packet pushed out by newer ones while waiting for a handshake. */
        STAGED_OVERFLOW,
        /** A staged packet dropped after REKEY_ATTEMPT_TIME without a handshake, or with its peer removed. */
        HANDSHAKE_TIMEOUT,
        /** A packet or datagram that arrived after the device was closed (or a packet staged when it closed). */
        CLOSED,
    }

    /** Settings of a device. */
    public static final class Options {
        WireGuardTimers timers = WireGuardTimers.DEFAULT;
        TransportCipher.Implementation cipher = TransportCipher.Implementation.DEFAULT;
        int handshakesPerSecondUnderLoad = 128;
        int mtu = 1420;
        SecureRandom random;
        java.util.function.Consumer<WireGuardPeer> onHandshake = peer -> { };

        /** The protocol's timers; tests shorten them. */
        public Options timers(WireGuardTimers timers) {
            this.timers = Objects.requireNonNull(timers, "timers");
            return this;
        }

        /** The transport cipher implementation. */
        public Options cipher(TransportCipher.Implementation cipher) {
            this.cipher = Objects.requireNonNull(cipher, "cipher");
            return this;
        }

        /**
         * Handshake messages per second above which the device is under load and answers handshakes without a
         * valid MAC2 with cookie replies (for one second after the rate fell back). Default 128.
         */
        public Options handshakesPerSecondUnderLoad(int rate) {
            if (rate < 1) {
                throw new IllegalArgumentException("rate: " + rate);
            }
            this.handshakesPerSecondUnderLoad = rate;
            return this;
        }

        /** The interface MTU: plaintext is padded to a multiple of 16 but not beyond it. Default 1420. */
        public Options mtu(int mtu) {
            if (mtu < 576 || mtu > 65535) {
                throw new IllegalArgumentException("mtu " + mtu + " out of 576..65535");
            }
            this.mtu = mtu;
            return this;
        }

        /** Called on the event loop after each completed handshake (to log it, say); must not block. */
        public Options onHandshake(java.util.function.Consumer<WireGuardPeer> listener) {
            this.onHandshake = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** The source of keys, indices and nonces. */
        public Options random(SecureRandom random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }
    }

    private final byte[] staticPrivate;
    private final byte[] staticPublic;
    private final byte[] mac1Key;
    private final byte[] cookieKey;
    private final WireGuardTimers timers;
    private final TransportCipher.Implementation cipher;
    private final int handshakesPerSecondUnderLoad;
    private final int mtu;
    private final SecureRandom random;
    private final java.util.function.Consumer<WireGuardPeer> onHandshake;

    private final Map<ByteBuffer, WireGuardPeer> peers = new LinkedHashMap<>();
    private final IntObjectHashMap<Object> indices = new IntObjectHashMap<>();
    private final AllowedIps<WireGuardPeer> allowedIps = new AllowedIps<>();
    // The ciphers work on arrays: payload goes into one, the cipher writes the other (BouncyCastle copies its
    // input first when both are one array).
    private final byte[] scratch = new byte[65536 + WireGuardCrypto.TAG_LENGTH];
    private final byte[] sealed = new byte[65536 + WireGuardCrypto.TAG_LENGTH];
    private final long[] drops = new long[Drop.values().length];

    private byte[] cookieSecret;
    private long cookieSecretSet = WireGuardPeer.NEVER;
    private long loadWindowStart = WireGuardPeer.NEVER;
    private int handshakesInWindow;
    private long underLoadUntil = WireGuardPeer.NEVER;
    private volatile long cookieRepliesSent;

    private Channel tun;
    private Channel udp;
    private boolean tunDirty;
    private boolean udpDirty;
    private ScheduledFuture<?> ticker;
    private boolean closed;

    /** A device with this private key (32 bytes, clamped as X25519 requires) and default options. */
    public WireGuardDevice(byte[] privateKey) {
        this(privateKey, new Options());
    }

    /** A device with this private key and options. */
    public WireGuardDevice(byte[] privateKey, Options options) {
        this.staticPrivate = PeerConfig.checkKey(privateKey, "private key");
        this.staticPublic = WireGuardCrypto.publicKey(staticPrivate);
        this.mac1Key = WireGuardCrypto.hash(LABEL_MAC1, staticPublic);
        this.cookieKey = WireGuardCrypto.hash(LABEL_COOKIE, staticPublic);
        this.timers = options.timers;
        this.cipher = options.cipher;
        this.handshakesPerSecondUnderLoad = options.handshakesPerSecondUnderLoad;
        this.mtu = options.mtu;
        this.random = options.random != null ? options.random : new SecureRandom();
        this.onHandshake = options.onHandshake;
    }

    // ---------------------------------------------------------------------------------------------------------
    // configuration

    /** This interface's private key (a copy), for configuration tools such as the {@code wg} UAPI. */
    public byte[] privateKey() {
        return staticPrivate.clone();
    }

    /** This interface's public key (a copy). */
    public byte[] publicKey() {
        return staticPublic.clone();
    }

    /** The timers in use. */
    public WireGuardTimers timers() {
        return timers;
    }

    /** The transport cipher implementation in use. */
    public TransportCipher.Implementation cipher() {
        return cipher;
    }

    /** The event loop of the attached channels, or {@code null} before {@link #attach}. */
    public EventLoop eventLoop() {
        return udp == null ? null : udp.eventLoop();
    }

    /**
     * Adds a peer.
     *
     * @throws IllegalArgumentException when the key is ours, already a peer, or of low order
     */
    public WireGuardPeer addPeer(PeerConfig config) {
        checkThread();
        byte[] key = config.publicKey();
        if (Arrays.equals(key, staticPublic)) {
            throw new IllegalArgumentException("a peer cannot have this interface's own public key");
        }
        ByteBuffer mapKey = ByteBuffer.wrap(key);
        if (peers.containsKey(mapKey)) {
            throw new IllegalArgumentException("already a peer: " + config);
        }
        byte[] staticStatic;
        try {
            staticStatic = WireGuardCrypto.dh(staticPrivate, key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("peer public key is of low order (no shared secret)", e);
        }
        WireGuardPeer peer = new WireGuardPeer(this, config, staticStatic);
        peers.put(mapKey, peer);
        for (PeerConfig.Prefix p : config.allowedIps()) {
            allowedIps.insert(p.address(), p.length(), peer);
        }
        return peer;
    }

    /** Removes a peer, its routes, keys and staged packets; returns whether it was a peer. */
    public boolean removePeer(byte[] publicKey) {
        checkThread();
        WireGuardPeer peer = peers.remove(ByteBuffer.wrap(publicKey));
        if (peer == null) {
            return false;
        }
        allowedIps.removeAll(peer);
        clearKeys(peer);
        clearHandshake(peer);
        dropStaged(peer, Drop.HANDSHAKE_TIMEOUT);
        return true;
    }

    /** The peer with this public key, or {@code null}. */
    public WireGuardPeer peer(byte[] publicKey) {
        return peers.get(ByteBuffer.wrap(publicKey));
    }

    /** The peers, in the order they were added (a snapshot). */
    public Collection<WireGuardPeer> peers() {
        return Collections.unmodifiableList(new ArrayList<>(peers.values()));
    }

    /**
     * Replaces the allowed IPs of {@code peer}. A prefix another peer owns moves to this one, as in {@code wg set}.
     */
    public void setAllowedIps(WireGuardPeer peer, List<PeerConfig.Prefix> prefixes) {
        checkThread();
        allowedIps.removeAll(peer);
        for (PeerConfig.Prefix p : prefixes) {
            allowedIps.insert(p.address(), p.length(), peer);
        }
    }

    /** Sets a peer's endpoint (it also follows authenticated packets). */
    public void setEndpoint(WireGuardPeer peer, InetSocketAddress endpoint) {
        peer.endpoint = endpoint;
    }

    /** Sets a peer's persistent keepalive in seconds (0 = off). */
    public void setPersistentKeepalive(WireGuardPeer peer, int seconds) {
        if (seconds < 0 || seconds > 65535) {
            throw new IllegalArgumentException("persistent keepalive " + seconds + " s out of 0..65535");
        }
        peer.persistentKeepaliveSeconds = seconds;
    }

    /** Sets a peer's preshared key (32 bytes, zeros for none); takes effect at the next handshake. */
    public void setPresharedKey(WireGuardPeer peer, byte[] key) {
        checkThread();
        peer.presharedKey = PeerConfig.checkKey(key, "preshared key");
    }

    List<AllowedIps.Entry<WireGuardPeer>> allowedIpsOf(WireGuardPeer peer) {
        return allowedIps.entries(peer);
    }

    /** The peer whose allowed IPs contain {@code address} by longest-prefix match, or {@code null}. */
    public WireGuardPeer route(java.net.InetAddress address) {
        return allowedIps.lookup(address);
    }

    // ---------------------------------------------------------------------------------------------------------
    // counters

    /** Packets and messages dropped for {@code reason}. */
    public long dropped(Drop reason) {
        return drops[reason.ordinal()];
    }

    /** All drops. */
    public long dropped() {
        long sum = 0;
        for (long d : drops) {
            sum += d;
        }
        return sum;
    }

    /** Cookie replies sent while under load. */
    public long cookieRepliesSent() {
        return cookieRepliesSent;
    }

    /** The handshake-related state the device holds: index-table entries (for tests and monitoring). */
    public int indexTableSize() {
        return indices.size();
    }

    private void drop(Drop reason) {
        drops[reason.ordinal()]++;
    }

    private void drop(Drop reason, WireGuardPeer peer) {
        drops[reason.ordinal()]++;
        peer.drops[reason.ordinal()]++;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("WireGuardDevice(peers=").append(peers.size());
        for (Drop d : Drop.values()) {
            if (drops[d.ordinal()] != 0) {
                sb.append(", ").append(d).append('=').append(drops[d.ordinal()]);
            }
        }
        return sb.append(')').toString();
    }

    // ---------------------------------------------------------------------------------------------------------
    // channels

    /**
     * Connects the device to its channels and starts its timers. Both channels must be registered with the same
     * event loop; the handlers ({@link #tunHandler()}, {@link #udpHandler()}) must be in their pipelines.
     */
    public void attach(Channel tunChannel, Channel udpChannel) {
        if (tunChannel.eventLoop() != udpChannel.eventLoop()) {
            throw new IllegalArgumentException("the TUN and UDP channels must share one event loop");
        }
        if (udp != null) {
            throw new IllegalStateException("already attached");
        }
        EventLoop loop = udpChannel.eventLoop();
        Runnable start = () -> {
            tun = tunChannel;
            udp = udpChannel;
            ticker = loop.scheduleAtFixedRate(this::tick, timers.tick, timers.tick, TimeUnit.NANOSECONDS);
        };
        if (loop.inEventLoop()) {
            start.run();
        } else {
            loop.submit(start).syncUninterruptibly();
        }
    }

    /**
     * Stops the timers and releases staged packets; the channels are left to their owner. Packets and datagrams
     * that still arrive are released and counted as dropped ({@link Drop#CLOSED}).
     */
    public void close() {
        EventLoop loop = eventLoop();
        Runnable stop = () -> {
            closed = true;
            if (ticker != null) {
                ticker.cancel(false);
                ticker = null;
            }
            for (WireGuardPeer p : peers.values()) {
                dropStaged(p, Drop.CLOSED);
                clearKeys(p);
                clearHandshake(p);
            }
        };
        if (loop == null || loop.inEventLoop()) {
            stop.run();
        } else if (!loop.isShuttingDown()) {
            loop.submit(stop).syncUninterruptibly();
        } else {
            stop.run();
        }
    }

    /** The handler for the TUN pipeline (after the GSO segmenter): IP packets in, encrypted to the UDP channel. */
    public ChannelHandler tunHandler() {
        return new TunSide();
    }

    /** The handler for the UDP pipeline: datagrams in, decrypted packets to the TUN channel. */
    public ChannelHandler udpHandler() {
        return new UdpSide();
    }

    /** What both handlers share: a read batch ends with one flush, and each holds back the other's reading. */
    private abstract class Side extends ChannelInboundHandlerAdapter {
        abstract Channel other();

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            flush();
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

    private final class TunSide extends Side {
        @Override
        Channel other() {
            return udp;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf) {
                send((ByteBuf) msg);
            } else if (msg instanceof TunPacket) {
                TunPacket p = (TunPacket) msg;
                if (p.header().isGso() || p.header().needsCsum()) {
                    // Only the segmenter can turn these into packets a peer can use.
                    p.release();
                    drop(Drop.INVALID_OUTBOUND_PACKET);
                } else {
                    send(p.content());
                }
            } else {
                ctx.fireChannelRead(msg);
            }
        }
    }

    private final class UdpSide extends Side {
        @Override
        Channel other() {
            return tun;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof DatagramPacket) {
                receive((DatagramPacket) msg);
            } else {
                ctx.fireChannelRead(msg);
            }
        }
    }

    private void flush() {
        if (udpDirty) {
            udpDirty = false;
            udp.flush();
        }
        if (tunDirty) {
            tunDirty = false;
            tun.flush();
        }
    }

    private void writeDatagram(ByteBuf content, InetSocketAddress recipient) {
        udp.write(new DatagramPacket(content, recipient), udp.voidPromise());
        udpDirty = true;
    }

    // ---------------------------------------------------------------------------------------------------------
    // outbound: IP packet -> transport message

    /** Routes, encrypts and writes one IP packet (taking ownership of it). */
    void send(ByteBuf packet) {
        if (closed) {
            packet.release();
            drop(Drop.CLOSED);
            return;
        }
        int len = packet.readableBytes();
        int ri = packet.readerIndex();
        WireGuardPeer peer = null;
        if (len >= 20) {
            int version = packet.getUnsignedByte(ri) >>> 4;
            if (version == 4) {
                peer = allowedIps.lookup(packet, ri + 16, 4);
            } else if (version == 6 && len >= 40) {
                peer = allowedIps.lookup(packet, ri + 24, 16);
            } else {
                packet.release();
                drop(Drop.INVALID_OUTBOUND_PACKET);
                return;
            }
        } else {
            packet.release();
            drop(Drop.INVALID_OUTBOUND_PACKET);
            return;
        }
        if (peer == null) {
            packet.release();
            drop(Drop.NO_ROUTE);
            return;
        }
        if (DATA_OVERHEAD + paddedLength(len) > MAX_UDP_PAYLOAD) {
            packet.release();
            drop(Drop.TOO_LARGE);
            return;
        }
        sendTo(peer, packet);
    }

    /** Sends {@code packet} (null: a keepalive) to {@code peer}, staging it and shaking hands when needed. */
    private void sendTo(WireGuardPeer peer, ByteBuf packet) {
        long now = System.nanoTime();
        Keypair kp = peer.current;
        if (kp == null || isExpiredForSending(kp, now) || peer.endpoint == null) {
            if (packet != null) {
                stage(peer, packet);
            }
            sendInitiation(peer, false, now);
            return;
        }
        encryptAndSend(peer, kp, packet, now);
        if (kp.initiator && (now - kp.created >= timers.rekeyAfterTime
                || Long.compareUnsigned(kp.sendCounter, timers.rekeyAfterMessages) >= 0)) {
            sendInitiation(peer, false, now);
        }
    }

    private boolean isExpiredForSending(Keypair kp, long now) {
        return now - kp.created >= timers.rejectAfterTime
                || Long.compareUnsigned(kp.sendCounter, timers.rejectAfterMessages) >= 0;
    }

    private void stage(WireGuardPeer peer, ByteBuf packet) {
        if (peer.staged.size() == WireGuardPeer.MAX_STAGED_PACKETS) {
            peer.staged.poll().release();
            drop(Drop.STAGED_OVERFLOW, peer);
        }
        peer.staged.add(packet);
    }

    private void sendStaged(WireGuardPeer peer, long now) {
        Keypair kp = peer.current;
        ByteBuf packet;
        while (kp != null && peer.endpoint != null && !isExpiredForSending(kp, now)
                && (packet = peer.staged.poll()) != null) {
            encryptAndSend(peer, kp, packet, now);
        }
    }

    private void dropStaged(WireGuardPeer peer, Drop reason) {
        ByteBuf packet;
        while ((packet = peer.staged.poll()) != null) {
            packet.release();
            drop(reason, peer);
        }
    }

    int paddedLength(int length) {
        int last = length > mtu ? length % mtu : length;
        int padded = (last + 15) & ~15;
        if (padded > mtu) {
            padded = mtu;
        }
        return length - last + padded;
    }

    /** The hot path: one pass of the cipher over a scratch copy; the output is one pooled buffer. */
    private void encryptAndSend(WireGuardPeer peer, Keypair kp, ByteBuf packet, long now) {
        int len = 0;
        byte[] s = scratch;
        if (packet != null) {
            len = packet.readableBytes();
            packet.getBytes(packet.readerIndex(), s, 0, len);
            packet.release();
        }
        int padded = paddedLength(len);
        Arrays.fill(s, len, padded, (byte) 0);
        long counter = kp.sendCounter++;
        int sealedLength = kp.send.seal(counter, s, 0, padded, sealed, 0);
        ByteBuf out = udp.alloc().directBuffer(DATA_HEADER_LENGTH + sealedLength);
        out.writeIntLE(TYPE_DATA).writeIntLE(kp.remoteIndex).writeLongLE(counter)
                .writeBytes(sealed, 0, sealedLength);
        peer.txBytes += out.readableBytes();
        peer.txPackets++;
        writeDatagram(out, peer.endpoint);
        peer.lastSent = now;
        peer.keepaliveDeadline = WireGuardPeer.NEVER;
        if (len > 0 && peer.newHandshakeDeadline == WireGuardPeer.NEVER) {
            peer.newHandshakeDeadline = now + timers.keepaliveTimeout + timers.rekeyTimeout;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // inbound: datagram -> handshake or IP packet

    /**
     * The size of the WireGuard messages coalesced into one UDP receive ({@link
     * io.github.nettytun.handler.vpn.UdpGroSplitter.Segmentation}, for transports that do not report it), or 0 when
     * it cannot be told. Call on the device's event loop: it reads the index table.
     *
     * <p>The kernel coalesces datagrams of one size from one sender, the last possibly shorter. A run of handshake
     * messages has their fixed size. A run of data messages starts each message with type 4, three zero bytes and
     * one of this device's receiver indices (two during a key change); their sizes vary (32 bytes plus the
     * plaintext padded to 16, or to the sender's MTU), so the size is the first offset where a message starts
     * and then starts again at every multiple, and the last, shorter piece is a whole message of any type (a
     * handshake initiation may close a run of data; its MAC1 is checked). The search finds type bytes with
     * Netty's {@code indexOf}: a few compares per datagram of random ciphertext. A wrong answer needs ciphertext
     * that reads as type 4 and a live index at every guessed start (2^-56 or less each), and would still fail
     * authentication: counted, never accepted.
     */
    public int groSegmentSize(ByteBuf buf, int index, int length) {
        if (length < 2 * DATA_OVERHEAD) {
            return 0;
        }
        int end = index + length;
        int type = buf.getIntLE(index);
        int fixed = fixedLength(type);
        if (fixed != 0) {
            // Handshake messages: a run of one type, the last possibly another message.
            for (int at = index + fixed; at < end; at += fixed) {
                if (end - at <= fixed && isMessage(buf, at, end - at)) {
                    return fixed;
                }
                if (buf.getIntLE(at) != type) {
                    return 0;
                }
            }
            return fixed;
        }
        if (!isDataStart(buf, index)) {
            return 0;
        }
        // Where a shorter last handshake message could start (bit t - 1 for type t), read once.
        int tails = 0;
        for (int t = TYPE_INITIATION; t <= TYPE_COOKIE_REPLY; t++) {
            int p = end - fixedLength(t);
            if (p >= index + DATA_OVERHEAD && buf.getIntLE(p) == t) {
                tails |= 1 << (t - 1);
            }
        }
        for (int at = index + DATA_OVERHEAD; at <= end - DATA_OVERHEAD; at++) {
            // The next message: data (type byte 4) or the earliest possible last handshake message from here (types
            // 1, 2, 3 start 148, 92, 64 bytes before the end: ascending).
            int data = buf.indexOf(at, end - DATA_OVERHEAD + 1, (byte) TYPE_DATA);
            int tail = -1;
            for (int t = TYPE_INITIATION; t <= TYPE_COOKIE_REPLY && tail < 0; t++) {
                int p = end - fixedLength(t);
                if ((tails & 1 << (t - 1)) != 0 && p >= at) {
                    tail = p;
                }
            }
            at = data < 0 ? tail : tail < 0 ? data : Math.min(data, tail);
            if (at < 0) {
                return 0;
            }
            int size = at - index;
            int next = at;
            while (end - next > size && isDataStart(buf, next)) {
                next += size;
            }
            if (end - next <= size && isMessage(buf, next, end - next)) {
                return size;
            }
        }
        return 0;
    }

    private static int fixedLength(int type) {
        return type == TYPE_INITIATION ? INITIATION_LENGTH : type == TYPE_RESPONSE ? RESPONSE_LENGTH
                : type == TYPE_COOKIE_REPLY ? COOKIE_REPLY_LENGTH : 0;
    }

    /** Type 4 and one of this device's receiver indices at {@code at}. */
    private boolean isDataStart(ByteBuf buf, int at) {
        return buf.getIntLE(at) == TYPE_DATA && indices.containsKey(buf.getIntLE(at + 4));
    }

    /**
     * A whole message of {@code length} bytes at {@code at}: data to one of our indices, or a handshake message
     * for this device (an initiation or response with a valid MAC1, a cookie reply to one of our indices).
     */
    private boolean isMessage(ByteBuf buf, int at, int length) {
        if (length >= DATA_OVERHEAD && isDataStart(buf, at)) {
            return true;
        }
        int type = buf.getIntLE(at);
        if (type == TYPE_DATA || fixedLength(type) != length) {
            return false;
        }
        if (type == TYPE_COOKIE_REPLY) {
            return indices.containsKey(buf.getIntLE(at + 4));
        }
        byte[] msg = ByteBufUtil.getBytes(buf, at, length);
        int mac1Offset = type == TYPE_INITIATION ? INITIATION_MAC1 : RESPONSE_MAC1;
        return WireGuardCrypto.constantTimeEquals(WireGuardCrypto.mac(mac1Key, msg, 0, mac1Offset), 0, msg,
                mac1Offset, 16);
    }

    /** Handles one datagram read from the UDP socket (taking ownership of it). */
    void receive(DatagramPacket datagram) {
        if (closed) {
            datagram.release();
            drop(Drop.CLOSED);
            return;
        }
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
                drop(Drop.MALFORMED);
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

    private void receiveData(DatagramPacket datagram) {
        ByteBuf buf = datagram.content();
        int ri = buf.readerIndex();
        int len = buf.readableBytes();
        Object owner = indices.get(buf.getIntLE(ri + 4));
        if (!(owner instanceof Keypair)) {
            datagram.release();
            drop(Drop.UNKNOWN_INDEX);
            return;
        }
        Keypair kp = (Keypair) owner;
        WireGuardPeer peer = kp.peer;
        long now = System.nanoTime();
        if (now - kp.created >= timers.rejectAfterTime) {
            datagram.release();
            drop(Drop.KEY_EXPIRED, peer);
            return;
        }
        long counter = buf.getLongLE(ri + 8);
        int cipherLen = len - DATA_HEADER_LENGTH;
        buf.getBytes(ri + DATA_HEADER_LENGTH, sealed, 0, cipherLen);
        byte[] s = scratch;
        if (!kp.receive.open(counter, sealed, 0, cipherLen, s, 0)) {
            datagram.release();
            drop(Drop.DECRYPT_FAILED, peer);
            return;
        }
        if (!kp.replay.accept(counter)) {
            datagram.release();
            drop(Drop.REPLAY, peer);
            return;
        }
        // Authenticated: the endpoint follows, timers learn of it, a confirmed next keypair becomes current.
        peer.endpoint = datagram.sender();
        peer.rxBytes += len;
        peer.rxPackets++;
        peer.lastReceived = now;
        peer.newHandshakeDeadline = WireGuardPeer.NEVER;
        if (kp == peer.next) {
            confirm(peer, kp);
            sendStaged(peer, now);
        }
        if (kp == peer.current && kp.initiator && peer.mayInitiate(now, timers.rekeyTimeout)
                && now - kp.created >= timers.rejectAfterTime - timers.keepaliveTimeout - timers.rekeyTimeout) {
            sendInitiation(peer, false, now);
        }
        int plainLen = cipherLen - WireGuardCrypto.TAG_LENGTH;
        if (plainLen == 0) {
            datagram.release(); // keepalive
            return;
        }
        if (peer.keepaliveDeadline == WireGuardPeer.NEVER) {
            peer.keepaliveDeadline = now + timers.keepaliveTimeout;
        }
        int ipLen = ipLength(s, plainLen);
        if (ipLen < 0) {
            datagram.release();
            drop(Drop.INVALID_INNER_PACKET, peer);
            return;
        }
        int start = ri + DATA_HEADER_LENGTH;
        buf.setBytes(start, s, 0, ipLen);
        boolean v4 = (s[0] & 0xf0) == 0x40;
        WireGuardPeer source = v4 ? allowedIps.lookup(buf, start + 12, 4) : allowedIps.lookup(buf, start + 8, 16);
        if (source != peer) {
            datagram.release();
            drop(Drop.SOURCE_NOT_ALLOWED, peer);
            return;
        }
        buf.setIndex(start, start + ipLen);
        tun.write(buf, tun.voidPromise());
        tunDirty = true;
    }

    /** The IP packet length in a decrypted plaintext, or -1 when it is not a well-formed IPv4/IPv6 packet. */
    static int ipLength(byte[] p, int plainLen) {
        int version = (p[0] & 0xff) >>> 4;
        int ipLen;
        if (version == 4 && plainLen >= 20) {
            ipLen = ((p[2] & 0xff) << 8) | (p[3] & 0xff);
            if (ipLen < 20 || (p[0] & 0x0f) * 4 > ipLen || (p[0] & 0x0f) < 5) {
                return -1;
            }
        } else if (version == 6 && plainLen >= 40) {
            ipLen = 40 + (((p[4] & 0xff) << 8) | (p[5] & 0xff));
        } else {
            return -1;
        }
        return ipLen <= plainLen ? ipLen : -1;
    }

    // ---------------------------------------------------------------------------------------------------------
    // handshake

    private int newIndex(Object owner) {
        int index;
        do {
            index = random.nextInt();
        } while (index == 0 || indices.containsKey(index));
        indices.put(index, owner);
        return index;
    }

    private void sendInitiation(WireGuardPeer peer, boolean retransmit, long now) {
        if (!retransmit && !peer.mayInitiate(now, timers.rekeyTimeout)) {
            return; // one initiation per REKEY_TIMEOUT, retransmits aside
        }
        InetSocketAddress endpoint = peer.endpoint;
        if (endpoint == null) {
            return; // nothing to send to until the peer reaches us
        }
        if (!peer.handshakeInProgress) {
            peer.handshakeInProgress = true;
            peer.handshakeAttemptsStart = now;
        }
        peer.lastInitiationSent = now;
        peer.retransmitJitter = (long) (random.nextDouble() * MAX_TIMER_JITTER);
        byte[] msg = createInitiation(peer);
        sendHandshake(peer, msg, endpoint, now);
    }

    private void sendHandshake(WireGuardPeer peer, byte[] msg, InetSocketAddress endpoint, long now) {
        writeDatagram(udp.alloc().directBuffer(msg.length).writeBytes(msg), endpoint);
        peer.lastSent = now;
        peer.keepaliveDeadline = WireGuardPeer.NEVER;
    }

    byte[] createInitiation(WireGuardPeer peer) {
        clearHandshake(peer);
        byte[] msg = new byte[INITIATION_LENGTH];
        int localIndex = newIndex(peer);
        peer.handshakeLocalIndex = localIndex;
        byte[] chainKey = INITIAL_CHAIN_KEY;
        byte[] hash = WireGuardCrypto.hash(INITIAL_HASH, peer.publicKey);
        byte[] ePriv = WireGuardCrypto.generatePrivateKey(random);
        byte[] ePub = WireGuardCrypto.publicKey(ePriv);
        chainKey = WireGuardCrypto.kdf(1, chainKey, ePub)[0];
        hash = WireGuardCrypto.hash(hash, ePub);
        byte[][] k = WireGuardCrypto.kdf(2, chainKey, WireGuardCrypto.dh(ePriv, peer.publicKey));
        chainKey = k[0];
        byte[] encStatic = WireGuardCrypto.aeadSeal(k[1], 0, staticPublic, hash);
        hash = WireGuardCrypto.hash(hash, encStatic);
        k = WireGuardCrypto.kdf(2, chainKey, peer.staticStatic);
        chainKey = k[0];
        byte[] encTimestamp = WireGuardCrypto.aeadSeal(k[1], 0, Tai64n.of(Instant.now()), hash);
        hash = WireGuardCrypto.hash(hash, encTimestamp);

        msg[0] = TYPE_INITIATION;
        putIntLE(msg, 4, localIndex);
        System.arraycopy(ePub, 0, msg, 8, 32);
        System.arraycopy(encStatic, 0, msg, 40, 48);
        System.arraycopy(encTimestamp, 0, msg, 88, 28);
        addMacs(peer, msg, INITIATION_MAC1);

        peer.hash = hash;
        peer.chainKey = chainKey;
        peer.ephemeralPrivate = ePriv;
        peer.handshakeState = WireGuardPeer.HandshakeState.INITIATION_CREATED;
        return msg;
    }

    private void addMacs(WireGuardPeer peer, byte[] msg, int mac1Offset) {
        byte[] mac1 = WireGuardCrypto.mac(peer.mac1Key, msg, 0, mac1Offset);
        System.arraycopy(mac1, 0, msg, mac1Offset, 16);
        peer.lastMac1Sent = mac1;
        if (peer.cookie != null && System.nanoTime() - peer.cookieReceived < timers.cookieRefreshTime) {
            byte[] mac2 = WireGuardCrypto.mac(peer.cookie, msg, 0, mac1Offset + 16);
            System.arraycopy(mac2, 0, msg, mac1Offset + 16, 16);
        }
    }

    /** MAC1 and, under load, MAC2; returns whether to go on with the message. */
    private boolean checkMacs(byte[] msg, int mac1Offset, InetSocketAddress sender, long now) {
        boolean underLoad = countHandshakeAndCheckLoad(now);
        byte[] mac1 = WireGuardCrypto.mac(mac1Key, msg, 0, mac1Offset);
        if (!WireGuardCrypto.constantTimeEquals(mac1, 0, msg, mac1Offset, 16)) {
            drop(Drop.BAD_MAC1);
            return false;
        }
        if (!underLoad) {
            return true;
        }
        byte[] cookie = cookieFor(sender, now);
        byte[] mac2 = WireGuardCrypto.mac(cookie, msg, 0, mac1Offset + 16);
        if (WireGuardCrypto.constantTimeEquals(mac2, 0, msg, mac1Offset + 16, 16)) {
            return true;
        }
        sendCookieReply(msg, mac1Offset, cookie, sender);
        drop(Drop.COOKIE_REQUIRED);
        return false;
    }

    private boolean countHandshakeAndCheckLoad(long now) {
        if (loadWindowStart == WireGuardPeer.NEVER || now - loadWindowStart >= ONE_SECOND) {
            loadWindowStart = now;
            handshakesInWindow = 0;
        }
        if (++handshakesInWindow > handshakesPerSecondUnderLoad) {
            underLoadUntil = now + ONE_SECOND;
        }
        return underLoadUntil != WireGuardPeer.NEVER && now - underLoadUntil < 0;
    }

    /** The cookie of a sender: MAC(secret, address || port), the secret changing every COOKIE_REFRESH_TIME. */
    private byte[] cookieFor(InetSocketAddress sender, long now) {
        if (cookieSecret == null || now - cookieSecretSet >= timers.cookieRefreshTime) {
            cookieSecret = new byte[32];
            random.nextBytes(cookieSecret);
            cookieSecretSet = now;
        }
        byte[] addr = sender.getAddress().getAddress();
        byte[] input = Arrays.copyOf(addr, addr.length + 2);
        input[addr.length] = (byte) (sender.getPort() >>> 8);
        input[addr.length + 1] = (byte) sender.getPort();
        return WireGuardCrypto.mac(cookieSecret, input, 0, input.length);
    }

    private void sendCookieReply(byte[] msg, int mac1Offset, byte[] cookie, InetSocketAddress sender) {
        byte[] reply = new byte[COOKIE_REPLY_LENGTH];
        reply[0] = TYPE_COOKIE_REPLY;
        System.arraycopy(msg, 4, reply, 4, 4);
        byte[] nonce = new byte[WireGuardCrypto.XNONCE_LENGTH];
        random.nextBytes(nonce);
        System.arraycopy(nonce, 0, reply, 8, nonce.length);
        byte[] mac1 = Arrays.copyOfRange(msg, mac1Offset, mac1Offset + 16);
        byte[] encrypted = WireGuardCrypto.xaeadSeal(cookieKey, nonce, cookie, mac1);
        System.arraycopy(encrypted, 0, reply, 32, encrypted.length);
        writeDatagram(udp.alloc().directBuffer(reply.length).writeBytes(reply), sender);
        cookieRepliesSent++;
    }

    private void receiveInitiation(byte[] msg, InetSocketAddress sender) {
        long now = System.nanoTime();
        if (!checkMacs(msg, INITIATION_MAC1, sender, now)) {
            return;
        }
        byte[] chainKey = INITIAL_CHAIN_KEY;
        byte[] hash = WireGuardCrypto.hash(INITIAL_HASH, staticPublic);
        byte[] e = Arrays.copyOfRange(msg, 8, 40);
        chainKey = WireGuardCrypto.kdf(1, chainKey, e)[0];
        hash = WireGuardCrypto.hash(hash, e);
        byte[][] k;
        try {
            k = WireGuardCrypto.kdf(2, chainKey, WireGuardCrypto.dh(staticPrivate, e));
        } catch (IllegalArgumentException lowOrder) {
            drop(Drop.HANDSHAKE_FAILED);
            return;
        }
        chainKey = k[0];
        byte[] encStatic = Arrays.copyOfRange(msg, 40, 88);
        byte[] peerKey = WireGuardCrypto.aeadOpen(k[1], 0, encStatic, hash);
        if (peerKey == null) {
            drop(Drop.HANDSHAKE_FAILED);
            return;
        }
        hash = WireGuardCrypto.hash(hash, encStatic);
        WireGuardPeer peer = peers.get(ByteBuffer.wrap(peerKey));
        if (peer == null) {
            drop(Drop.UNKNOWN_PEER);
            return;
        }
        k = WireGuardCrypto.kdf(2, chainKey, peer.staticStatic);
        chainKey = k[0];
        byte[] encTimestamp = Arrays.copyOfRange(msg, 88, 116);
        byte[] timestamp = WireGuardCrypto.aeadOpen(k[1], 0, encTimestamp, hash);
        if (timestamp == null) {
            drop(Drop.HANDSHAKE_FAILED, peer);
            return;
        }
        hash = WireGuardCrypto.hash(hash, encTimestamp);
        if (!Tai64n.isAfter(timestamp, peer.latestTimestamp)) {
            drop(Drop.HANDSHAKE_REPLAY, peer);
            return;
        }
        if (peer.lastInitiationConsumed != WireGuardPeer.NEVER
                && now - peer.lastInitiationConsumed < HANDSHAKE_INITIATION_RATE) {
            drop(Drop.HANDSHAKE_FLOOD, peer);
            return;
        }
        peer.latestTimestamp = timestamp;
        peer.lastInitiationConsumed = now;
        clearHandshake(peer);
        peer.hash = hash;
        peer.chainKey = chainKey;
        peer.remoteEphemeral = e;
        peer.handshakeRemoteIndex = getIntLE(msg, 4);
        peer.handshakeState = WireGuardPeer.HandshakeState.INITIATION_CONSUMED;
        peer.endpoint = sender;
        peer.lastReceived = now;
        peer.newHandshakeDeadline = WireGuardPeer.NEVER;

        byte[] response;
        try {
            response = createResponse(peer, now);
        } catch (IllegalArgumentException lowOrder) {
            clearHandshake(peer);
            drop(Drop.HANDSHAKE_FAILED, peer);
            return;
        }
        sendHandshake(peer, response, sender, now);
    }

    private byte[] createResponse(WireGuardPeer peer, long now) {
        byte[] msg = new byte[RESPONSE_LENGTH];
        byte[] chainKey = peer.chainKey;
        byte[] hash = peer.hash;
        byte[] ePriv = WireGuardCrypto.generatePrivateKey(random);
        byte[] ePub = WireGuardCrypto.publicKey(ePriv);
        chainKey = WireGuardCrypto.kdf(1, chainKey, ePub)[0];
        hash = WireGuardCrypto.hash(hash, ePub);
        chainKey = WireGuardCrypto.kdf(1, chainKey, WireGuardCrypto.dh(ePriv, peer.remoteEphemeral))[0];
        chainKey = WireGuardCrypto.kdf(1, chainKey, WireGuardCrypto.dh(ePriv, peer.publicKey))[0];
        byte[][] k = WireGuardCrypto.kdf(3, chainKey, peer.presharedKey);
        chainKey = k[0];
        hash = WireGuardCrypto.hash(hash, k[1]);
        byte[] empty = WireGuardCrypto.aeadSeal(k[2], 0, EMPTY, hash);
        byte[][] keys = WireGuardCrypto.kdf(2, chainKey, EMPTY);

        int localIndex = newIndex(peer);
        msg[0] = TYPE_RESPONSE;
        putIntLE(msg, 4, localIndex);
        putIntLE(msg, 8, peer.handshakeRemoteIndex);
        System.arraycopy(ePub, 0, msg, 12, 32);
        System.arraycopy(empty, 0, msg, 44, 16);
        addMacs(peer, msg, RESPONSE_MAC1);

        Keypair kp = new Keypair(peer, keys[1], keys[0], localIndex, peer.handshakeRemoteIndex, false, now,
                timers.rejectAfterMessages, cipher);
        indices.put(localIndex, kp);
        // Responder: the new keypair waits as "next" until the initiator's first data message confirms it.
        removeKeypair(peer.next);
        peer.next = kp;
        removeKeypair(peer.previous);
        peer.previous = null;
        peer.handshakeState = WireGuardPeer.HandshakeState.NONE;
        wipeHandshake(peer);
        peer.responderHandshakes++;
        handshakeCompleted(peer, now);
        return msg;
    }

    private void receiveResponse(byte[] msg, InetSocketAddress sender) {
        long now = System.nanoTime();
        if (!checkMacs(msg, RESPONSE_MAC1, sender, now)) {
            return;
        }
        int receiver = getIntLE(msg, 8);
        Object owner = indices.get(receiver);
        if (!(owner instanceof WireGuardPeer)) {
            drop(Drop.UNKNOWN_INDEX);
            return;
        }
        WireGuardPeer peer = (WireGuardPeer) owner;
        if (peer.handshakeState != WireGuardPeer.HandshakeState.INITIATION_CREATED
                || peer.handshakeLocalIndex != receiver) {
            drop(Drop.UNKNOWN_INDEX, peer);
            return;
        }
        byte[] e = Arrays.copyOfRange(msg, 12, 44);
        byte[] chainKey = WireGuardCrypto.kdf(1, peer.chainKey, e)[0];
        byte[] hash = WireGuardCrypto.hash(peer.hash, e);
        byte[][] k;
        try {
            chainKey = WireGuardCrypto.kdf(1, chainKey, WireGuardCrypto.dh(peer.ephemeralPrivate, e))[0];
            chainKey = WireGuardCrypto.kdf(1, chainKey, WireGuardCrypto.dh(staticPrivate, e))[0];
        } catch (IllegalArgumentException lowOrder) {
            drop(Drop.HANDSHAKE_FAILED, peer);
            return;
        }
        k = WireGuardCrypto.kdf(3, chainKey, peer.presharedKey);
        chainKey = k[0];
        hash = WireGuardCrypto.hash(hash, k[1]);
        byte[] empty = Arrays.copyOfRange(msg, 44, 60);
        if (WireGuardCrypto.aeadOpen(k[2], 0, empty, hash) == null) {
            drop(Drop.HANDSHAKE_FAILED, peer);
            return;
        }
        byte[][] keys = WireGuardCrypto.kdf(2, chainKey, EMPTY);
        Keypair kp = new Keypair(peer, keys[0], keys[1], receiver, getIntLE(msg, 4), true, now,
                timers.rejectAfterMessages, cipher);
        indices.put(receiver, kp);
        // Initiator: the new keypair is current at once; the old current (or an unconfirmed next) is previous.
        if (peer.next != null) {
            removeKeypair(peer.previous);
            peer.previous = peer.next;
            peer.next = null;
            removeKeypair(peer.current);
        } else {
            removeKeypair(peer.previous);
            peer.previous = peer.current;
        }
        peer.current = kp;
        peer.handshakeState = WireGuardPeer.HandshakeState.NONE;
        wipeHandshake(peer);
        peer.handshakeInProgress = false;
        peer.endpoint = sender;
        peer.lastReceived = now;
        peer.newHandshakeDeadline = WireGuardPeer.NEVER;
        handshakeCompleted(peer, now);
        if (peer.staged.isEmpty()) {
            encryptAndSend(peer, kp, null, now); // a keepalive confirms the keypair to the responder
        } else {
            sendStaged(peer, now);
        }
    }

    private void receiveCookieReply(byte[] msg) {
        Object owner = indices.get(getIntLE(msg, 4));
        WireGuardPeer peer = owner instanceof Keypair ? ((Keypair) owner).peer
                : owner instanceof WireGuardPeer ? (WireGuardPeer) owner : null;
        if (peer == null) {
            drop(Drop.UNKNOWN_INDEX);
            return;
        }
        if (peer.lastMac1Sent == null) {
            drop(Drop.BAD_COOKIE, peer);
            return;
        }
        byte[] cookie = WireGuardCrypto.xaeadOpen(peer.cookieKey, Arrays.copyOfRange(msg, 8, 32),
                Arrays.copyOfRange(msg, 32, 64), peer.lastMac1Sent);
        if (cookie == null) {
            drop(Drop.BAD_COOKIE, peer);
            return;
        }
        peer.cookie = cookie;
        peer.cookieReceived = System.nanoTime();
    }

    private void handshakeCompleted(WireGuardPeer peer, long now) {
        peer.handshakes++;
        peer.latestHandshake = Instant.now();
        peer.lastHandshakeCompleted = now;
        if (logger.isDebugEnabled()) {
            logger.debug("handshake completed with {} at {}", peer.publicKeyBase64(), peer.endpoint);
        }
        try {
            onHandshake.accept(peer);
        } catch (RuntimeException e) {
            logger.warn("handshake listener failed", e);
        }
    }

    private void confirm(WireGuardPeer peer, Keypair kp) {
        removeKeypair(peer.previous);
        peer.previous = peer.current;
        peer.current = kp;
        peer.next = null;
    }

    private void removeKeypair(Keypair kp) {
        if (kp != null) {
            indices.remove(kp.localIndex, kp);
        }
    }

    private void clearKeys(WireGuardPeer peer) {
        removeKeypair(peer.previous);
        removeKeypair(peer.current);
        removeKeypair(peer.next);
        peer.previous = null;
        peer.current = null;
        peer.next = null;
    }

    private void clearHandshake(WireGuardPeer peer) {
        if (peer.handshakeState == WireGuardPeer.HandshakeState.INITIATION_CREATED) {
            indices.remove(peer.handshakeLocalIndex, peer);
        }
        peer.handshakeState = WireGuardPeer.HandshakeState.NONE;
        wipeHandshake(peer);
    }

    private static void wipeHandshake(WireGuardPeer peer) {
        if (peer.ephemeralPrivate != null) {
            Arrays.fill(peer.ephemeralPrivate, (byte) 0);
        }
        peer.ephemeralPrivate = null;
        peer.chainKey = null;
        peer.hash = null;
        peer.remoteEphemeral = null;
    }

    // ---------------------------------------------------------------------------------------------------------
    // timers

    private void tick() {
        long now = System.nanoTime();
        for (WireGuardPeer peer : peers.values()) {
            tick(peer, now);
        }
        flush();
    }

    private void tick(WireGuardPeer peer, long now) {
        if (peer.handshakeInProgress
                && now - peer.lastInitiationSent >= timers.rekeyTimeout + peer.retransmitJitter) {
            if (now - peer.handshakeAttemptsStart >= timers.rekeyAttemptTime) {
                peer.handshakeInProgress = false;
                clearHandshake(peer);
                dropStaged(peer, Drop.HANDSHAKE_TIMEOUT);
            } else {
                sendInitiation(peer, true, now);
            }
        }
        if (peer.keepaliveDeadline != WireGuardPeer.NEVER && now - peer.keepaliveDeadline >= 0) {
            peer.keepaliveDeadline = WireGuardPeer.NEVER;
            sendTo(peer, null);
        }
        if (peer.newHandshakeDeadline != WireGuardPeer.NEVER && now - peer.newHandshakeDeadline >= 0) {
            peer.newHandshakeDeadline = WireGuardPeer.NEVER;
            sendInitiation(peer, false, now);
        }
        int keepalive = peer.persistentKeepaliveSeconds;
        if (keepalive > 0 && peer.endpoint != null) {
            long last = Math.max(peer.lastSent, peer.lastReceived);
            if (last == WireGuardPeer.NEVER || now - last >= TimeUnit.SECONDS.toNanos(keepalive)) {
                sendTo(peer, null);
            }
        }
        if (peer.lastHandshakeCompleted != WireGuardPeer.NEVER
                && now - peer.lastHandshakeCompleted >= 3 * timers.rejectAfterTime) {
            peer.lastHandshakeCompleted = WireGuardPeer.NEVER;
            clearKeys(peer);
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private void checkThread() {
        EventLoop loop = eventLoop();
        if (loop != null && !loop.inEventLoop()) {
            throw new IllegalStateException("call on the device's event loop (device.eventLoop().submit(...))");
        }
    }

    static int getIntLE(byte[] b, int i) {
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
    }

    static void putIntLE(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
        b[i + 2] = (byte) (v >>> 16);
        b[i + 3] = (byte) (v >>> 24);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}

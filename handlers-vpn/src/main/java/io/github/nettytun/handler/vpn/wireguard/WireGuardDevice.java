/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A WireGuard interface: the static key pair, the peers, the cryptokey routing table and the protocol between a
 * TUN channel and a UDP channel. This class is the facade; the protocol is in parts of one job each (see the
 * package documentation): {@link NoiseHandshake}, {@link CookieChecker} and {@link CookieGenerator},
 * {@link IndexTable}, {@link Keypairs}, {@link PeerTimers}, {@link SendPath}, {@link ReceivePath}, {@link Counters}.
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
 * {@link #eventLoop()}). Time comes from the event loop's {@link Ticker} (or {@link WireGuardOptions#ticker}); timers are
 * one tick per device ({@code WireGuardTimers}: 100 ms by default) that fires each peer's due deadlines.
 */
public final class WireGuardDevice implements DropCounts {

    static final InternalLogger logger = InternalLoggerFactory.getInstance(WireGuardDevice.class);

    /** Bytes a data message adds around the padded inner packet: type, index, counter and tag. */
    public static final int DATA_OVERHEAD = Messages.DATA_OVERHEAD;

    private final byte[] staticPrivate;
    private final byte[] staticPublic;
    private final WireGuardTimers timers;
    private final TransportCipher.Implementation cipher;
    private final int mtu;
    private final SecureRandom random;
    private final Clock clock;
    private final Ticker configuredTicker;
    private final Consumer<WireGuardPeer> onHandshake;

    private final Map<ByteBuffer, WireGuardPeer> peers = new LinkedHashMap<>();
    private final Executor handshakeExecutor;
    private final int handshakeQueue;
    private final AllowedIps<WireGuardPeer> allowedIps = new AllowedIps<>();
    private final Counters counters = new Counters();
    private final IndexTable indices;
    private final NoiseHandshake noise;
    private final CookieChecker cookieChecker;
    private final HandshakeLoad load;
    private final HandshakeRateLimiter limiter;
    private final FailureLog failures = new FailureLog(logger, TimeUnit.SECONDS.toNanos(10));
    private final GroSegmentation groSegmentation;

    private Ticker ticker;
    private Channel tun;
    private Channel udp;
    private SendPath sendPath;
    private ReceivePath receivePath;
    private EventLoop loop;
    private ScheduledFuture<?> timerWheel;
    private boolean closed;
    private volatile Throwable fatalFailure;

    /** A device with this private key (32 bytes, clamped as X25519 requires) and default options. */
    public WireGuardDevice(byte[] privateKey) {
        this(privateKey, new WireGuardOptions());
    }

    /** A device with this private key and options. */
    public WireGuardDevice(byte[] privateKey, WireGuardOptions options) {
        this.staticPrivate = PeerConfig.checkKey(privateKey, "private key");
        this.staticPublic = WireGuardCrypto.publicKey(staticPrivate);
        this.timers = options.timers;
        this.cipher = options.cipher;
        this.mtu = options.mtu;
        this.random = options.random != null ? options.random : new SecureRandom();
        this.clock = options.clock;
        this.configuredTicker = options.ticker;
        this.ticker = options.ticker != null ? options.ticker : Ticker.systemTicker();
        this.onHandshake = options.onHandshake;
        this.handshakeExecutor = options.handshakeExecutor;
        this.handshakeQueue = options.handshakeQueue;
        this.indices = new IndexTable(random);
        this.noise = new NoiseHandshake(staticPrivate, staticPublic, peers, indices, random, clock, counters);
        this.cookieChecker = new CookieChecker(staticPublic, random, timers.cookieRefreshTime);
        this.load = new HandshakeLoad(options.handshakesPerSecondUnderLoad, options.handshakeWorkPercent);
        this.limiter = new HandshakeRateLimiter(options.handshakesPerSecondPerSource, options.handshakeBurstPerSource,
                options.rateLimiterEntries, random.nextLong());
        this.groSegmentation = new GroSegmentation(indices, cookieChecker);
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
        return loop;
    }

    /**
     * Adds a peer. On a running device a peer with a persistent keepalive gets its first keepalive (and so a
     * handshake) at once, as wireguard-go does.
     *
     * @throws IllegalArgumentException when the key is ours, already a peer, or of low order, or the endpoint is
     *                                  not resolved
     */
    public WireGuardPeer addPeer(PeerConfig config) {
        checkThread();
        byte[] key = config.publicKey();
        if (config.endpoint() != null && config.endpoint().isUnresolved()) {
            throw new IllegalArgumentException("endpoint " + config.endpoint().getHostString() + " is not resolved: "
                    + "call PeerConfig.resolveEndpoint() first (off the event loop, it may ask DNS)");
        }
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
        WireGuardPeer peer = new WireGuardPeer(this, config, staticStatic, indices, timers, random);
        peers.put(mapKey, peer);
        for (PeerConfig.Prefix p : config.allowedIps()) {
            allowedIps.insert(p.address(), p.length(), peer);
        }
        if (sendPath != null && !closed && peer.persistentKeepaliveSeconds() > 0) {
            sendPath.sendKeepalive(peer);
            sendPath.flush();
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
        forget(peer, Drop.HANDSHAKE_TIMEOUT);
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
        peer.endpoint(endpoint);
    }

    /**
     * Sets a peer's persistent keepalive in seconds (0 = off). Turning it on sends a keepalive at once, as
     * wireguard-go does.
     */
    public void setPersistentKeepalive(WireGuardPeer peer, int seconds) {
        if (seconds < 0 || seconds > 65535) {
            throw new IllegalArgumentException("persistent keepalive " + seconds + " s out of 0..65535");
        }
        checkThread();
        int old = peer.timers.persistentKeepaliveSeconds(seconds);
        if (old == 0 && seconds > 0 && sendPath != null && !closed) {
            sendPath.sendKeepalive(peer);
            sendPath.flush();
        }
    }

    /** Sets a peer's preshared key (32 bytes, zeros for none); takes effect at the next handshake. */
    public void setPresharedKey(WireGuardPeer peer, byte[] key) {
        checkThread();
        noise.presharedKey(peer, PeerConfig.checkKey(key, "preshared key"));
    }

    List<AllowedIps.Entry<WireGuardPeer>> allowedIpsOf(WireGuardPeer peer) {
        return allowedIps.entries(peer);
    }

    /** The peer whose allowed IPs contain {@code address} by longest-prefix match, or {@code null}. */
    public WireGuardPeer route(InetAddress address) {
        return allowedIps.lookup(address);
    }

    // ---------------------------------------------------------------------------------------------------------
    // counters

    /** Packets and messages dropped for {@code reason}, by the device and for any peer. */
    @Override
    public long dropped(Drop reason) {
        return counters.dropped(reason);
    }

    @Override
    public long dropped() {
        return counters.dropped();
    }

    /** Cookie replies sent while under load. */
    public long cookieRepliesSent() {
        return counters.get(Counters.COOKIE_REPLIES);
    }

    /**
     * The counters of the device and its peers, as one snapshot taken on the device's event loop; from any thread.
     * Off the loop it waits for the loop, at most 5 seconds: not for a thread that the loop itself may wait on
     * (use {@link #statsAsync()} there).
     *
     * @throws IllegalStateException when the loop does not answer in time (or the wait is interrupted)
     */
    public WireGuardStats stats() {
        try {
            return statsAsync().get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the device's counters", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("the device's counters could not be read", e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the device's event loop did not answer within 5 s", e);
        }
    }

    /**
     * {@link #stats()} without waiting: done at once on the event loop, before {@link #attach} and after the loop
     * stopped; otherwise when the loop gets to it.
     */
    public io.netty.util.concurrent.Future<WireGuardStats> statsAsync() {
        EventLoop l = loop;
        if (l != null && !l.inEventLoop() && !l.isShutdown()) {
            try {
                return l.submit(() -> WireGuardStats.of(this, clock.instant()));
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                // the loop is shutting down: nothing changes the peers any more
            }
        }
        return io.netty.util.concurrent.ImmediateEventExecutor.INSTANCE.newSucceededFuture(
                WireGuardStats.of(this, clock.instant()));
    }

    /** The handshake-related state the device holds: index-table entries (for tests and monitoring). */
    public int indexTableSize() {
        return indices.size();
    }

    @Override
    public String toString() {
        return counters.appendDrops(new StringBuilder("WireGuardDevice(peers=").append(peers.size()))
                .append(')').toString();
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
        if (loop != null) {
            throw new IllegalStateException("already attached");
        }
        EventLoop eventLoop = udpChannel.eventLoop();
        Runnable start = () -> {
            loop = eventLoop;
            tun = tunChannel;
            udp = udpChannel;
            ticker = configuredTicker != null ? configuredTicker : eventLoop.ticker();
            sendPath = new SendPath(udpChannel, allowedIps, noise, counters, timers, cipher, mtu, ticker);
            receivePath = new ReceivePath(tunChannel, sendPath, indices, noise, cookieChecker, load, limiter,
                    allowedIps, counters, timers, cipher, ticker, clock, onHandshake);
            if (handshakeExecutor != null) {
                receivePath.handshakeExecutor(handshakeExecutor, handshakeQueue);
            }
            timerWheel = eventLoop.scheduleAtFixedRate(this::tick, timers.tick, timers.tick, TimeUnit.NANOSECONDS);
            for (WireGuardPeer peer : peers.values()) {
                if (peer.persistentKeepaliveSeconds() > 0) {
                    sendPath.sendKeepalive(peer);
                }
            }
            sendPath.flush();
        };
        if (eventLoop.inEventLoop()) {
            start.run();
        } else {
            eventLoop.submit(start).syncUninterruptibly();
        }
    }

    /**
     * Whether data messages go to the UDP pipeline as ready runs ({@code SegmentedDatagramPacket}s of messages
     * sealed back to back in one buffer, up to 64 of one size to one endpoint per flush): only where a
     * {@code UdpGsoSender} is in that pipeline (it sends each run with one {@code UDP_SEGMENT} send, or splits it
     * where the socket cannot), as {@link WireGuardTunnel} has it. Off by default (one {@code DatagramPacket} per
     * message). Call after {@link #attach}; pipelines wired by hand that have the sender should turn it on.
     */
    public void sendRuns(boolean on) {
        Runnable set = () -> sendPath.sendRuns(on);
        if (loop.inEventLoop()) {
            set.run();
        } else {
            loop.submit(set).syncUninterruptibly();
        }
    }

    /**
     * Stops the timers and releases staged packets; the channels are left to their owner. Packets and datagrams
     * that still arrive are released and counted as dropped ({@link Drop#CLOSED}).
     */
    public void close() {
        Runnable stop = () -> {
            if (sendPath != null && !closed) {
                sendPath.closeOpenRun(udp.isActive()); // what was sealed goes out while it can
            }
            closed = true;
            if (receivePath != null) {
                receivePath.close();
            }
            if (timerWheel != null) {
                timerWheel.cancel(false);
                timerWheel = null;
            }
            for (WireGuardPeer p : peers.values()) {
                forget(p, Drop.CLOSED);
            }
        };
        if (loop == null || loop.inEventLoop() || loop.isShuttingDown()) {
            stop.run();
        } else {
            loop.submit(stop).syncUninterruptibly();
        }
    }

    /** Everything a peer holds that a removal or close must end: keys, handshake, timers, staged packets. */
    private void forget(WireGuardPeer peer, Drop stagedReason) {
        peer.keypairs.clear();
        noise.clear(peer.handshake);
        peer.timers.stop();
        if (sendPath != null) { // nothing is staged before attach
            sendPath.dropStaged(peer, stagedReason);
        }
    }

    /** The handler for the TUN pipeline (after the GSO segmenter): IP packets in, encrypted to the UDP channel. */
    public ChannelHandler tunHandler() {
        return new DeviceHandlers.TunSide(this);
    }

    /** The handler for the UDP pipeline: datagrams in, decrypted packets to the TUN channel. */
    public ChannelHandler udpHandler() {
        return new DeviceHandlers.UdpSide(this);
    }

    /**
     * The size of the WireGuard messages coalesced into one UDP receive ({@link
     * io.github.nettytun.handler.vpn.UdpGroSplitter.Segmentation}, for transports that do not report it), or 0 when
     * it cannot be told; {@link GroSegmentation} says how. Call on the device's event loop.
     */
    public int groSegmentSize(ByteBuf buf, int index, int length) {
        return groSegmentation.segmentSize(buf, index, length);
    }

    /** Source addresses the handshake rate limiter tracks (seen within the last second; for tests). */
    int handshakeSourcesTracked() {
        return limiter.liveEntries(ticker.nanoTime());
    }

    /** A new initiation to {@code peer} with its MACs (for tests that play an attacker). */
    byte[] createInitiation(WireGuardPeer peer) {
        byte[] msg = noise.createInitiation(peer);
        peer.cookieGenerator.addMacs(msg, Messages.INITIATION_MAC1, ticker.nanoTime());
        return msg;
    }

    /** An IP packet from the TUN pipeline (ownership passes). */
    void send(ByteBuf packet) {
        if (closed || sendPath == null) {
            packet.release();
            counters.drop(Drop.CLOSED, null);
        } else {
            sendPath.send(packet);
        }
    }

    /** A datagram from the UDP pipeline (ownership passes). */
    void receive(DatagramPacket datagram) {
        if (closed || receivePath == null) {
            datagram.release();
            counters.drop(Drop.CLOSED, null);
        } else {
            receivePath.receive(datagram);
        }
    }

    /**
     * A failure reported by one of the channels: counted as an I/O error drop and logged at a bounded rate. An
     * {@link OutOfMemoryError} (Netty's {@code OutOfDirectMemoryError}, the JDK's "Direct buffer memory": thrown by
     * Java code, so {@code -XX:+ExitOnOutOfMemoryError} does not see them) ends the device instead: it is logged once,
     * both channels are closed, and {@link #fatalFailure()} tells the owner why.
     */
    void channelFailed(String side, Throwable cause) {
        counters.drop(Drop.IO_ERROR, null);
        if (cause instanceof OutOfMemoryError) {
            failFatally(side, cause);
            return;
        }
        failures.failed(side, cause, ticker.nanoTime());
    }

    private void failFatally(String side, Throwable cause) {
        if (fatalFailure != null) {
            return;
        }
        fatalFailure = cause;
        logger.error("{}: {}; a device without memory cannot go on: closing its channels", side, cause.toString());
        if (tun != null) {
            tun.close();
        }
        if (udp != null) {
            udp.close();
        }
    }

    /**
     * The failure that ended this device by closing its channels (an {@link OutOfMemoryError}), or null. An owner
     * that watches the channels' close futures reads it there to say why (the example server exits with status 1).
     */
    public Throwable fatalFailure() {
        return fatalFailure;
    }

    /** Counts a packet from the TUN pipeline that is not for the device (still needing offload work). */
    void dropOutbound(Drop reason) {
        counters.drop(reason, null);
    }

    /** The attached TUN channel, or null. */
    Channel tunChannel() {
        return tun;
    }

    /** The attached UDP channel, or null. */
    Channel udpChannel() {
        return udp;
    }

    /** Ends a read batch: one flush of each channel written to. */
    void flush() {
        if (sendPath != null) {
            sendPath.flush();
            receivePath.flush();
        }
    }

    private void tick() {
        long now = ticker.nanoTime();
        for (WireGuardPeer peer : peers.values()) {
            peer.timers.expire(now, sendPath);
        }
        flush();
    }

    private void checkThread() {
        if (loop != null && !loop.inEventLoop()) {
            throw new IllegalStateException("call on the device's event loop (device.eventLoop().submit(...))");
        }
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks.wireguard;

import io.github.nettytun.handler.vpn.UdpGroSplitter;
import io.github.nettytun.handler.vpn.wireguard.PeerConfig;
import io.github.nettytun.handler.vpn.wireguard.TransportCipher;
import io.github.nettytun.handler.vpn.wireguard.WireGuardCrypto;
import io.github.nettytun.handler.vpn.wireguard.WireGuardDevice;
import io.github.nettytun.handler.vpn.wireguard.WireGuardOptions;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.FastThreadLocalThread;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * The WireGuard data path per packet through {@link WireGuardDevice}, as its pipelines drive it (one embedded
 * channel per device stands for its TUN and UDP channels): {@code encrypt} is one IP packet of {@code size} bytes
 * routed, encrypted and handed on as a datagram; {@code roundTrip} adds the peer's decryption, replay check and
 * allowed-IPs check (so decryption alone is roundTrip - encrypt); {@code handshake} is two fresh devices completing
 * a handshake (initiation, response, first data message), device set-up included. Run with {@code -prof gc}: the
 * bytes per operation are the data path's own allocation plus the cipher's; the harness allocates nothing of its own
 * on the send side and, on the receive side, the {@code DatagramPacket} a UDP channel's read would bring (24 bytes
 * with compressed references, per datagram or per run). {@link #batch} 16 is the path under load.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "--enable-native-access=ALL-UNNAMED"})
public class WireGuardDataPathBenchmark {

    private static final int OPS = 256;
    static final InetSocketAddress ADDR_A = new InetSocketAddress("10.200.0.1", 51820);
    static final InetSocketAddress ADDR_B = new InetSocketAddress("10.200.0.2", 51821);

    @Param({"1420"})
    int size;

    @Param({"CONSCRYPT", "JDK", "BOUNCY_CASTLE"})
    TransportCipher.Implementation cipher;

    /**
     * Packets per flush. 1: each leaves as a datagram of its own and arrives as one. More: as {@code WireGuardTunnel}
     * runs it under load, the sender seals them into one run ({@code sendRuns}) that the UDP channel would send with
     * one GSO send, and the receiver gets that run as one coalesced receive that a {@code UdpGroSplitter} cuts up,
     * as io_uring's GRO receives are.
     */
    @Param({"1", "16"})
    int batch;

    private final byte[] keyA = WireGuardCrypto.generatePrivateKey(new SecureRandom());
    private final byte[] keyB = WireGuardCrypto.generatePrivateKey(new SecureRandom());
    private Side a;
    private Side b;
    private ByteBuf packet;
    private long checksum;

    /** A device on an embedded channel standing for both its channels. */
    static final class Side {
        final WireGuardDevice device;
        final EmbeddedChannel channel = new EmbeddedChannel();

        Side(byte[] key, byte[] peerKey, String allowed, InetSocketAddress endpoint,
             TransportCipher.Implementation cipher, boolean runs) {
            device = new WireGuardDevice(key, new WireGuardOptions().cipher(cipher));
            device.addPeer(new PeerConfig(WireGuardCrypto.publicKey(peerKey)).allowedIp(allowed).endpoint(endpoint));
            if (runs) {
                channel.pipeline().addLast(new UdpGroSplitter(device::groSegmentSize, 2048));
            }
            channel.pipeline().addLast(device.udpHandler(), device.tunHandler());
            device.attach(channel, channel);
            device.sendRuns(runs);
        }

        void close() {
            device.close();
            channel.finishAndReleaseAll();
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        a = new Side(keyA, keyB, "10.201.0.2/32", ADDR_B, cipher, batch > 1);
        b = new Side(keyB, keyA, "10.201.0.1/32", ADDR_A, cipher, batch > 1);
        packet = ByteBufAllocator.DEFAULT.directBuffer(size);
        packet.writeByte(0x45).writeByte(0).writeShort(size).writeZero(8);
        packet.writeBytes(new byte[] {10, (byte) 201, 0, 1, 10, (byte) 201, 0, 2});
        packet.writeZero(size - packet.writerIndex());
        // The handshake: A's first packet is staged and sent after it.
        a.channel.writeInbound(packet.retainedDuplicate());
        for (int round = 0; round < 4; round++) {
            exchange(a, b);
            exchange(b, a);
        }
        drain(b);
    }

    /**
     * Hands what {@code from} sent to {@code to}, a run as one coalesced receive; the one allocation of the harness,
     * the received datagram.
     */
    private static void exchange(Side from, Side to) {
        for (Object m; (m = from.channel.readOutbound()) != null; ) {
            if (m instanceof DatagramPacket) {
                to.channel.pipeline().fireChannelRead(new DatagramPacket(((DatagramPacket) m).content(), ADDR_B,
                        ADDR_A)).fireChannelReadComplete();
            } else {
                ((ByteBuf) m).release();
            }
        }
    }

    private long drain(Side side) {
        long sum = 0;
        for (Object m; (m = side.channel.readOutbound()) != null; ) {
            ByteBuf buf = m instanceof DatagramPacket ? ((DatagramPacket) m).content() : (ByteBuf) m;
            sum += buf.readableBytes();
            buf.release();
        }
        return sum;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        packet.release();
        a.close();
        b.close();
    }

    /**
     * {@link #batch} packets into A's pipeline as one TUN read batch would bring them, without allocating: the
     * device takes a reference to the one packet buffer each time (it copies the bytes and releases it, leaving its
     * indexes alone).
     */
    private void sendBatch() {
        for (int i = 0; i < batch; i++) {
            a.channel.pipeline().fireChannelRead(packet.retain());
        }
        a.channel.pipeline().fireChannelReadComplete();
    }

    private final Runnable encryptLoop = () -> {
        for (int i = 0; i < OPS; i += batch) {
            sendBatch();
            checksum += drain(a);
        }
    };

    private final Runnable roundTripLoop = () -> {
        for (int i = 0; i < OPS; i += batch) {
            sendBatch();
            exchange(a, b);
            checksum += drain(b);
        }
    };

    private final Runnable handshakeLoop = () -> {
        for (int i = 0; i < 8; i++) {
            Side x = new Side(keyA, keyB, "10.201.0.2/32", ADDR_B, cipher, false);
            Side y = new Side(keyB, keyA, "10.201.0.1/32", ADDR_A, cipher, false);
            x.channel.writeInbound(packet.retainedDuplicate());
            exchange(x, y);
            exchange(y, x);
            exchange(x, y);
            checksum += drain(y) + drain(x);
            x.close();
            y.close();
        }
    };

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long encrypt() {
        FastThreadLocalThread.runWithFastThreadLocal(encryptLoop);
        return checksum;
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long roundTrip() {
        FastThreadLocalThread.runWithFastThreadLocal(roundTripLoop);
        return checksum;
    }

    @Benchmark
    @OperationsPerInvocation(8)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long handshake() {
        FastThreadLocalThread.runWithFastThreadLocal(handshakeLoop);
        return checksum;
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn;

import io.github.nettytun.testing.AllowLog;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static io.github.nettytun.testing.TestPackets.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Named.named;

/**
 * The batching rules of {@link UdpGsoSender}, one named case each: a batch of datagrams written between two flushes
 * and the sends it must become. A recording handler at the head stands for the channel.
 */
class UdpGsoSenderTest {

    private static final InetSocketAddress A = new InetSocketAddress("10.0.0.1", 51820);
    private static final InetSocketAddress B = new InetSocketAddress("10.0.0.2", 51820);
    private static final InetSocketAddress A6 = new InetSocketAddress("fd00::1", 51820);
    private static final InetSocketAddress LOCAL = new InetSocketAddress("10.0.0.9", 4000);

    /** A sender that believes its channel can send segmented packets. */
    static final class TestSender extends UdpGsoSender {
        TestSender(int maxPending) {
            this(maxPending, Payload.COPY);
        }

        TestSender(int maxPending, Payload payload) {
            super(maxPending, payload);
        }

        @Override
        protected boolean supportsSegmentedSend(Channel channel) {
            return true;
        }
    }

    /** Stands for the channel: records every send and completes (or fails) its promise. */
    static final class Recorder extends ChannelOutboundHandlerAdapter {
        final List<Object> sends = new ArrayList<>();
        Function<Object, Throwable> failure = msg -> null;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            Throwable cause = failure.apply(msg);
            if (cause == null) {
                sends.add(msg);
                promise.setSuccess();
            } else {
                ReferenceCountUtil.release(msg);
                promise.setFailure(cause);
            }
        }

        void releaseAll() {
            sends.forEach(ReferenceCountUtil::release);
        }
    }

    private static DatagramPacket packet(InetSocketAddress to, int size, int seed) {
        return new DatagramPacket(PooledByteBufAllocator.DEFAULT.directBuffer(size).writeBytes(pattern(size, seed)),
                to);
    }

    /** A batch (recipient and size per datagram) and the sends it must give: segment counts, 1 = unsegmented. */
    static final class Batch {
        final InetSocketAddress[] to;
        final int[] sizes;
        final int[] sends;

        Batch(InetSocketAddress[] to, int[] sizes, int... sends) {
            this.to = to;
            this.sizes = sizes;
            this.sends = sends;
        }
    }

    private static InetSocketAddress[] all(InetSocketAddress a, int n) {
        InetSocketAddress[] to = new InetSocketAddress[n];
        Arrays.fill(to, a);
        return to;
    }

    private static int[] sizes(int size, int n) {
        int[] s = new int[n];
        Arrays.fill(s, size);
        return s;
    }

    private static int[] concat(int[]... parts) {
        return Stream.of(parts).flatMapToInt(Arrays::stream).toArray();
    }

    static Stream<Named<Batch>> batches() {
        return Stream.of(
                named("same recipient and size: one send", new Batch(all(A, 10), sizes(1200, 10), 10)),
                named("a shorter last datagram joins the run and ends it",
                        new Batch(all(A, 5), concat(sizes(1200, 3), new int[] {500, 1200}), 4, 1)),
                named("a larger datagram starts a new run",
                        new Batch(all(A, 5), concat(sizes(800, 2), sizes(1200, 3)), 2, 3)),
                named("recipients alternate: nothing batches",
                        new Batch(new InetSocketAddress[] {A, B, A, B}, sizes(1200, 4), 1, 1, 1, 1)),
                named("mixed recipients in runs", new Batch(new InetSocketAddress[] {A, A, A, B, B, A},
                        sizes(1000, 6), 3, 2, 1)),
                named("at most 64 segments", new Batch(all(A, 130), sizes(100, 130), 64, 64, 2)),
                named("at most 65507 payload bytes over IPv4 (45 x 1400 = 63000, 47 x 1400 > 65507)",
                        new Batch(all(A, 50), sizes(1400, 50), 46, 4)),
                named("at most 65527 payload bytes over IPv6", new Batch(all(A6, 50), sizes(1400, 50), 46, 4)),
                named("an empty datagram is sent alone",
                        new Batch(all(A, 4), new int[] {100, 0, 100, 100}, 1, 1, 2)),
                named("a single datagram is sent as it came", new Batch(all(A, 1), sizes(1200, 1), 1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("batches")
    void batches(Batch batch) {
        check(batch, UdpGsoSender.Payload.COPY);
    }

    @ParameterizedTest(name = "composite payload: {0}")
    @MethodSource("batches")
    void batchesWithCompositePayload(Batch batch) {
        check(batch, UdpGsoSender.Payload.COMPOSITE);
    }

    private static void check(Batch batch, UdpGsoSender.Payload mode) {
        Recorder recorder = new Recorder();
        TestSender sender = new TestSender(UdpGsoSender.DEFAULT_MAX_PENDING, mode);
        EmbeddedChannel channel = new EmbeddedChannel(recorder, sender);
        List<byte[]> written = new ArrayList<>();
        List<ChannelFuture> futures = new ArrayList<>();
        for (int i = 0; i < batch.sizes.length; i++) {
            DatagramPacket p = packet(batch.to[i], batch.sizes[i], i);
            written.add(ByteBufUtil.getBytes(p.content()));
            futures.add(channel.write(p));
        }
        futures.forEach(f -> assertFalse(f.isDone(), "held until the flush"));
        channel.flush();
        assertEquals(batch.sends.length, recorder.sends.size(), "sends " + recorder.sends);
        int next = 0;
        for (int s = 0; s < batch.sends.length; s++) {
            Object send = recorder.sends.get(s);
            int n = batch.sends[s];
            if (n == 1) {
                assertFalse(send instanceof SegmentedDatagramPacket, "send " + s + " is a plain datagram");
                DatagramPacket p = (DatagramPacket) send;
                assertArrayEquals(written.get(next), ByteBufUtil.getBytes(p.content()), "send " + s);
                assertEquals(batch.to[next], p.recipient());
            } else {
                SegmentedDatagramPacket p = assertInstanceOf(SegmentedDatagramPacket.class, send, "send " + s);
                assertEquals(batch.sizes[next], p.segmentSize(), "segment size of send " + s);
                assertEquals(batch.to[next], p.recipient());
                ByteBuf content = p.content();
                int offset = content.readerIndex();
                for (int k = 0; k < n; k++) {
                    byte[] expected = written.get(next + k);
                    byte[] got = new byte[expected.length];
                    content.getBytes(offset, got);
                    assertArrayEquals(expected, got, "send " + s + " segment " + k);
                    offset += expected.length;
                }
                assertEquals(content.writerIndex(), offset, "send " + s + " holds nothing else");
            }
            next += n;
        }
        futures.forEach(f -> assertTrue(f.isSuccess()));
        recorder.releaseAll();
        assertEquals(batch.sizes.length, sender.datagramsIn());
        assertFalse(channel.finish());
    }

    @Test
    void aFailedSendFailsEveryPromiseInIt() {
        Recorder recorder = new Recorder();
        IOException refused = new IOException("refused");
        recorder.failure = msg -> msg instanceof SegmentedDatagramPacket ? refused : null;
        EmbeddedChannel channel = new EmbeddedChannel(recorder, new TestSender(1024));
        List<ChannelFuture> futures = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            futures.add(channel.write(packet(A, 1000, i)));
        }
        channel.flush();
        futures.forEach(f -> assertSame(refused, f.cause()));
        assertFalse(channel.finish());
    }

    @Test
    @AllowLog(logger = "io.github.nettytun.handler.vpn.UdpGsoSender", message = "failed with EIO",
            reason = "the test answers a segmented send with EIO; the sender logs its fallback once")
    void eioTurnsGsoOffAndResendsThePacketsOneByOne() {
        Epoll.ensureAvailability(); // NativeIoException names the errno through the native library
        Recorder recorder = new Recorder();
        recorder.failure = msg -> msg instanceof SegmentedDatagramPacket
                ? new Errors.NativeIoException("sendmsg", -5) : null;
        TestSender sender = new TestSender(1024);
        EmbeddedChannel channel = new EmbeddedChannel(recorder, sender);
        List<byte[]> written = new ArrayList<>();
        List<ChannelFuture> futures = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            DatagramPacket p = packet(A, 1000, i);
            written.add(ByteBufUtil.getBytes(p.content()));
            futures.add(channel.write(p));
        }
        channel.flush();
        assertEquals(4, recorder.sends.size(), "resent one by one");
        for (int i = 0; i < 4; i++) {
            DatagramPacket p = (DatagramPacket) recorder.sends.get(i);
            assertFalse(p instanceof SegmentedDatagramPacket);
            assertArrayEquals(written.get(i), ByteBufUtil.getBytes(p.content()));
            assertTrue(futures.get(i).isSuccess(), "promise " + i);
        }
        assertEquals(1, sender.fallbacks());
        assertFalse(sender.isGsoActive());
        // From now on everything passes through.
        DatagramPacket later = packet(A, 1000, 9);
        channel.write(later);
        channel.write(packet(A, 1000, 10));
        channel.flush();
        assertSame(later, recorder.sends.get(4));
        assertEquals(6, recorder.sends.size());
        recorder.releaseAll();
        assertFalse(channel.finish());
    }

    @Test
    void withoutSegmentedSendSupportEverythingPassesThrough() {
        Recorder recorder = new Recorder();
        UdpGsoSender sender = new UdpGsoSender(); // EmbeddedChannel cannot send segmented packets
        EmbeddedChannel channel = new EmbeddedChannel(recorder, sender);
        List<DatagramPacket> written = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            DatagramPacket p = packet(A, 1000, i);
            written.add(p);
            channel.write(p);
        }
        assertEquals(3, recorder.sends.size(), "not held: nothing to batch for");
        channel.flush();
        for (int i = 0; i < 3; i++) {
            assertSame(written.get(i), recorder.sends.get(i));
        }
        assertFalse(UdpGsoSender.isSegmentedSendSupported(channel));
        assertFalse(sender.isGsoActive());
        recorder.releaseAll();
        assertFalse(channel.finish());
    }

    /** Three datagrams of 1000 bytes and a last of 600 back to back in one buffer, as the WireGuard device sends. */
    private static SegmentedDatagramPacket readyRun(List<byte[]> datagrams) {
        ByteBuf payload = PooledByteBufAllocator.DEFAULT.directBuffer(3600);
        for (int i = 0; i < 4; i++) {
            byte[] d = pattern(i < 3 ? 1000 : 600, 40 + i);
            datagrams.add(d);
            payload.writeBytes(d);
        }
        return new SegmentedDatagramPacket(payload, 1000, A);
    }

    @Test
    void aReadyRunGoesOutAfterTheBatchAsItIs() {
        Recorder recorder = new Recorder();
        TestSender sender = new TestSender(1024);
        EmbeddedChannel channel = new EmbeddedChannel(recorder, sender);
        channel.write(packet(B, 500, 1));
        channel.write(packet(B, 500, 2));
        SegmentedDatagramPacket run = readyRun(new ArrayList<>());
        ChannelFuture future = channel.write(run);
        channel.flush();
        assertEquals(2, recorder.sends.size(), recorder.sends.toString());
        assertEquals(1000, ((SegmentedDatagramPacket) recorder.sends.get(0)).content().readableBytes(),
                "the batch before it first");
        assertSame(run, recorder.sends.get(1), "the run itself: no copy");
        assertTrue(future.isSuccess());
        assertEquals(2, sender.segmentedSends());
        assertEquals(2 + 4, sender.segmentsSent());
        recorder.releaseAll();
        assertFalse(channel.finish());
    }

    @Test
    @AllowLog(logger = "io.github.nettytun.handler.vpn.UdpGsoSender", message = "failed with EIO",
            reason = "the test answers a segmented send with EIO; the sender logs its fallback once")
    void aReadyRunIsSplitOnEioAndWhereSegmentedSendsAreOff() {
        Epoll.ensureAvailability();
        for (boolean gso : new boolean[] {true, false}) {
            Recorder recorder = new Recorder();
            recorder.failure = msg -> msg instanceof SegmentedDatagramPacket
                    ? new Errors.NativeIoException("sendmsg", -5) : null;
            UdpGsoSender sender = gso ? new TestSender(1024) : new UdpGsoSender();
            EmbeddedChannel channel = new EmbeddedChannel(recorder, sender);
            List<byte[]> datagrams = new ArrayList<>();
            ChannelFuture future = channel.write(readyRun(datagrams));
            channel.flush();
            assertEquals(4, recorder.sends.size(), "gso " + gso + ": " + recorder.sends);
            for (int i = 0; i < 4; i++) {
                DatagramPacket p = (DatagramPacket) recorder.sends.get(i);
                assertFalse(p instanceof SegmentedDatagramPacket);
                assertEquals(A, p.recipient());
                assertArrayEquals(datagrams.get(i), ByteBufUtil.getBytes(p.content()), "datagram " + i);
            }
            assertTrue(future.isSuccess(), "the run's promise completes with its last datagram");
            assertEquals(gso ? 1 : 0, sender.fallbacks());
            recorder.releaseAll();
            assertFalse(channel.finish());
        }
    }

    @Test
    void otherMessagesKeepTheirPlaceAndSendersMustMatch() {
        Recorder recorder = new Recorder();
        EmbeddedChannel channel = new EmbeddedChannel(recorder, new TestSender(1024));
        channel.write(packet(A, 1000, 1));
        channel.write(packet(A, 1000, 2));
        ByteBuf raw = PooledByteBufAllocator.DEFAULT.directBuffer().writeInt(7);
        channel.write(raw);
        channel.write(packet(A, 1000, 3));
        channel.write(new DatagramPacket(PooledByteBufAllocator.DEFAULT.directBuffer().writeZero(1000), A, LOCAL));
        channel.flush();
        assertEquals(4, recorder.sends.size(), recorder.sends.toString());
        assertEquals(2, ((SegmentedDatagramPacket) recorder.sends.get(0)).content().readableBytes() / 1000);
        assertSame(raw, recorder.sends.get(1));
        assertFalse(recorder.sends.get(2) instanceof SegmentedDatagramPacket, "another sender: not one run");
        assertNotNull(((DatagramPacket) recorder.sends.get(3)).sender());
        recorder.releaseAll();
        assertFalse(channel.finish());
    }

    @Test
    void aFullBatchIsWrittenBeforeTheFlushAndCloseWritesWhatIsHeld() {
        Recorder recorder = new Recorder();
        EmbeddedChannel channel = new EmbeddedChannel(recorder, new TestSender(4));
        for (int i = 0; i < 5; i++) {
            channel.write(packet(A, 1000, i));
        }
        assertEquals(1, recorder.sends.size(), "the fourth packet filled the batch");
        channel.close();
        assertEquals(2, recorder.sends.size(), "close wrote the fifth");
        recorder.releaseAll();
        assertFalse(channel.finish());
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.pcap;

import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.testing.AllowLog;
import io.github.nettytun.testing.TestPackets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pcap file byte by byte: the global header (LINKTYPE_RAW), a record per packet read and per packet written, in
 * order, each the packet's bytes up to the snap length with its true length beside, timestamps that do not go
 * back, the messages passed on untouched, and the recording stopping whole at its byte limit.
 */
class TunPcapWriteHandlerTest {

    private static final InetAddress A = address("10.0.0.1");
    private static final InetAddress B = address("10.0.0.2");

    private static InetAddress address(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static ByteBuf udp(int payload) {
        return TestPackets.udp(ByteBufAllocator.DEFAULT, A, 1000, B, 2000, TestPackets.pattern(payload, payload));
    }

    /** The records of a pcap file: {length on the wire, bytes kept, seconds, microseconds}. */
    private static List<long[]> records(byte[] file, List<byte[]> data) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xa1b2c3d4, b.getInt());
        assertEquals(2, b.getShort());
        assertEquals(4, b.getShort());
        assertEquals(0, b.getInt());
        assertEquals(0, b.getInt());
        b.getInt(); // snap length
        assertEquals(101, b.getInt(), "LINKTYPE_RAW");
        List<long[]> out = new ArrayList<>();
        while (b.hasRemaining()) {
            long sec = b.getInt() & 0xffffffffL;
            long usec = b.getInt() & 0xffffffffL;
            int kept = b.getInt();
            int length = b.getInt();
            byte[] bytes = new byte[kept];
            b.get(bytes);
            data.add(bytes);
            out.add(new long[] {length, kept, sec, usec});
        }
        return out;
    }

    @Test
    void readsAndWritesAreRecordedInOrder() throws Exception {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        TunPcapWriteHandler pcap = new TunPcapWriteHandler(file, 100, 1 << 20);
        EmbeddedChannel ch = new EmbeddedChannel(pcap);
        ByteBuf in = udp(40);
        ByteBuf out = udp(300);
        byte[] inBytes = ByteBufUtil.getBytes(in);
        byte[] outBytes = ByteBufUtil.getBytes(out);
        assertTrue(ch.writeInbound(in));
        assertTrue(ch.writeOutbound(out));
        TunPacket superPacket = TestPackets.udpSuperPacket(ByteBufAllocator.DEFAULT, A, 1, B, 2,
                TestPackets.pattern(3200, 3200), 1000);
        assertTrue(ch.writeInbound(superPacket));
        ByteBuf passed = ch.readInbound();
        assertArrayEquals(inBytes, ByteBufUtil.getBytes(passed), "passed on untouched");
        passed.release();
        ByteBuf written = ch.readOutbound();
        assertArrayEquals(outBytes, ByteBufUtil.getBytes(written));
        written.release();
        ((TunPacket) ch.readInbound()).release();
        assertEquals(3, pcap.records());
        ch.finishAndReleaseAll(); // the handler goes: the file is closed, whole

        List<byte[]> data = new ArrayList<>();
        List<long[]> records = records(file.toByteArray(), data);
        assertEquals(3, records.size());
        assertEquals(inBytes.length, records.get(0)[0]);
        assertArrayEquals(inBytes, data.get(0), "shorter than the snap length: whole");
        assertEquals(outBytes.length, records.get(1)[0], "the true length");
        assertEquals(100, records.get(1)[1], "cut to the snap length");
        assertArrayEquals(Arrays.copyOf(outBytes, 100), data.get(1));
        assertTrue(records.get(2)[0] > 3000, "a super-packet outside the offload codecs is recorded as it is");
        for (int i = 1; i < records.size(); i++) {
            long before = records.get(i - 1)[2] * 1_000_000 + records.get(i - 1)[3];
            assertTrue(records.get(i)[2] * 1_000_000 + records.get(i)[3] >= before, "time goes forward");
        }
        assertTrue(Math.abs(records.get(0)[2] - System.currentTimeMillis() / 1000) < 60, "Unix time");
    }

    @Test
    @AllowLog(logger = "io.github.nettytun.handler.pcap.TunPcapWriteHandler", message = "pcap recording stopped.*",
            reason = "the limit is reached on purpose")
    void theRecordingStopsWholeAtItsLimit() throws Exception {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        // Room for the global header and two records of 16 + 68 bytes, not three.
        TunPcapWriteHandler pcap = new TunPcapWriteHandler(file, 65535, 24 + 2 * (16 + 68) + 10);
        EmbeddedChannel ch = new EmbeddedChannel(pcap);
        for (int i = 0; i < 5; i++) {
            ch.writeInbound(udp(40)); // 68-byte packets
        }
        ch.finishAndReleaseAll();
        assertEquals(2, pcap.records());
        assertEquals(2, records(file.toByteArray(), new ArrayList<>()).size(), "a valid file of two records");
    }
}

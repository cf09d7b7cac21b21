/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.codec.offload;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.nettytun.channel.tun.TunOffloads;
import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.channel.tun.VirtioNetHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayList;
import java.util.List;

/**
 * Coverage-guided fuzzing (Jazzer) of both codecs with any virtio header and any bytes: nothing escapes a handler,
 * every input is released. {@link CodecFuzzTest} is the seeded random generator beside it, which builds mostly-valid
 * packets; this one lets coverage find the paths. Regression mode runs the corpus in
 * {@code src/test/resources/.../OffloadFuzzTestInputs/}; {@code fuzz.sh} fuzzes.
 */
class OffloadFuzzTest {

    private static VirtioNetHeader header(FuzzedDataProvider data) {
        return VirtioNetHeader.of(data.consumeInt(0, 255), data.consumeInt(0, 255), data.consumeInt(0, 65535),
                data.consumeInt(0, 65535), data.consumeInt(0, 65535), data.consumeInt(0, 65535));
    }

    /** A pooled direct buffer, as the TUN channels read into (never the shared empty buffer, which has no count). */
    private static ByteBuf direct(byte[] bytes) {
        return PooledByteBufAllocator.DEFAULT.directBuffer(Math.max(1, bytes.length)).writeBytes(bytes);
    }

    /**
     * At most this many segments per input: a small gso_size on a long packet is legal (the kernel forwards what GRO
     * merged of tiny segments as it is) and takes the same path per segment, but thousands of segments, each tracked
     * by the paranoid leak detector, made one input cost milliseconds and the fuzzer crawl at 250 inputs a second.
     */
    private static final int MAX_SEGMENTS = 64;

    @FuzzTest(maxDuration = "15s")
    void segmenterTakesAnyPacket(FuzzedDataProvider data) {
        EmbeddedChannel channel = new EmbeddedChannel(new TunGsoSegmenter());
        VirtioNetHeader drawn = header(data);
        byte[] bytes = data.consumeRemainingAsBytes();
        int gsoSize = drawn.gsoSize() == 0 ? 0
                : Math.max(drawn.gsoSize(), (bytes.length + MAX_SEGMENTS - 1) / MAX_SEGMENTS);
        VirtioNetHeader header = VirtioNetHeader.of(drawn.flags(), drawn.gsoType(), drawn.hdrLen(), gsoSize,
                drawn.csumStart(), drawn.csumOffset());
        TunPacket packet = new TunPacket(direct(bytes), header);
        channel.writeInbound(packet);
        for (Object o; (o = channel.readInbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
        if (packet.refCnt() != 0) {
            throw new AssertionError("the input was not released");
        }
        channel.finishAndReleaseAll();
    }

    @FuzzTest(maxDuration = "15s")
    void coalescerTakesAnyPackets(FuzzedDataProvider data) {
        EmbeddedChannel channel = new EmbeddedChannel(new TunGroCoalescer(
                data.consumeBoolean() ? TunOffloads.DEFAULT : TunOffloads.REQUIRED, data.consumeInt(1, 64)));
        List<Object> written = new ArrayList<>();
        int n = data.consumeInt(1, 16);
        for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
            ByteBuf buf = direct(data.consumeBytes(data.consumeInt(0, 3000)));
            Object msg = data.consumeBoolean() ? new TunPacket(buf, header(data)) : buf;
            written.add(msg);
            channel.write(msg);
        }
        channel.flush();
        for (Object o; (o = channel.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
        for (Object msg : written) {
            if (ReferenceCountUtil.refCnt(msg) != 0) {
                throw new AssertionError("a written packet was not released");
            }
        }
        channel.finishAndReleaseAll();
    }
}

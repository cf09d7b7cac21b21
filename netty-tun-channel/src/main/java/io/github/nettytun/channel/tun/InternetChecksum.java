/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.util.internal.MathUtil;
import io.netty.util.internal.PlatformDependent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The internet checksum (RFC 1071): the one's complement of the one's complement sum of 16-bit big-endian
 * words. Used for IPv4 headers, TCP, UDP and ICMP; the one implementation every netty-tun module calls.
 *
 * <p>Sums are kept as 16-bit values, folded but not complemented, so they can be combined with
 * {@link #add(int, int)} (a pseudo-header sum plus a payload sum) and then finished with
 * {@link #finish(int)}. The bulk loop reads eight bytes per step (from native memory or a heap array) in native
 * byte order and swaps once at the end, which RFC 1071 section 2(B) allows.
 */
public final class InternetChecksum {

    private static final boolean HAS_UNSAFE = PlatformDependent.hasUnsafe();
    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    private static final VarHandle LONGS_OF_BUFFER =
            MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final VarHandle LONGS_OF_ARRAY =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private InternetChecksum() {
    }

    /**
     * The folded one's complement sum of {@code length} bytes at {@code index} (an odd last byte is padded
     * with a zero byte), not complemented.
     */
    public static int sum(ByteBuf buf, int index, int length) {
        return sum(buf, index, length, HAS_UNSAFE);
    }

    /** {@link #sum(ByteBuf, int, int)} with or without Unsafe (tests cover both on any JDK). */
    static int sum(ByteBuf buf, int index, int length, boolean unsafe) {
        if (buf instanceof CompositeByteBuf && length > 0) {
            return compositeSum((CompositeByteBuf) buf, index, length, unsafe);
        }
        long acc = 0;
        int i = index;
        int end = index + length;
        int bulk = length & ~7;
        if (unsafe && (buf.hasMemoryAddress() || buf.hasArray())) {
            checkBounds(index, length, buf.capacity());
            int folded = buf.hasMemoryAddress()
                    ? nativeSum(buf.memoryAddress() + index, bulk)
                    : nativeSum(buf.array(), buf.arrayOffset() + index, bulk);
            acc = NATIVE_LITTLE_ENDIAN ? Integer.reverseBytes(folded) >>> 16 : folded;
            i += bulk;
        } else if (buf.hasArray()) {
            checkBounds(index, length, buf.capacity());
            int folded = viewSum(buf.array(), buf.arrayOffset() + index, bulk);
            acc = NATIVE_LITTLE_ENDIAN ? Integer.reverseBytes(folded) >>> 16 : folded;
            i += bulk;
        } else if (buf.nioBufferCount() == 1) {
            // No Unsafe (Netty's default on JDK 25+): ByteBuf.getLong per word costs several checks each; a view
            // of the buffer's memory read with a VarHandle is as fast as the Unsafe loop.
            ByteBuffer nio = buf.internalNioBuffer(index, length);
            int folded = viewSum(nio, nio.position(), bulk);
            acc = NATIVE_LITTLE_ENDIAN ? Integer.reverseBytes(folded) >>> 16 : folded;
            i += bulk;
        } else {
            for (; i + 8 <= end; i += 8) {
                long v = buf.getLong(i);
                acc += (v >>> 32) + (v & 0xffffffffL);
            }
        }
        if (i + 4 <= end) {
            acc += buf.getUnsignedInt(i);
            i += 4;
        }
        if (i + 2 <= end) {
            acc += buf.getUnsignedShort(i);
            i += 2;
        }
        if (i < end) {
            acc += buf.getUnsignedByte(i) << 8;
        }
        return fold(acc);
    }

    /**
     * Sums a composite component by component, so each gets the bulk loop; a component that starts at an odd
     * offset of the range has its sum byte-swapped before it is added (RFC 1071 section 2(B)).
     */
    private static int compositeSum(CompositeByteBuf buf, int index, int length, boolean unsafe) {
        checkBounds(index, length, buf.capacity());
        long acc = 0;
        int done = 0;
        for (int c = buf.toComponentIndex(index); done < length; c++) {
            int componentStart = buf.toByteIndex(c);
            ByteBuf component = buf.internalComponent(c);
            int from = index + done - componentStart;
            int n = Math.min(component.readableBytes() - from, length - done);
            if (n <= 0) {
                continue;
            }
            int part = sum(component, component.readerIndex() + from, n, unsafe);
            acc += (done & 1) == 0 ? part : Integer.reverseBytes(part) >>> 16;
            done += n;
        }
        return fold(acc);
    }

    /** The folded sum of {@code length} (a multiple of 8) bytes of native memory, in native byte order. */
    private static int nativeSum(long address, int length) {
        long acc = 0;
        // An int-counted loop: C2 unrolls it, a long-counted one it does not.
        for (int i = 0; i < length; i += 8) {
            long v = PlatformDependent.getLong(address + i);
            acc += (v >>> 32) + (v & 0xffffffffL);
        }
        return fold(acc);
    }

    /** {@link #nativeSum(long, int)} for a heap array. */
    private static int nativeSum(byte[] array, int offset, int length) {
        long acc = 0;
        for (int p = offset, stop = offset + length; p < stop; p += 8) {
            long v = PlatformDependent.getLong(array, p);
            acc += (v >>> 32) + (v & 0xffffffffL);
        }
        return fold(acc);
    }

    /** {@link #nativeSum(long, int)} through a VarHandle view of a byte buffer (no Unsafe needed). */
    private static int viewSum(ByteBuffer buffer, int offset, int length) {
        long acc = 0;
        for (int p = offset, stop = offset + length; p < stop; p += 8) {
            long v = (long) LONGS_OF_BUFFER.get(buffer, p);
            acc += (v >>> 32) + (v & 0xffffffffL);
        }
        return fold(acc);
    }

    /** {@link #nativeSum(long, int)} through a VarHandle view of a heap array (no Unsafe needed). */
    private static int viewSum(byte[] array, int offset, int length) {
        long acc = 0;
        for (int p = offset, stop = offset + length; p < stop; p += 8) {
            long v = (long) LONGS_OF_ARRAY.get(array, p);
            acc += (v >>> 32) + (v & 0xffffffffL);
        }
        return fold(acc);
    }

    /** The checksum of {@code length} bytes at {@code index}: {@code finish(sum(buf, index, length))}. */
    public static int checksum(ByteBuf buf, int index, int length) {
        return finish(sum(buf, index, length));
    }

    /** One's complement addition of two folded sums. */
    public static int add(int sum1, int sum2) {
        return fold((long) sum1 + sum2);
    }

    /** The checksum field value for a folded sum: its one's complement. */
    public static int finish(int sum) {
        return ~sum & 0xffff;
    }

    /**
     * The sum of the IPv4 pseudo-header (RFC 793/768): source and destination address of the IPv4 header at
     * {@code ipIndex}, the protocol and the transport length.
     */
    public static int pseudoHeaderSumIpv4(ByteBuf buf, int ipIndex, int protocol, int transportLength) {
        long acc = buf.getUnsignedInt(ipIndex + 12) + buf.getUnsignedInt(ipIndex + 16);
        return fold(acc + protocol + transportLength);
    }

    /**
     * The sum of the IPv6 pseudo-header (RFC 8200 section 8.1): source and destination address of the IPv6
     * header at {@code ipIndex}, the upper-layer length and the next header value.
     */
    public static int pseudoHeaderSumIpv6(ByteBuf buf, int ipIndex, int nextHeader, int transportLength) {
        long acc = 0;
        for (int i = ipIndex + 8; i < ipIndex + 40; i += 4) {
            acc += buf.getUnsignedInt(i);
        }
        return fold(acc + nextHeader + (transportLength & 0xffffffffL));
    }

    private static void checkBounds(int index, int length, int capacity) {
        if (MathUtil.isOutOfBounds(index, length, capacity)) {
            throw new IndexOutOfBoundsException("index " + index + " length " + length + " capacity " + capacity);
        }
    }

    private static int fold(long acc) {
        while ((acc >>> 16) != 0) {
            acc = (acc & 0xffff) + (acc >>> 16);
        }
        return (int) acc;
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.codec.offload;

import io.netty.buffer.ByteBuf;

/** IANA protocol numbers the codecs handle, and a bounds-checked look at a packet's protocol. */
final class IpProtocols {

    static final int TCP = 6;
    static final int UDP = 17;

    private IpProtocols() {
    }

    /**
     * The IPv4 protocol or IPv6 next header of the packet of {@code length} bytes at {@code start}, or -1 when it
     * is too short or not IP.
     */
    static int protocol(ByteBuf ip, int start, int length) {
        if (length < 1) {
            return -1;
        }
        int version = ip.getUnsignedByte(start) >>> 4;
        if (version == 4 && length >= Ipv4Header.MIN_LENGTH) {
            return ip.getUnsignedByte(start + Ipv4Header.PROTOCOL_OFFSET);
        }
        if (version == 6 && length >= Ipv6Header.LENGTH) {
            return ip.getUnsignedByte(start + Ipv6Header.NEXT_HEADER_OFFSET);
        }
        return -1;
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

import static io.github.nettytun.handler.vpn.wireguard.Messages.DATA_OVERHEAD;
import static io.github.nettytun.handler.vpn.wireguard.Messages.TYPE_COOKIE_REPLY;
import static io.github.nettytun.handler.vpn.wireguard.Messages.TYPE_DATA;
import static io.github.nettytun.handler.vpn.wireguard.Messages.TYPE_INITIATION;
import static io.github.nettytun.handler.vpn.wireguard.Messages.fixedLength;

/**
 * Where the WireGuard messages coalesced into one UDP GRO receive begin, for transports that do not report the
 * segment size ({@link io.github.nettytun.handler.vpn.UdpGroSplitter}). Event loop only: it reads the index table.
 *
 * <p>The kernel coalesces datagrams of one size from one sender, the last possibly shorter. A run of handshake
 * messages has their fixed size. A run of data messages starts each message with type 4, three zero bytes and one
 * of this device's receiver indices (two during a key change); their sizes vary (32 bytes plus the plaintext padded
 * to 16, or to the sender's MTU), so the size is the first offset where a message starts and then starts again at
 * every multiple, and the last, shorter piece is a whole message of any type (a handshake initiation may close a
 * run of data; its MAC1 is checked). The search finds type bytes with Netty's {@code indexOf}: a few compares per
 * datagram of random ciphertext. A wrong answer needs ciphertext that reads as type 4 and a live index at every
 * guessed start (2^-56 or less each), and would still fail authentication: counted, never accepted.
 */
final class GroSegmentation {

    private final IndexTable indices;
    private final CookieChecker cookies;

    GroSegmentation(IndexTable indices, CookieChecker cookies) {
        this.indices = indices;
        this.cookies = cookies;
    }

    /** The size of the messages in {@code length} bytes at {@code index}, or 0 when it cannot be told. */
    int segmentSize(ByteBuf buf, int index, int length) {
        if (length < 2 * DATA_OVERHEAD) {
            return 0;
        }
        int end = index + length;
        int type = buf.getIntLE(index);
        int fixed = fixedLength(type);
        if (fixed != 0) {
            if (length < fixed) {
                return 0; // not even one message
            }
            // Handshake messages: a run of one type, the last possibly another message.
            for (int at = index + fixed; at < end; at += fixed) {
                if (end - at <= fixed) {
                    return isMessage(buf, at, end - at) ? fixed : 0; // the last one
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

    /** Type 4 and one of this device's receiver indices at {@code at}. */
    private boolean isDataStart(ByteBuf buf, int at) {
        return buf.getIntLE(at) == TYPE_DATA && indices.contains(buf.getIntLE(at + 4));
    }

    /**
     * A whole message of {@code length} bytes at {@code at}: data to one of our indices, or a handshake message
     * for this device (an initiation or response with a valid MAC1, a cookie reply to one of our indices).
     */
    private boolean isMessage(ByteBuf buf, int at, int length) {
        if (length < DATA_OVERHEAD) {
            return false; // shorter than any message (and maybe than its type field)
        }
        if (isDataStart(buf, at)) {
            return true;
        }
        int type = buf.getIntLE(at);
        if (type == TYPE_DATA || fixedLength(type) != length) {
            return false;
        }
        if (type == TYPE_COOKIE_REPLY) {
            return indices.contains(buf.getIntLE(at + 4));
        }
        return cookies.checkMac1(ByteBufUtil.getBytes(buf, at, length), Messages.mac1Offset(type));
    }
}

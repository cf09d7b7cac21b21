/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.buffer.ByteBuf;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * WireGuard's cryptokey routing table: IPv4 and IPv6 prefixes, each owned by one value (a peer), looked up by
 * longest-prefix match. Outbound, the destination of a packet chooses the peer; inbound, the source of a decrypted
 * packet must map back to the peer that sent it.
 *
 * <p>A binary trie per family, one bit per level: lookups read the address straight from the packet buffer and
 * allocate nothing. Inserting a prefix that exists moves it to the new value (as {@code wg set} does). Not
 * thread-safe: changed and read on the event loop of the device that owns it.
 *
 * @param <T> the owner type
 */
public final class AllowedIps<T> {

    private static final class Node<T> {
        Node<T> zero;
        Node<T> one;
        T value;
    }

    /** One prefix and its owner. */
    public static final class Entry<T> {
        private final InetAddress address;
        private final int prefixLength;
        private final T value;

        Entry(InetAddress address, int prefixLength, T value) {
            this.address = address;
            this.prefixLength = prefixLength;
            this.value = value;
        }

        /** The network address (host bits zero). */
        public InetAddress address() {
            return address;
        }

        /** The prefix length. */
        public int prefixLength() {
            return prefixLength;
        }

        /** The owner. */
        public T value() {
            return value;
        }

        @Override
        public String toString() {
            return address.getHostAddress() + '/' + prefixLength;
        }
    }

    private final Node<T> v4 = new Node<>();
    private final Node<T> v6 = new Node<>();

    /**
     * Adds {@code address/prefixLength} for {@code value}; host bits are ignored.
     *
     * @throws IllegalArgumentException when the prefix length does not fit the family
     */
    public void insert(InetAddress address, int prefixLength, T value) {
        Objects.requireNonNull(value, "value");
        byte[] bytes = address.getAddress();
        checkPrefix(bytes, prefixLength);
        Node<T> node = bytes.length == 4 ? v4 : v6;
        for (int i = 0; i < prefixLength; i++) {
            if (bit(bytes, i) == 0) {
                if (node.zero == null) {
                    node.zero = new Node<>();
                }
                node = node.zero;
            } else {
                if (node.one == null) {
                    node.one = new Node<>();
                }
                node = node.one;
            }
        }
        node.value = value;
    }

    /** Removes exactly {@code address/prefixLength}; returns whether it was there. */
    public boolean remove(InetAddress address, int prefixLength) {
        byte[] bytes = address.getAddress();
        checkPrefix(bytes, prefixLength);
        Node<T> node = bytes.length == 4 ? v4 : v6;
        for (int i = 0; i < prefixLength && node != null; i++) {
            node = bit(bytes, i) == 0 ? node.zero : node.one;
        }
        if (node == null || node.value == null) {
            return false;
        }
        node.value = null;
        prune(bytes.length == 4 ? v4 : v6);
        return true;
    }

    /** Removes every prefix owned by {@code value}. */
    public void removeAll(T value) {
        removeAll(v4, value);
        removeAll(v6, value);
        prune(v4);
        prune(v6);
    }

    /** The owner of the longest prefix containing {@code address}, or {@code null}. */
    public T lookup(InetAddress address) {
        byte[] bytes = address.getAddress();
        T best = null;
        Node<T> node = bytes.length == 4 ? v4 : v6;
        for (int i = 0; node != null; i++) {
            if (node.value != null) {
                best = node.value;
            }
            if (i == bytes.length * 8) {
                break;
            }
            node = bit(bytes, i) == 0 ? node.zero : node.one;
        }
        return best;
    }

    /**
     * The owner of the longest prefix containing the address of {@code length} bytes (4 or 16) at
     * {@code buf[offset]}, or {@code null}.
     */
    public T lookup(ByteBuf buf, int offset, int length) {
        T best = null;
        Node<T> node = length == 4 ? v4 : v6;
        int bits = length * 8;
        int current = 0;
        for (int i = 0; node != null; i++) {
            if (node.value != null) {
                best = node.value;
            }
            if (i == bits) {
                break;
            }
            if ((i & 7) == 0) {
                current = buf.getUnsignedByte(offset + (i >>> 3));
            }
            node = ((current >>> (7 - (i & 7))) & 1) == 0 ? node.zero : node.one;
        }
        return best;
    }

    /** The prefixes owned by {@code value}, IPv4 first, in address order. */
    public List<Entry<T>> entries(T value) {
        List<Entry<T>> out = new ArrayList<>();
        collect(v4, new byte[4], 0, value, out);
        collect(v6, new byte[16], 0, value, out);
        return out;
    }

    private static int bit(byte[] bytes, int i) {
        return (bytes[i >>> 3] >>> (7 - (i & 7))) & 1;
    }

    private static void checkPrefix(byte[] bytes, int prefixLength) {
        if (prefixLength < 0 || prefixLength > bytes.length * 8) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " for an IPv"
                    + (bytes.length == 4 ? 4 : 6) + " address");
        }
    }

    private void removeAll(Node<T> node, T value) {
        if (node == null) {
            return;
        }
        if (value.equals(node.value)) {
            node.value = null;
        }
        removeAll(node.zero, value);
        removeAll(node.one, value);
    }

    /** Drops subtrees without values; returns whether {@code node} itself is now empty. */
    private boolean prune(Node<T> node) {
        if (node.zero != null && prune(node.zero)) {
            node.zero = null;
        }
        if (node.one != null && prune(node.one)) {
            node.one = null;
        }
        return node.value == null && node.zero == null && node.one == null;
    }

    private void collect(Node<T> node, byte[] prefix, int depth, T value, List<Entry<T>> out) {
        if (node == null) {
            return;
        }
        if (node.value != null && node.value.equals(value)) {
            try {
                out.add(new Entry<>(InetAddress.getByAddress(prefix.clone()), depth, value));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        if (depth == prefix.length * 8) {
            return;
        }
        collect(node.zero, prefix, depth + 1, value, out);
        int b = depth >>> 3;
        byte saved = prefix[b];
        prefix[b] |= (byte) (0x80 >>> (depth & 7));
        collect(node.one, prefix, depth + 1, value, out);
        prefix[b] = saved;
    }
}

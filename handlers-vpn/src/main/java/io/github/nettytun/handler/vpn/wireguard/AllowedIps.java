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
 * <p>A path-compressed binary trie per family, as the kernel's {@code allowedips.c}: a node holds a whole prefix
 * and branches on the first bit after it, so a lookup visits only the nodes whose prefixes contain the address
 * (one or two in a table of host routes, however many peers) instead of one node per address bit. Addresses are
 * two {@code long}s (an IPv4 address in the upper half of the first), read straight from the packet buffer with one
 * or two accesses; lookups allocate nothing. Inserting a prefix that exists moves it to the new value (as
 * {@code wg set} does). Not thread-safe: changed and read on the event loop of the device that owns it.
 *
 * @param <T> the owner type
 */
public final class AllowedIps<T> {

    /**
     * A prefix: its first {@code bits} bits in {@code hi}/{@code lo} (the rest zero), its owner or {@code null}
     * for a node that only forks, and the subtrees whose next bit after the prefix is 0 and 1. Every child's prefix
     * is longer than its parent's and starts with it.
     */
    private static final class Node<T> {
        final long hi;
        final long lo;
        final int bits;
        T value;
        Node<T> zero;
        Node<T> one;

        Node(long hi, long lo, int bits, T value) {
            this.hi = hi;
            this.lo = lo;
            this.bits = bits;
            this.value = value;
        }

        boolean contains(long addressHi, long addressLo) {
            return ((addressHi ^ hi) & maskHi(bits)) == 0 && ((addressLo ^ lo) & maskLo(bits)) == 0;
        }

        Node<T> child(int bit) {
            return bit == 0 ? zero : one;
        }

        void child(int bit, Node<T> node) {
            if (bit == 0) {
                zero = node;
            } else {
                one = node;
            }
        }
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

    /** The roots: the /0 prefix of each family, present even without an owner. */
    private final Node<T> v4 = new Node<>(0, 0, 0, null);
    private final Node<T> v6 = new Node<>(0, 0, 0, null);

    /**
     * Adds {@code address/prefixLength} for {@code value}; host bits are ignored.
     *
     * @throws IllegalArgumentException when the prefix length does not fit the family
     */
    public void insert(InetAddress address, int prefixLength, T value) {
        Objects.requireNonNull(value, "value");
        byte[] bytes = address.getAddress();
        checkPrefix(bytes, prefixLength);
        long hi = hi(bytes) & maskHi(prefixLength);
        long lo = lo(bytes) & maskLo(prefixLength);
        Node<T> parent = bytes.length == 4 ? v4 : v6;
        if (prefixLength == 0) {
            parent.value = value;
            return;
        }
        for (;;) {
            // parent's prefix contains the new one and is shorter
            int side = bit(hi, lo, parent.bits);
            Node<T> child = parent.child(side);
            if (child == null) {
                parent.child(side, new Node<>(hi, lo, prefixLength, value));
                return;
            }
            int common = Math.min(commonBits(hi, lo, child.hi, child.lo), Math.min(prefixLength, child.bits));
            if (common == child.bits) {
                if (child.bits == prefixLength) {
                    child.value = value;
                    return;
                }
                parent = child;
                continue;
            }
            Node<T> node = new Node<>(hi, lo, prefixLength, value);
            if (common == prefixLength) {
                // The new prefix contains the child's: it goes in between.
                node.child(bit(child.hi, child.lo, prefixLength), child);
                parent.child(side, node);
            } else {
                // They part at bit `common`: a fork without owner holds both.
                Node<T> fork = new Node<>(hi & maskHi(common), lo & maskLo(common), common, null);
                fork.child(bit(hi, lo, common), node);
                fork.child(bit(child.hi, child.lo, common), child);
                parent.child(side, fork);
            }
            return;
        }
    }

    /** Removes exactly {@code address/prefixLength}; returns whether it was there. */
    public boolean remove(InetAddress address, int prefixLength) {
        byte[] bytes = address.getAddress();
        checkPrefix(bytes, prefixLength);
        long hi = hi(bytes) & maskHi(prefixLength);
        long lo = lo(bytes) & maskLo(prefixLength);
        Node<T> root = bytes.length == 4 ? v4 : v6;
        Node<T> node = root;
        while (node != null && node.bits < prefixLength && node.contains(hi, lo)) {
            node = node.child(bit(hi, lo, node.bits));
        }
        if (node == null || node.bits != prefixLength || !node.contains(hi, lo) || node.value == null) {
            return false;
        }
        node.value = null;
        prune(root);
        return true;
    }

    /** Removes every prefix owned by {@code value}. */
    public void removeAll(T value) {
        clear(v4, value);
        clear(v6, value);
        prune(v4);
        prune(v6);
    }

    /** The owner of the longest prefix containing {@code address}, or {@code null}. */
    public T lookup(InetAddress address) {
        byte[] bytes = address.getAddress();
        return lookup(bytes.length == 4 ? v4 : v6, hi(bytes), lo(bytes));
    }

    /**
     * The owner of the longest prefix containing the address of {@code length} bytes (4 or 16) at
     * {@code buf[offset]}, or {@code null}.
     */
    public T lookup(ByteBuf buf, int offset, int length) {
        if (length == 4) {
            return lookup(v4, (long) buf.getInt(offset) << 32, 0);
        }
        return lookup(v6, buf.getLong(offset), buf.getLong(offset + 8));
    }

    private static <T> T lookup(Node<T> root, long hi, long lo) {
        T best = root.value;
        Node<T> node = root.child(bit(hi, lo, 0));
        while (node != null && node.contains(hi, lo)) {
            if (node.value != null) {
                best = node.value;
            }
            if (node.bits == 128) {
                break;
            }
            node = node.child(bit(hi, lo, node.bits));
        }
        return best;
    }

    /** The prefixes owned by {@code value}, IPv4 first, in address order. */
    public List<Entry<T>> entries(T value) {
        List<Entry<T>> out = new ArrayList<>();
        collect(v4, 4, value, out);
        collect(v6, 16, value, out);
        return out;
    }

    /** The first 64 bits of an address, an IPv4 address in the upper 32. */
    private static long hi(byte[] bytes) {
        long v = 0;
        for (int i = 0; i < Math.min(8, bytes.length); i++) {
            v |= (bytes[i] & 0xffL) << (56 - 8 * i);
        }
        return v;
    }

    /** Bits 64-127 of an IPv6 address; 0 for IPv4. */
    private static long lo(byte[] bytes) {
        long v = 0;
        for (int i = 8; i < bytes.length; i++) {
            v |= (bytes[i] & 0xffL) << (56 - 8 * (i - 8));
        }
        return v;
    }

    /** Bit {@code i} (0 the most significant) of the 128-bit {@code hi}/{@code lo}. */
    private static int bit(long hi, long lo, int i) {
        return (int) (i < 64 ? hi >>> (63 - i) : lo >>> (127 - i)) & 1;
    }

    /** The mask of the first {@code bits} bits in the upper half. */
    private static long maskHi(int bits) {
        return bits == 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
    }

    /** The mask of the first {@code bits} bits in the lower half. */
    private static long maskLo(int bits) {
        return bits <= 64 ? 0 : -1L << (128 - bits);
    }

    /** How many leading bits two 128-bit values share (128 when equal). */
    private static int commonBits(long hi1, long lo1, long hi2, long lo2) {
        long x = hi1 ^ hi2;
        return x != 0 ? Long.numberOfLeadingZeros(x) : 64 + Long.numberOfLeadingZeros(lo1 ^ lo2);
    }

    private static void checkPrefix(byte[] bytes, int prefixLength) {
        if (prefixLength < 0 || prefixLength > bytes.length * 8) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " for an IPv"
                    + (bytes.length == 4 ? 4 : 6) + " address");
        }
    }

    private static <T> void clear(Node<T> node, T value) {
        if (node == null) {
            return;
        }
        if (value.equals(node.value)) {
            node.value = null;
        }
        clear(node.zero, value);
        clear(node.one, value);
    }

    /** Drops the root's ownerless nodes that no longer fork. */
    private static <T> void prune(Node<T> root) {
        root.zero = pruned(root.zero);
        root.one = pruned(root.one);
    }

    /** {@code node}'s subtree without ownerless nodes of fewer than two children. */
    private static <T> Node<T> pruned(Node<T> node) {
        if (node == null) {
            return null;
        }
        node.zero = pruned(node.zero);
        node.one = pruned(node.one);
        if (node.value != null || (node.zero != null && node.one != null)) {
            return node;
        }
        return node.zero != null ? node.zero : node.one;
    }

    /** Pre-order, zero before one: a prefix before the longer ones inside it, then by address. */
    private static <T> void collect(Node<T> node, int length, T value, List<Entry<T>> out) {
        if (node == null) {
            return;
        }
        if (node.value != null && node.value.equals(value)) {
            byte[] bytes = new byte[length];
            for (int i = 0; i < length; i++) {
                bytes[i] = (byte) (i < 8 ? node.hi >>> (56 - 8 * i) : node.lo >>> (56 - 8 * (i - 8)));
            }
            try {
                out.add(new Entry<>(InetAddress.getByAddress(bytes), node.bits, value));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        collect(node.zero, length, value, out);
        collect(node.one, length, value, out);
    }
}

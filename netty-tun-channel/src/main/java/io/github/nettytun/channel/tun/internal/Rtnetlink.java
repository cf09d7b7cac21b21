/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * The rtnetlink requests netty-tun makes ({@code linux/netlink.h}, {@code linux/rtnetlink.h},
 * {@code linux/if_addr.h}): adding interface addresses. Unlike the {@code SIOCSIFADDR} ioctl, this sets an IPv4
 * address and its prefix in one step (no transient classful route), allows several addresses, and can mark an
 * IPv6 address {@code IFA_F_NODAD}, which {@code ipv6_add_addr()} then creates without
 * {@code IFA_F_TENTATIVE}: usable by sockets at once instead of after the kernel's asynchronous DAD work.
 */
public final class Rtnetlink {

    private static final int NETLINK_ROUTE = 0;
    private static final short RTM_NEWADDR = 20;
    private static final short RTM_NEWROUTE = 24;
    private static final short RTM_DELROUTE = 25;
    private static final short RTM_GETROUTE = 26;
    private static final short RTA_DST = 1;
    private static final short RTA_OIF = 4;
    private static final short RTA_TABLE = 15;
    private static final short RTM_NEWRULE = 32;
    private static final short RTM_DELRULE = 33;
    private static final int FIB_RULE_HDR_LEN = 12;
    private static final int FR_ACT_TO_TBL = 1;
    private static final int FIB_RULE_INVERT = 0x2;
    private static final short FRA_FWMARK = 10;
    private static final short FRA_SUPPRESS_PREFIXLEN = 14;
    private static final short FRA_TABLE = 15;
    /** The main routing table. */
    public static final int RT_TABLE_MAIN = 254;
    private static final int RTPROT_STATIC = 4;
    private static final int RT_SCOPE_LINK = 253;
    private static final int RTN_UNICAST = 1;
    /** {@code RTN_LOCAL}: a route to one of this host's own addresses. */
    private static final int RTN_LOCAL = 2;
    private static final int RTMSG_LEN = 12;
    private static final short NLMSG_ERROR = 2;
    private static final short NLM_F_REQUEST = 0x1;
    private static final short NLM_F_ACK = 0x4;
    private static final short NLM_F_REPLACE = 0x100;
    private static final short NLM_F_EXCL = 0x200;
    private static final short NLM_F_CREATE = 0x400;
    private static final short IFA_ADDRESS = 1;
    private static final short IFA_LOCAL = 2;
    private static final int IFA_F_NODAD = 0x02;

    private static final int NLMSG_HDRLEN = 16;
    private static final int IFADDRMSG_LEN = 8;
    private static final int RTA_HDRLEN = 4;

    private Rtnetlink() {
    }

    /** A {@code NETLINK_ROUTE} socket in the calling thread's network namespace. */
    public static int open() {
        return LibC.INSTANCE.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NETLINK_ROUTE);
    }

    /**
     * {@code RTM_NEWADDR} with {@code NLM_F_CREATE | NLM_F_REPLACE} (like {@code ip addr replace}), and
     * {@code IFA_F_NODAD} for IPv6; waits for the kernel's acknowledgement.
     *
     * @throws LastErrorException with the errno the kernel answered
     */
    public static void addAddress(int sock, int ifIndex, InetAddress address, int prefixLength) {
        boolean v4 = address instanceof Inet4Address;
        byte[] addr = address.getAddress();
        int attr = RTA_HDRLEN + addr.length; // 4-byte aligned for 4- and 16-byte addresses
        int length = NLMSG_HDRLEN + IFADDRMSG_LEN + attr * (v4 ? 2 : 1);
        Memory msg = new Memory(length);
        msg.clear();
        msg.setInt(0, length);
        msg.setShort(4, RTM_NEWADDR);
        msg.setShort(6, (short) (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE));
        msg.setInt(8, 1); // sequence number: one request per socket
        int ifa = NLMSG_HDRLEN;
        msg.setByte(ifa, (byte) (v4 ? LibC.AF_INET : LibC.AF_INET6));
        msg.setByte(ifa + 1, (byte) prefixLength);
        msg.setByte(ifa + 2, (byte) (v4 ? 0 : IFA_F_NODAD));
        msg.setByte(ifa + 3, (byte) 0); // RT_SCOPE_UNIVERSE
        msg.setInt(ifa + 4, ifIndex);
        int offset = putAttribute(msg, ifa + IFADDRMSG_LEN, IFA_LOCAL, addr);
        if (v4) {
            putAttribute(msg, offset, IFA_ADDRESS, addr); // the same as IFA_LOCAL: not a point-to-point peer
        }
        LibC.INSTANCE.send(sock, msg, new NativeLong(length), 0);
        awaitAck(sock);
    }

    /**
     * {@code RTM_NEWROUTE} with {@code NLM_F_CREATE | NLM_F_EXCL} (like {@code ip route add NETWORK/LEN dev IF}): a
     * link-scope unicast route in the main table through interface {@code ifIndex}. Host bits of {@code network}
     * are cleared. Waits for the kernel's acknowledgement.
     *
     * @throws LastErrorException with the errno the kernel answered ({@code EEXIST}: the table has a route for this
     *         prefix, and for IPv6 the same metric)
     */
    public static void addRoute(int sock, int ifIndex, InetAddress network, int prefixLength) {
        addRoute(sock, ifIndex, network, prefixLength, RT_TABLE_MAIN);
    }

    /** As {@link #addRoute(int, int, InetAddress, int)}, in routing table {@code table} (like {@code table N}). */
    public static void addRoute(int sock, int ifIndex, InetAddress network, int prefixLength, int table) {
        route(sock, RTM_NEWROUTE, (short) (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL), ifIndex, network,
                prefixLength, table);
    }

    /**
     * {@code RTM_NEWRULE} or {@code RTM_DELRULE} of a policy rule that looks up {@code table} (like {@code ip rule
     * add|del [not fwmark MARK] [suppress_prefixlength N] table TABLE}), for IPv4 or IPv6.
     *
     * @param fwmark               0: no mark match; otherwise packets with (or, {@code invert}, without) this mark
     * @param suppressPrefixLength -1: none; otherwise routes of this prefix length or shorter found in the table
     *                             are ignored
     * @throws LastErrorException {@code EEXIST} when adding a rule that is there, {@code ENOENT} when deleting one
     *         that is not
     */
    public static void rule(int sock, boolean add, boolean v6, int table, int fwmark, boolean invert,
                            int suppressPrefixLength) {
        int length = NLMSG_HDRLEN + FIB_RULE_HDR_LEN + RTA_HDRLEN + 4 + (fwmark != 0 ? RTA_HDRLEN + 4 : 0)
                + (suppressPrefixLength >= 0 ? RTA_HDRLEN + 4 : 0);
        Memory msg = new Memory(length);
        msg.clear();
        msg.setInt(0, length);
        msg.setShort(4, add ? RTM_NEWRULE : RTM_DELRULE);
        msg.setShort(6, (short) (add ? NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
                : NLM_F_REQUEST | NLM_F_ACK));
        msg.setInt(8, 1);
        int hdr = NLMSG_HDRLEN;
        msg.setByte(hdr, (byte) (v6 ? LibC.AF_INET6 : LibC.AF_INET));
        msg.setByte(hdr + 4, (byte) (table < 256 ? table : 0)); // table
        msg.setByte(hdr + 7, (byte) FR_ACT_TO_TBL); // action
        msg.setInt(hdr + 8, invert ? FIB_RULE_INVERT : 0); // flags
        int offset = putInt(msg, hdr + FIB_RULE_HDR_LEN, FRA_TABLE, table);
        if (fwmark != 0) {
            offset = putInt(msg, offset, FRA_FWMARK, fwmark);
        }
        if (suppressPrefixLength >= 0) {
            putInt(msg, offset, FRA_SUPPRESS_PREFIXLEN, suppressPrefixLength);
        }
        LibC.INSTANCE.send(sock, msg, new NativeLong(length), 0);
        awaitAck(sock);
    }

    private static int putInt(Memory msg, int offset, short type, int value) {
        msg.setShort(offset, (short) (RTA_HDRLEN + 4));
        msg.setShort(offset + 2, type);
        msg.setInt(offset + RTA_HDRLEN, value); // native byte order, as the kernel reads it
        return offset + RTA_HDRLEN + 4;
    }

    /**
     * {@code RTM_DELROUTE} (like {@code ip route del NETWORK/LEN dev IF}) of the route {@link #addRoute} makes.
     *
     * @throws LastErrorException {@code ESRCH} when there is no such route
     */
    public static void deleteRoute(int sock, int ifIndex, InetAddress network, int prefixLength, int table) {
        route(sock, RTM_DELROUTE, (short) (NLM_F_REQUEST | NLM_F_ACK), ifIndex, network, prefixLength, table);
    }

    private static void route(int sock, short type, short flags, int ifIndex, InetAddress network,
                              int prefixLength, int table) {
        boolean v4 = network instanceof Inet4Address;
        byte[] addr = network.getAddress();
        for (int bit = prefixLength; bit < addr.length * 8; bit++) {
            addr[bit >>> 3] &= (byte) ~(0x80 >>> (bit & 7));
        }
        int length = NLMSG_HDRLEN + RTMSG_LEN + RTA_HDRLEN + addr.length + RTA_HDRLEN + 4 + RTA_HDRLEN + 4;
        Memory msg = new Memory(length);
        msg.clear();
        msg.setInt(0, length);
        msg.setShort(4, type);
        msg.setShort(6, flags);
        msg.setInt(8, 1);
        int rtm = NLMSG_HDRLEN;
        msg.setByte(rtm, (byte) (v4 ? LibC.AF_INET : LibC.AF_INET6));
        msg.setByte(rtm + 1, (byte) prefixLength); // rtm_dst_len
        msg.setByte(rtm + 4, (byte) (table < 256 ? table : 0)); // rtm_table; RTA_TABLE below says it in full
        msg.setByte(rtm + 5, (byte) RTPROT_STATIC);
        msg.setByte(rtm + 6, (byte) RT_SCOPE_LINK);
        msg.setByte(rtm + 7, (byte) RTN_UNICAST);
        int offset = putAttribute(msg, rtm + RTMSG_LEN, RTA_DST, addr);
        offset = putInt(msg, offset, RTA_OIF, ifIndex);
        putInt(msg, offset, RTA_TABLE, table);
        LibC.INSTANCE.send(sock, msg, new NativeLong(length), 0);
        awaitAck(sock);
    }

    /**
     * {@code RTM_GETROUTE} for {@code address}: whether the kernel routes it to this host ({@code RTN_LOCAL}).
     * An IPv6 address gets its local route from the kernel's DAD work item, after the address is added (even with
     * {@code IFA_F_NODAD}); until then, packets to it are not delivered to sockets.
     */
    public static boolean isLocal(int sock, InetAddress address) {
        boolean v4 = address instanceof Inet4Address;
        byte[] addr = address.getAddress();
        int length = NLMSG_HDRLEN + RTMSG_LEN + RTA_HDRLEN + addr.length;
        Memory msg = new Memory(length);
        msg.clear();
        msg.setInt(0, length);
        msg.setShort(4, RTM_GETROUTE);
        msg.setShort(6, NLM_F_REQUEST);
        msg.setInt(8, 1);
        msg.setByte(NLMSG_HDRLEN, (byte) (v4 ? LibC.AF_INET : LibC.AF_INET6));
        msg.setByte(NLMSG_HDRLEN + 1, (byte) (addr.length * 8)); // rtm_dst_len
        putAttribute(msg, NLMSG_HDRLEN + RTMSG_LEN, RTA_DST, addr);
        LibC.INSTANCE.send(sock, msg, new NativeLong(length), 0);
        Memory reply = new Memory(4096);
        long n = LibC.INSTANCE.recv(sock, reply, new NativeLong(reply.size()), 0).longValue();
        if (n < NLMSG_HDRLEN + RTMSG_LEN) {
            return false;
        }
        short type = reply.getShort(4);
        if (type == NLMSG_ERROR) {
            return false; // no route at all (ENETUNREACH)
        }
        return type == RTM_NEWROUTE && (reply.getByte(NLMSG_HDRLEN + 7) & 0xff) == RTN_LOCAL;
    }

    private static int putAttribute(Memory msg, int offset, short type, byte[] data) {
        msg.setShort(offset, (short) (RTA_HDRLEN + data.length));
        msg.setShort(offset + 2, type);
        msg.write(offset + RTA_HDRLEN, data, 0, data.length);
        return offset + RTA_HDRLEN + data.length;
    }

    private static void awaitAck(int sock) {
        Memory reply = new Memory(4096);
        for (;;) {
            long n = LibC.INSTANCE.recv(sock, reply, new NativeLong(reply.size()), 0).longValue();
            for (int offset = 0; offset + NLMSG_HDRLEN <= n; ) {
                int len = reply.getInt(offset);
                if (reply.getShort(offset + 4) == NLMSG_ERROR) {
                    int error = reply.getInt(offset + NLMSG_HDRLEN);
                    if (error != 0) {
                        throw new LastErrorException(-error);
                    }
                    return;
                }
                if (len < NLMSG_HDRLEN) {
                    break;
                }
                offset += (len + 3) & ~3;
            }
        }
    }
}

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
    private static final short RTM_GETROUTE = 26;
    private static final short RTA_DST = 1;
    private static final short RTA_OIF = 4;
    private static final int RT_TABLE_MAIN = 254;
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
        boolean v4 = network instanceof Inet4Address;
        byte[] addr = network.getAddress();
        for (int bit = prefixLength; bit < addr.length * 8; bit++) {
            addr[bit >>> 3] &= (byte) ~(0x80 >>> (bit & 7));
        }
        int length = NLMSG_HDRLEN + RTMSG_LEN + RTA_HDRLEN + addr.length + RTA_HDRLEN + 4;
        Memory msg = new Memory(length);
        msg.clear();
        msg.setInt(0, length);
        msg.setShort(4, RTM_NEWROUTE);
        msg.setShort(6, (short) (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL));
        msg.setInt(8, 1);
        int rtm = NLMSG_HDRLEN;
        msg.setByte(rtm, (byte) (v4 ? LibC.AF_INET : LibC.AF_INET6));
        msg.setByte(rtm + 1, (byte) prefixLength); // rtm_dst_len
        msg.setByte(rtm + 4, (byte) RT_TABLE_MAIN);
        msg.setByte(rtm + 5, (byte) RTPROT_STATIC);
        msg.setByte(rtm + 6, (byte) RT_SCOPE_LINK);
        msg.setByte(rtm + 7, (byte) RTN_UNICAST);
        int offset = putAttribute(msg, rtm + RTMSG_LEN, RTA_DST, addr);
        msg.setShort(offset, (short) (RTA_HDRLEN + 4));
        msg.setShort(offset + 2, RTA_OIF);
        msg.setInt(offset + RTA_HDRLEN, ifIndex); // native byte order, as the kernel reads it
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

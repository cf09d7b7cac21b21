/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;

import java.nio.charset.StandardCharsets;

/**
 * The ioctls netty-tun issues: TUN device set-up on the {@code /dev/net/tun} file descriptor
 * ({@code linux/if_tun.h}) and interface control (MTU, flags, index) on a socket of the device's network
 * namespace ({@code linux/sockios.h}, {@code linux/if.h}). Addresses go through {@link Rtnetlink}.
 *
 * <p>Every method returns the kernel's answer or throws {@link LastErrorException} carrying errno;
 * callers turn that into a message that names the device and the cause.
 */
public final class Ioctl {

    /** {@code IFNAMSIZ} from {@code linux/if.h}: names hold at most 15 bytes plus the terminating NUL. */
    public static final int IFNAMSIZ = 16;

    // linux/if_tun.h: _IOW('T', nr, int) and _IOR('T', nr, unsigned int) encodings.
    static final long TUNSETIFF = 0x400454caL;
    static final long TUNGETFEATURES = 0x800454cfL;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final long TUNGETIFF = 0x800454d2L;
    static final long TUNSETVNETHDRSZ = 0x400454d8L;
    static final long TUNGETSNDBUF = 0x800454d3L;
    static final long TUNSETSNDBUF = 0x400454d4L;

    // linux/sockios.h
    static final long SIOCGIFFLAGS = 0x8913;
    static final long SIOCSIFFLAGS = 0x8914;
    static final long SIOCGIFMTU = 0x8921;
    static final long SIOCSIFMTU = 0x8922;
    static final long SIOCGIFINDEX = 0x8933;
    /** Returns a file descriptor of the network namespace the socket (or TUN file) belongs to. Linux 4.9+. */
    static final long SIOCGSKNS = 0x894c;

    /** {@code TUN_F_*} offload flags from {@code linux/if_tun.h} ({@code TunOffloads} publishes them). */
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_TSO_ECN = 0x08;
    public static final int TUN_F_UFO = 0x10;
    public static final int TUN_F_USO4 = 0x20;
    public static final int TUN_F_USO6 = 0x40;

    /** {@code IFF_TUN}, {@code IFF_NO_PI}, {@code IFF_MULTI_QUEUE}, {@code IFF_VNET_HDR} from {@code linux/if_tun.h}. */
    public static final int IFF_TUN = 0x0001;
    public static final int IFF_MULTI_QUEUE = 0x0100;
    public static final int IFF_NO_PI = 0x1000;
    public static final int IFF_VNET_HDR = 0x4000;
    /** {@code IFF_UP} from {@code linux/if.h} (interface flags, not TUN flags). */
    public static final int IFF_UP = 0x1;

    // struct ifreq: char ifr_name[16]; union { struct sockaddr; short flags; int ifindex; int mtu; ... } (24 bytes)
    private static final int IFREQ_SIZE = 40;
    private static final int IFREQ_UNION = 16;

    private static final LibC C = LibC.INSTANCE;

    private Ioctl() {
    }

    /** {@code TUNSETIFF}: creates or attaches {@code name} (empty: the kernel picks one); returns the name. */
    public static String tunSetIff(int fd, String name, int flags) {
        Memory ifr = ifreq(name);
        ifr.setShort(IFREQ_UNION, (short) flags);
        C.ioctl(fd, new NativeLong(TUNSETIFF), ifr);
        return ifr.getString(0, StandardCharsets.US_ASCII.name());
    }

    /** {@code TUNGETIFF}: the current name of the attached device (it may have been renamed). */
    public static String tunGetName(int fd) {
        Memory ifr = ifreq("");
        C.ioctl(fd, new NativeLong(TUNGETIFF), ifr);
        return ifr.getString(0, StandardCharsets.US_ASCII.name());
    }

    /** {@code TUNGETFEATURES}: the {@code IFF_*} flags this kernel's TUN driver supports. */
    public static int tunGetFeatures(int fd) {
        Memory out = new Memory(4);
        out.setInt(0, 0);
        C.ioctl(fd, new NativeLong(TUNGETFEATURES), out);
        return out.getInt(0);
    }

    /** {@code TUNSETOFFLOAD}: device-wide offload flags ({@code TUN_F_*}); EINVAL when one is not supported. */
    public static void tunSetOffload(int fd, int offloads) {
        C.ioctl(fd, new NativeLong(TUNSETOFFLOAD), new NativeLong(offloads & 0xffffffffL));
    }

    /** {@code TUNSETVNETHDRSZ}: the size of the virtio-net header before each packet. */
    public static void tunSetVnetHdrSize(int fd, int size) {
        Memory in = new Memory(4);
        in.setInt(0, size);
        C.ioctl(fd, new NativeLong(TUNSETVNETHDRSZ), in);
    }

    /** {@code TUNSETSNDBUF}: how many bytes of written packets may be in flight in the kernel. */
    public static void tunSetSndBuf(int fd, int bytes) {
        Memory in = new Memory(4);
        in.setInt(0, bytes);
        C.ioctl(fd, new NativeLong(TUNSETSNDBUF), in);
    }

    /** {@code TUNGETSNDBUF}. */
    public static int tunGetSndBuf(int fd) {
        Memory out = new Memory(4);
        C.ioctl(fd, new NativeLong(TUNGETSNDBUF), out);
        return out.getInt(0);
    }

    /** {@code SIOCGSKNS}: a new file descriptor for the network namespace of a socket or TUN file. */
    public static int netnsOf(int fd) {
        return C.ioctl(fd, new NativeLong(SIOCGSKNS), new NativeLong(0));
    }

    /** {@code SIOCGIFINDEX}. */
    public static int ifIndex(int sock, String name) {
        Memory ifr = ifreq(name);
        C.ioctl(sock, new NativeLong(SIOCGIFINDEX), ifr);
        return ifr.getInt(IFREQ_UNION);
    }

    /** {@code SIOCGIFMTU}. */
    public static int ifMtu(int sock, String name) {
        Memory ifr = ifreq(name);
        C.ioctl(sock, new NativeLong(SIOCGIFMTU), ifr);
        return ifr.getInt(IFREQ_UNION);
    }

    /** {@code SIOCSIFMTU}. */
    public static void ifSetMtu(int sock, String name, int mtu) {
        Memory ifr = ifreq(name);
        ifr.setInt(IFREQ_UNION, mtu);
        C.ioctl(sock, new NativeLong(SIOCSIFMTU), ifr);
    }

    /** {@code SIOCGIFFLAGS}: the interface flags ({@code IFF_UP}, ...), as an unsigned short. */
    public static int ifFlags(int sock, String name) {
        Memory ifr = ifreq(name);
        C.ioctl(sock, new NativeLong(SIOCGIFFLAGS), ifr);
        return ifr.getShort(IFREQ_UNION) & 0xffff;
    }

    /** {@code SIOCSIFFLAGS}. */
    public static void ifSetFlags(int sock, String name, int flags) {
        Memory ifr = ifreq(name);
        ifr.setShort(IFREQ_UNION, (short) flags);
        C.ioctl(sock, new NativeLong(SIOCSIFFLAGS), ifr);
    }

    private static Memory ifreq(String name) {
        Memory ifr = new Memory(IFREQ_SIZE);
        ifr.clear();
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name '" + name + "' is " + bytes.length
                    + " bytes; the kernel allows at most " + (IFNAMSIZ - 1));
        }
        ifr.write(0, bytes, 0, bytes.length);
        return ifr;
    }

    /** {@code CSUM|TSO4|TSO6}, or {@code NONE} for 0; unknown bits in hex. */
    public static String offloadsToString(int offloads) {
        if (offloads == 0) {
            return "NONE";
        }
        StringBuilder sb = new StringBuilder();
        String[] names = {"CSUM", "TSO4", "TSO6", "TSO_ECN", "UFO", "USO4", "USO6"};
        for (int bit = 0; bit < names.length; bit++) {
            if ((offloads & 1 << bit) != 0) {
                sb.append(sb.length() == 0 ? "" : "|").append(names[bit]);
            }
        }
        int unknown = offloads & ~((1 << names.length) - 1);
        if (unknown != 0) {
            sb.append(sb.length() == 0 ? "" : "|").append("0x").append(Integer.toHexString(unknown));
        }
        return sb.toString();
    }
}

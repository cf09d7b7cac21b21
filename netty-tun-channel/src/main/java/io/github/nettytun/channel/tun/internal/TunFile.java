/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun.internal;

import com.sun.jna.LastErrorException;
import io.netty.channel.ChannelException;

import java.io.IOException;

/**
 * Opening {@code /dev/net/tun} and attaching the file to a device, with errors that say what to do.
 * See {@code Documentation/networking/tuntap.rst} and {@code tun_set_iff()} in {@code drivers/net/tun.c}.
 */
public final class TunFile {

    /** USO for both IP versions: on TUN since Linux 6.2; older kernels answer EINVAL, and we go without. */
    private static final int USO = Ioctl.TUN_F_USO4 | Ioctl.TUN_F_USO6;

    public static final String PATH = "/dev/net/tun";

    private TunFile() {
    }

    /**
     * Opens {@code /dev/net/tun} non-blocking and close-on-exec. The kernel binds the file to the calling
     * thread's network namespace here, not at {@code TUNSETIFF}.
     */
    public static int open() {
        try {
            return LibC.INSTANCE.open(PATH, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new ChannelException(openErrorMessage(e.getErrorCode(), e.getMessage()), e);
        }
    }

    static String openErrorMessage(int errno, String reason) {
        String prefix = "cannot open " + PATH + ": " + reason;
        switch (errno) {
            case LibC.ENOENT:
                return prefix + " (load the tun module with 'modprobe tun', or create the node with "
                        + "'mknod " + PATH + " c 10 200')";
            case LibC.EACCES:
            case LibC.EPERM:
                return prefix + " (run as root, or give the process access to " + PATH + " and CAP_NET_ADMIN)";
            case LibC.ENODEV:
            case LibC.ENXIO:
                return prefix + " (this kernel has no TUN driver: CONFIG_TUN)";
            default:
                return prefix;
        }
    }

    /** What the kernel granted at attach. */
    public static final class Attached {
        private final String name;
        private final int acceptedOffloads;

        Attached(String name, int acceptedOffloads) {
            this.name = name;
            this.acceptedOffloads = acceptedOffloads;
        }

        /** The device's actual name. */
        public String name() {
            return name;
        }

        /** The {@code TUN_F_*} flags in force; 0 without {@code IFF_VNET_HDR}. */
        public int acceptedOffloads() {
            return acceptedOffloads;
        }
    }

    /**
     * {@code TUNSETIFF} with {@code IFF_TUN | IFF_NO_PI} (plus {@code IFF_VNET_HDR} and {@code IFF_MULTI_QUEUE}
     * as asked), then the virtio-net header size and the offload negotiation.
     *
     * @param vnetHdrSize the virtio-net header size ({@code VirtioNetHeader.SIZE}), 0 for no headers
     * @param offloads requested {@code TUN_F_*} flags; USO is dropped if refused, any other refused flag fails
     *                 the attach
     */
    public static Attached attach(int fd, String name, int vnetHdrSize, int offloads, boolean multiQueue)
            throws IOException {
        boolean vnetHdr = vnetHdrSize > 0;
        int flags = Ioctl.IFF_TUN | Ioctl.IFF_NO_PI;
        if (vnetHdr) {
            flags |= Ioctl.IFF_VNET_HDR;
        }
        if (multiQueue) {
            flags |= Ioctl.IFF_MULTI_QUEUE;
        }
        String actual;
        try {
            actual = Ioctl.tunSetIff(fd, name, flags);
        } catch (LastErrorException e) {
            throw new IOException(setIffErrorMessage(name, multiQueue, e.getErrorCode(), e.getMessage()), e);
        }
        if (!vnetHdr) {
            // Offloads are device-wide and outlive their user on a persistent device; without headers a
            // super-packet or a partial checksum could not be told apart from a plain packet.
            setOffload(fd, actual, 0);
            return new Attached(actual, 0);
        }
        try {
            Ioctl.tunSetVnetHdrSize(fd, vnetHdrSize);
        } catch (LastErrorException e) {
            throw new IOException("TUNSETVNETHDRSZ " + vnetHdrSize + " on " + actual + " failed: "
                    + e.getMessage(), e);
        }
        if ((offloads & USO) != 0) {
            try {
                Ioctl.tunSetOffload(fd, offloads);
                return new Attached(actual, offloads);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != LibC.EINVAL) {
                    throw offloadRefused(actual, offloads, e);
                }
                // USO on TUN arrived in Linux 6.2; older kernels answer EINVAL. Not an error: go without it.
                offloads &= ~USO;
            }
        }
        setOffload(fd, actual, offloads);
        return new Attached(actual, offloads);
    }

    private static void setOffload(int fd, String name, int offloads) throws IOException {
        try {
            Ioctl.tunSetOffload(fd, offloads);
        } catch (LastErrorException e) {
            throw offloadRefused(name, offloads, e);
        }
    }

    static IOException offloadRefused(String name, int offloads, LastErrorException e) {
        return new IOException("the kernel refused offloads " + Ioctl.offloadsToString(offloads) + " on " + name
                + " (TUNSETOFFLOAD: " + e.getMessage() + "); ask for fewer with TunChannelOption.TUN_OFFLOADS"
                + " or turn IFF_VNET_HDR off", e);
    }

    static String setIffErrorMessage(String name, boolean multiQueue, int errno, String reason) {
        String device = name.isEmpty() ? "a new TUN device" : "TUN device '" + name + '\'';
        String prefix = "cannot attach " + device + ": " + reason;
        switch (errno) {
            case LibC.EPERM:
                return prefix + " (creating or attaching a device needs CAP_NET_ADMIN in its network namespace)";
            case LibC.EBUSY:
                return prefix + " ('" + name + "' is already open elsewhere; a device shared by several channels "
                        + "needs TunChannelOption.IFF_MULTI_QUEUE on every one of them)";
            case LibC.EINVAL:
                return prefix + " ('" + name + "' exists and is not a TUN device, or its queue mode differs: "
                        + "IFF_MULTI_QUEUE is " + (multiQueue ? "on" : "off") + " here)";
            default:
                return prefix;
        }
    }
}

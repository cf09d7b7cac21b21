/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import io.github.nettytun.channel.tun.internal.Ioctl;
import io.github.nettytun.channel.tun.internal.LibC;
import io.github.nettytun.channel.tun.internal.TunFile;

/**
 * Whether TUN channels can work on this machine, and which TUN features the kernel has.
 * Availability means: Linux, JNA loads, and {@code /dev/net/tun} opens and answers {@code TUNGETFEATURES}.
 * Creating a device additionally needs {@code CAP_NET_ADMIN}, which only bind can tell.
 */
public final class Tun {

    private static final Throwable UNAVAILABILITY_CAUSE;
    private static final int FEATURES;

    static {
        Throwable cause = null;
        int features = 0;
        try {
            if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("linux")) {
                throw new UnsupportedOperationException("TUN channels need Linux, not "
                        + System.getProperty("os.name"));
            }
            int fd = TunFile.open();
            try {
                features = Ioctl.tunGetFeatures(fd);
            } finally {
                LibC.INSTANCE.close(fd);
            }
        } catch (Throwable t) {
            cause = t;
        }
        UNAVAILABILITY_CAUSE = cause;
        FEATURES = features;
    }

    private Tun() {
    }

    /** Whether TUN channels can be used. */
    public static boolean isAvailable() {
        return UNAVAILABILITY_CAUSE == null;
    }

    /**
     * Throws if TUN channels cannot be used.
     *
     * @throws UnsatisfiedLinkError with the cause attached
     */
    public static void ensureAvailability() {
        if (UNAVAILABILITY_CAUSE != null) {
            throw (Error) new UnsatisfiedLinkError("TUN is not available: " + UNAVAILABILITY_CAUSE.getMessage())
                    .initCause(UNAVAILABILITY_CAUSE);
        }
    }

    /** Why TUN channels cannot be used, or {@code null} if they can. */
    public static Throwable unavailabilityCause() {
        return UNAVAILABILITY_CAUSE;
    }

    /** Whether the TUN driver supports {@code IFF_VNET_HDR} (virtio-net headers, needed for offload). */
    public static boolean isVnetHdrSupported() {
        return (FEATURES & Ioctl.IFF_VNET_HDR) != 0;
    }

    /** Whether the TUN driver supports {@code IFF_MULTI_QUEUE} (Linux 3.8+). */
    public static boolean isMultiQueueSupported() {
        return (FEATURES & Ioctl.IFF_MULTI_QUEUE) != 0;
    }

    /**
     * Whether the kernel is new enough for UDP segmentation offload on TUN ({@code TUN_F_USO4|TUN_F_USO6},
     * Linux 6.2+). What a bound channel got is {@link TunChannelConfig#getAcceptedOffloads()}.
     */
    public static boolean isUsoSupported() {
        return isAvailable() && kernelAtLeast(System.getProperty("os.version", ""), 6, 2);
    }

    static boolean kernelAtLeast(String release, int major, int minor) {
        String[] parts = release.split("[.\\-+]");
        try {
            int maj = Integer.parseInt(parts[0]);
            int min = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            return maj > major || maj == major && min >= minor;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}

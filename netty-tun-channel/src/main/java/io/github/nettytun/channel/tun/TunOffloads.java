/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import io.github.nettytun.channel.tun.internal.Ioctl;

/**
 * The offload flags a TUN device can be asked for with {@code TUNSETOFFLOAD} ({@code TUN_F_*} of
 * {@code linux/if_tun.h}), as used by {@link TunChannelOption#TUN_OFFLOADS}.
 *
 * <p>They tell the kernel what the reader of the device can take: with {@link #TUN_F_CSUM} the kernel may
 * hand over packets whose checksum is still to be completed ({@link VirtioNetHeader#F_NEEDS_CSUM}); with
 * {@link #TUN_F_TSO4}/{@link #TUN_F_TSO6} TCP super-packets of up to 64 KiB; with
 * {@link #TUN_F_USO4}/{@link #TUN_F_USO6} UDP super-packets. The same set is then accepted on writes.
 * Offload settings are device-wide and survive on a persistent device.
 */
public final class TunOffloads {

    /** {@code TUN_F_CSUM}: checksum offload; every other flag requires it. */
    public static final int TUN_F_CSUM = Ioctl.TUN_F_CSUM;
    /** {@code TUN_F_TSO4}: TCP segmentation offload for IPv4. */
    public static final int TUN_F_TSO4 = Ioctl.TUN_F_TSO4;
    /** {@code TUN_F_TSO6}: TCP segmentation offload for IPv6. */
    public static final int TUN_F_TSO6 = Ioctl.TUN_F_TSO6;
    /** {@code TUN_F_TSO_ECN}: TSO for flows with ECN (CWR). */
    public static final int TUN_F_TSO_ECN = Ioctl.TUN_F_TSO_ECN;
    /** {@code TUN_F_UFO}: legacy UDP fragmentation offload; ignored by Linux 4.14+ and not requested here. */
    public static final int TUN_F_UFO = Ioctl.TUN_F_UFO;
    /** {@code TUN_F_USO4}: UDP segmentation offload for IPv4 (Linux 6.2+; only together with USO6). */
    public static final int TUN_F_USO4 = Ioctl.TUN_F_USO4;
    /** {@code TUN_F_USO6}: UDP segmentation offload for IPv6 (Linux 6.2+; only together with USO4). */
    public static final int TUN_F_USO6 = Ioctl.TUN_F_USO6;

    /** Checksum offload and TSO for both IP versions: what offload mode requires of the kernel. */
    public static final int REQUIRED = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
    /** USO, asked for when offload is on and dropped without error where the kernel is older than 6.2. */
    public static final int USO = TUN_F_USO4 | TUN_F_USO6;
    /** The default request of {@link TunChannelOption#TUN_OFFLOADS}: {@link #REQUIRED} plus {@link #USO}. */
    public static final int DEFAULT = REQUIRED | USO;

    private static final int KNOWN = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | USO;

    private TunOffloads() {
    }

    /**
     * Checks a requested set the way {@code set_offload()} of {@code drivers/net/tun.c} would, so that a bad
     * request fails when it is configured rather than at bind time.
     *
     * @throws IllegalArgumentException naming the offending flags
     */
    public static int validate(int offloads) {
        if ((offloads & ~KNOWN) != 0) {
            throw new IllegalArgumentException("unknown or unsupported TUN offload flags 0x"
                    + Integer.toHexString(offloads & ~KNOWN) + " in " + toString(offloads)
                    + " (known: " + toString(KNOWN) + ')');
        }
        if (offloads != 0 && (offloads & TUN_F_CSUM) == 0) {
            throw new IllegalArgumentException(toString(offloads) + " needs TUN_F_CSUM: the kernel refuses "
                    + "segmentation offload without checksum offload");
        }
        if ((offloads & TUN_F_TSO_ECN) != 0 && (offloads & (TUN_F_TSO4 | TUN_F_TSO6)) == 0) {
            throw new IllegalArgumentException("TUN_F_TSO_ECN needs TUN_F_TSO4 or TUN_F_TSO6");
        }
        int uso = offloads & USO;
        if (uso != 0 && uso != USO) {
            throw new IllegalArgumentException("TUN_F_USO4 and TUN_F_USO6 go together (Linux accepts neither alone)");
        }
        return offloads;
    }

    /** {@code CSUM|TSO4|TSO6}, or {@code NONE} for 0. */
    public static String toString(int offloads) {
        return Ioctl.offloadsToString(offloads);
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import io.github.nettytun.channel.tun.internal.Ioctl;
import io.netty.util.internal.ObjectUtil;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The address a {@link TunChannel} binds to: the name of a TUN interface.
 *
 * <p>Binding to a name that does not exist creates the device; binding to an existing TUN device attaches
 * to it (a second queue of a multi-queue device, or a persistent device). An empty name lets the kernel
 * choose ({@code tun0}, {@code tun1}, ...); a name with {@code %d} is a pattern the kernel fills in.
 * After binding, {@link TunChannel#localAddress()} holds the actual name.
 */
public final class TunAddress extends SocketAddress {

    private static final long serialVersionUID = 1L;

    /** Let the kernel choose the name. */
    public static final TunAddress ANY = new TunAddress("");

    private final String ifName;

    /**
     * @param ifName at most 15 ASCII bytes ({@code IFNAMSIZ - 1}), no {@code '/'}, {@code ':'} or whitespace,
     *               or empty to let the kernel choose
     */
    public TunAddress(String ifName) {
        ObjectUtil.checkNotNull(ifName, "ifName");
        byte[] bytes = ifName.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length >= Ioctl.IFNAMSIZ) {
            throw new IllegalArgumentException("interface name '" + ifName + "' is " + bytes.length
                    + " bytes; Linux allows at most " + (Ioctl.IFNAMSIZ - 1) + " (IFNAMSIZ - 1)");
        }
        for (int i = 0; i < ifName.length(); i++) {
            char c = ifName.charAt(i);
            if (c > 0x7e || c <= ' ' || c == '/' || c == ':') {
                throw new IllegalArgumentException("interface name '" + ifName + "' has an invalid character at "
                        + i + " (Linux rejects '/', ':', whitespace and non-ASCII)");
            }
        }
        if (".".equals(ifName) || "..".equals(ifName)) {
            throw new IllegalArgumentException("interface name must not be '" + ifName + "'");
        }
        this.ifName = ifName;
    }

    /** The interface name; empty for {@link #ANY}. */
    public String ifName() {
        return ifName;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TunAddress && ((TunAddress) o).ifName.equals(ifName);
    }

    @Override
    public int hashCode() {
        return ifName.hashCode();
    }

    @Override
    public String toString() {
        return ifName.isEmpty() ? "tun:<any>" : "tun:" + ifName;
    }
}

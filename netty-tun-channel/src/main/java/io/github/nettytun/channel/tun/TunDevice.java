/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import com.sun.jna.LastErrorException;
import io.github.nettytun.channel.tun.internal.Ioctl;
import io.github.nettytun.channel.tun.internal.LibC;
import io.github.nettytun.channel.tun.internal.Rtnetlink;
import io.netty.channel.ChannelException;
import io.netty.util.concurrent.Future;
import io.netty.util.internal.ObjectUtil;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.TimeUnit;

/**
 * Interface control of the device a {@link TunChannel} is bound to: MTU, addresses, up/down. Calls are
 * synchronous {@code ioctl}s and rtnetlink requests and may be made from any thread, including the event loop
 * (from a thread outside the device's namespace each call costs a short-lived helper thread).
 *
 * <p>They act in the device's own network namespace (found with {@code SIOCGSKNS} on the TUN file), whatever
 * namespace the calling thread is in. Errors are {@link ChannelException}s naming the device and the
 * kernel's reason.
 */
public final class TunDevice {

    /** Bound on waiting for in-flight reads to be resized; they normally take microseconds. */
    private static final int RESIZE_WAIT_SECONDS = 10;
    /** Bound on waiting for the kernel to install the local route of an IPv6 address; normally microseconds. */
    private static final long LOCAL_ROUTE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final AbstractTunChannel channel;
    /** The IPv6 addresses added through this object: up() waits for their local routes. */
    private final Set<InetAddress> ipv6Addresses = new CopyOnWriteArraySet<>();

    TunDevice(AbstractTunChannel channel) {
        this.channel = channel;
    }

    /** The current name (re-read from the kernel: the device may have been renamed). */
    public String name() {
        int fd = channel.tunFd();
        try {
            return Ioctl.tunGetName(fd);
        } catch (LastErrorException e) {
            throw new ChannelException("TUNGETIFF on " + channel + " failed: " + e.getMessage(), e);
        }
    }

    /** The interface index. */
    public int index() {
        return control(LibC.AF_INET, "SIOCGIFINDEX", Ioctl::ifIndex);
    }

    /** The MTU. */
    public int mtu() {
        return control(LibC.AF_INET, "SIOCGIFMTU", Ioctl::ifMtu);
    }

    /**
     * Sets the MTU (68..65535 for TUN). Without offload the channel's read buffers follow it, so that no
     * packet is truncated: called outside the channel's event loop, this returns once reads already in flight
     * have been resized too (on the event loop that happens right after it returns).
     */
    public TunDevice mtu(int mtu) {
        ObjectUtil.checkInRange(mtu, 68, 65535, "mtu");
        control(LibC.AF_INET, "SIOCSIFMTU " + mtu, (sock, name) -> {
            Ioctl.ifSetMtu(sock, name, mtu);
            return null;
        });
        Future<?> resized = channel.mtuChanged(mtu);
        if (!channel.isRegistered() || !channel.eventLoop().inEventLoop()) {
            resized.awaitUninterruptibly(RESIZE_WAIT_SECONDS, TimeUnit.SECONDS);
        }
        return this;
    }

    /**
     * Adds an address with its prefix length (or updates the same address, like {@code ip addr replace}); the
     * kernel adds the prefix route. IPv6 addresses are added without duplicate address detection
     * ({@code IFA_F_NODAD}), so sockets can bind them at once; on a device that is up, this returns once the kernel
     * has also installed the address's local route (it does so from its DAD work item, a moment later), so that
     * packets to the address are delivered from then on.
     */
    public TunDevice addAddress(InetAddress address, int prefixLength) {
        ObjectUtil.checkNotNull(address, "address");
        ObjectUtil.checkInRange(prefixLength, 0, address instanceof Inet4Address ? 32 : 128, "prefixLength");
        int index = index();
        control(-1, "RTM_NEWADDR " + address.getHostAddress() + '/' + prefixLength, (sock, name) -> {
            Rtnetlink.addAddress(sock, index, address, prefixLength);
            return null;
        });
        if (!(address instanceof Inet4Address)) {
            ipv6Addresses.add(address);
            if (isUp()) {
                awaitLocalRoutes();
            }
        }
        return this;
    }

    /**
     * Routes {@code network/prefixLength} through this device in the main table, like {@code ip route add
     * NETWORK/LEN dev NAME}; host bits are ignored. The device must be up. An existing route for the same prefix is
     * never replaced (that would take traffic away from another interface, and the route would be gone after this
     * device): it is a {@link RouteExistsException}. Routes through the device go away with it.
     */
    public TunDevice addRoute(InetAddress network, int prefixLength) {
        return addRoute(network, prefixLength, MAIN_TABLE);
    }

    /** The kernel's main routing table ({@code RT_TABLE_MAIN}), where {@code ip route add} puts routes. */
    public static final int MAIN_TABLE = Rtnetlink.RT_TABLE_MAIN;

    /**
     * As {@link #addRoute(InetAddress, int)}, in routing table {@code table} (1 to 2^32-1, like {@code ip route add
     * ... table N}); the same refusal of a prefix the table routes already.
     */
    public TunDevice addRoute(InetAddress network, int prefixLength, int table) {
        ObjectUtil.checkNotNull(network, "network");
        ObjectUtil.checkInRange(prefixLength, 0, network instanceof Inet4Address ? 32 : 128, "prefixLength");
        checkTable(table);
        int index = index();
        try {
            control(-1, "RTM_NEWROUTE " + network.getHostAddress() + '/' + prefixLength + " table "
                    + Integer.toUnsignedString(table), (sock, name) -> {
                        Rtnetlink.addRoute(sock, index, network, prefixLength, table);
                        return null;
                    });
        } catch (ChannelException e) {
            if (e.getCause() instanceof LastErrorException
                    && ((LastErrorException) e.getCause()).getErrorCode() == LibC.EEXIST) {
                throw new RouteExistsException(network, prefixLength, name(), e.getCause());
            }
            throw e;
        }
        return this;
    }

    /**
     * Removes the route {@link #addRoute} made for {@code network/prefixLength} through this device, like
     * {@code ip route del NETWORK/LEN dev NAME}.
     *
     * @return false when there was no such route (nothing changed)
     */
    public boolean removeRoute(InetAddress network, int prefixLength) {
        return removeRoute(network, prefixLength, MAIN_TABLE);
    }

    /** As {@link #removeRoute(InetAddress, int)}, from routing table {@code table}. */
    public boolean removeRoute(InetAddress network, int prefixLength, int table) {
        ObjectUtil.checkNotNull(network, "network");
        ObjectUtil.checkInRange(prefixLength, 0, network instanceof Inet4Address ? 32 : 128, "prefixLength");
        checkTable(table);
        int index = index();
        try {
            control(-1, "RTM_DELROUTE " + network.getHostAddress() + '/' + prefixLength, (sock, name) -> {
                Rtnetlink.deleteRoute(sock, index, network, prefixLength, table);
                return null;
            });
            return true;
        } catch (ChannelException e) {
            if (e.getCause() instanceof LastErrorException
                    && ((LastErrorException) e.getCause()).getErrorCode() == LibC.ESRCH) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Adds the two policy rules of wg-quick's full tunnel for IPv4 or IPv6, in this device's network namespace:
     * {@code not fwmark MARK table MARK} (everything but the tunnel's own marked UDP packets looks up table MARK,
     * where a default route through this device goes) and {@code table main suppress_prefixlength 0} (the main
     * table's specific routes still win, its default route does not). The tunnel's UDP socket must carry the mark
     * ({@code SO_MARK}). Rules outlive the device: remove them with {@link #removeFullTunnelRules}.
     *
     * @throws ChannelException when a rule is refused (one that is there already: {@code EEXIST}); a first rule
     *         added before the second failed is removed again
     */
    public void addFullTunnelRules(boolean ipv6, int fwmark) {
        if (fwmark == 0) {
            throw new IllegalArgumentException("fwmark must not be 0");
        }
        control(-1, "RTM_NEWRULE not fwmark " + Integer.toUnsignedString(fwmark) + " table "
                + Integer.toUnsignedString(fwmark), (sock, name) -> {
                    Rtnetlink.rule(sock, true, ipv6, fwmark, fwmark, true, -1);
                    try {
                        Rtnetlink.rule(sock, true, ipv6, MAIN_TABLE, 0, false, 0);
                    } catch (LastErrorException e) {
                        Rtnetlink.rule(sock, false, ipv6, fwmark, fwmark, true, -1);
                        throw e;
                    }
                    return null;
                });
    }

    /**
     * Removes what {@link #addFullTunnelRules} added (a rule already gone is not an error).
     *
     * @return how many of the two rules were there
     */
    public int removeFullTunnelRules(boolean ipv6, int fwmark) {
        return control(-1, "RTM_DELRULE not fwmark " + Integer.toUnsignedString(fwmark), (sock, name) -> {
            int removed = 0;
            for (boolean markRule : new boolean[] {true, false}) {
                try {
                    if (markRule) {
                        Rtnetlink.rule(sock, false, ipv6, fwmark, fwmark, true, -1);
                    } else {
                        Rtnetlink.rule(sock, false, ipv6, MAIN_TABLE, 0, false, 0);
                    }
                    removed++;
                } catch (LastErrorException e) {
                    if (e.getErrorCode() != LibC.ENOENT) {
                        throw e;
                    }
                }
            }
            return removed;
        });
    }

    private static void checkTable(int table) {
        if (table == 0 || table == 255 /* local */) {
            throw new IllegalArgumentException("routing table " + Integer.toUnsignedString(table)
                    + " (expected 1-254 or 256 and above, not the local table)");
        }
    }

    /** {@link #addRoute} found a route for the prefix in the main table already; nothing was changed. */
    public static final class RouteExistsException extends ChannelException {
        private static final long serialVersionUID = 1L;
        private final String prefix;

        RouteExistsException(InetAddress network, int prefixLength, String device, Throwable cause) {
            super(prefixText(network, prefixLength) + " is routed already (see: ip route show exact "
                    + prefixText(network, prefixLength) + "); " + device + " did not take the route over", cause);
            this.prefix = prefixText(network, prefixLength);
        }

        /** The prefix, {@code network/length} with host bits cleared. */
        public String prefix() {
            return prefix;
        }

        private static String prefixText(InetAddress network, int prefixLength) {
            byte[] a = network.getAddress();
            for (int bit = prefixLength; bit < a.length * 8; bit++) {
                a[bit >>> 3] &= (byte) ~(0x80 >>> (bit & 7));
            }
            try {
                return InetAddress.getByAddress(a).getHostAddress() + '/' + prefixLength;
            } catch (java.net.UnknownHostException e) {
                throw new IllegalStateException(e); // a 4- or 16-byte array is always an address
            }
        }
    }

    /** Waits until every IPv6 address added here is routed locally (see {@link #addAddress}). */
    private void awaitLocalRoutes() {
        if (ipv6Addresses.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + LOCAL_ROUTE_WAIT_NANOS;
        for (InetAddress address : ipv6Addresses) {
            while (!control(-1, "RTM_GETROUTE " + address.getHostAddress(),
                    (sock, name) -> Rtnetlink.isLocal(sock, address))) {
                if (System.nanoTime() > deadline) {
                    throw new ChannelException("the kernel did not install the local route of "
                            + address.getHostAddress() + " on " + name() + " within "
                            + TimeUnit.NANOSECONDS.toSeconds(LOCAL_ROUTE_WAIT_NANOS) + " s");
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
            }
        }
    }

    /**
     * Sets {@code IFF_UP}, and returns once the IPv6 addresses added through {@link #addAddress} are routed locally
     * (see there). Writes to a device that is down fail with EIO.
     */
    public TunDevice up() {
        setUp(true);
        awaitLocalRoutes();
        return this;
    }

    /** Clears {@code IFF_UP}. */
    public TunDevice down() {
        return setUp(false);
    }

    /** Whether {@code IFF_UP} is set. */
    public boolean isUp() {
        return (control(LibC.AF_INET, "SIOCGIFFLAGS", Ioctl::ifFlags) & Ioctl.IFF_UP) != 0;
    }

    private TunDevice setUp(boolean up) {
        control(LibC.AF_INET, up ? "SIOCSIFFLAGS +IFF_UP" : "SIOCSIFFLAGS -IFF_UP", (sock, name) -> {
            int flags = Ioctl.ifFlags(sock, name);
            Ioctl.ifSetFlags(sock, name, up ? flags | Ioctl.IFF_UP : flags & ~Ioctl.IFF_UP);
            return null;
        });
        return this;
    }

    @FunctionalInterface
    private interface SocketOp<T> {
        T apply(int socket, String ifName);
    }

    /** Runs {@code op} on a socket of {@code family} (-1: rtnetlink) in the device's network namespace. */
    private <T> T control(int family, String what, SocketOp<T> op) {
        String name = name();
        try (NetworkNamespace ns = NetworkNamespace.of(channel.tunFd())) {
            return ns.call(() -> {
                int sock = family < 0 ? Rtnetlink.open()
                        : LibC.INSTANCE.socket(family, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
                try {
                    return op.apply(sock, name);
                } finally {
                    LibC.INSTANCE.close(sock);
                }
            });
        } catch (LastErrorException e) {
            String hint = e.getErrorCode() == LibC.EPERM ? " (needs CAP_NET_ADMIN)"
                    : e.getErrorCode() == LibC.EACCES ? " (is IPv6 disabled on the device?)" : "";
            throw new ChannelException(what + " on " + name + " failed: " + e.getMessage() + hint, e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new ChannelException(what + " on " + name + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "TunDevice(" + channel.localAddress() + ')';
    }
}

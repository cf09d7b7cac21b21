/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.channel.tun.TunDevice;
import io.github.nettytun.handler.vpn.wireguard.PeerConfig;
import io.netty.channel.ChannelException;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The routes of the peers' allowed IPs, as {@code wg-quick up} makes them, through rtnetlink:
 * <ul>
 *   <li>{@code Table = auto} (the default): each prefix in the main table; a /0 (a full tunnel) goes into table
 *       M, with the two policy rules {@code not fwmark M table M} and {@code table main suppress_prefixlength 0}
 *       for its family, M being {@code FwMark} or else 51820, which also marks the tunnel's own UDP socket so its
 *       packets to the endpoint keep to the main table; {@code net.ipv4.conf.all.src_valid_mark} is set as
 *       wg-quick sets it;</li>
 *   <li>{@code Table = N}: every prefix, a /0 too, in table N, no rules;</li>
 *   <li>{@code Table = off}: no routes.</li>
 * </ul>
 * Routes through the interface go with it; the rules do not, and {@link #close()} removes them (before the
 * interface goes; the server calls it on stop and on a failed start).
 */
final class RouteSetup implements AutoCloseable {

    /** wg-quick's first table (and mark) for a full tunnel. */
    static final int DEFAULT_FULL_TUNNEL_TABLE = 51820;

    private final TunDevice link;
    private final int fwmark;
    private final List<Boolean> rules = new ArrayList<>();

    private RouteSetup(TunDevice link, int fwmark) {
        this.link = link;
        this.fwmark = fwmark;
    }

    /** The mark the tunnel's UDP socket needs: FwMark, else 51820 for a full tunnel in {@code Table = auto}. */
    static int fwmarkFor(WgQuickConfig cfg) {
        if (cfg.fwmark() != 0) {
            return cfg.fwmark();
        }
        return cfg.table() == WgQuickConfig.TABLE_AUTO && hasDefault(cfg, false) | hasDefault(cfg, true)
                ? DEFAULT_FULL_TUNNEL_TABLE : 0;
    }

    /** Whether a peer has the IPv4 (IPv6) default route, {@code 0.0.0.0/0} ({@code ::/0}), among its allowed IPs. */
    static boolean hasDefault(WgQuickConfig cfg, boolean v6) {
        for (PeerConfig p : cfg.peers()) {
            for (PeerConfig.Prefix prefix : p.allowedIps()) {
                if (prefix.length() == 0 && prefix.address() instanceof Inet6Address == v6) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The table the peers' other routes go to, or -1 for none. */
    static long routeTable(WgQuickConfig cfg) {
        return cfg.table() == WgQuickConfig.TABLE_AUTO ? TunDevice.MAIN_TABLE : cfg.table();
    }

    /**
     * Adds the routes and rules for {@code cfg} in the calling thread's network namespace (the server's).
     *
     * @throws WireGuardServer.StartupException naming the line and prefix (or the table) the kernel refused;
     *         rules added before it are removed again
     */
    static RouteSetup apply(WgQuickConfig cfg, TunDevice link, Path config) throws WireGuardServer.StartupException {
        int fwmark = fwmarkFor(cfg);
        RouteSetup setup = new RouteSetup(link, fwmark);
        long table = routeTable(cfg);
        if (table < 0) {
            return setup;
        }
        try {
            List<PeerConfig> peers = cfg.peers();
            for (int i = 0; i < peers.size(); i++) {
                for (PeerConfig.Prefix prefix : peers.get(i).allowedIps()) {
                    if (prefix.length() == 0 && cfg.table() == WgQuickConfig.TABLE_AUTO) {
                        continue; // below, once per family
                    }
                    try {
                        link.addRoute(prefix.address(), prefix.length(), (int) table);
                    } catch (TunDevice.RouteExistsException e) {
                        throw new WireGuardServer.StartupException(1, config + ": line " + cfg.peerLine(i)
                                + ": [Peer] AllowedIPs " + e.getMessage(), e);
                    }
                }
            }
            if (cfg.table() == WgQuickConfig.TABLE_AUTO) {
                for (boolean v6 : new boolean[] {false, true}) {
                    if (hasDefault(cfg, v6)) {
                        setup.fullTunnel(v6, config);
                    }
                }
            }
            return setup;
        } catch (WireGuardServer.StartupException | RuntimeException e) {
            setup.close();
            throw e;
        }
    }

    private void fullTunnel(boolean v6, Path config) throws WireGuardServer.StartupException {
        String family = v6 ? "::/0" : "0.0.0.0/0";
        try {
            link.addRoute(v6 ? InetAddress.getByName("::") : InetAddress.getByName("0.0.0.0"), 0, fwmark);
        } catch (TunDevice.RouteExistsException e) {
            throw new WireGuardServer.StartupException(1, config + ": AllowedIPs " + family + ": table "
                    + Integer.toUnsignedString(fwmark) + " has a default route already (another full tunnel? give "
                    + "this one another FwMark)", e);
        } catch (IOException e) {
            throw new IllegalStateException(e); // literals
        }
        try {
            link.addFullTunnelRules(v6, fwmark);
        } catch (ChannelException e) {
            throw new WireGuardServer.StartupException(1, config + ": AllowedIPs " + family + ": the policy rules "
                    + "of a full tunnel could not be added (one is there already: another full tunnel in this "
                    + "namespace?): " + e.getMessage(), e);
        }
        rules.add(v6);
        if (!v6) {
            // As wg-quick: reverse-path filtering then accepts the replies to marked packets.
            try {
                Files.writeString(Path.of("/proc/sys/net/ipv4/conf/all/src_valid_mark"), "1",
                        StandardCharsets.US_ASCII);
            } catch (IOException e) {
                // not fatal: only strict rp_filter needs it
            }
        }
    }

    /** The socket mark in force, 0 for none. */
    int fwmark() {
        return fwmark;
    }

    /** Whether a full tunnel's rules are in place. */
    boolean fullTunnel() {
        return !rules.isEmpty();
    }

    /** Removes the rules (the routes go with the interface); reports but does not throw. */
    @Override
    public void close() {
        for (boolean v6 : rules) {
            try {
                link.removeFullTunnelRules(v6, fwmark);
            } catch (RuntimeException e) {
                System.err.println("netty-tun-wg: removing the full tunnel's " + (v6 ? "IPv6" : "IPv4")
                        + " rules failed: " + e.getMessage());
            }
        }
        rules.clear();
    }

    /** For the start line. */
    String describe() {
        return fullTunnel() ? ", full tunnel (fwmark and table " + Integer.toUnsignedString(fwmark) + ')' : "";
    }
}

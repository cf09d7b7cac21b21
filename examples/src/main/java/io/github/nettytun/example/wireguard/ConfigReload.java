/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.channel.tun.TunDevice;
import io.github.nettytun.handler.vpn.wireguard.PeerConfig;
import io.github.nettytun.handler.vpn.wireguard.WireGuardDevice;
import io.github.nettytun.handler.vpn.wireguard.WireGuardPeer;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A re-read wg-quick file applied to the running interface as {@code wg syncconf wg0 <(wg-quick strip wg0)} applies
 * it: peers that are gone are removed, new ones added, changed ones (allowed IPs, preshared key, endpoint,
 * persistent keepalive) updated in place; a peer whose configuration did not change is not touched and keeps its
 * session. The routes follow the allowed IPs (a /0 stays unrouted, as at start). What needs a restart
 * (PrivateKey, ListenPort, Address, MTU) is refused before anything changes; the hooks stay those of the start.
 */
final class ConfigReload {

    /** A reload that changed nothing, with the reason for the operator. */
    static final class RefusedException extends Exception {
        private static final long serialVersionUID = 1L;

        RefusedException(String message) {
            super(message);
        }
    }

    private ConfigReload() {
    }

    /**
     * Applies {@code after} where {@code before} was in force; blocks the caller (not the event loop) for the
     * device's part on its loop and for the routes.
     *
     * @return one line saying what changed; route problems (a prefix routed elsewhere already) are in it
     */
    static String apply(WgQuickConfig before, WgQuickConfig after, WireGuardDevice device, TunDevice link,
                        long table) throws Exception {
        List<String> restart = new ArrayList<>();
        if (!Arrays.equals(before.privateKey(), after.privateKey())) {
            restart.add("PrivateKey");
        }
        if (before.listenPort() != after.listenPort()) {
            restart.add("ListenPort");
        }
        if (!before.addresses().equals(after.addresses())) {
            restart.add("Address");
        }
        if (!Objects.equals(before.mtu(), after.mtu())) {
            restart.add("MTU");
        }
        if (before.table() != after.table()) {
            restart.add("Table");
        }
        if (before.fwmark() != after.fwmark()) {
            restart.add("FwMark");
        }
        for (boolean v6 : new boolean[] {false, true}) {
            if (RouteSetup.hasDefault(before, v6) != RouteSetup.hasDefault(after, v6)) {
                restart.add("a full tunnel's AllowedIPs " + (v6 ? "::/0" : "0.0.0.0/0"));
            }
        }
        if (!restart.isEmpty()) {
            throw new RefusedException(String.join(", ", restart) + " changed: that needs a restart; nothing was "
                    + "reloaded");
        }
        List<PeerConfig> peers = after.peers();
        for (int i = 0; i < peers.size(); i++) {
            try {
                peers.get(i).resolveEndpoint(); // off the loop: it may ask DNS
            } catch (UnknownHostException e) {
                throw new RefusedException("line " + after.peerLine(i) + ": [Peer] Endpoint does not resolve ("
                        + e.getMessage() + "); nothing was reloaded");
            }
        }
        int[] counts = device.eventLoop().submit(() -> applyPeers(peers, device)).get(10, TimeUnit.SECONDS);

        Set<PeerConfig.Prefix> routesBefore = routes(before);
        Set<PeerConfig.Prefix> routesAfter = routes(after);
        List<String> problems = new ArrayList<>();
        int removed = 0;
        int added = 0;
        for (PeerConfig.Prefix p : routesBefore) {
            if (!routesAfter.contains(p) && link.removeRoute(p.address(), p.length(), (int) table)) {
                removed++;
            }
        }
        for (PeerConfig.Prefix p : routesAfter) {
            if (!routesBefore.contains(p)) {
                try {
                    link.addRoute(p.address(), p.length(), (int) table);
                    added++;
                } catch (TunDevice.RouteExistsException e) {
                    problems.add(e.getMessage());
                }
            }
        }
        return String.format(java.util.Locale.ROOT, "reloaded: %d peer(s) added, %d removed, %d changed, %d "
                        + "unchanged; routes +%d -%d%s", counts[0], counts[1], counts[2], counts[3], added, removed,
                problems.isEmpty() ? "" : "; not routed: " + String.join("; ", problems));
    }

    /** On the loop: {added, removed, changed, unchanged}. */
    private static int[] applyPeers(List<PeerConfig> peers, WireGuardDevice device) {
        Set<java.nio.ByteBuffer> keep = new LinkedHashSet<>();
        for (PeerConfig c : peers) {
            keep.add(java.nio.ByteBuffer.wrap(c.publicKey()));
        }
        int removed = 0;
        for (WireGuardPeer p : device.peers()) {
            if (!keep.contains(java.nio.ByteBuffer.wrap(p.publicKey()))) {
                device.removePeer(p.publicKey());
                removed++;
            }
        }
        int added = 0;
        int changed = 0;
        int unchanged = 0;
        for (PeerConfig c : peers) {
            WireGuardPeer p = device.peer(c.publicKey());
            if (p == null) {
                device.addPeer(c);
                added++;
                continue;
            }
            boolean any = false;
            if (!allowedIps(p).equals(new LinkedHashSet<>(normalized(c.allowedIps())))) {
                device.setAllowedIps(p, c.allowedIps());
                any = true;
            }
            if (!Arrays.equals(p.presharedKey(), c.presharedKey())) {
                device.setPresharedKey(p, c.presharedKey());
                any = true;
            }
            if (c.endpoint() != null && !c.endpoint().equals(p.endpoint())) {
                device.setEndpoint(p, c.endpoint());
                any = true;
            }
            if (p.persistentKeepaliveSeconds() != c.persistentKeepaliveSeconds()) {
                device.setPersistentKeepalive(p, c.persistentKeepaliveSeconds());
                any = true;
            }
            if (any) {
                changed++;
            } else {
                unchanged++;
            }
        }
        return new int[] {added, removed, changed, unchanged};
    }

    private static Set<PeerConfig.Prefix> allowedIps(WireGuardPeer p) {
        Set<PeerConfig.Prefix> set = new LinkedHashSet<>();
        p.allowedIps().forEach(e -> set.add(normalize(new PeerConfig.Prefix(e.address(), e.prefixLength()))));
        return set;
    }

    /**
     * The prefixes {@link RouteSetup} routes in the peers' table for {@code cfg}, host bits cleared: none with
     * {@code Table = off}; a /0 only with an explicit table (with {@code auto} it is the full tunnel's, which a
     * reload does not change).
     */
    static Set<PeerConfig.Prefix> routes(WgQuickConfig cfg) {
        Set<PeerConfig.Prefix> set = new LinkedHashSet<>();
        if (RouteSetup.routeTable(cfg) < 0) {
            return set;
        }
        for (PeerConfig c : cfg.peers()) {
            for (PeerConfig.Prefix p : normalized(c.allowedIps())) {
                if (p.length() > 0 || cfg.table() != WgQuickConfig.TABLE_AUTO) {
                    set.add(p);
                }
            }
        }
        return set;
    }

    private static List<PeerConfig.Prefix> normalized(List<PeerConfig.Prefix> prefixes) {
        List<PeerConfig.Prefix> out = new ArrayList<>();
        for (PeerConfig.Prefix p : prefixes) {
            out.add(normalize(p));
        }
        return out;
    }

    /** {@code 10.0.0.7/24} as {@code 10.0.0.0/24}: one route, one table entry. */
    static PeerConfig.Prefix normalize(PeerConfig.Prefix p) {
        byte[] a = p.address().getAddress();
        for (int bit = p.length(); bit < a.length * 8; bit++) {
            a[bit >>> 3] &= (byte) ~(0x80 >>> (bit & 7));
        }
        try {
            return new PeerConfig.Prefix(InetAddress.getByAddress(a), p.length());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // a 4- or 16-byte address always makes one
        }
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.vpn.wireguard;

import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A peer's configuration, the {@code [Peer]} section of a WireGuard configuration: public key, optional preshared
 * key, endpoint, allowed IPs and persistent keepalive.
 *
 * <pre>{@code
 * PeerConfig peer = new PeerConfig(publicKey)
 *         .allowedIp("10.9.0.2/32").allowedIp("fd09::2/128")
 *         .endpoint(new InetSocketAddress("10.1.0.2", 51820))
 *         .persistentKeepalive(25);
 * }</pre>
 */
public final class PeerConfig {

    /** One allowed prefix. */
    public static final class Prefix {
        private final InetAddress address;
        private final int length;

        /** {@code address/length}; host bits are kept as given (the routing table ignores them). */
        public Prefix(InetAddress address, int length) {
            int max = address.getAddress().length * 8;
            if (length < 0 || length > max) {
                throw new IllegalArgumentException("prefix length " + length + " out of 0.." + max + " for "
                        + address.getHostAddress());
            }
            this.address = address;
            this.length = length;
        }

        /**
         * Parses {@code 10.0.0.0/8}, {@code fd00::/8} or a bare address (a host prefix). Only literal
         * addresses: no name lookups.
         *
         * @throws IllegalArgumentException with the reason when {@code text} is not a prefix
         */
        public static Prefix parse(String text) {
            String s = text.trim();
            int slash = s.indexOf('/');
            String addr = slash < 0 ? s : s.substring(0, slash);
            InetAddress address = parseLiteral(addr);
            int max = address.getAddress().length * 8;
            int length = max;
            if (slash >= 0) {
                try {
                    length = Integer.parseInt(s.substring(slash + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a prefix length in '" + text + "'");
                }
            }
            return new Prefix(address, length);
        }

        /** The address. */
        public InetAddress address() {
            return address;
        }

        /** The prefix length. */
        public int length() {
            return length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Prefix && ((Prefix) o).address.equals(address) && ((Prefix) o).length == length;
        }

        @Override
        public int hashCode() {
            return address.hashCode() * 31 + length;
        }

        @Override
        public String toString() {
            return address.getHostAddress() + '/' + length;
        }
    }

    private final byte[] publicKey;
    private byte[] presharedKey = new byte[WireGuardCrypto.KEY_LENGTH];
    private InetSocketAddress endpoint;
    private int persistentKeepaliveSeconds;
    private final List<Prefix> allowedIps = new ArrayList<>();

    /** A peer with this public key (32 bytes). */
    public PeerConfig(byte[] publicKey) {
        this.publicKey = checkKey(publicKey, "public key");
    }

    /** A peer with this public key in base64, as {@code wg genkey | wg pubkey} prints it. */
    public PeerConfig(String publicKeyBase64) {
        this(decodeKey(publicKeyBase64, "public key"));
    }

    /** Sets the preshared key (32 bytes; all zeros means none). */
    public PeerConfig presharedKey(byte[] key) {
        this.presharedKey = checkKey(key, "preshared key");
        return this;
    }

    /** Sets the preshared key from base64. */
    public PeerConfig presharedKey(String base64) {
        return presharedKey(decodeKey(base64, "preshared key"));
    }

    /**
     * Sets the endpoint. It may be unresolved (a host name from a configuration file) until
     * {@link #resolveEndpoint()}; a device takes only resolved ones.
     */
    public PeerConfig endpoint(InetSocketAddress endpoint) {
        this.endpoint = endpoint;
        return this;
    }

    /**
     * Resolves an unresolved endpoint's host name (this may block on DNS: not on an event loop).
     *
     * @throws UnknownHostException naming the host when it does not resolve
     */
    public PeerConfig resolveEndpoint() throws UnknownHostException {
        if (endpoint != null && endpoint.isUnresolved()) {
            endpoint = new InetSocketAddress(InetAddress.getByName(endpoint.getHostString()), endpoint.getPort());
        }
        return this;
    }

    /** Sets the persistent keepalive interval in seconds (0 = off, at most 65535). */
    public PeerConfig persistentKeepalive(int seconds) {
        if (seconds < 0 || seconds > 65535) {
            throw new IllegalArgumentException("persistent keepalive " + seconds + " s out of 0..65535");
        }
        this.persistentKeepaliveSeconds = seconds;
        return this;
    }

    /** Adds an allowed prefix, e.g. {@code "10.9.0.0/24"}. */
    public PeerConfig allowedIp(String prefix) {
        return allowedIp(Prefix.parse(prefix));
    }

    /** Adds an allowed prefix. */
    public PeerConfig allowedIp(Prefix prefix) {
        allowedIps.add(Objects.requireNonNull(prefix, "prefix"));
        return this;
    }

    /** The public key (a copy). */
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** The preshared key (a copy; all zeros when none). */
    public byte[] presharedKey() {
        return presharedKey.clone();
    }

    /** Whether a preshared key is set. */
    public boolean hasPresharedKey() {
        return isSet(presharedKey);
    }

    /** Whether {@code key} is not all zeros (the protocol's "no preshared key"). */
    static boolean isSet(byte[] key) {
        int or = 0;
        for (byte b : key) {
            or |= b;
        }
        return or != 0;
    }

    /** The endpoint (possibly unresolved, see {@link #resolveEndpoint()}), or {@code null}. */
    public InetSocketAddress endpoint() {
        return endpoint;
    }

    /** The persistent keepalive interval in seconds. */
    public int persistentKeepaliveSeconds() {
        return persistentKeepaliveSeconds;
    }

    /** The allowed prefixes. */
    public List<Prefix> allowedIps() {
        return Collections.unmodifiableList(allowedIps);
    }

    /**
     * Decodes a base64 WireGuard key.
     *
     * @throws IllegalArgumentException naming {@code what} when it is not 32 bytes of base64
     */
    public static byte[] decodeKey(String base64, String what) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(base64.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is not base64: " + e.getMessage());
        }
        return checkKey(key, what);
    }

    static byte[] checkKey(byte[] key, String what) {
        if (key == null || key.length != WireGuardCrypto.KEY_LENGTH) {
            throw new IllegalArgumentException(what + " must be 32 bytes, got "
                    + (key == null ? "none" : key.length));
        }
        return key.clone();
    }

    static InetAddress parseLiteral(String addr) {
        String a = addr.startsWith("[") && addr.endsWith("]") ? addr.substring(1, addr.length() - 1) : addr;
        // NetUtil parses literals only; InetAddress.getByName would ask DNS for anything else.
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(a);
        if (bytes == null) {
            throw new IllegalArgumentException("not an IP address: '" + addr + "'");
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: '" + addr + "'");
        }
    }
}

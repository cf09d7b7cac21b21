/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.handler.vpn.wireguard.PeerConfig;
import io.netty.util.NetUtil;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A {@code wg-quick} configuration file ({@code wg-quick(8)}, {@code wg(8)} CONFIGURATION FILE FORMAT):
 *
 * <pre>
 * [Interface]
 * PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
 * ListenPort = 51820
 * Address = 10.9.0.1/24, fd09::1/64
 * MTU = 1420
 *
 * [Peer]
 * PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
 * PresharedKey = ...
 * AllowedIPs = 10.9.0.2/32, fd09::2/128
 * Endpoint = 192.0.2.7:51820
 * PersistentKeepalive = 25
 * </pre>
 *
 * Keys are case-insensitive; {@code #} starts a comment; {@code Address} and {@code AllowedIPs} may repeat and
 * take comma-separated lists. {@code PreUp}, {@code PostUp}, {@code PreDown} and {@code PostDown} may repeat and
 * are kept in order ({@link #hooks}); the server runs them as wg-quick does, and routes as {@code Table} and
 * {@code FwMark} say. Keys this server does not act on ({@code DNS}, {@code SaveConfig}) are collected as
 * {@link #warnings()}. Anything malformed is a {@link ParseException} naming the line.
 */
public final class WgQuickConfig {

    /** A malformed configuration: the message starts with the line number. */
    public static final class ParseException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int line;

        ParseException(int line, String message) {
            super((line > 0 ? "line " + line + ": " : "") + cut(message));
            this.line = line;
        }

        /** Overlong input (a pasted key file, a binary) is not echoed whole. */
        private static String cut(String message) {
            return message.length() <= MAX_MESSAGE ? message
                    : message.substring(0, MAX_MESSAGE) + "… (" + message.length() + " characters)";
        }

        /** The line (1-based), or 0 for the file as a whole. */
        public int line() {
            return line;
        }
    }

    /** A {@code [Peer]} section while it is read: its keys may come in any order, the public key last. */
    private static final class PeerSection {
        final int line;
        byte[] publicKey;
        byte[] presharedKey;
        final List<PeerConfig.Prefix> allowedIps = new ArrayList<>();
        InetSocketAddress endpoint;
        int persistentKeepalive;

        PeerSection(int line) {
            this.line = line;
        }

        PeerConfig toPeerConfig() {
            PeerConfig config = new PeerConfig(publicKey).persistentKeepalive(persistentKeepalive).endpoint(endpoint);
            if (presharedKey != null) {
                config.presharedKey(presharedKey);
            }
            allowedIps.forEach(config::allowedIp);
            return config;
        }
    }

    private static final Set<String> IGNORED_INTERFACE_KEYS = Set.of("dns", "saveconfig");

    /** {@code Table = off}: no routes at all. */
    public static final long TABLE_OFF = -1;
    /** {@code Table = auto} (the default): the main table, and for a /0 wg-quick's policy routing. */
    public static final long TABLE_AUTO = 0;

    /** The hook keys of wg-quick, in the order it runs them. */
    public enum Hook {
        /** Before the interface is created. */
        PRE_UP("PreUp"),
        /** After it is up, with its addresses, MTU and routes. */
        POST_UP("PostUp"),
        /** Before it is taken down. */
        PRE_DOWN("PreDown"),
        /** After it is gone. */
        POST_DOWN("PostDown");

        /** The key as wg-quick spells it. */
        public final String key;

        Hook(String key) {
            this.key = key;
        }
    }

    private byte[] privateKey;
    private int listenPort;
    private Integer mtu;
    private final List<PeerConfig.Prefix> addresses = new ArrayList<>();
    private final List<PeerConfig> peers = new ArrayList<>();
    private final List<Integer> peerLines = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final java.util.Map<Hook, List<String>> hooks = new java.util.EnumMap<>(Hook.class);
    private long table = TABLE_AUTO;
    private int fwmark;

    /** The line of the {@code i}th [Peer] section header, for messages naming the file and line. */
    public int peerLine(int i) {
        return peerLines.get(i);
    }

    /** The largest configuration file read. */
    static final int MAX_FILE_BYTES = 1 << 20;
    /** The longest error message: beyond it, echoed input is cut. */
    static final int MAX_MESSAGE = 200;

    private WgQuickConfig() {
    }

    /**
     * Reads and parses a file (UTF-8, at most 1 MiB).
     *
     * @throws ParseException also for a directory, a file too large or bytes that are not UTF-8 (naming the line)
     * @throws IOException when the file cannot be read (missing, no permission)
     */
    public static WgQuickConfig read(Path file) throws IOException, ParseException {
        if (Files.isDirectory(file)) {
            throw new ParseException(0, "is a directory, not a configuration file");
        }
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new ParseException(0, "is " + size + " bytes; a configuration has at most " + MAX_FILE_BYTES);
        }
        byte[] bytes = Files.readAllBytes(file);
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return parse(utf8.decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            int line = 1;
            for (int i = 0, start = 0; i <= bytes.length; i++) {
                if (i == bytes.length || bytes[i] == '\n') {
                    try {
                        utf8.reset().decode(ByteBuffer.wrap(bytes, start, i - start));
                    } catch (CharacterCodingException bad) {
                        break;
                    }
                    line++;
                    start = i + 1;
                }
            }
            throw new ParseException(line, "is not UTF-8 text");
        }
    }

    /** Parses the text of a configuration. */
    public static WgQuickConfig parse(String text) throws ParseException {
        WgQuickConfig config = new WgQuickConfig();
        String section = null;
        int interfaceLine = 0;
        PeerSection peer = null;
        Map<String, Integer> seen = new HashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int n = i + 1;
            String line = lines[i];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.trim();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("[")) {
                if (!line.endsWith("]")) {
                    throw new ParseException(n, "section header without ']': " + line);
                }
                String name = line.substring(1, line.length() - 1).trim().toLowerCase(Locale.ROOT);
                seen.clear();
                if (name.equals("interface")) {
                    if (interfaceLine != 0) {
                        throw new ParseException(n, "a second [Interface] section (the first is on line "
                                + interfaceLine + ')');
                    }
                    interfaceLine = n;
                    section = name;
                    peer = null;
                } else if (name.equals("peer")) {
                    config.finishPeer(peer);
                    peer = new PeerSection(n);
                    section = name;
                } else {
                    throw new ParseException(n, "unknown section [" + line.substring(1, line.length() - 1)
                            + "] (expected [Interface] or [Peer])");
                }
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new ParseException(n, "expected 'Key = Value', found: " + line);
            }
            String key = line.substring(0, eq).trim();
            String value = line.substring(eq + 1).trim();
            String k = key.toLowerCase(Locale.ROOT);
            if (section == null) {
                throw new ParseException(n, key + " outside a section (put it under [Interface] or [Peer])");
            }
            if (value.isEmpty()) {
                throw new ParseException(n, key + " has no value");
            }
            boolean repeatable = k.equals("address") || k.equals("allowedips") || k.equals("dns")
                    || k.startsWith("pre") || k.startsWith("post");
            Integer first = seen.putIfAbsent(k, n);
            if (first != null && !repeatable) {
                throw new ParseException(n, key + " given twice in this section (first on line " + first + ')');
            }
            if (section.equals("interface")) {
                config.interfaceKey(n, key, k, value);
            } else {
                peerKey(peer, n, key, k, value);
            }
        }
        config.finishPeer(peer);
        if (interfaceLine == 0) {
            throw new ParseException(0, "no [Interface] section");
        }
        if (config.privateKey == null) {
            throw new ParseException(interfaceLine, "[Interface] has no PrivateKey");
        }
        return config;
    }

    private void interfaceKey(int n, String key, String k, String value) throws ParseException {
        switch (k) {
            case "privatekey":
                privateKey = key(n, key, value);
                break;
            case "listenport":
                listenPort = number(n, key, value, 0, 65535);
                break;
            case "mtu":
                mtu = number(n, key, value, 576, 65535);
                break;
            case "address":
                for (String a : list(n, key, value)) {
                    addresses.add(prefix(n, key, a));
                }
                break;
            case "table":
                table = table(n, key, value);
                break;
            case "fwmark":
                fwmark = fwmark(n, key, value);
                break;
            case "preup":
            case "postup":
            case "predown":
            case "postdown":
                for (Hook h : Hook.values()) {
                    if (h.key.equalsIgnoreCase(k)) {
                        hooks.computeIfAbsent(h, x -> new ArrayList<>()).add(value);
                    }
                }
                break;
            default:
                if (IGNORED_INTERFACE_KEYS.contains(k)) {
                    warnings.add("line " + n + ": " + key + " is not supported by this server and is ignored");
                } else {
                    throw new ParseException(n, "unknown key " + key + " in [Interface]");
                }
        }
    }

    private static void peerKey(PeerSection peer, int n, String key, String k, String value) throws ParseException {
        switch (k) {
            case "publickey":
                peer.publicKey = key(n, key, value);
                break;
            case "presharedkey":
                peer.presharedKey = key(n, key, value);
                break;
            case "allowedips":
                for (String a : list(n, key, value)) {
                    peer.allowedIps.add(prefix(n, key, a));
                }
                break;
            case "endpoint":
                endpoint(peer, n, value);
                break;
            case "persistentkeepalive":
                peer.persistentKeepalive = value.equalsIgnoreCase("off") ? 0 : number(n, key, value, 0, 65535);
                break;
            default:
                throw new ParseException(n, "unknown key " + key + " in [Peer]");
        }
    }

    private void finishPeer(PeerSection peer) throws ParseException {
        if (peer == null) {
            return;
        }
        if (peer.publicKey == null) {
            throw new ParseException(peer.line, "[Peer] has no PublicKey");
        }
        for (int i = 0; i < peers.size(); i++) {
            if (java.util.Arrays.equals(peers.get(i).publicKey(), peer.publicKey)) {
                throw new ParseException(peer.line, "the same PublicKey as the [Peer] on line " + peerLines.get(i));
            }
        }
        peers.add(peer.toPeerConfig());
        peerLines.add(peer.line);
    }

    private static byte[] key(int n, String key, String value) throws ParseException {
        try {
            return PeerConfig.decodeKey(value, key);
        } catch (IllegalArgumentException e) {
            throw new ParseException(n, e.getMessage());
        }
    }

    /** {@code off}, {@code auto}, {@code main} or a table number (as wg-quick; other names are not looked up). */
    private static long table(int n, String key, String value) throws ParseException {
        switch (value.toLowerCase(Locale.ROOT)) {
            case "off":
                return TABLE_OFF;
            case "auto":
                return TABLE_AUTO;
            case "main":
                return 254;
            default:
                try {
                    long t = Long.parseLong(value);
                    if (t >= 1 && t <= 0xffffffffL && t != 255) {
                        return t;
                    }
                } catch (NumberFormatException e) {
                    // below
                }
                throw new ParseException(n, key + " must be off, auto, main or a table number (1-4294967295, not "
                        + "255), found: " + value);
        }
    }

    /** {@code off}, or a mark as a number, decimal or {@code 0x} hexadecimal (0 is off). */
    private static int fwmark(int n, String key, String value) throws ParseException {
        if (value.equalsIgnoreCase("off")) {
            return 0;
        }
        try {
            long m = value.startsWith("0x") || value.startsWith("0X") ? Long.parseLong(value.substring(2), 16)
                    : Long.parseLong(value);
            if (m >= 0 && m <= 0xffffffffL) {
                return (int) m;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new ParseException(n, key + " must be off or a number (decimal or 0x hex, up to 0xffffffff), found: "
                + value);
    }

    private static int number(int n, String key, String value, int min, int max) throws ParseException {
        try {
            int v = Integer.parseInt(value);
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ParseException(n, key + " must be a number in " + min + ".." + max + ", found: " + value);
    }

    private static List<String> list(int n, String key, String value) throws ParseException {
        List<String> out = new ArrayList<>();
        for (String part : value.split(",", -1)) {
            String p = part.trim();
            if (p.isEmpty()) {
                throw new ParseException(n, key + " has an empty entry: " + value);
            }
            out.add(p);
        }
        return out;
    }

    private static PeerConfig.Prefix prefix(int n, String key, String text) throws ParseException {
        try {
            return PeerConfig.Prefix.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ParseException(n, key + ": " + e.getMessage());
        }
    }

    private static void endpoint(PeerSection peer, int n, String value) throws ParseException {
        String host;
        String port;
        if (value.startsWith("[")) {
            int close = value.indexOf("]:");
            if (close < 0) {
                throw new ParseException(n, "Endpoint must be [IPv6]:port, found: " + value);
            }
            host = value.substring(1, close);
            port = value.substring(close + 2);
        } else {
            int colon = value.lastIndexOf(':');
            if (colon <= 0 || value.indexOf(':') != colon) {
                throw new ParseException(n, "Endpoint must be host:port (IPv6 as [address]:port), found: " + value);
            }
            host = value.substring(0, colon);
            port = value.substring(colon + 1);
        }
        int portNumber = number(n, "Endpoint port", port, 1, 65535);
        // An IP literal is taken as it is; a host name waits, unresolved, for PeerConfig.resolveEndpoint().
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
        try {
            peer.endpoint = literal != null ? new InetSocketAddress(InetAddress.getByAddress(literal), portNumber)
                    : InetSocketAddress.createUnresolved(host, portNumber);
        } catch (UnknownHostException e) {
            throw new ParseException(n, "Endpoint: " + e.getMessage());
        }
    }

    /** The interface's private key. */
    public byte[] privateKey() {
        return privateKey.clone();
    }

    /** The listen port, 0 when not given (any free port, as wg does). */
    public int listenPort() {
        return listenPort;
    }

    /** The MTU, or {@code null} when not given. */
    public Integer mtu() {
        return mtu;
    }

    /** The interface addresses. */
    public List<PeerConfig.Prefix> addresses() {
        return Collections.unmodifiableList(addresses);
    }

    /**
     * The peers, in file order; an endpoint given by host name is unresolved
     * ({@link PeerConfig#resolveEndpoint()}).
     */
    public List<PeerConfig> peers() {
        return Collections.unmodifiableList(peers);
    }

    /** {@link #TABLE_OFF}, {@link #TABLE_AUTO} or a routing table number ({@code Table}). */
    public long table() {
        return table;
    }

    /** The firewall mark of the interface's UDP socket ({@code FwMark}), 0 for none. */
    public int fwmark() {
        return fwmark;
    }

    /** The commands of {@code hook}, in file order (empty when none). */
    public List<String> hooks(Hook hook) {
        return Collections.unmodifiableList(hooks.getOrDefault(hook, List.of()));
    }

    /** One line per key that was read but is not acted on. */
    public List<String> warnings() {
        return Collections.unmodifiableList(warnings);
    }
}

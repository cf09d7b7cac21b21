/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.handler.HandlerCounters;
import io.github.nettytun.handler.codec.offload.Ipv4Header;
import io.github.nettytun.handler.codec.offload.Ipv6Header;
import io.github.nettytun.handler.vpn.wireguard.PeerConfig;
import io.github.nettytun.handler.vpn.wireguard.WireGuardTunnel;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * An inner-packet firewall for a {@link WireGuardTunnel} ({@link WireGuardTunnel.Builder#innerHandler}): rules by
 * direction, protocol, source and destination prefix and destination port, the first that matches decides, a packet
 * no rule matches passes. Each rule counts the packets it dropped or passed. The server reads the rules from the file
 * that {@code --acl} names, one per line:
 *
 * <pre>
 * # ACTION  DIRECTION  PROTOCOL  [from PREFIX] [to PREFIX] [port N | port N-M]
 * allow     both       icmp
 * deny      from-peers tcp       to 10.9.0.1/32 port 22
 * deny      to-peers   udp       port 53
 * deny      both       any       from 10.9.0.66
 * </pre>
 *
 * <ul>
 *   <li>ACTION: {@code allow} or {@code deny}.</li>
 *   <li>DIRECTION: {@code from-peers} (decrypted packets on their way to this host's TUN interface),
 *       {@code to-peers} (packets read from the interface, before they are encrypted) or {@code both}.</li>
 *   <li>PROTOCOL: {@code any}, {@code tcp}, {@code udp}, {@code icmp} (ICMP for IPv4, ICMPv6 for IPv6) or a
 *       protocol number 0-255.</li>
 *   <li>A prefix is {@code address/length} or an address (IPv4 or IPv6; a rule with prefixes of one family matches
 *       only packets of that family). {@code port} matches the destination port of TCP and UDP packets.</li>
 * </ul>
 *
 * Limits, as for any stateless packet filter: the protocol of an IPv6 packet is its first next header (extension
 * headers are not walked), and a packet without a transport header to read (a non-first IPv4 fragment, a truncated
 * one) matches only rules without a port. Dropped packets vanish silently (no ICMP error is sent back).
 */
public final class InnerPacketFilter extends ChannelDuplexHandler {

    private static final int ICMP = 1;
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int ICMPV6 = 58;

    /** Which way a rule applies. */
    enum Direction { FROM_PEERS, TO_PEERS, BOTH }

    /** One rule. */
    static final class Rule {
        final int line;
        final boolean allow;
        final Direction direction;
        /** -1: any protocol; -2: ICMP of the packet's family. */
        final int protocol;
        final PeerConfig.Prefix from;
        final PeerConfig.Prefix to;
        final int portLow;
        final int portHigh;
        final String text;

        Rule(int line, boolean allow, Direction direction, int protocol, PeerConfig.Prefix from,
             PeerConfig.Prefix to, int portLow, int portHigh, String text) {
            this.line = line;
            this.allow = allow;
            this.direction = direction;
            this.protocol = protocol;
            this.from = from;
            this.to = to;
            this.portLow = portLow;
            this.portHigh = portHigh;
            this.text = text;
        }

        boolean matches(boolean fromPeers, int version, int proto, ByteBuf buf, int srcIndex, int dstIndex,
                        int port) {
            if (direction != Direction.BOTH && (direction == Direction.FROM_PEERS) != fromPeers) {
                return false;
            }
            if (protocol == -2 ? proto != (version == 4 ? ICMP : ICMPV6)
                    : protocol >= 0 && proto != protocol) {
                return false;
            }
            int addressLength = version == 4 ? 4 : 16;
            if (from != null && !contains(from, buf, srcIndex, addressLength)
                    || to != null && !contains(to, buf, dstIndex, addressLength)) {
                return false;
            }
            return portLow < 0 || port >= portLow && port <= portHigh;
        }

        private static boolean contains(PeerConfig.Prefix prefix, ByteBuf buf, int index, int addressLength) {
            byte[] net = prefix.address().getAddress();
            if (net.length != addressLength) {
                return false;
            }
            int bits = prefix.length();
            for (int i = 0; bits > 0; i++, bits -= 8) {
                int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
                if (((buf.getByte(index + i) ^ net[i]) & mask) != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /** A rules file that cannot be used; says the line and why. */
    public static final class ParseException extends Exception {
        private static final long serialVersionUID = 1L;

        ParseException(Path file, int line, String message) {
            super(file + ": line " + line + ": " + message);
        }
    }

    private final List<Rule> rules;
    /** Per rule: packets it dropped or passed; then packets no rule matched, each direction. */
    private final HandlerCounters counters;
    private final int noMatchFromPeers;
    private final int noMatchToPeers;
    private final Ipv4Header ipv4 = new Ipv4Header();
    private final Ipv6Header ipv6 = new Ipv6Header();

    InnerPacketFilter(List<Rule> rules) {
        this.rules = Collections.unmodifiableList(new ArrayList<>(rules));
        String[] names = new String[rules.size() + 2];
        for (int i = 0; i < rules.size(); i++) {
            names[i] = "line " + rules.get(i).line;
        }
        noMatchFromPeers = rules.size();
        noMatchToPeers = rules.size() + 1;
        names[noMatchFromPeers] = "unmatched from peers";
        names[noMatchToPeers] = "unmatched to peers";
        this.counters = new HandlerCounters(names);
    }

    /** A filter with the rules of {@code file}. */
    public static InnerPacketFilter read(Path file) throws IOException, ParseException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int hash = line.indexOf('#');
            String text = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (!text.isEmpty()) {
                rules.add(parseRule(file, i + 1, text));
            }
        }
        return new InnerPacketFilter(rules);
    }

    static Rule parseRule(Path file, int line, String text) throws ParseException {
        String[] t = text.split("\\s+");
        if (t.length < 3) {
            throw new ParseException(file, line, "expected ACTION DIRECTION PROTOCOL [from PREFIX] [to PREFIX] "
                    + "[port N[-M]], found '" + cut(text) + "'");
        }
        boolean allow;
        switch (t[0].toLowerCase(Locale.ROOT)) {
            case "allow":
                allow = true;
                break;
            case "deny":
                allow = false;
                break;
            default:
                throw new ParseException(file, line, "action '" + cut(t[0]) + "' (expected allow or deny)");
        }
        Direction direction;
        switch (t[1].toLowerCase(Locale.ROOT)) {
            case "from-peers":
                direction = Direction.FROM_PEERS;
                break;
            case "to-peers":
                direction = Direction.TO_PEERS;
                break;
            case "both":
                direction = Direction.BOTH;
                break;
            default:
                throw new ParseException(file, line, "direction '" + cut(t[1])
                        + "' (expected from-peers, to-peers or both)");
        }
        int protocol = protocol(file, line, t[2]);
        PeerConfig.Prefix from = null;
        PeerConfig.Prefix to = null;
        int portLow = -1;
        int portHigh = -1;
        for (int i = 3; i < t.length; i += 2) {
            String key = t[i].toLowerCase(Locale.ROOT);
            if (i + 1 >= t.length) {
                throw new ParseException(file, line, "'" + cut(t[i]) + "' needs a value");
            }
            String value = t[i + 1];
            switch (key) {
                case "from":
                    from = prefix(file, line, value, from);
                    break;
                case "to":
                    to = prefix(file, line, value, to);
                    break;
                case "port":
                    if (portLow >= 0) {
                        throw new ParseException(file, line, "port given twice");
                    }
                    if (protocol != TCP && protocol != UDP) {
                        throw new ParseException(file, line, "a port needs protocol tcp or udp");
                    }
                    int dash = value.indexOf('-');
                    portLow = port(file, line, dash < 0 ? value : value.substring(0, dash));
                    portHigh = dash < 0 ? portLow : port(file, line, value.substring(dash + 1));
                    if (portHigh < portLow) {
                        throw new ParseException(file, line, "port range " + cut(value) + " is empty");
                    }
                    break;
                default:
                    throw new ParseException(file, line, "'" + cut(t[i]) + "' (expected from, to or port)");
            }
        }
        if (from != null && to != null
                && from.address().getAddress().length != to.address().getAddress().length) {
            throw new ParseException(file, line, "from and to are of different address families");
        }
        return new Rule(line, allow, direction, protocol, from, to, portLow, portHigh, text);
    }

    private static int protocol(Path file, int line, String s) throws ParseException {
        switch (s.toLowerCase(Locale.ROOT)) {
            case "any":
                return -1;
            case "icmp":
                return -2;
            case "tcp":
                return TCP;
            case "udp":
                return UDP;
            default:
                try {
                    int p = Integer.parseInt(s);
                    if (p >= 0 && p <= 255) {
                        return p;
                    }
                } catch (NumberFormatException e) {
                    // below
                }
                throw new ParseException(file, line, "protocol '" + cut(s)
                        + "' (expected any, tcp, udp, icmp or 0-255)");
        }
    }

    private static PeerConfig.Prefix prefix(Path file, int line, String s, PeerConfig.Prefix before)
            throws ParseException {
        if (before != null) {
            throw new ParseException(file, line, "a prefix given twice");
        }
        try {
            return PeerConfig.Prefix.parse(s);
        } catch (IllegalArgumentException e) {
            throw new ParseException(file, line, "'" + cut(s) + "' is not an address or prefix: " + e.getMessage());
        }
    }

    private static int port(Path file, int line, String s) throws ParseException {
        try {
            int p = Integer.parseInt(s);
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new ParseException(file, line, "port '" + cut(s) + "' (expected 0-65535)");
    }

    private static String cut(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "…" : s;
    }

    /** Read from the TUN device: on its way to a peer. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf && !allows((ByteBuf) msg, false)) {
            ((ByteBuf) msg).release();
            return;
        }
        ctx.fireChannelRead(msg);
    }

    /** From a peer, decrypted: on its way to the TUN device. */
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf && !allows((ByteBuf) msg, true)) {
            ((ByteBuf) msg).release();
            promise.trySuccess();
            return;
        }
        ctx.write(msg, promise);
    }

    /** Whether {@code packet} passes; counts it under the rule that decided (or as unmatched). */
    boolean allows(ByteBuf packet, boolean fromPeers) {
        int start = packet.readerIndex();
        int length = packet.readableBytes();
        int version = length > 0 ? packet.getUnsignedByte(start) >>> 4 : 0;
        int protocol;
        int src;
        int dst;
        int transport;
        boolean hasPort;
        if (version == 4 && length >= Ipv4Header.MIN_LENGTH) {
            ipv4.wrap(packet, start);
            protocol = ipv4.protocol();
            src = start + Ipv4Header.SOURCE_OFFSET;
            dst = start + Ipv4Header.DESTINATION_OFFSET;
            transport = ipv4.headerLength();
            hasPort = (ipv4.flagsAndFragmentOffset() & 0x1fff) == 0;
        } else if (version == 6 && length >= Ipv6Header.LENGTH) {
            protocol = ipv6.wrap(packet, start).nextHeader();
            src = start + Ipv6Header.SOURCE_OFFSET;
            dst = start + Ipv6Header.DESTINATION_OFFSET;
            transport = Ipv6Header.LENGTH;
            hasPort = true;
        } else {
            // Not an IP packet: the device drops it anyway; no rule can speak about it.
            counters.increment(fromPeers ? noMatchFromPeers : noMatchToPeers);
            return true;
        }
        hasPort &= (protocol == TCP || protocol == UDP) && length >= transport + 4;
        int port = hasPort ? packet.getUnsignedShort(start + transport + 2) : -1;
        for (int i = 0; i < rules.size(); i++) {
            Rule rule = rules.get(i);
            if (rule.matches(fromPeers, version, protocol, packet, src, dst, port)) {
                counters.increment(i);
                return rule.allow;
            }
        }
        counters.increment(fromPeers ? noMatchFromPeers : noMatchToPeers);
        return true;
    }

    /** The rules, in order. */
    List<Rule> rules() {
        return rules;
    }

    /** Packets rule {@code index} decided; any thread. */
    long matched(int index) {
        return counters.get(index);
    }

    /** Packets dropped by any rule; any thread. */
    public long dropped() {
        long n = 0;
        for (int i = 0; i < rules.size(); i++) {
            if (!rules.get(i).allow) {
                n += counters.get(i);
            }
        }
        return n;
    }

    /** {@code acl: line 3 deny 12, line 5 allow 40, unmatched 7/9} for the stats line. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("acl:");
        for (int i = 0; i < rules.size(); i++) {
            Rule r = rules.get(i);
            sb.append(i == 0 ? " " : ", ").append("line ").append(r.line).append(r.allow ? " allow " : " deny ")
                    .append(counters.get(i));
        }
        sb.append(rules.isEmpty() ? " " : ", ").append("unmatched from peers ").append(counters.get(noMatchFromPeers))
                .append(", to peers ").append(counters.get(noMatchToPeers));
        return sb.toString();
    }
}

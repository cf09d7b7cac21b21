/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.codec.offload;

import io.github.nettytun.channel.tun.InternetChecksum;
import io.github.nettytun.channel.tun.TunChannel;
import io.github.nettytun.channel.tun.TunOffloads;
import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.channel.tun.VirtioNetHeader;
import io.github.nettytun.handler.BatchingOutboundHandler;
import io.github.nettytun.handler.HandlerCounters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

import java.util.Arrays;

/**
 * Coalesces the IP packets written to a TUN channel between two flushes into super-packets the kernel segments
 * again (TSO/USO with a virtio-net header): the outbound half of the GRO/GSO pair, placed right before the TUN
 * channel. One {@code write} syscall then carries up to 64 packets of a flow, and the kernel's stack sees one
 * large packet instead of many small ones.
 *
 * <p>Packets are plain {@link ByteBuf}s holding an IP packet, or {@link TunPacket}s without offload. Within one
 * flush batch:
 * <ul>
 *   <li>TCP (when the channel has TSO for the IP version): IPv4 without options and not a fragment, or IPv6 with
 *       TCP as next header; IP length equal to the buffer's; flags exactly ACK or ACK|PSH; at least one payload
 *       byte; valid checksums. A packet joins the flow's latest group when the flow (addresses, ports, ACK number)
 *       matches, IPv4 ToS, DF and TTL (IPv6 traffic class and hop limit) are equal, the TCP options are the same
 *       bytes, its sequence number continues the group's exactly, its payload is no larger than the group's first,
 *       and the result stays within 65535 bytes and 64 segments. A shorter packet or one with PSH ends the group.</li>
 *   <li>UDP (only when the channel accepted USO): the same IP rules and limits, flow = addresses and ports; a
 *       datagram shorter than the group's first ends it. IPv4 datagrams without a checksum are left alone.</li>
 * </ul>
 * A group of two or more becomes one {@link TunPacket}: a {@link CompositeByteBuf} of the first packet (IP length,
 * IPv4 header checksum and PSH rewritten, the transport checksum field set to the pseudo-header sum) and the other
 * packets' payloads, which the channel writes with one {@code writev}, without copying; its virtio header has
 * NEEDS_CSUM, the gso_type, hdr_len, gso_size (the first packet's payload length), csum_start and csum_offset.
 * Every other packet is written as it came, with a zero header. Groups are written in the order of their first
 * packet, so the packets of a flow stay in order. Anything else written (a {@code TunPacket} with offload, another
 * message type) first writes the batch so far, then itself.
 *
 * <p>The promise of every write completes when the write that carries it does. Offloads are taken from the
 * channel's {@link io.github.nettytun.channel.tun.TunChannelConfig#getAcceptedOffloads()} unless given to the
 * constructor; without {@code IFF_VNET_HDR} the handler passes everything through. {@link #setEnabled(boolean)}
 * switches coalescing off and on at run time. One instance per channel; counters may be read from any thread.
 */
public class TunGroCoalescer extends BatchingOutboundHandler {

    /** Most segments in one super-packet; the kernel's UDP_MAX_SEGMENTS, and a bound on iovecs per write. */
    public static final int MAX_SEGMENTS = 64;

    private static final int MAX_IP_LENGTH = 65535;
    private static final int KIND_OTHER = 0;
    private static final int KIND_TCP = 1;
    private static final int KIND_UDP = 2;
    private static final int TABLE_SIZE = 256; // flow hash buckets, a power of two

    private static final int PACKETS_IN = 0;
    private static final int WRITES_OUT = 1;
    private static final int SUPER_PACKETS = 2;
    private static final int COALESCED = 3;
    private static final int BAD_CHECKSUMS = 4;

    private final int configuredOffloads;
    private volatile boolean enabled = true;
    private int offloads = -1;

    private final Ipv4Header ipv4 = new Ipv4Header();
    private final Ipv6Header ipv6 = new Ipv6Header();
    private final TcpHeader tcp = new TcpHeader();
    private final UdpHeader udp = new UdpHeader();

    /** Packets of the current batch in write order; reused. */
    private Item[] items = new Item[16];
    private int count;
    /** Flow hash bucket -> index + 1 of the newest group head in it (0: empty); chained through Item.nextInBucket. */
    private final int[] table = new int[TABLE_SIZE];

    /** The promises of a group's members, for {@link #fanIn}; reused. */
    private ChannelPromise[] groupPromises = new ChannelPromise[MAX_SEGMENTS];
    private final HandlerCounters counters =
            new HandlerCounters("in", "writes", "superPackets", "coalesced", "badChecksums");

    /** Offloads from the channel's accepted set; {@link #DEFAULT_MAX_PENDING}. */
    public TunGroCoalescer() {
        this(-1, DEFAULT_MAX_PENDING);
    }

    /**
     * @param offloads   the {@link TunOffloads} flags the device accepted, or -1 to read them from the
     *                   {@link TunChannel} this handler is added to
     * @param maxPending packets held at most before they are written without waiting for the flush
     */
    public TunGroCoalescer(int offloads, int maxPending) {
        super(maxPending);
        if (offloads != -1) {
            TunOffloads.validate(offloads);
        }
        this.configuredOffloads = offloads;
    }

    /** Whether packets are coalesced; when not, every write passes through unchanged. */
    public boolean isEnabled() {
        return enabled;
    }

    /** Switches coalescing on or off; takes effect with the next write. */
    public TunGroCoalescer setEnabled(boolean enabled) {
        this.enabled = enabled;
        return this;
    }

    // ------------------------------------------------------------------------------------------------ handler

    @Override
    protected boolean hold(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ByteBuf ip = enabled ? candidateContent(msg) : null;
        if (ip == null || offloads(ctx) == 0) {
            return false;
        }
        counters.increment(PACKETS_IN);
        add(msg, ip, promise);
        return true;
    }

    @Override
    protected int pending() {
        return count;
    }

    @Override
    protected void writePending(ChannelHandlerContext ctx) {
        writeBatch(ctx);
    }

    private static ByteBuf candidateContent(Object msg) {
        if (msg instanceof ByteBuf) {
            return (ByteBuf) msg;
        }
        if (msg instanceof TunPacket) {
            TunPacket packet = (TunPacket) msg;
            if (!packet.header().needsCsum() && !packet.header().isGso()) {
                return packet.content();
            }
        }
        return null;
    }

    private int offloads(ChannelHandlerContext ctx) {
        if (offloads < 0) {
            if (configuredOffloads >= 0) {
                offloads = configuredOffloads;
            } else {
                Channel ch = ctx.channel();
                if (!(ch instanceof TunChannel)) {
                    throw new IllegalStateException(getClass().getSimpleName() + " on a " + ch.getClass().getName()
                            + " needs its offloads given to the constructor");
                }
                if (!ch.isActive()) {
                    return 0; // not bound yet; the channel fails the write
                }
                offloads = ((TunChannel) ch).config().getAcceptedOffloads();
            }
        }
        return offloads;
    }

    // ----------------------------------------------------------------------------------------- classification

    /** One packet of the batch; a group's head also holds the group's state. */
    private static final class Item {
        Object msg;
        ByteBuf ip;
        ChannelPromise promise;
        ByteBuf h;           // where the headers are read and written: ip, or the component of a composite ip
        int hs;              // index of the IP header in h
        int kind;
        int version;
        int ipLength;        // IP header length
        int headerLength;    // IP + transport header length
        int payload;         // transport payload bytes of this packet
        int seq;
        int tcpFlags;
        int hash;
        boolean valid;       // may be merged (checksums verified, flags allowed)
        int nextInBucket;    // index + 1
        // group state, on heads
        boolean head;
        boolean closed;
        int firstMember;     // index + 1 of the group's first member after the head, chained through nextMember
        int lastMember;      // index + 1 of the group's newest member; 0: none
        int nextMember;
        int segments;
        int totalLength;     // IP length of the group as one packet
        int nextSeq;
        boolean psh;

        void clear() {
            msg = null;
            ip = null;
            h = null;
            promise = null;
            firstMember = 0;
            lastMember = 0;
            nextMember = 0;
            nextInBucket = 0;
        }
    }

    private void add(Object msg, ByteBuf ip, ChannelPromise promise) {
        if (count == items.length) {
            items = Arrays.copyOf(items, count * 2);
        }
        Item item = items[count];
        if (item == null) {
            item = items[count] = new Item();
        }
        int index = count++;
        item.msg = msg;
        item.ip = ip;
        item.promise = promise;
        classify(item);
        if (item.kind == KIND_OTHER) {
            startGroup(item, index, false);
            return;
        }
        Item head = findFlow(item);
        if (head != null && item.valid && canAppend(head, item)) {
            append(head, item, index);
        } else {
            // Also when invalid: the packet shadows the flow's open group, so nothing later overtakes it.
            startGroup(item, index, true);
        }
    }

    /** Fills kind, version, lengths, flags and validity; kind stays KIND_OTHER for anything not TCP/UDP. */
    private void classify(Item item) {
        ByteBuf ip = item.ip;
        item.kind = KIND_OTHER;
        item.valid = false;
        int length = ip.readableBytes();
        if (length < Ipv4Header.MIN_LENGTH || length > MAX_IP_LENGTH) {
            return;
        }
        headerView(item);
        ByteBuf h = item.h;
        int start = item.hs;
        int version = h.getUnsignedByte(start) >>> 4;
        int protocol;
        int ipLength;
        int pseudo;
        if (version == 4) {
            ipv4.wrap(h, start);
            if (ipv4.headerLength() != Ipv4Header.MIN_LENGTH || ipv4.totalLength() != length || ipv4.isFragment()
                    || !ipv4.isChecksumValid()) {
                return;
            }
            protocol = ipv4.protocol();
            ipLength = Ipv4Header.MIN_LENGTH;
            pseudo = ipv4.pseudoHeaderSum(length - ipLength);
        } else if (version == 6) {
            if (length < Ipv6Header.LENGTH || ipv6.wrap(h, start).payloadLength() + Ipv6Header.LENGTH != length) {
                return;
            }
            protocol = ipv6.nextHeader();
            ipLength = Ipv6Header.LENGTH;
            pseudo = ipv6.pseudoHeaderSum(protocol, length - ipLength);
        } else {
            return;
        }
        int transport = start + ipLength;
        int headerLength;
        if (protocol == IpProtocols.TCP) {
            if (length < ipLength + TcpHeader.MIN_LENGTH) {
                return;
            }
            tcp.wrap(h, transport);
            int tcpLength = tcp.headerLength();
            if (tcpLength < TcpHeader.MIN_LENGTH || tcpLength > TcpHeader.MAX_LENGTH || ipLength + tcpLength > length
                    || (offloads & (version == 4 ? TunOffloads.TUN_F_TSO4 : TunOffloads.TUN_F_TSO6)) == 0) {
                return;
            }
            headerLength = ipLength + tcpLength;
            item.kind = KIND_TCP;
            item.seq = tcp.sequenceNumber();
            item.tcpFlags = tcp.flags();
        } else if (protocol == IpProtocols.UDP) {
            if (length < ipLength + UdpHeader.LENGTH || udp.wrap(h, transport).length() != length - ipLength
                    || (offloads & (version == 4 ? TunOffloads.TUN_F_USO4 : TunOffloads.TUN_F_USO6)) == 0) {
                return;
            }
            headerLength = ipLength + UdpHeader.LENGTH;
            item.kind = KIND_UDP;
        } else {
            return;
        }
        item.version = version;
        item.ipLength = ipLength;
        item.headerLength = headerLength;
        item.payload = length - headerLength;
        item.hash = flowHash(h, start, version, transport, item.kind);
        if (item.payload == 0) {
            return;
        }
        if (item.kind == KIND_TCP) {
            int flags = item.tcpFlags;
            if (flags != TcpHeader.ACK && flags != (TcpHeader.ACK | TcpHeader.PSH)) {
                return;
            }
        } else if (udp.checksum() == 0) {
            return; // IPv4 without a checksum (IPv6 forbids it): coalescing would add one
        }
        // Verified before merging: the kernel recomputes the checksum of each segment and would hide corruption.
        int sum = InternetChecksum.add(pseudo,
                InternetChecksum.sum(ip, ip.readerIndex() + ipLength, length - ipLength));
        if (sum != 0xffff) {
            counters.increment(BAD_CHECKSUMS);
            return;
        }
        item.valid = true;
    }

    /**
     * Points the item's header view at the first component when {@code ip} is a composite whose first component
     * holds all its headers (a segment from {@link TunGsoSegmenter} is one), so header reads skip the composite's
     * component lookup.
     */
    private static void headerView(Item item) {
        ByteBuf ip = item.ip;
        item.h = ip;
        item.hs = ip.readerIndex();
        if (!(ip instanceof CompositeByteBuf)) {
            return;
        }
        CompositeByteBuf composite = (CompositeByteBuf) ip;
        int index = ip.readerIndex();
        int c = composite.toComponentIndex(index);
        ByteBuf first = composite.internalComponent(c);
        int from = first.readerIndex() + index - composite.toByteIndex(c);
        int available = first.writerIndex() - from;
        if (available > 0 && headerBytes(first, from, available) <= available) {
            item.h = first;
            item.hs = from;
        }
    }

    /** How many bytes from {@code i} classify reads (as far as {@code available} bytes can tell). */
    private static int headerBytes(ByteBuf b, int i, int available) {
        int version = b.getUnsignedByte(i) >>> 4;
        if (version != 4 && version != 6) {
            return 1;
        }
        int ipLength = version == 4 ? Math.max(Ipv4Header.MIN_LENGTH, (b.getUnsignedByte(i) & 0xf) << 2)
                : Ipv6Header.LENGTH;
        if (available < ipLength) {
            return ipLength;
        }
        int protocol = b.getUnsignedByte(
                i + (version == 4 ? Ipv4Header.PROTOCOL_OFFSET : Ipv6Header.NEXT_HEADER_OFFSET));
        if (protocol == IpProtocols.UDP) {
            return ipLength + UdpHeader.LENGTH;
        }
        if (protocol != IpProtocols.TCP) {
            return ipLength;
        }
        if (available < ipLength + TcpHeader.MIN_LENGTH) {
            return ipLength + TcpHeader.MIN_LENGTH;
        }
        return ipLength + Math.max(TcpHeader.MIN_LENGTH, (b.getUnsignedByte(i + ipLength + 12) >>> 4) << 2);
    }

    private static int flowHash(ByteBuf ip, int start, int version, int transport, int kind) {
        int h;
        if (version == 4) {
            h = ip.getInt(start + Ipv4Header.SOURCE_OFFSET) * 31 + ip.getInt(start + Ipv4Header.DESTINATION_OFFSET);
        } else {
            h = 0;
            for (int i = Ipv6Header.SOURCE_OFFSET; i < Ipv6Header.LENGTH; i += 4) {
                h = h * 31 + ip.getInt(start + i);
            }
        }
        h = h * 31 + ip.getInt(transport); // both ports
        if (kind == KIND_TCP) {
            h = h * 31 + ip.getInt(transport + TcpHeader.ACK_OFFSET);
        }
        h = h * 31 + kind;
        return h ^ (h >>> 16);
    }

    /** The newest group head of the item's flow, or null. */
    private Item findFlow(Item item) {
        for (int i = table[item.hash & (TABLE_SIZE - 1)]; i != 0; ) {
            Item head = items[i - 1];
            if (head.hash == item.hash && sameFlow(head, item)) {
                return head;
            }
            i = head.nextInBucket;
        }
        return null;
    }

    private static boolean sameFlow(Item a, Item b) {
        if (a.kind != b.kind || a.version != b.version) {
            return false;
        }
        ByteBuf x = a.h;
        ByteBuf y = b.h;
        int xs = a.hs;
        int ys = b.hs;
        if (a.version == 4) {
            if (x.getLong(xs + Ipv4Header.SOURCE_OFFSET) != y.getLong(ys + Ipv4Header.SOURCE_OFFSET)) {
                return false;
            }
        } else {
            for (int i = Ipv6Header.SOURCE_OFFSET; i < Ipv6Header.LENGTH; i += 8) {
                if (x.getLong(xs + i) != y.getLong(ys + i)) {
                    return false;
                }
            }
        }
        int xt = xs + a.ipLength;
        int yt = ys + b.ipLength;
        return x.getInt(xt) == y.getInt(yt)
                && (a.kind != KIND_TCP || x.getInt(xt + TcpHeader.ACK_OFFSET) == y.getInt(yt + TcpHeader.ACK_OFFSET));
    }

    private static boolean canAppend(Item head, Item item) {
        if (!head.valid || head.closed || head.segments >= MAX_SEGMENTS
                || item.payload > head.payload || head.totalLength + item.payload > MAX_IP_LENGTH) {
            return false;
        }
        ByteBuf x = head.h;
        ByteBuf y = item.h;
        int xs = head.hs;
        int ys = item.hs;
        if (head.version == 4) {
            // ToS; DF and the reserved bit (MF was ruled out); TTL
            if (x.getByte(xs + Ipv4Header.TOS_OFFSET) != y.getByte(ys + Ipv4Header.TOS_OFFSET)
                    || (x.getByte(xs + Ipv4Header.FLAGS_FRAGMENT_OFFSET) & 0xe0)
                    != (y.getByte(ys + Ipv4Header.FLAGS_FRAGMENT_OFFSET) & 0xe0)
                    || x.getByte(xs + Ipv4Header.TTL_OFFSET) != y.getByte(ys + Ipv4Header.TTL_OFFSET)) {
                return false;
            }
        } else {
            // version and traffic class; hop limit
            if ((x.getUnsignedShort(xs) & 0xfff0) != (y.getUnsignedShort(ys) & 0xfff0)
                    || x.getByte(xs + Ipv6Header.HOP_LIMIT_OFFSET) != y.getByte(ys + Ipv6Header.HOP_LIMIT_OFFSET)) {
                return false;
            }
        }
        if (head.kind == KIND_TCP) {
            if (item.headerLength != head.headerLength || item.seq != head.nextSeq) {
                return false;
            }
            int options = head.ipLength + TcpHeader.MIN_LENGTH;
            int n = head.headerLength - options;
            return n == 0 || ByteBufUtil.equals(x, xs + options, y, ys + options, n);
        }
        return true;
    }

    private void startGroup(Item item, int index, boolean inTable) {
        item.head = true;
        item.closed = !item.valid || (item.kind == KIND_TCP && (item.tcpFlags & TcpHeader.PSH) != 0);
        item.segments = 1;
        item.totalLength = item.ip.readableBytes();
        item.nextSeq = item.seq + item.payload;
        item.psh = item.kind == KIND_TCP && (item.tcpFlags & TcpHeader.PSH) != 0;
        item.firstMember = 0;
        item.lastMember = 0;
        item.nextMember = 0;
        item.nextInBucket = 0;
        if (inTable) {
            int bucket = item.hash & (TABLE_SIZE - 1);
            item.nextInBucket = table[bucket];
            table[bucket] = index + 1;
        }
    }

    private void append(Item head, Item item, int index) {
        item.head = false;
        item.nextMember = 0;
        if (head.lastMember == 0) {
            head.firstMember = index + 1;
        } else {
            items[head.lastMember - 1].nextMember = index + 1;
        }
        head.lastMember = index + 1;
        head.segments++;
        head.totalLength += item.payload;
        head.nextSeq = item.seq + item.payload;
        boolean psh = head.kind == KIND_TCP && (item.tcpFlags & TcpHeader.PSH) != 0;
        head.psh |= psh;
        if (psh || item.payload < head.payload) {
            head.closed = true;
        }
    }

    // --------------------------------------------------------------------------------------------------- output

    /** Writes the batch held so far, groups as super-packets, in the order of their first packets. */
    private void writeBatch(ChannelHandlerContext ctx) {
        if (count == 0) {
            return;
        }
        int n = count;
        count = 0;
        Arrays.fill(table, 0);
        for (int i = 0; i < n; i++) {
            Item item = items[i];
            if (item.head) {
                if (item.firstMember == 0) {
                    counters.increment(WRITES_OUT);
                    ctx.write(item.msg, item.promise);
                } else {
                    writeGroup(ctx, item);
                }
            }
        }
        for (int i = 0; i < n; i++) {
            items[i].clear();
        }
    }

    private void writeGroup(ChannelHandlerContext ctx, Item head) {
        ByteBuf h = head.h;
        int start = head.hs;
        int total = head.totalLength;
        int transportLength = total - head.ipLength;
        int csumOffset;
        int gsoType;
        if (head.version == 4) {
            ipv4.wrap(h, start).totalLength(total).updateChecksum();
        } else {
            ipv6.wrap(h, start).payloadLength(transportLength);
        }
        int pseudo = head.version == 4 ? ipv4.pseudoHeaderSum(transportLength)
                : ipv6.pseudoHeaderSum(head.kind == KIND_TCP ? IpProtocols.TCP : IpProtocols.UDP, transportLength);
        if (head.kind == KIND_TCP) {
            tcp.wrap(h, start + head.ipLength).flags(head.psh ? head.tcpFlags | TcpHeader.PSH : head.tcpFlags)
                    .checksum(pseudo);
            csumOffset = TcpHeader.CHECKSUM_OFFSET;
            gsoType = head.version == 4 ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_TCPV6;
        } else {
            udp.wrap(h, start + head.ipLength).length(transportLength).checksum(pseudo);
            csumOffset = UdpHeader.CHECKSUM_OFFSET;
            gsoType = VirtioNetHeader.GSO_UDP_L4;
        }
        // Not through the allocator: no leak-detector wrapper per super-packet (the parts are tracked), and no
        // component limit, so it is never consolidated (copied).
        CompositeByteBuf composite = new CompositeByteBuf(ctx.alloc(), true, Integer.MAX_VALUE);
        composite.addComponent(true, head.ip);
        int nonVoid = head.promise.isVoid() ? 0 : 1;
        for (int m = head.firstMember; m != 0; m = items[m - 1].nextMember) {
            Item member = items[m - 1];
            addPayload(composite, member.ip, member.headerLength);
            if (!member.promise.isVoid()) {
                nonVoid++;
            }
        }
        VirtioNetHeader header = VirtioNetHeader.of(VirtioNetHeader.F_NEEDS_CSUM, gsoType, head.headerLength,
                head.payload, head.ipLength, csumOffset);
        counters.increment(SUPER_PACKETS);
        counters.add(COALESCED, head.segments);
        counters.increment(WRITES_OUT);
        ctx.write(new TunPacket(composite, header), groupPromise(ctx, head, nonVoid));
    }

    /**
     * Adds the payload of a member packet (everything after its {@code headerLength} header bytes) and hands the
     * packet's reference to the composite. When the packet is itself a composite whose last component is exactly
     * the payload (a segment from {@link TunGsoSegmenter}), that component is added alone.
     */
    private static void addPayload(CompositeByteBuf composite, ByteBuf ip, int headerLength) {
        int from = ip.readerIndex() + headerLength;
        if (ip instanceof CompositeByteBuf) {
            CompositeByteBuf parts = (CompositeByteBuf) ip;
            int c = parts.toComponentIndex(from);
            if (c == parts.numComponents() - 1 && parts.toByteIndex(c) == from
                    && ip.writerIndex() == parts.capacity()) {
                ByteBuf payload = parts.internalComponent(c).retain();
                ip.release();
                composite.addComponent(true, payload);
                return;
            }
            composite.addFlattenedComponents(true, ip.readerIndex(from));
            return;
        }
        composite.addComponent(true, ip.readerIndex(from));
    }

    /** The promise for a group's write: void if all members' are, else one that completes them all. */
    private ChannelPromise groupPromise(ChannelHandlerContext ctx, Item head, int nonVoid) {
        if (nonVoid == 0) {
            return ctx.voidPromise();
        }
        int n = 0;
        ChannelPromise[] members = groupPromises;
        members[n++] = head.promise;
        for (int m = head.firstMember; m != 0; m = items[m - 1].nextMember) {
            if (n == members.length) {
                members = groupPromises = Arrays.copyOf(members, n * 2);
            }
            members[n++] = items[m - 1].promise;
        }
        ChannelPromise promise = fanIn(ctx, members, n);
        Arrays.fill(members, 0, n, null);
        return promise;
    }

    // ------------------------------------------------------------------------------------------------- counters

    /** Packets taken into batches (candidates for coalescing). */
    public long packetsIn() {
        return counters.get(PACKETS_IN);
    }

    /** Writes passed to the channel from batches (super-packets and single packets). */
    public long writesOut() {
        return counters.get(WRITES_OUT);
    }

    /** Super-packets written. */
    public long superPackets() {
        return counters.get(SUPER_PACKETS);
    }

    /** Packets that went out inside super-packets. */
    public long coalesced() {
        return counters.get(COALESCED);
    }

    /** Packets left alone because their IPv4 header or transport checksum did not verify. */
    public long badChecksums() {
        return counters.get(BAD_CHECKSUMS);
    }

    @Override
    public String toString() {
        return "TunGroCoalescer(enabled=" + enabled + ", " + counters + ')';
    }
}

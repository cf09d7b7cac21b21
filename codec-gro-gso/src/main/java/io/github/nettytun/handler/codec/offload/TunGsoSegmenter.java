/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.handler.codec.offload;

import io.github.nettytun.channel.tun.InternetChecksum;
import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.channel.tun.VirtioNetHeader;
import io.github.nettytun.handler.HandlerCounters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;


/**
 * Turns the {@link TunPacket}s a TUN channel reads with offload on into plain IP packets ({@link ByteBuf}s), the way
 * a NIC's segmentation would have: the inbound half of the GRO/GSO pair, placed right after the TUN channel.
 *
 * <ul>
 *   <li>A super-packet (gso_type {@code TCPV4}, {@code TCPV6} or {@code UDP_L4}) becomes packets of at most
 *       gso_size payload bytes each. Per segment the headers are rewritten: IPv4 total length, identification
 *       (plus the segment's index) and header checksum; IPv6 payload length; TCP sequence number, with FIN and PSH
 *       kept only on the last segment and CWR only on the first; UDP length; and the full TCP/UDP checksum.</li>
 *   <li>A packet with {@code NEEDS_CSUM} and no segmentation gets its checksum completed in place.</li>
 *   <li>Any other {@code TunPacket} is passed on as its content, bytes untouched; messages that are not
 *       {@code TunPacket}s are passed on as they are.</li>
 * </ul>
 *
 * <p>No payload byte is copied. The first segment is a slice of the super-packet itself (its headers rewritten in
 * place); every later one is a two-component {@link CompositeByteBuf}: a copy of the headers (all of a super-packet's
 * header copies share one pooled buffer) and a slice of the super-packet's payload. So the segments share the
 * super-packet's memory, which is freed when the last of them is released. The header length is worked out from
 * csum_start and the transport header, never taken from hdr_len, which the kernel may set to the whole first packet
 * on its forwarding path.
 *
 * <p>A packet that breaks a rule (see {@link DropReason}) is dropped, released and counted; nothing is thrown. One
 * instance per channel; the counters may be read from any thread.
 *
 * @see <a href="https://github.com/torvalds/linux/blob/master/include/linux/virtio_net.h">linux/virtio_net.h</a>
 */
public class TunGsoSegmenter extends ChannelInboundHandlerAdapter {

    /** Why a packet was dropped. */
    public enum DropReason {
        /** gso_type is neither TCPV4, TCPV6 nor UDP_L4 (legacy UFO and unknown types, ECN on UDP). */
        UNSUPPORTED_GSO_TYPE("gso_type is not TCPV4, TCPV6 or UDP_L4"),
        /** The packet is neither IPv4 nor IPv6, or its version does not match a TCP gso_type. */
        IP_VERSION("IP version does not match gso_type"),
        /** gso_size is zero. */
        GSO_SIZE("gso_size is 0"),
        /**
         * csum_start is not where the IP header ends, or the IP header does not carry the gso_type's protocol
         * (IPv6 extension headers are not supported).
         */
        TRANSPORT_HEADER("csum_start does not point at the gso_type's transport header"),
        /** The TCP data offset gives a header length outside 20..60. */
        TCP_HEADER_LENGTH("TCP header length not in 20..60"),
        /** The packet ends inside its own headers. */
        TRUNCATED("packet shorter than its headers"),
        /** The checksum field named by csum_start + csum_offset is not inside the packet (or not the transport's). */
        CSUM_OFFSET("checksum field outside the packet or not the transport checksum"),
        /** Longer than 65535 bytes: no IP packet can be. */
        TOO_LONG("longer than 65535 bytes");

        private final String description;

        DropReason(String description) {
            this.description = description;
        }

        /** What is wrong, in a few words. */
        public String description() {
            return description;
        }
    }

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(TunGsoSegmenter.class);
    private static final int MAX_IP_LENGTH = 65535;

    private final Ipv4Header ipv4 = new Ipv4Header();
    private final Ipv6Header ipv6 = new Ipv6Header();
    private final TcpHeader tcp = new TcpHeader();
    private final UdpHeader udp = new UdpHeader();

    private static final int PACKETS_IN = 0;
    private static final int SUPER_PACKETS = 1;
    private static final int SEGMENTS = 2;
    private static final int CHECKSUMS_COMPLETED = 3;
    private static final int PASSED_THROUGH = 4;
    private final HandlerCounters counters =
            new HandlerCounters("in", "superPackets", "segments", "checksumsCompleted", "passedThrough");
    private final HandlerCounters drops = new HandlerCounters(HandlerCounters.namesOf(DropReason.class));

    // Results of validate(), valid until the next call.
    private int version;
    private boolean isTcp;
    private int headerLength;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof TunPacket)) {
            ctx.fireChannelRead(msg);
            return;
        }
        TunPacket packet = (TunPacket) msg;
        counters.increment(PACKETS_IN);
        VirtioNetHeader header = packet.header();
        ByteBuf ip = packet.content();
        if (header.isGso()) {
            segment(ctx, ip, header);
        } else if (header.needsCsum()) {
            completeChecksum(ctx, ip, header);
        } else {
            counters.increment(PASSED_THROUGH);
            ctx.fireChannelRead(ip);
        }
    }

    private void segment(ChannelHandlerContext ctx, ByteBuf ip, VirtioNetHeader header) {
        DropReason reason = validate(ip, header);
        if (reason != null) {
            drop(ip, header, reason);
            return;
        }
        int start = ip.readerIndex();
        int length = ip.readableBytes();
        int hdrLen = headerLength;
        int gsoSize = header.gsoSize();
        int csumStart = header.csumStart();
        int payload = length - hdrLen;
        int count = payload == 0 ? 1 : (payload + gsoSize - 1) / gsoSize;

        // Copy the headers for segments 1.. before segment 0's are rewritten in place.
        ByteBuf headers = null;
        if (count > 1) {
            headers = ctx.alloc().directBuffer((count - 1) * hdrLen);
            for (int i = 1; i < count; i++) {
                headers.writeBytes(ip, start, hdrLen);
            }
        }
        int id = version == 4 ? ipv4.wrap(ip, start).identification() : 0;
        int seq = isTcp ? tcp.wrap(ip, start + csumStart).sequenceNumber() : 0;
        int flags = isTcp ? tcp.flags() : 0;
        int protocol = isTcp ? IpProtocols.TCP : IpProtocols.UDP;
        counters.increment(SUPER_PACKETS);
        try {
            for (int i = 0; i < count; i++) {
                int dataStart = start + hdrLen + i * gsoSize;
                int dataLength = Math.min(gsoSize, length - hdrLen - i * gsoSize);
                ByteBuf hb = i == 0 ? ip : headers;
                int h = i == 0 ? start : (i - 1) * hdrLen;
                int segmentLength = hdrLen + dataLength;
                int transportLength = segmentLength - csumStart;
                int pseudo;
                if (version == 4) {
                    ipv4.wrap(hb, h).totalLength(segmentLength).identification(id + i).updateChecksum();
                    pseudo = ipv4.pseudoHeaderSum(transportLength);
                } else {
                    ipv6.wrap(hb, h).payloadLength(segmentLength - Ipv6Header.LENGTH);
                    pseudo = ipv6.pseudoHeaderSum(protocol, transportLength);
                }
                int check;
                if (isTcp) {
                    int f = flags;
                    if (i != count - 1) {
                        f &= ~(TcpHeader.FIN | TcpHeader.PSH);
                    }
                    if (i != 0) {
                        f &= ~TcpHeader.CWR;
                    }
                    tcp.wrap(hb, h + csumStart).sequenceNumber(seq + i * gsoSize).flags(f).checksum(0);
                    check = transportChecksum(hb, h + csumStart, hdrLen - csumStart, ip, dataStart, dataLength,
                            pseudo);
                    tcp.checksum(check);
                } else {
                    udp.wrap(hb, h + csumStart).length(transportLength).checksum(0);
                    check = transportChecksum(hb, h + csumStart, hdrLen - csumStart, ip, dataStart, dataLength,
                            pseudo);
                    udp.checksum(check == 0 ? 0xffff : check);
                }
                ByteBuf segment;
                if (i == 0) {
                    segment = ip.retainedSlice(start, segmentLength);
                } else {
                    // Built directly rather than through the allocator: its two parts are tracked by the leak
                    // detector already, and the allocator's wrapper would cost a sample per segment.
                    segment = new CompositeByteBuf(ctx.alloc(), true, 2, headers.retainedSlice(h, hdrLen),
                            ip.retainedSlice(dataStart, dataLength));
                }
                counters.increment(SEGMENTS);
                ctx.fireChannelRead(segment);
            }
        } finally {
            if (headers != null) {
                headers.release();
            }
            ip.release();
        }
    }

    private static int transportChecksum(ByteBuf headerBuf, int headerIndex, int headerLength, ByteBuf dataBuf,
                                         int dataIndex, int dataLength, int pseudo) {
        // The transport header has even length, so the data's sum joins it without a byte swap.
        int sum = InternetChecksum.add(pseudo, InternetChecksum.sum(headerBuf, headerIndex, headerLength));
        return InternetChecksum.finish(InternetChecksum.add(sum, InternetChecksum.sum(dataBuf, dataIndex, dataLength)));
    }

    /**
     * Checks a super-packet against the rules and works out its header length; fills {@link #version},
     * {@link #isTcp} and {@link #headerLength}.
     *
     * @return {@code null} if it may be segmented
     */
    private DropReason validate(ByteBuf ip, VirtioNetHeader header) {
        int length = ip.readableBytes();
        if (length > MAX_IP_LENGTH) {
            return DropReason.TOO_LONG;
        }
        int type = header.gsoType();
        switch (type & ~VirtioNetHeader.GSO_ECN) {
            case VirtioNetHeader.GSO_TCPV4:
            case VirtioNetHeader.GSO_TCPV6:
                isTcp = true;
                break;
            case VirtioNetHeader.GSO_UDP_L4:
                if ((type & VirtioNetHeader.GSO_ECN) != 0) {
                    return DropReason.UNSUPPORTED_GSO_TYPE;
                }
                isTcp = false;
                break;
            default:
                return DropReason.UNSUPPORTED_GSO_TYPE;
        }
        if (length == 0) {
            return DropReason.TRUNCATED;
        }
        int start = ip.readerIndex();
        version = ip.getUnsignedByte(start) >>> 4;
        int base = type & ~VirtioNetHeader.GSO_ECN;
        if (version == 4 ? base == VirtioNetHeader.GSO_TCPV6 : version != 6 || base == VirtioNetHeader.GSO_TCPV4) {
            return DropReason.IP_VERSION;
        }
        if (header.gsoSize() == 0) {
            return DropReason.GSO_SIZE;
        }
        int csumStart = header.csumStart();
        int protocol = isTcp ? IpProtocols.TCP : IpProtocols.UDP;
        if (version == 4) {
            if (length < Ipv4Header.MIN_LENGTH) {
                return DropReason.TRUNCATED;
            }
            ipv4.wrap(ip, start);
            if (ipv4.headerLength() < Ipv4Header.MIN_LENGTH || csumStart != ipv4.headerLength()
                    || ipv4.protocol() != protocol) {
                return DropReason.TRANSPORT_HEADER;
            }
        } else {
            if (length < Ipv6Header.LENGTH) {
                return DropReason.TRUNCATED;
            }
            if (csumStart != Ipv6Header.LENGTH || ipv6.wrap(ip, start).nextHeader() != protocol) {
                return DropReason.TRANSPORT_HEADER;
            }
        }
        if (isTcp) {
            if (length < csumStart + TcpHeader.MIN_LENGTH) {
                return DropReason.TRUNCATED;
            }
            int tcpLength = tcp.wrap(ip, start + csumStart).headerLength();
            if (tcpLength < TcpHeader.MIN_LENGTH || tcpLength > TcpHeader.MAX_LENGTH) {
                return DropReason.TCP_HEADER_LENGTH;
            }
            headerLength = csumStart + tcpLength;
        } else {
            headerLength = csumStart + UdpHeader.LENGTH;
        }
        if (length < headerLength) {
            return DropReason.TRUNCATED;
        }
        if (header.csumOffset() != (isTcp ? TcpHeader.CHECKSUM_OFFSET : UdpHeader.CHECKSUM_OFFSET)) {
            return DropReason.CSUM_OFFSET;
        }
        return null;
    }

    private void completeChecksum(ChannelHandlerContext ctx, ByteBuf ip, VirtioNetHeader header) {
        int length = ip.readableBytes();
        int csumStart = header.csumStart();
        int field = csumStart + header.csumOffset();
        if (length > MAX_IP_LENGTH) {
            drop(ip, header, DropReason.TOO_LONG);
            return;
        }
        if (field + 2 > length) {
            drop(ip, header, DropReason.CSUM_OFFSET);
            return;
        }
        int start = ip.readerIndex();
        // The field holds the pseudo-header sum (CHECKSUM_PARTIAL); summing from csum_start completes it.
        int check = InternetChecksum.checksum(ip, start + csumStart, length - csumStart);
        if (check == 0 && header.csumOffset() == UdpHeader.CHECKSUM_OFFSET
                && IpProtocols.protocol(ip, start, length) == IpProtocols.UDP) {
            check = 0xffff; // RFC 768: a computed zero is sent as all ones
        }
        ip.setShort(start + field, check);
        counters.increment(CHECKSUMS_COMPLETED);
        ctx.fireChannelRead(ip);
    }

    private void drop(ByteBuf ip, VirtioNetHeader header, DropReason reason) {
        int i = reason.ordinal();
        drops.increment(i);
        if (logger.isDebugEnabled()) {
            logger.debug("dropped a {}-byte packet with {}: {}", ip.readableBytes(), header, reason.description());
        }
        ip.release();
    }

    /** {@code TunPacket}s seen. */
    public long packetsIn() {
        return counters.get(PACKETS_IN);
    }

    /** Super-packets segmented. */
    public long superPackets() {
        return counters.get(SUPER_PACKETS);
    }

    /** Segments passed on (from super-packets). */
    public long segments() {
        return counters.get(SEGMENTS);
    }

    /** Packets passed on after their checksum was completed. */
    public long checksumsCompleted() {
        return counters.get(CHECKSUMS_COMPLETED);
    }

    /** Packets passed on without change (no offload in their header). */
    public long passedThrough() {
        return counters.get(PASSED_THROUGH);
    }

    /** Packets passed on: {@link #segments()} + {@link #checksumsCompleted()} + {@link #passedThrough()}. */
    public long packetsOut() {
        return segments() + checksumsCompleted() + passedThrough();
    }

    /** Packets dropped for {@code reason}. */
    public long dropped(DropReason reason) {
        return drops.get(reason.ordinal());
    }

    /** Packets dropped for any reason. */
    public long dropped() {
        return drops.sum();
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("TunGsoSegmenter(").append(counters).append(", dropped=")
                .append(dropped());
        return drops.appendNonZero(s).append(')').toString();
    }
}

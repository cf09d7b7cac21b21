/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.util.internal.ObjectUtil;

/**
 * A packet read from or written to a {@link TunChannel}: an IP packet (the content starts at the IP header)
 * and the {@link VirtioNetHeader} that goes with it ({@link VirtioNetHeader#NONE} without offload).
 *
 * <p>With offload, a packet read may be a super-packet of up to 64 KiB that the header says how to segment;
 * the {@code TunGsoSegmenter} of {@code codec-gro-gso} turns it into MTU-sized packets.
 */
public final class TunPacket extends DefaultByteBufHolder {

    private final VirtioNetHeader header;

    /** A packet without offload. */
    public TunPacket(ByteBuf content) {
        this(content, VirtioNetHeader.NONE);
    }

    public TunPacket(ByteBuf content, VirtioNetHeader header) {
        super(content);
        this.header = ObjectUtil.checkNotNull(header, "header");
    }

    /** The virtio-net header; {@link VirtioNetHeader#NONE} for a packet without offload. */
    public VirtioNetHeader header() {
        return header;
    }

    @Override
    public TunPacket copy() {
        return replace(content().copy());
    }

    @Override
    public TunPacket duplicate() {
        return replace(content().duplicate());
    }

    @Override
    public TunPacket retainedDuplicate() {
        return replace(content().retainedDuplicate());
    }

    /** A packet with the same header and the given content. */
    @Override
    public TunPacket replace(ByteBuf content) {
        return new TunPacket(content, header);
    }

    @Override
    public TunPacket retain() {
        super.retain();
        return this;
    }

    @Override
    public TunPacket retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public TunPacket touch() {
        super.touch();
        return this;
    }

    @Override
    public TunPacket touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TunPacket && header.equals(((TunPacket) o).header) && super.equals(o);
    }

    @Override
    public int hashCode() {
        return super.hashCode() * 31 + header.hashCode();
    }

    @Override
    public String toString() {
        return "TunPacket(" + content().readableBytes() + " bytes, " + header + ')';
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun;

import com.sun.jna.LastErrorException;
import io.github.nettytun.channel.tun.internal.Ioctl;
import io.github.nettytun.channel.tun.internal.LibC;
import io.github.nettytun.channel.tun.internal.TunFile;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.AbstractChannel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandle;
import io.netty.channel.IoRegistration;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.IovArray;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.internal.StringUtil;

import java.io.IOException;
import java.net.SocketAddress;

/**
 * What every {@link TunChannel} transport shares: the TUN file, bind (device attach and offload
 * negotiation), interface control, outbound message filtering, and the per-packet checks of the read and
 * write paths. Transports add the I/O: how reads are armed and completed, how writes are submitted.
 */
public abstract class AbstractTunChannel extends AbstractChannel implements TunChannel {

    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);
    private static final String EXPECTED_TYPES =
            " (expected: " + StringUtil.simpleClassName(TunPacket.class) + ", "
                    + StringUtil.simpleClassName(ByteBuf.class) + ')';

    /** Read buffer size (beyond the virtio header) when the kernel may deliver super-packets. */
    static final int MAX_PACKET_SIZE = 65535;

    /** The TUN file. Open from construction to close. */
    protected final FileDescriptor fd;
    private IoRegistration registration;
    private final TunDevice device = new TunDevice(this);
    private volatile TunAddress local;
    private volatile boolean vnetHdr;
    private volatile int readBufferSize;

    /**
     * @param tunFd a file descriptor from {@link #openTunFile()}, which this channel owns from now on
     */
    protected AbstractTunChannel(int tunFd) {
        super(null);
        this.fd = new FileDescriptor(tunFd);
    }

    /**
     * Opens {@code /dev/net/tun} for a new channel, in the calling thread's network namespace. Transports call
     * this after making sure their own natives are loaded (they provide {@link FileDescriptor}'s natives).
     */
    protected static int openTunFile() {
        Tun.ensureAvailability();
        return TunFile.open();
    }

    @Override
    public abstract TunChannelConfig config();

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return loop instanceof IoEventLoop && ((IoEventLoop) loop).isCompatible(((IoHandle) unsafe()).getClass());
    }

    /** Registers the unsafe (an {@link IoHandle} of the transport) with the event loop's {@code IoHandler}. */
    @Override
    protected void doRegister(ChannelPromise promise) {
        ((IoEventLoop) eventLoop()).register((IoHandle) unsafe()).addListener(f -> {
            if (f.isSuccess()) {
                registration = (IoRegistration) f.getNow();
                promise.setSuccess();
            } else {
                promise.setFailure(f.cause());
            }
        });
    }

    /** Cancels the registration; transports stop their own operations first. */
    @Override
    protected void doDeregister() throws Exception {
        IoRegistration registration = this.registration;
        if (registration != null) {
            this.registration = null;
            registration.cancel();
        }
    }

    /** The event loop registration, or {@code null} while the channel is not registered. */
    protected final IoRegistration registration() {
        return registration;
    }

    /** The part of every transport's unsafe that does not depend on the transport. */
    protected abstract class AbstractTunUnsafe extends AbstractUnsafe implements IoHandle {

        @Override
        public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
            promise.setFailure(new UnsupportedOperationException("a TUN channel has no remote peer"));
        }

        /** Called by the event loop when it shuts down. */
        @Override
        public void close() {
            close(voidPromise());
        }
    }

    @Override
    public boolean isOpen() {
        return fd.isOpen();
    }

    @Override
    public boolean isActive() {
        return local != null && fd.isOpen();
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    public TunAddress localAddress() {
        return (TunAddress) super.localAddress();
    }

    @Override
    public TunAddress remoteAddress() {
        return null;
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return null;
    }

    @Override
    public TunDevice device() {
        if (local == null) {
            throw new IllegalStateException(this + " is not bound to a device yet");
        }
        return device;
    }

    /** The TUN file descriptor, for interface control; fails once the channel is closed. */
    int tunFd() {
        if (!fd.isOpen()) {
            throw new ChannelException(this + " is closed");
        }
        return fd.intValue();
    }

    @Override
    protected void doBind(SocketAddress localAddress) throws Exception {
        if (!(localAddress instanceof TunAddress)) {
            throw new IllegalArgumentException("unsupported address type: "
                    + StringUtil.simpleClassName(localAddress) + " (expected: TunAddress)");
        }
        if (local != null) {
            throw new IllegalStateException(this + " is already bound");
        }
        TunChannelConfig config = config();
        boolean vnet = config.isVnetHdr();
        TunFile.Attached attached = TunFile.attach(fd.intValue(), ((TunAddress) localAddress).ifName(),
                vnet ? VirtioNetHeader.SIZE : 0, config.getOffloads(), config.isMultiQueue());
        config.setAcceptedOffloads(attached.acceptedOffloads());
        int sndbuf = config.getSendBufferSize();
        if (sndbuf > 0) {
            sendBufferSize(sndbuf);
        }
        this.vnetHdr = vnet;
        this.readBufferSize = readBufferSize(vnet, attached.acceptedOffloads(), -1);
        this.local = new TunAddress(attached.name());
    }

    /**
     * How many bytes one read must be able to take: the virtio header plus 64 KiB when the kernel may send
     * super-packets, else plus the MTU.
     */
    private int readBufferSize(boolean vnet, int offloads, int mtu) {
        int header = vnet ? VirtioNetHeader.SIZE : 0;
        if ((offloads & ~TunOffloads.TUN_F_CSUM) != 0) {
            return header + MAX_PACKET_SIZE;
        }
        return header + (mtu > 0 ? mtu : device.mtu());
    }

    /** {@code TUNGETSNDBUF} on the bound file. */
    int sendBufferSize() {
        try {
            return Ioctl.tunGetSndBuf(tunFd());
        } catch (LastErrorException e) {
            throw new ChannelException("TUNGETSNDBUF on " + this + " failed: " + e.getMessage(), e);
        }
    }

    /** {@code TUNSETSNDBUF} on the bound file. */
    void sendBufferSize(int bytes) {
        try {
            Ioctl.tunSetSndBuf(tunFd(), bytes);
        } catch (LastErrorException e) {
            throw new ChannelException("TUNSETSNDBUF " + bytes + " on " + this + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Called by {@link TunDevice#mtu(int)}; the future completes once reads in flight use the new size.
     */
    Future<?> mtuChanged(int mtu) {
        readBufferSize = readBufferSize(vnetHdr, config().getAcceptedOffloads(), mtu);
        return readBufferSizeChanged();
    }

    /**
     * The read buffer size changed. A transport that keeps reads in flight resizes them here (their buffers were
     * sized when they were submitted) and completes the future once none smaller than {@link #readBufferSize()}
     * is left, so that no later packet can be truncated by an old buffer. Called on any thread.
     */
    protected Future<?> readBufferSizeChanged() {
        return ImmediateEventExecutor.INSTANCE.newSucceededFuture(null);
    }

    /** Whether packets carry a virtio-net header (fixed at bind). */
    protected final boolean isVnetHdr() {
        return vnetHdr;
    }

    /** The size of the next read buffer (virtio header included). */
    protected final int readBufferSize() {
        return readBufferSize;
    }

    @Override
    protected void doDisconnect() throws Exception {
        // ChannelMetadata.hasDisconnect() is false, so Netty turns disconnect() into close().
        doClose();
    }

    /** Closes the TUN file; the last close of a non-persistent device removes it. Idempotent. */
    @Override
    protected void doClose() throws Exception {
        fd.close();
    }

    /** Whether a read that returned {@code res} (a negated errno) found the TUN file without its device. */
    protected static boolean isDeviceRemoved(int res) {
        return res == -LibC.EBADFD;
    }

    /** Stop asking the kernel for readiness: autoRead was turned off. */
    protected abstract void autoReadCleared();

    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (msg instanceof TunPacket) {
            TunPacket packet = (TunPacket) msg;
            ByteBuf content = packet.content();
            return content.isDirect() ? packet : new TunPacket(directCopy(packet, content), packet.header());
        }
        if (msg instanceof ByteBuf) {
            ByteBuf buf = (ByteBuf) msg;
            return buf.isDirect() ? buf : directCopy(buf, buf);
        }
        throw new UnsupportedOperationException("unsupported message type: " + StringUtil.simpleClassName(msg)
                + EXPECTED_TYPES);
    }

    private ByteBuf directCopy(Object holder, ByteBuf buf) {
        ByteBuf copy = alloc().directBuffer(buf.readableBytes());
        copy.writeBytes(buf, buf.readerIndex(), buf.readableBytes());
        ReferenceCountUtil.safeRelease(holder);
        return copy;
    }

    /**
     * Turns the bytes of one read into a packet: decodes the virtio header and points the buffer at the IP
     * packet. A packet the kernel truncated because the buffer was too small (the MTU was raised behind the
     * channel's back) is dropped, reported through {@code exceptionCaught}, and the buffer size refreshed.
     *
     * @return the packet, or {@code null} when dropped (the buffer is then released)
     */
    protected final TunPacket readPacket(ByteBuf buf, int bytesRead) {
        int header = vnetHdr ? VirtioNetHeader.SIZE : 0;
        if (bytesRead <= header) {
            buf.release();
            pipeline().fireExceptionCaught(new IOException("dropped a " + bytesRead + "-byte read from "
                    + local + ": shorter than the " + header + "-byte virtio header plus an IP packet"));
            return null;
        }
        if (bytesRead >= buf.capacity()) {
            int declared = ipPacketLength(buf, header, bytesRead - header);
            if (declared > bytesRead - header) {
                buf.release();
                int size = buf.capacity();
                try {
                    readBufferSize = readBufferSize(vnetHdr, config().getAcceptedOffloads(), -1);
                } catch (RuntimeException e) {
                    readBufferSize = header + MAX_PACKET_SIZE;
                }
                IOException report = new IOException("dropped a truncated packet from " + local
                        + ": its IP header says " + declared + " bytes but the read buffer held "
                        + (size - header) + " (was the MTU raised outside TunDevice.mtu()?); reading with "
                        + (readBufferSize - header) + "-byte buffers from now on");
                // Reported once every read in flight has the new size: a packet sent after the report is whole.
                readBufferSizeChanged().addListener(f -> pipeline().fireExceptionCaught(report));
                return null;
            }
        }
        VirtioNetHeader h = header == 0 ? VirtioNetHeader.NONE : VirtioNetHeader.read(buf, 0);
        buf.setIndex(header, bytesRead);
        return new TunPacket(buf, h);
    }

    /**
     * The length an IP packet declares (IPv4 total length, IPv6 40 + payload length), or -1 if the bytes
     * are too few or the version is neither 4 nor 6.
     */
    protected static int ipPacketLength(ByteBuf buf, int index, int length) {
        if (length < 1) {
            return -1;
        }
        int version = buf.getUnsignedByte(index) >>> 4;
        if (version == 4 && length >= 4) {
            return buf.getUnsignedShort(index + 2);
        }
        if (version == 6 && length >= 6) {
            return 40 + buf.getUnsignedShort(index + 4);
        }
        return -1;
    }

    /**
     * Checks one outbound packet before it reaches the kernel, which would accept some malformed packets and
     * drop them silently later.
     *
     * @return {@code null} if the packet may be written, else why not
     */
    protected final String checkOutbound(ByteBuf content, VirtioNetHeader header) {
        // Without IFF_VNET_HDR the header is dropped: fine for DATA_VALID (the kernel verifies the checksum
        // again), not for a checksum to complete or a super-packet to segment.
        if (!vnetHdr && (header.needsCsum() || header.isGso())) {
            return "IFF_VNET_HDR is off on " + local + ", so a packet with " + header + " cannot be written";
        }
        int length = content.readableBytes();
        if (length == 0) {
            return "empty packet";
        }
        int index = content.readerIndex();
        int version = content.getUnsignedByte(index) >>> 4;
        int minimum = version == 4 ? 20 : version == 6 ? 40 : -1;
        if (minimum < 0) {
            return "not an IP packet: version nibble " + version;
        }
        if (length < minimum) {
            return "truncated IPv" + version + " header: " + length + " bytes < " + minimum;
        }
        int declared = ipPacketLength(content, index, length);
        if (declared > length) {
            return "truncated IPv" + version + " packet: its header says " + declared + " bytes, the buffer has "
                    + length;
        }
        return null;
    }

    /**
     * Adds {@code length} bytes of {@code buf} at {@code index} to {@code iov}, one iovec per component of a
     * {@link CompositeByteBuf} (nested ones included). {@link IovArray#add(ByteBuf, int, int)} would go through
     * {@code nioBuffers()} for a composite, which builds a {@code ByteBuffer} per component on every write; a
     * coalesced super-packet has dozens.
     *
     * @return {@code false} if the iovecs ran out
     */
    protected static boolean addToIov(IovArray iov, ByteBuf buf, int index, int length) {
        if (!(buf instanceof CompositeByteBuf)) {
            return iov.add(buf, index, length);
        }
        CompositeByteBuf composite = (CompositeByteBuf) buf;
        int done = 0;
        for (int c = length == 0 ? 0 : composite.toComponentIndex(index); done < length; c++) {
            ByteBuf component = composite.internalComponent(c);
            int from = index + done - composite.toByteIndex(c);
            int n = Math.min(component.readableBytes() - from, length - done);
            if (n > 0 && !addToIov(iov, component, component.readerIndex() + from, n)) {
                return false;
            }
            done += Math.max(n, 0);
        }
        return true;
    }

    /**
     * The exception that fails a write: names the packet, its header and the kernel's reason.
     */
    protected final IOException writeError(ByteBuf content, VirtioNetHeader header, String reason,
                                           Throwable cause) {
        String hint = "";
        if (cause instanceof Errors.NativeIoException) {
            int errno = -((Errors.NativeIoException) cause).expectedErr();
            if (errno == LibC.EIO) {
                hint = " (is the device up?)";
            } else if (errno == LibC.EINVAL) {
                hint = " (the kernel rejected the packet or its virtio header)";
            }
        }
        IOException e = new IOException("TUN write of a " + content.readableBytes() + "-byte packet with "
                + header + " to " + local + " failed: " + reason + hint);
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }
}

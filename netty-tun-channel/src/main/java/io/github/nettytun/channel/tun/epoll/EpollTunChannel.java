/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun.epoll;

import io.github.nettytun.channel.tun.AbstractTunChannel;
import io.github.nettytun.channel.tun.TunChannelConfig;
import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.channel.tun.VirtioNetHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.IovArray;
import io.netty.channel.unix.Limits;
import io.netty.util.UncheckedBooleanSupplier;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * A {@link io.github.nettytun.channel.tun.TunChannel} on Netty's epoll transport: register it with an
 * {@code EventLoopGroup} built on {@code EpollIoHandler}.
 *
 * <pre>{@code
 * EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
 * TunChannel tun = (TunChannel) new Bootstrap().group(group).channel(EpollTunChannel.class)
 *         .option(TunChannelOption.IFF_VNET_HDR, true)
 *         .handler(handler)
 *         .bind(new TunAddress("tun0")).sync().channel();
 * }</pre>
 *
 * <p>Reading is level-triggered: on readiness the channel reads up to {@code maxMessagesPerRead} packets
 * (one {@code read(2)} each; TUN has no batch read) and fires {@code channelReadComplete}. Each write is one
 * {@code writev(2)} of the virtio header and every component of the packet's buffer, so a composite buffer
 * reaches the kernel without being joined. Pausing reads keeps the fd registered for {@code EPOLLERR} only
 * (submitting {@code EpollIoOps.NONE} would unregister it behind the registration's back).
 */
public final class EpollTunChannel extends AbstractTunChannel {

    private final TunChannelConfig config = new TunChannelConfig(this);
    private final IovArray iov = new IovArray(Limits.IOV_MAX);
    /** Native memory for the virtio header of the packet being written. */
    private final ByteBuf headerBuf = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(VirtioNetHeader.SIZE));
    private final Runnable flushTask = () -> ((EpollTunUnsafe) unsafe()).flushNow();
    private EpollIoOps ops = EpollIoOps.EPOLLERR;
    private boolean flushScheduled;
    /** Whether {@link #iov} and {@link #headerBuf} were freed: {@code doClose} runs again after closeForcibly. */
    private boolean nativeMemoryReleased;

    /** Opens {@code /dev/net/tun} in the calling thread's network namespace. */
    public EpollTunChannel() {
        super(openWithEpoll());
    }

    private static int openWithEpoll() {
        Epoll.ensureAvailability(); // FileDescriptor's natives come with the epoll library
        return openTunFile();
    }

    @Override
    public TunChannelConfig config() {
        return config;
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new EpollTunUnsafe();
    }

    @Override
    protected void doDeregister() throws Exception {
        ops = EpollIoOps.EPOLLERR;
        super.doDeregister();
    }

    @Override
    protected void doBeginRead() {
        ((EpollTunUnsafe) unsafe()).readPending = true;
        setOps(ops.with(EpollIoOps.EPOLLIN));
    }

    @Override
    protected void autoReadCleared() {
        if (!isRegistered()) {
            ops = ops.without(EpollIoOps.EPOLLIN);
            return;
        }
        EventLoop loop = eventLoop();
        if (loop.inEventLoop()) {
            ((EpollTunUnsafe) unsafe()).clearReadInterest();
        } else {
            loop.execute(() -> {
                EpollTunUnsafe unsafe = (EpollTunUnsafe) unsafe();
                if (!unsafe.readPending && !config.isAutoRead()) {
                    unsafe.clearReadInterest();
                }
            });
        }
    }

    private void setOps(EpollIoOps newOps) {
        if (newOps.equals(ops)) {
            return;
        }
        ops = newOps;
        IoRegistration registration = registration();
        if (registration != null && isActive()) {
            registration.submit(newOps);
        }
    }

    @Override
    protected void doClose() throws Exception {
        try {
            doDeregister();
        } finally {
            try {
                super.doClose();
            } finally {
                if (!nativeMemoryReleased) {
                    nativeMemoryReleased = true;
                    iov.release();
                    headerBuf.release();
                }
            }
        }
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        int budget = config.getMaxMessagesPerWrite();
        for (;;) {
            Object msg = in.current();
            if (msg == null) {
                setOps(ops.without(EpollIoOps.EPOLLOUT));
                return;
            }
            if (budget-- == 0) {
                // Let other channels of this loop run; finish the rest in a task, not on EPOLLOUT (the fd is
                // writable, there is just more to write).
                if (!flushScheduled) {
                    flushScheduled = true;
                    eventLoop().execute(flushTask);
                }
                return;
            }
            ByteBuf content;
            VirtioNetHeader header;
            if (msg instanceof TunPacket) {
                content = ((TunPacket) msg).content();
                header = ((TunPacket) msg).header();
            } else {
                content = (ByteBuf) msg;
                header = VirtioNetHeader.NONE;
            }
            String invalid = checkOutbound(content, header);
            if (invalid != null) {
                in.remove(writeError(content, header, invalid, null));
                continue;
            }
            long written;
            try {
                written = writePacket(content, header);
            } catch (IOException e) {
                // A packet the kernel refuses fails its own promise; the rest of the batch goes on.
                in.remove(writeError(content, header, e.getMessage(), e));
                continue;
            }
            if (written == 0) {
                // EAGAIN: wait for EPOLLOUT.
                setOps(ops.with(EpollIoOps.EPOLLOUT));
                return;
            }
            in.remove();
        }
    }

    /** One {@code writev}: [virtio header] + every component of {@code content}. Returns 0 on EAGAIN. */
    private long writePacket(ByteBuf content, VirtioNetHeader header) throws IOException {
        iov.clear();
        if (isVnetHdr()) {
            header.write(headerBuf, 0);
            iov.add(headerBuf, 0, VirtioNetHeader.SIZE);
        }
        if (!addToIov(iov, content, content.readerIndex(), content.readableBytes())) {
            return writeJoined(content);
        }
        return fd.writevAddresses(iov.memoryAddress(0), iov.count());
    }

    /**
     * A buffer of more components than one {@code writev} takes ({@code IOV_MAX}) is joined into one direct
     * buffer first; rare, and correct rather than fast.
     */
    private long writeJoined(ByteBuf content) throws IOException {
        ByteBuf joined = alloc().directBuffer(content.readableBytes());
        try {
            joined.writeBytes(content, content.readerIndex(), content.readableBytes());
            iov.clear();
            if (isVnetHdr()) {
                iov.add(headerBuf, 0, VirtioNetHeader.SIZE);
            }
            iov.add(joined, 0, joined.readableBytes());
            return fd.writevAddresses(iov.memoryAddress(0), iov.count());
        } finally {
            joined.release();
        }
    }

    private final class EpollTunUnsafe extends AbstractTunUnsafe implements EpollIoHandle {
        boolean readPending;

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            int ready = ((EpollIoEvent) event).ops().value();
            if ((ready & EpollIoOps.EPOLLERR.value()) != 0) {
                // tun_chr_poll() reports EPOLLERR only when the file lost its device (deleted under us).
                pipeline().fireExceptionCaught(new IOException("TUN device " + localAddress()
                        + " was removed (EPOLLERR on the TUN file)"));
                close(voidPromise());
                return;
            }
            if ((ready & EpollIoOps.EPOLLOUT.value()) != 0) {
                setOps(ops.without(EpollIoOps.EPOLLOUT));
                super.flush0();
            }
            if ((ready & EpollIoOps.EPOLLIN.value()) != 0) {
                readReady();
            }
        }

        @Override
        protected void flush0() {
            // While waiting for EPOLLOUT, the event will flush.
            if (!ops.contains(EpollIoOps.EPOLLOUT)) {
                super.flush0();
            }
        }

        void flushNow() {
            flushScheduled = false;
            flush0();
        }

        void clearReadInterest() {
            readPending = false;
            try {
                setOps(ops.without(EpollIoOps.EPOLLIN));
            } catch (UncheckedIOException e) {
                pipeline().fireExceptionCaught(e);
                close(voidPromise());
            }
        }

        private void readReady() {
            TunChannelConfig config = config();
            if (!readPending && !config.isAutoRead()) {
                clearReadInterest();
                return;
            }
            RecvByteBufAllocator.ExtendedHandle allocHandle =
                    (RecvByteBufAllocator.ExtendedHandle) recvBufAllocHandle();
            ByteBufAllocator allocator = config.getAllocator();
            ChannelPipeline pipeline = pipeline();
            allocHandle.reset(config);
            Throwable error = null;
            try {
                do {
                    int size = readBufferSize();
                    ByteBuf buf = allocator.directBuffer(size);
                    int n;
                    try {
                        allocHandle.attemptedBytesRead(size);
                        n = read(buf, size);
                    } catch (Throwable t) {
                        buf.release();
                        throw t;
                    }
                    allocHandle.lastBytesRead(Math.max(n, 0));
                    if (n <= 0) {
                        buf.release();
                        if (n < 0) {
                            throw new IOException("unexpected EOF on the TUN file of " + localAddress());
                        }
                        break; // EAGAIN
                    }
                    allocHandle.incMessagesRead(1);
                    readPending = false;
                    TunPacket packet = readPacket(buf, n);
                    if (packet != null) {
                        pipeline.fireChannelRead(packet);
                    }
                } while (allocHandle.continueReading(UncheckedBooleanSupplier.TRUE_SUPPLIER));
            } catch (Throwable t) {
                error = t;
            }
            allocHandle.readComplete();
            pipeline.fireChannelReadComplete();
            if (error != null) {
                // Every read error of a TUN file is final (EBADFD: detached, EFAULT/EINVAL: our bug).
                pipeline.fireExceptionCaught(error);
                close(voidPromise());
                return;
            }
            if (!readPending && !config.isAutoRead()) {
                clearReadInterest();
            }
        }

        private int read(ByteBuf buf, int size) throws IOException {
            if (buf.hasMemoryAddress()) {
                return fd.readAddress(buf.memoryAddress(), 0, size);
            }
            ByteBuffer nio = buf.internalNioBuffer(0, size);
            return fd.read(nio, nio.position(), nio.limit());
        }
    }
}

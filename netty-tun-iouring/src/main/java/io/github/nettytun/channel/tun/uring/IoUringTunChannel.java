/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun.uring;

import io.github.nettytun.channel.tun.AbstractTunChannel;
import io.github.nettytun.channel.tun.TunPacket;
import io.github.nettytun.channel.tun.VirtioNetHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.IovArray;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoOps;
import io.netty.util.UncheckedBooleanSupplier;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.PromiseNotifier;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link io.github.nettytun.channel.tun.TunChannel} on Netty's io_uring transport: register it with an
 * {@code EventLoopGroup} built on {@code IoUringIoHandler}.
 *
 * <h2>Reads</h2>
 * Two modes ({@link IoUringTunChannelOption#POLL_FIRST}). By default one multishot {@code IORING_OP_POLL_ADD}
 * reports that the device has packets; then a batch of up to {@link IoUringTunChannelOption#READS_IN_FLIGHT}
 * non-blocking ({@code RWF_NOWAIT}) {@code IORING_OP_READV}s collects them, each into its own pooled buffer, and the
 * batch is delivered when its last read completes (up to {@code maxMessagesPerRead} packets, then
 * {@code channelReadComplete}). A batch that came back full starts the next one at once, twice as large; one that
 * found the device empty waits for the poll. With {@code POLL_FIRST} off, {@code READS_IN_FLIGHT} reads stay
 * submitted and wait on the device themselves; completions of one turn of the event loop are delivered as one batch.
 * With autoRead off, a completion without a pending {@code read()} is held in its slot for the next {@code read()}.
 *
 * <p>Why poll first (Linux 6.18, measured with this channel): the TUN file is non-blocking, so a READ that finds no
 * packet arms io_uring's internal poll on the file and is retried when a packet arrives. With many reads waiting on
 * one file, every packet wakes all of them; the ones that lose the race find the queue empty a second time, and
 * io_uring hands such a request to an io-wq worker: one {@code iou-wrk} thread appeared under a UDP flood (none idle,
 * none for writes alone). Poll-first reads never wait on the file, and no worker appeared; in the bridge benchmark
 * (benchmarks/results) it also measured better overall.
 *
 * <p>Each submission is built once per slot ({@code IoUringIoOps} is immutable, and building one per read and per
 * write was most of what the data path allocated): a read slot's READV points at an iovec of the slot that is
 * rewritten before each submission (the kernel copies iovecs when it issues the request), and WRITEVs are kept per
 * slot and iovec count.
 *
 * <h2>Writes</h2>
 * A flush submits one {@code IORING_OP_WRITEV} per packet (virtio header and every buffer component as iovecs,
 * no copy) for up to {@link IoUringTunChannelOption#WRITES_IN_FLIGHT} packets, so one {@code io_uring_enter}
 * carries the whole batch. Promises complete in order; a packet the kernel rejects fails only its own promise.
 *
 * <h2>Close</h2>
 * Closing cancels every submitted operation ({@code IORING_OP_ASYNC_CANCEL}), waits for all of their completions,
 * and only then closes the file and releases buffers, so the kernel never touches freed memory.
 */
public final class IoUringTunChannel extends AbstractTunChannel {

    private static final byte READ_FREE = 0;
    private static final byte READ_ARMED = 1;
    private static final byte READ_FILLED = 2;
    private static final byte WRITE_IN_FLIGHT = 1;
    private static final byte WRITE_DONE = 2;
    /** iovecs per write: the virtio header plus up to 127 buffer components (more are joined first). */
    private static final int IOVECS_PER_WRITE = 128;
    private static final int WRITE_HEADER_BYTES = 16;
    private static final int WRITE_SLOT_BYTES = WRITE_HEADER_BYTES + IOVECS_PER_WRITE * IovArray.IOV_SIZE;
    /** WRITEVs of up to this many iovecs are built once per slot; larger ones are built per write. */
    private static final int WRITE_OPS_CACHED = 8;
    /** The smallest batch of non-blocking reads in poll-first mode. */
    private static final int MIN_BATCH = 2;
    /** Netty's {@code IoRegistration.submit} returns this when the registration is no longer valid. */
    private static final long INVALID_ID = 0;

    private final IoUringTunChannelConfig config = new IoUringTunChannelConfig(this);
    private final Runnable deliverTask = () -> ((IoUringTunUnsafe) unsafe()).deliver();
    private final WriteSubmitter writeSubmitter = new WriteSubmitter();

    // Read slots, sized at bind. State changes only on the event loop.
    private ByteBuf[] readBufs;
    private ByteBuf readIovMemory;     // one iovec per read slot
    private IovArray[] readIovs;
    private IoUringIoOps[] readOps;    // one READV per slot, submitted again and again (no allocation per read)
    private long[] readIds;
    private int[] readResults;
    private byte[] readStates;
    private boolean[] readStale;
    private int[] filled;            // FIFO of filled slots, in completion order
    private int filledHead;
    private int filledCount;
    private int armedReads;
    private boolean readPending;
    private boolean deliverScheduled;
    private int staleReads;
    private final List<Promise<Void>> resizeWaiters = new ArrayList<>(1);

    // Poll-first mode (IoUringTunChannelOption.POLL_FIRST), fixed at bind.
    private boolean pollFirst;
    private long pollId;
    private boolean pollArmed;      // submitted, and its last completion (without IORING_CQE_F_MORE) not yet in
    private boolean readable;       // the poll said so, or the last batch came back full
    private int batchOutstanding;   // reads of the current batch not yet completed
    private int batchFilled;
    private boolean batchDrained;   // a read of the current batch found the device empty
    private int batchSize = MIN_BATCH;

    // Write slots, sized at bind: a ring in submission order.
    private ByteBuf writeMemory;
    private IovArray[] writeIovs;
    private IoUringIoOps[][] writeOps; // per slot, one WRITEV per iovec count below WRITE_OPS_CACHED
    private IoUringIoOps pollOp;
    private long[] writeIds;
    private int[] writeResults;
    private IOException[] writeErrors;
    private byte[] writeStates;
    private ByteBuf[] writeJoined;
    private int writeHead;
    private int writeCount;
    private int writesInFlight;

    // A close waiting for operations in flight.
    private ChannelPromise delayedClose;
    private Throwable delayedCloseCause;
    private ClosedChannelException delayedCloseException;
    private boolean closing;

    /** Opens {@code /dev/net/tun} in the calling thread's network namespace. */
    public IoUringTunChannel() {
        super(openWithIoUring());
    }

    private static int openWithIoUring() {
        IoUring.ensureAvailability(); // FileDescriptor's natives come with the io_uring library
        return openTunFile();
    }

    @Override
    public IoUringTunChannelConfig config() {
        return config;
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new IoUringTunUnsafe();
    }

    @Override
    protected void doRegister(ChannelPromise promise) {
        if (opsInFlight()) {
            promise.setFailure(new IllegalStateException(armedReads + " reads, " + writesInFlight
                    + " writes and " + (pollArmed ? 1 : 0) + " polls of the previous registration are still in flight"));
            return;
        }
        super.doRegister(promise);
    }

    @Override
    protected void doBind(SocketAddress localAddress) throws Exception {
        super.doBind(localAddress);
        pollFirst = config.isPollFirst();
        int reads = config.getReadsInFlight();
        int fd = this.fd.intValue();
        readBufs = new ByteBuf[reads];
        readIovMemory = Unpooled.directBuffer(reads * IovArray.IOV_SIZE, reads * IovArray.IOV_SIZE);
        readIovs = new IovArray[reads];
        readOps = new IoUringIoOps[reads];
        int rwFlags = pollFirst ? IoUringOps.RWF_NOWAIT : 0;
        for (int i = 0; i < reads; i++) {
            readIovs[i] = new IovArray(readIovMemory.slice(i * IovArray.IOV_SIZE, IovArray.IOV_SIZE).clear());
            readOps[i] = IoUringOps.readv(fd, readIovs[i].memoryAddress(0), 1, rwFlags, (short) i);
        }
        pollOp = IoUringOps.pollInMultishot(fd);
        readIds = new long[reads];
        readResults = new int[reads];
        readStates = new byte[reads];
        readStale = new boolean[reads];
        filled = new int[reads];
        int writes = config.getWritesInFlight();
        writeMemory = Unpooled.directBuffer(writes * WRITE_SLOT_BYTES, writes * WRITE_SLOT_BYTES);
        writeIovs = new IovArray[writes];
        for (int i = 0; i < writes; i++) {
            int iovOffset = i * WRITE_SLOT_BYTES + WRITE_HEADER_BYTES;
            writeIovs[i] = new IovArray(writeMemory.slice(iovOffset, IOVECS_PER_WRITE * IovArray.IOV_SIZE).clear());
        }
        writeOps = new IoUringIoOps[writes][WRITE_OPS_CACHED];
        writeIds = new long[writes];
        writeResults = new int[writes];
        writeErrors = new IOException[writes];
        writeStates = new byte[writes];
        writeJoined = new ByteBuf[writes];
    }

    @Override
    protected void doBeginRead() {
        readPending = true;
        if (filledCount > 0) {
            scheduleDeliver();
        } else {
            scheduleReads();
        }
    }

    @Override
    protected void autoReadCleared() {
        // Nothing to undo: reads in flight complete into their slots and wait for read() or autoRead.
    }

    @Override
    protected void doDeregister() throws Exception {
        IoRegistration registration = registration();
        if (registration != null) {
            cancelInFlight(registration);
        }
        super.doDeregister(); // Netty keeps routing completions here until the outstanding ones are in
    }

    @Override
    protected void doClose() throws Exception {
        closing = true;
        try {
            super.doClose();
        } finally {
            if (readBufs != null) {
                for (int slot = 0; slot < readBufs.length; slot++) {
                    // Armed buffers belong to the kernel until their completion arrives (closeForcibly only).
                    if (readStates[slot] == READ_FILLED) {
                        readBufs[slot].release();
                        readBufs[slot] = null;
                        readStates[slot] = READ_FREE;
                    }
                }
                filledCount = 0;
            }
            releaseWriteMemoryIfIdle();
            releaseReadMemoryIfIdle();
            completeResizeWaiters();
        }
    }

    /** Frees the read slots' iovecs once the channel is closed and no read is in the kernel. */
    private void releaseReadMemoryIfIdle() {
        if (readIovMemory != null && armedReads == 0 && !isOpen()) {
            readIovMemory.release();
            readIovMemory = null;
        }
    }

    /** Frees the write slots' memory once the channel is closed and the kernel holds none of it. */
    private void releaseWriteMemoryIfIdle() {
        if (writeMemory != null && writesInFlight == 0 && !isOpen()) {
            for (int slot = 0; slot < writeJoined.length; slot++) {
                releaseJoined(slot);
            }
            writeMemory.release();
            writeMemory = null;
        }
    }

    private boolean opsInFlight() {
        return armedReads != 0 || writesInFlight != 0 || pollArmed;
    }

    /**
     * When reading is wanted: submits a READ for every free slot, or in poll-first mode arms the poll and starts a
     * batch of non-blocking reads if the device is readable.
     */
    private void scheduleReads() {
        IoRegistration registration = registration();
        if (closing || registration == null || readBufs == null || !isActive()
                || !config.isAutoRead() && !readPending) {
            return;
        }
        if (!pollFirst) {
            submitReads(registration, readStates.length);
            return;
        }
        if (!pollArmed) {
            long id = registration.submit(pollOp);
            if (id != INVALID_ID) {
                pollId = id;
                pollArmed = true;
            }
        }
        if (readable && batchOutstanding == 0) {
            batchFilled = 0;
            batchDrained = false;
            batchOutstanding = submitReads(registration, batchSize);
            // With every slot holding an undelivered packet nothing was submitted: stay readable for later.
            readable = batchOutstanding == 0;
        }
    }

    /** Submits up to {@code count} READVs into free slots; returns how many. */
    private int submitReads(IoRegistration registration, int count) {
        int size = readBufferSize();
        int submitted = 0;
        for (int slot = 0; slot < readStates.length && submitted < count; slot++) {
            if (readStates[slot] != READ_FREE) {
                continue;
            }
            ByteBuf buf = config.getAllocator().directBuffer(size, size);
            IovArray iov = readIovs[slot];
            iov.clear();
            iov.add(buf, 0, size);
            long id = registration.submit(readOps[slot]);
            if (id == INVALID_ID) {
                buf.release();
                break;
            }
            readBufs[slot] = buf;
            readIds[slot] = id;
            readStates[slot] = READ_ARMED;
            armedReads++;
            submitted++;
        }
        return submitted;
    }

    private void scheduleDeliver() {
        if (!deliverScheduled) {
            deliverScheduled = true;
            eventLoop().execute(deliverTask);
        }
    }

    @Override
    protected Future<?> readBufferSizeChanged() {
        if (!isRegistered()) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(null);
        }
        EventLoop loop = eventLoop();
        Promise<Void> resized = loop.newPromise();
        if (loop.inEventLoop()) {
            resizeReads(resized);
        } else {
            loop.execute(() -> resizeReads(resized));
        }
        return resized;
    }

    /** Cancels the armed reads whose buffers are smaller than the read buffer size; they are re-armed larger. */
    private void resizeReads(Promise<Void> resized) {
        IoRegistration registration = registration();
        if (readBufs != null && registration != null) {
            int size = readBufferSize();
            for (int slot = 0; slot < readStates.length; slot++) {
                if (readStates[slot] == READ_ARMED && !readStale[slot] && readBufs[slot].capacity() < size) {
                    readStale[slot] = true;
                    staleReads++;
                    registration.submit(IoUringOps.cancel(readIds[slot]));
                }
            }
        }
        resizeWaiters.add(resized);
        if (staleReads == 0) {
            completeResizeWaiters();
        }
    }

    private void completeResizeWaiters() {
        for (Promise<Void> waiter : resizeWaiters) {
            waiter.trySuccess(null);
        }
        resizeWaiters.clear();
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        if (closing || registration() == null || writeMemory == null) {
            return;
        }
        writeSubmitter.skip = writeCount;
        in.forEachFlushedMessage(writeSubmitter);
        drainCompletedWrites(in);
    }

    /** Submits the flushed messages beyond those already submitted, while write slots are free. */
    private final class WriteSubmitter implements ChannelOutboundBuffer.MessageProcessor {
        int skip;

        @Override
        public boolean processMessage(Object msg) {
            if (skip > 0) {
                skip--;
                return true;
            }
            if (writeCount == writeStates.length) {
                return false;
            }
            submitWrite(msg);
            return true;
        }
    }

    private void submitWrite(Object msg) {
        int slot = (writeHead + writeCount) % writeStates.length;
        writeCount++;
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
            writeErrors[slot] = writeError(content, header, invalid, null);
            writeStates[slot] = WRITE_DONE;
            return;
        }
        IovArray iov = writeIovs[slot];
        iov.clear();
        int headerOffset = slot * WRITE_SLOT_BYTES;
        if (isVnetHdr()) {
            header.write(writeMemory, headerOffset);
            iov.add(writeMemory, headerOffset, VirtioNetHeader.SIZE);
        }
        if (!addToIov(iov, content, content.readerIndex(), content.readableBytes())) {
            // More components than a write slot has iovecs: join them once (rare, correct rather than fast).
            ByteBuf joined = alloc().directBuffer(content.readableBytes());
            joined.writeBytes(content, content.readerIndex(), content.readableBytes());
            writeJoined[slot] = joined;
            iov.clear();
            if (isVnetHdr()) {
                iov.add(writeMemory, headerOffset, VirtioNetHeader.SIZE);
            }
            iov.add(joined, 0, joined.readableBytes());
        }
        long id = registration().submit(writeOp(slot, iov));
        if (id == INVALID_ID) {
            releaseJoined(slot);
            writeErrors[slot] = writeError(content, header, "the channel was deregistered", null);
            writeStates[slot] = WRITE_DONE;
            return;
        }
        writeIds[slot] = id;
        writeStates[slot] = WRITE_IN_FLIGHT;
        writesInFlight++;
    }

    /** The WRITEV for a slot's iovecs: built once per slot and count for the usual small counts. */
    private IoUringIoOps writeOp(int slot, IovArray iov) {
        int count = iov.count();
        if (count >= WRITE_OPS_CACHED) {
            return IoUringOps.writev(fd.intValue(), iov.memoryAddress(0), count, (short) slot);
        }
        IoUringIoOps op = writeOps[slot][count];
        if (op == null) {
            op = IoUringOps.writev(fd.intValue(), iov.memoryAddress(0), count, (short) slot);
            writeOps[slot][count] = op;
        }
        return op;
    }

    private void releaseJoined(int slot) {
        ByteBuf joined = writeJoined[slot];
        if (joined != null) {
            writeJoined[slot] = null;
            joined.release();
        }
    }

    /** Completes, in submission order, the promises of the writes at the head that are done. */
    private void drainCompletedWrites(ChannelOutboundBuffer in) {
        while (writeCount > 0 && writeStates[writeHead] == WRITE_DONE) {
            int slot = writeHead;
            IOException error = writeErrors[slot];
            int result = writeResults[slot];
            writeErrors[slot] = null;
            writeStates[slot] = 0;
            // Advance before completing the promise: its listeners may write and flush again.
            writeHead = (writeHead + 1) % writeStates.length;
            writeCount--;
            if (error == null && result < 0) {
                Object msg = in.current();
                ByteBuf content = msg instanceof TunPacket ? ((TunPacket) msg).content() : (ByteBuf) msg;
                VirtioNetHeader header = msg instanceof TunPacket ? ((TunPacket) msg).header() : VirtioNetHeader.NONE;
                IOException cause = Errors.newIOException("writev", result);
                error = writeError(content, header, cause.getMessage(), cause);
            }
            if (error != null) {
                in.remove(error);
            } else {
                in.remove();
            }
        }
    }

    private void cancelInFlight(IoRegistration registration) {
        if (pollArmed) {
            registration.submit(IoUringOps.cancel(pollId));
        }
        if (readStates != null) {
            for (int slot = 0; slot < readStates.length; slot++) {
                if (readStates[slot] == READ_ARMED) {
                    registration.submit(IoUringOps.cancel(readIds[slot]));
                }
            }
        }
        if (writeStates != null) {
            for (int i = 0; i < writeCount; i++) {
                int slot = (writeHead + i) % writeStates.length;
                if (writeStates[slot] == WRITE_IN_FLIGHT) {
                    registration.submit(IoUringOps.cancel(writeIds[slot]));
                }
            }
        }
    }

    private final class IoUringTunUnsafe extends AbstractTunUnsafe implements IoUringIoHandle {

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            IoUringIoEvent completion = (IoUringIoEvent) event;
            int slot = completion.data() & 0xffff;
            switch (completion.opcode()) {
                case IoUringOps.IORING_OP_READV:
                    readComplete(slot, completion.res());
                    break;
                case IoUringOps.IORING_OP_POLL_ADD:
                    pollComplete(completion.res(), completion.flags());
                    break;
                case IoUringOps.IORING_OP_WRITEV:
                    writeComplete(slot, completion.res());
                    break;
                default:
                    break; // IORING_OP_ASYNC_CANCEL: the cancelled operation reports on its own
            }
            if (delayedClose != null && !opsInFlight()) {
                closeNow();
            }
        }

        private void pollComplete(int res, int flags) {
            if ((flags & IoUringOps.IORING_CQE_F_MORE) == 0) {
                pollArmed = false;
            }
            if (res > 0 && (res & IoUringOps.POLLIN) != 0) {
                readable = true;
            }
            scheduleReads(); // starts a batch if none is out, re-arms the poll if it ended
        }

        private void readComplete(int slot, int res) {
            armedReads--;
            if (readStale[slot]) {
                readStale[slot] = false;
                if (--staleReads == 0) {
                    completeResizeWaiters();
                }
            }
            boolean batchDone = pollFirst && --batchOutstanding == 0;
            if (res > 0 && !closing) {
                readStates[slot] = READ_FILLED;
                readResults[slot] = res;
                filled[(filledHead + filledCount) % filled.length] = slot;
                filledCount++;
                batchFilled++;
                if (!pollFirst) {
                    scheduleDeliver();
                } else if (batchDone) {
                    batchComplete();
                }
                return;
            }
            readBufs[slot].release();
            readBufs[slot] = null;
            readStates[slot] = READ_FREE;
            releaseReadMemoryIfIdle(); // closed forcibly while this read was in flight
            if (closing || res == IoUringOps.ECANCELED_NEGATIVE || res == IoUringOps.EAGAIN_NEGATIVE
                    || res == IoUringOps.EINTR_NEGATIVE) {
                if (res == IoUringOps.EAGAIN_NEGATIVE) {
                    batchDrained = true;
                }
                if (batchDone) {
                    batchComplete();
                } else if (!pollFirst) {
                    scheduleReads();
                }
                return;
            }
            // Every other read error of a TUN file is final.
            IOException error;
            if (isDeviceRemoved(res)) { // deleted under the channel
                error = new IOException("TUN device " + localAddress() + " was removed (EBADFD on a read)");
            } else if (res == 0) {
                error = new IOException("unexpected EOF on the TUN file of " + localAddress());
            } else {
                IOException cause = Errors.newIOException("read", res);
                error = new IOException("TUN read on " + localAddress() + " failed: " + cause.getMessage(), cause);
            }
            pipeline().fireExceptionCaught(error);
            close(voidPromise());
        }

        /**
         * The last read of a poll-first batch completed: deliver what it found. A batch that came back full
         * means more may be queued (the next starts at once, twice as large); otherwise the poll says when.
         */
        private void batchComplete() {
            if (batchDrained) {
                batchSize = Math.max(MIN_BATCH, batchFilled + 1);
            } else {
                readable = true;
                batchSize = Math.min(batchSize * 2, readStates.length);
            }
            if (filledCount > 0) {
                deliver();
            } else {
                scheduleReads();
            }
        }

        /**
         * Delivers the filled slots as one read batch: at the end of a poll-first batch, or as a task after the loop's
         * completions when reads wait on the device.
         */
        void deliver() {
            deliverScheduled = false;
            if (filledCount == 0) {
                scheduleReads();
                return;
            }
            if (closing || !config.isAutoRead() && !readPending) {
                return;
            }
            RecvByteBufAllocator.ExtendedHandle allocHandle =
                    (RecvByteBufAllocator.ExtendedHandle) recvBufAllocHandle();
            ChannelPipeline pipeline = pipeline();
            allocHandle.reset(config);
            do {
                int slot = filled[filledHead];
                filledHead = (filledHead + 1) % filled.length;
                filledCount--;
                ByteBuf buf = readBufs[slot];
                int n = readResults[slot];
                readBufs[slot] = null;
                readStates[slot] = READ_FREE;
                allocHandle.attemptedBytesRead(buf.capacity());
                allocHandle.lastBytesRead(n);
                allocHandle.incMessagesRead(1);
                readPending = false;
                TunPacket packet = readPacket(buf, n);
                if (packet != null) {
                    pipeline.fireChannelRead(packet);
                }
            } while (filledCount > 0 && !closing && allocHandle.continueReading(UncheckedBooleanSupplier.TRUE_SUPPLIER));
            allocHandle.readComplete();
            pipeline.fireChannelReadComplete();
            if (filledCount > 0 && (config.isAutoRead() || readPending)) {
                scheduleDeliver();
            }
            scheduleReads();
        }

        private void writeComplete(int slot, int res) {
            writesInFlight--;
            releaseJoined(slot);
            writeResults[slot] = res;
            writeStates[slot] = WRITE_DONE;
            ChannelOutboundBuffer in = outboundBuffer();
            if (in == null) {
                releaseWriteMemoryIfIdle(); // closed forcibly while this write was in flight
                return;
            }
            drainCompletedWrites(in);
            if (!closing && in.size() > writeCount) {
                flush0(); // flushed messages that did not fit the write slots
            }
        }

        @Override
        protected void close(ChannelPromise promise, Throwable cause, ClosedChannelException closeCause) {
            if (delayedClose != null) {
                delayedClose.addListener(new PromiseNotifier<>(false, promise));
                return;
            }
            if (!opsInFlight() || registration() == null) {
                closing = true;
                super.close(promise, cause, closeCause);
                return;
            }
            // Cancel everything in flight; close for real when the last completion is in.
            closing = true;
            delayedClose = promise.isVoid() ? newPromise() : promise;
            delayedCloseCause = cause;
            delayedCloseException = closeCause;
            cancelInFlight(registration());
        }

        private void closeNow() {
            ChannelPromise promise = delayedClose;
            delayedClose = null;
            super.close(promise, delayedCloseCause, delayedCloseException);
        }

        @Override
        public void unregistered() {
            // Every completion of the registration has arrived: nothing of ours is left in the kernel.
        }
    }
}

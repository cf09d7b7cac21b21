/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun.uring;

import io.netty.channel.uring.IoUringIoOps;

/**
 * The io_uring submissions an {@link IoUringTunChannel} makes, built with Netty's public {@link IoUringIoOps}
 * constructor. Netty keeps its opcode constants package-private, so these are ours, from
 * {@code enum io_uring_op} in {@code include/uapi/linux/io_uring.h}; the field layout follows
 * {@code struct io_uring_sqe} (off, addr, len, rw_flags, user_data) as liburing's {@code io_uring_prep_*} fill it.
 */
final class IoUringOps {

    /** {@code IORING_OP_WRITEV} (Linux 5.1). */
    static final byte IORING_OP_WRITEV = 2;
    /** {@code IORING_OP_ASYNC_CANCEL} (Linux 5.5): cancels the request whose user_data is in {@code addr}. */
    static final byte IORING_OP_ASYNC_CANCEL = 14;
    /** {@code IORING_OP_READ} (Linux 5.6). */
    static final byte IORING_OP_READ = 22;

    /** {@code -ECANCELED}: the result of a request that was cancelled. */
    static final int ECANCELED_NEGATIVE = -125;
    /** {@code -EAGAIN}. */
    static final int EAGAIN_NEGATIVE = -11;
    /** {@code -EINTR}. */
    static final int EINTR_NEGATIVE = -4;

    private IoUringOps() {
    }

    /**
     * {@code io_uring_prep_read(sqe, fd, buf, len, -1)}: offset -1 reads at the file position, which a TUN file
     * (opened with {@code nonseekable_open}) ignores.
     */
    static IoUringIoOps read(int fd, long address, int length, short slot) {
        return new IoUringIoOps(IORING_OP_READ, (byte) 0, (short) 0, fd, -1L, address, length, 0, slot,
                (short) 0, (short) 0, 0, 0L);
    }

    /** {@code io_uring_prep_writev(sqe, fd, iovecs, count, -1)}. */
    static IoUringIoOps writev(int fd, long iovecs, int count, short slot) {
        return new IoUringIoOps(IORING_OP_WRITEV, (byte) 0, (short) 0, fd, -1L, iovecs, count, 0, slot,
                (short) 0, (short) 0, 0, 0L);
    }

    /** {@code io_uring_prep_cancel64(sqe, userData, 0)}. */
    static IoUringIoOps cancel(long userData) {
        return new IoUringIoOps(IORING_OP_ASYNC_CANCEL, (byte) 0, (short) 0, -1, 0L, userData, 0, 0, (short) 0,
                (short) 0, (short) 0, 0, 0L);
    }
}

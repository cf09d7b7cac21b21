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

    /** {@code IORING_OP_READV} (Linux 5.1). */
    static final byte IORING_OP_READV = 1;
    /** {@code IORING_OP_WRITEV} (Linux 5.1). */
    static final byte IORING_OP_WRITEV = 2;
    /** {@code IORING_OP_ASYNC_CANCEL} (Linux 5.5): cancels the request whose user_data is in {@code addr}. */
    static final byte IORING_OP_ASYNC_CANCEL = 14;
    /** {@code IORING_OP_POLL_ADD} (Linux 5.1). */
    static final byte IORING_OP_POLL_ADD = 6;

    /** {@code IORING_POLL_ADD_MULTI} (Linux 5.13): the poll stays armed and posts a completion per wake-up. */
    static final int IORING_POLL_ADD_MULTI = 1;
    /** {@code IORING_CQE_F_MORE}: more completions will follow for this request. */
    static final int IORING_CQE_F_MORE = 1 << 1;
    /** {@code POLLIN} from {@code asm-generic/poll.h}. */
    static final int POLLIN = 0x1;
    /** {@code RWF_NOWAIT} from {@code linux/fs.h}: fail with {@code -EAGAIN} instead of waiting for data. */
    static final int RWF_NOWAIT = 0x8;

    /** {@code -ECANCELED}: the result of a request that was cancelled. */
    static final int ECANCELED_NEGATIVE = -125;
    /** {@code -EAGAIN}. */
    static final int EAGAIN_NEGATIVE = -11;
    /** {@code -EINTR}. */
    static final int EINTR_NEGATIVE = -4;

    private IoUringOps() {
    }

    /**
     * {@code io_uring_prep_readv(sqe, fd, iovecs, count, -1)} with {@code rw_flags}: offset -1 reads at the file
     * position, which a TUN file (opened with {@code nonseekable_open}) ignores. The kernel copies the iovecs when it
     * issues the request, so one op per slot can be submitted again and again with the iovec rewritten in between.
     */
    static IoUringIoOps readv(int fd, long iovecs, int count, int rwFlags, short slot) {
        return new IoUringIoOps(IORING_OP_READV, (byte) 0, (short) 0, fd, -1L, iovecs, count, rwFlags, slot,
                (short) 0, (short) 0, 0, 0L);
    }

    /** {@code io_uring_prep_poll_multishot(sqe, fd, POLLIN)}. */
    static IoUringIoOps pollInMultishot(int fd) {
        return new IoUringIoOps(IORING_OP_POLL_ADD, (byte) 0, (short) 0, fd, 0L, 0L, IORING_POLL_ADD_MULTI,
                POLLIN, (short) 0, (short) 0, (short) 0, 0, 0L);
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

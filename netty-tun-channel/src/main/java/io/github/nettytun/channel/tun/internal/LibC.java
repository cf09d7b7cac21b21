/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.channel.tun.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/**
 * The control-plane system calls netty-tun makes through JNA: {@code open}, {@code close}, {@code ioctl},
 * {@code setns}, and {@code socket}/{@code send}/{@code recv} for the sockets that interface control goes
 * through (ioctls, and rtnetlink for addresses).
 * The data path never goes through JNA: reads and writes use Netty's {@code FileDescriptor} natives.
 *
 * <p>Constants are the Linux values shared by x86_64 and aarch64 ({@code asm-generic}).
 */
public interface LibC extends Library {

    LibC INSTANCE = Native.load("c", LibC.class);

    /** {@code O_RDONLY}, {@code O_RDWR}, {@code O_NONBLOCK}, {@code O_CLOEXEC} from {@code asm-generic/fcntl.h}. */
    int O_RDONLY = 0;
    int O_RDWR = 2;
    int O_NONBLOCK = 0x800;
    int O_CLOEXEC = 0x80000;

    /** Address families and socket types from {@code linux/socket.h} and {@code linux/net.h}. */
    int AF_INET = 2;
    int AF_INET6 = 10;
    int AF_NETLINK = 16;
    int SOCK_DGRAM = 2;
    int SOCK_RAW = 3;
    int SOCK_CLOEXEC = O_CLOEXEC;

    /** {@code CLONE_NEWNET} from {@code linux/sched.h}. */
    int CLONE_NEWNET = 0x40000000;

    /** errno values from {@code asm-generic/errno-base.h} and {@code asm-generic/errno.h}. */
    int EPERM = 1;
    int ENOENT = 2;
    int EIO = 5;
    int ENXIO = 6;
    int EACCES = 13;
    int EEXIST = 17;
    int ESRCH = 3;
    int EBUSY = 16;
    int ENODEV = 19;
    int EINVAL = 22;
    int EBADFD = 77;

    int open(String path, int flags) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    /** {@code ioctl} whose third argument points at a struct. */
    int ioctl(int fd, NativeLong request, Pointer arg) throws LastErrorException;

    /** {@code ioctl} whose third argument is a value ({@code TUNSETOFFLOAD}, {@code TUNSETPERSIST}). */
    int ioctl(int fd, NativeLong request, NativeLong arg) throws LastErrorException;

    int socket(int domain, int type, int protocol) throws LastErrorException;

    int setns(int fd, int nstype) throws LastErrorException;

    NativeLong send(int fd, Pointer buf, NativeLong len, int flags) throws LastErrorException;

    NativeLong recv(int fd, Pointer buf, NativeLong len, int flags) throws LastErrorException;
}

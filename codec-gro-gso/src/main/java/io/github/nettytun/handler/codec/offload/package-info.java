/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
/**
 * GRO/GSO for TUN channels with virtio-net-header offload:
 * {@link io.github.nettytun.handler.codec.offload.TunGsoSegmenter} (inbound: super-packets into MTU-sized IP packets)
 * and {@link io.github.nettytun.handler.codec.offload.TunGroCoalescer} (outbound: IP packets into super-packets), with allocation-free flyweights over the IPv4, IPv6, TCP and UDP
 * headers they rewrite. The rules they follow are those of Linux's own GSO ({@code net/ipv4/tcp_offload.c},
 * {@code net/ipv4/udp_offload.c}) and of the virtio-net header ({@code include/linux/virtio_net.h}).
 */
package io.github.nettytun.handler.codec.offload;

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.ping;

import io.github.nettytun.channel.tun.Tun;
import io.github.nettytun.channel.tun.TunAddress;
import io.github.nettytun.channel.tun.TunChannel;
import io.github.nettytun.channel.tun.TunChannelOption;
import io.github.nettytun.channel.tun.TunOffloads;
import io.github.nettytun.channel.tun.epoll.EpollTunChannel;
import io.github.nettytun.channel.tun.uring.IoUringTunChannel;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.util.NetUtil;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.InetAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Brings up a TUN device in the current network namespace, answers ping for every address routed into it with
 * {@link IcmpEchoResponder}, and pings two of those addresses from the kernel side (raw ICMP sockets, through
 * {@link InetAddress#isReachable(int)}, which needs root).
 */
@Command(name = "ping-demo", mixinStandardHelpOptions = true,
        description = {"Brings up a TUN device, answers ICMP echo behind it, and pings it over IPv4 and IPv6.",
                "Run it as root in a network namespace of its own (examples/demo.sh does)."})
public final class PingDemo implements Callable<Integer> {

    @Option(names = "--name", defaultValue = "demo0", description = "Interface name (default: ${DEFAULT-VALUE}).")
    String ifName;

    @Option(names = "--count", defaultValue = "4", description = "Pings per address family (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--transport", defaultValue = "epoll",
            description = "epoll or io_uring (default: ${DEFAULT-VALUE}).")
    String transport;

    @Option(names = "--offload", description = "Open the device with IFF_VNET_HDR and offloads.")
    boolean offload;

    @Option(names = "--serve", description = "Keep answering ping after the self-test until interrupted.")
    boolean serve;

    @Option(names = "--address4", defaultValue = "10.99.0.1", description = "Device IPv4 address, /24 (default: ${DEFAULT-VALUE}).")
    String address4;

    @Option(names = "--address6", defaultValue = "fd99::1", description = "Device IPv6 address, /64 (default: ${DEFAULT-VALUE}).")
    String address6;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final PrintStream out;

    public PingDemo() {
        this(System.out);
    }

    PingDemo(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        Tun.ensureAvailability();
        InetAddress local4 = InetAddress.getByName(address4);
        InetAddress local6 = InetAddress.getByName(address6);
        InetAddress target4 = next(local4);
        InetAddress target6 = next(local6);
        IcmpEchoResponder responder = new IcmpEchoResponder();
        boolean ioUring;
        switch (transport) {
            case "epoll": ioUring = false; break;
            case "io_uring": ioUring = true; break;
            default: throw new CommandLine.ParameterException(spec.commandLine(),
                    "--transport must be epoll or io_uring, not " + transport);
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                ioUring ? IoUringIoHandler.newFactory() : EpollIoHandler.newFactory());
        try {
            TunChannel tun = (TunChannel) new Bootstrap().group(group)
                    .channel(ioUring ? IoUringTunChannel.class : EpollTunChannel.class)
                    .option(TunChannelOption.IFF_VNET_HDR, offload)
                    .handler(responder)
                    .bind(new TunAddress(ifName)).sync().channel();
            try {
                tun.device().addAddress(local4, 24).addAddress(local6, 64).up();
                out.printf("%s is up (%s, mtu %d, offloads %s): %s/24 and %s/64; answering ICMP echo behind it%n",
                        tun.localAddress().ifName(), transport, tun.device().mtu(),
                        TunOffloads.toString(tun.config().getAcceptedOffloads()),
                        text(local4), text(local6));
                int lost = ping(target4) + ping(target6);
                out.printf("%d of %d pings answered; the responder answered %d echo requests%n",
                        2 * count - lost, 2 * count, responder.answered());
                if (serve) {
                    out.printf("serving; try: ping %s (Ctrl-C to stop)%n", text(target4));
                    tun.closeFuture().sync();
                }
                return lost == 0 ? 0 : 1;
            } finally {
                tun.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).sync();
        }
    }

    private int ping(InetAddress target) throws Exception {
        int lost = 0;
        for (int i = 1; i <= count; i++) {
            long start = System.nanoTime();
            boolean reached = target.isReachable(2000);
            double ms = (System.nanoTime() - start) / 1e6;
            if (reached) {
                out.printf("reply from %s: seq=%d time=%.3f ms%n", text(target), i, ms);
            } else {
                out.printf("no reply from %s: seq=%d%n", text(target), i);
                lost++;
            }
        }
        return lost;
    }

    private static String text(InetAddress a) {
        return NetUtil.toAddressString(a);
    }

    /** The address after {@code a}: the host the responder pretends to be. */
    static InetAddress next(InetAddress a) throws Exception {
        byte[] b = a.getAddress();
        for (int i = b.length - 1; i >= 0 && ++b[i] == 0; i--) {
            // carry
        }
        return InetAddress.getByAddress(b);
    }
}

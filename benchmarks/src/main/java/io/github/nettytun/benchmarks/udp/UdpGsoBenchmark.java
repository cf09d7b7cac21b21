/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks.udp;

import io.github.nettytun.benchmarks.Medians;
import io.github.nettytun.handler.vpn.UdpGsoSender;
import io.github.nettytun.handler.vpn.UdpOffload;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.util.ReferenceCountUtil;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Datagrams per second and sender CPU per GB for a flood of same-size datagrams on loopback, sent plainly or through
 * {@link UdpGsoSender} (payload copied, its default, or a composite), from an epoll or an io_uring channel. The sending event
 * loop writes 64 datagrams, flushes, and goes on while the channel is writable; the receiver is an epoll channel set
 * up by {@link UdpOffload} (UDP_GRO) on its own event loop. The sender's CPU is its event-loop thread's, which on
 * loopback includes the kernel's delivery to the receiving socket. Modes and transports run interleaved in every
 * round; the report gives medians and the ratios to plain.
 */
@Command(name = "udp-gso-benchmark", mixinStandardHelpOptions = true,
        description = "Datagrams/s and CPU per GB with and without UdpGsoSender, epoll and io_uring.")
public final class UdpGsoBenchmark implements Callable<Integer> {

    @Option(names = "--transports", split = ",", defaultValue = "epoll,io_uring")
    List<String> transports;

    @Option(names = "--modes", split = ",", defaultValue = "plain,gso,gso-composite",
            description = "plain (no handler), gso (UdpGsoSender as by default: copied payload), gso-composite"
                    + " (UdpGsoSender with a composite payload).")
    List<String> modes;

    @Option(names = "--size", defaultValue = "1400", description = "Datagram payload bytes.")
    int size;

    @Option(names = "--seconds", defaultValue = "5")
    int seconds;

    @Option(names = "--rounds", defaultValue = "5")
    int rounds;

    @Option(names = "--out", description = "Markdown report to write.")
    Path out;

    static final class Run {
        final String transport;
        final String mode;
        final double sentPerSecond;
        final double receivedPerSecond;
        final double cpuSecondsPerGb;
        final double datagramsPerCpuSecond;
        final double lostPercent;

        Run(String transport, String mode, double sentPerSecond, double receivedPerSecond, double cpuSecondsPerGb,
            double datagramsPerCpuSecond, double lostPercent) {
            this.transport = transport;
            this.mode = mode;
            this.sentPerSecond = sentPerSecond;
            this.receivedPerSecond = receivedPerSecond;
            this.cpuSecondsPerGb = cpuSecondsPerGb;
            this.datagramsPerCpuSecond = datagramsPerCpuSecond;
            this.lostPercent = lostPercent;
        }

        String key() {
            return transport + '/' + mode;
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new UdpGsoBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<Run> runs = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            for (String transport : transports) {
                for (String mode : modes) {
                    Run r = measure(transport, mode);
                    runs.add(r);
                    System.out.printf(Locale.ROOT, "round %d %-8s %-8s sent %,10.0f/s received %,10.0f/s "
                                    + "%6.2f CPU-s/GB %,10.0f datagrams/CPU-s lost %.1f%%%n", round, transport, mode,
                            r.sentPerSecond, r.receivedPerSecond, r.cpuSecondsPerGb, r.datagramsPerCpuSecond,
                            r.lostPercent);
                }
            }
        }
        String report = report(runs);
        System.out.println();
        System.out.println(report);
        if (out != null) {
            Files.writeString(out, report, StandardCharsets.UTF_8);
            System.out.println("wrote " + out);
        }
        return 0;
    }

    /** Writes batches of 64 datagrams on the sender's event loop for as long as the channel is writable. */
    private final class Generator extends ChannelInboundHandlerAdapter implements Runnable {
        private final byte[] payload = new byte[size];
        private InetSocketAddress to;
        private Channel channel;
        volatile boolean running = true;
        final AtomicLong sent = new AtomicLong();
        volatile long threadId;

        void start(Channel channel, InetSocketAddress to) {
            this.channel = channel;
            this.to = to;
            channel.eventLoop().execute(this);
        }

        @Override
        public void run() {
            threadId = Thread.currentThread().getId();
            if (!running || !channel.isActive()) {
                return;
            }
            ByteBufAllocator alloc = channel.alloc();
            long n = 0;
            for (int i = 0; i < 64 && channel.isWritable(); i++) {
                ByteBuf buf = alloc.directBuffer(size).writeBytes(payload);
                channel.write(new DatagramPacket(buf, to), channel.voidPromise());
                n++;
            }
            channel.flush();
            sent.lazySet(sent.get() + n);
            if (channel.isWritable()) {
                channel.eventLoop().execute(this);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                ctx.channel().eventLoop().execute(this);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a failed send (voidPromise): counted as lost by the receiver's numbers
        }
    }

    /** Counts what the receiver reads. */
    private static final class Counter extends ChannelInboundHandlerAdapter {
        final AtomicLong datagrams = new AtomicLong();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            datagrams.lazySet(datagrams.get() + 1);
            ReferenceCountUtil.release(msg);
        }
    }

    private Run measure(String transport, String mode) throws Exception {
        boolean epoll = transport.equals("epoll");
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : IoUringIoHandler.newFactory();
        EventLoopGroup senderGroup = new MultiThreadIoEventLoopGroup(1, factory);
        EventLoopGroup receiverGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try {
            Counter counter = new Counter();
            Bootstrap rb = new Bootstrap().group(receiverGroup).channel(EpollDatagramChannel.class).handler(counter);
            UdpOffload.configure(rb, EpollDatagramChannel.class, 65535);
            Channel receiver = rb.bind(new InetSocketAddress(loopback, 0)).sync().channel();

            Generator generator = new Generator();
            Class<? extends Channel> type = epoll ? EpollDatagramChannel.class : IoUringDatagramChannel.class;
            Bootstrap sb = new Bootstrap().group(senderGroup).channel(type).handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    if (mode.equals("gso")) {
                        ch.pipeline().addLast(new UdpGsoSender()); // the default: copied payload
                    } else if (mode.equals("gso-composite")) {
                        ch.pipeline().addLast(new UdpGsoSender(UdpGsoSender.DEFAULT_MAX_PENDING,
                                UdpGsoSender.Payload.COMPOSITE));
                    } else if (!mode.equals("plain")) {
                        throw new IllegalArgumentException("unknown mode " + mode);
                    }
                    ch.pipeline().addLast(generator);
                }
            });
            UdpOffload.configure(sb, type, 65535);
            Channel sender = sb.bind(new InetSocketAddress(loopback, 0)).sync().channel();

            generator.start(sender, (InetSocketAddress) receiver.localAddress());
            Thread.sleep(1000); // warm-up
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long sent0 = generator.sent.get();
            long received0 = counter.datagrams.get();
            long cpu0 = threads.getThreadCpuTime(generator.threadId);
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            long cpu = threads.getThreadCpuTime(generator.threadId) - cpu0;
            double elapsed = (System.nanoTime() - t0) / 1e9;
            long sent = generator.sent.get() - sent0;
            long received = counter.datagrams.get() - received0;
            generator.running = false;
            sender.close().sync();
            receiver.close().sync();
            double gb = sent * (double) size / 1e9;
            return new Run(transport, mode, sent / elapsed, received / elapsed, (cpu / 1e9) / gb,
                    sent / (cpu / 1e9), sent == 0 ? 0 : 100.0 * Math.max(0, sent - received) / sent);
        } finally {
            senderGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            receiverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static Map<String, Double> medians(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
        return Medians.of(runs, Run::key, f);
    }

    private String report(List<Run> runs) {
        Map<String, Double> sent = medians(runs, r -> r.sentPerSecond);
        Map<String, Double> received = medians(runs, r -> r.receivedPerSecond);
        Map<String, Double> cpu = medians(runs, r -> r.cpuSecondsPerGb);
        Map<String, Double> perCpu = medians(runs, r -> r.datagramsPerCpuSecond);
        Map<String, Double> lost = medians(runs, r -> r.lostPercent);
        StringBuilder sb = new StringBuilder("# UDP GSO sender benchmark\n\n");
        sb.append("A flood of ").append(size).append("-byte datagrams on loopback from one event loop, plain or "
                + "through UdpGsoSender; the receiver is an epoll channel with UDP_GRO (UdpOffload). ")
                .append(seconds).append(" s per run, ").append(rounds).append(" interleaved rounds, medians.\n\n");
        sb.append("- date: ").append(Instant.now()).append('\n');
        sb.append("- machine: Linux ").append(System.getProperty("os.version")).append(", ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores\n");
        sb.append("- JDK: ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.runtime.version")).append('\n');
        sb.append("- command: `java -cp benchmarks/target/benchmarks.jar ").append(getClass().getName())
                .append(" --transports ").append(String.join(",", transports)).append(" --modes ")
                .append(String.join(",", modes)).append(" --size ").append(size).append(" --seconds ")
                .append(seconds).append(" --rounds ").append(rounds).append("`\n\n");
        sb.append("CPU is the sending event-loop thread's (on loopback it includes the kernel's delivery to the "
                + "receiving socket); datagrams/CPU-s is datagrams sent per CPU-second of that thread.\n\n");
        sb.append("| transport | mode | sent/s | received/s | lost % | CPU-s/GB | datagrams/CPU-s |\n"
                + "|---|---|---:|---:|---:|---:|---:|\n");
        for (String key : sent.keySet()) {
            String[] p = key.split("/");
            sb.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %,.0f | %.1f | %.2f | %,.0f |%n", p[0], p[1],
                    sent.get(key), received.get(key), lost.get(key), cpu.get(key), perCpu.get(key)));
        }
        if (modes.contains("plain")) {
            sb.append("\nRatios to plain (medians):\n\n| transport | mode | datagrams/CPU-s | sent/s | CPU-s/GB |\n"
                    + "|---|---|---:|---:|---:|\n");
            for (String t : transports) {
                for (String m : modes) {
                    if (m.equals("plain")) {
                        continue;
                    }
                    String k = t + '/' + m;
                    String base = t + "/plain";
                    sb.append(String.format(Locale.ROOT, "| %s | %s / plain | %.2f | %.2f | %.2f |%n", t, m,
                            perCpu.get(k) / perCpu.get(base), sent.get(k) / sent.get(base),
                            cpu.get(k) / cpu.get(base)));
                }
            }
        }
        sb.append("\nAll runs:\n\n| transport | mode | sent/s | received/s | CPU-s/GB |\n|---|---|---:|---:|---:|\n");
        for (Run r : runs) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %,.0f | %.2f |%n", r.transport, r.mode,
                    r.sentPerSecond, r.receivedPerSecond, r.cpuSecondsPerGb));
        }
        return sb.toString();
    }
}

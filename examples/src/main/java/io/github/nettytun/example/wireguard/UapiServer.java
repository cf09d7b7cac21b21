/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.handler.vpn.wireguard.AllowedIps;
import io.github.nettytun.handler.vpn.wireguard.PeerConfig;
import io.github.nettytun.handler.vpn.wireguard.WireGuardDevice;
import io.github.nettytun.handler.vpn.wireguard.WireGuardPeer;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.internal.StringUtil;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.IntSupplier;

/**
 * WireGuard's cross-platform configuration protocol (UAPI) on {@code /var/run/wireguard/<interface>.sock}, so that
 * the stock {@code wg} tool drives this server as it drives wireguard-go: {@code wg show} ({@code get=1}) and
 * {@code wg set} ({@code set=1}: add, change or remove peers, their preshared keys, endpoints, keepalives and
 * allowed IPs). Requests are blank-line terminated {@code key=value} lines; keys are hex; every answer ends with
 * {@code errno=N} and a blank line.
 *
 * <p>The socket is created owner-only ({@code rw-------}, the directory {@code rwxr-xr-x}): only root can
 * configure the interface. Device state is read and changed on the device's event loop.
 */
public final class UapiServer implements AutoCloseable {

    /** Where userspace WireGuard implementations put their sockets. */
    public static final Path SOCKET_DIRECTORY = Paths.get("/var/run/wireguard");

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(UapiServer.class);
    private static final int EINVAL = 22;
    private static final int EPERM = 1;
    private static final int EMSGSIZE = 90;
    /** The longest line: a key, '=' and a value (the longest value, an IPv6 endpoint, is far shorter). */
    static final int MAX_LINE = 4096;
    /** The largest request, about 40,000 allowed_ip lines; a longer one is refused and the connection closed. */
    static final int MAX_REQUEST_BYTES = 1 << 20;
    /** Connections served at once; a new one beyond it closes the oldest. */
    static final int MAX_CONNECTIONS = 16;
    /** A connection quiet this long is closed. */
    static final int IDLE_SECONDS = 30;

    private final Channel channel;
    private final Path socket;

    private UapiServer(Channel channel, Path socket) {
        this.channel = channel;
        this.socket = socket;
    }

    /**
     * Listens on {@code /var/run/wireguard/<ifName>.sock}.
     *
     * @param group      an epoll event loop group for the socket (the device keeps its own loop)
     * @param listenPort the UDP port the interface listens on, as {@code wg show} reports it
     * @throws IOException when another process serves that interface already
     */
    public static UapiServer start(WireGuardDevice device, String ifName, IntSupplier listenPort,
                                   EventLoopGroup group) throws Exception {
        Files.createDirectories(SOCKET_DIRECTORY);
        return start(device, SOCKET_DIRECTORY.resolve(ifName + ".sock"), listenPort, group);
    }

    /** Listens on {@code socket}. */
    public static UapiServer start(WireGuardDevice device, Path socket, IntSupplier listenPort,
                                   EventLoopGroup group) throws Exception {
        if (Files.exists(socket)) {
            if (isServed(socket)) {
                throw new IOException(socket + " is served by another process: is the interface running already?");
            }
            Files.delete(socket); // left by a process that died
        }
        Deque<Channel> connections = new ConcurrentLinkedDeque<>();
        Channel ch = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        // Beyond the limit the oldest connection goes, so that a new wg command always gets in.
                        connections.add(c);
                        c.closeFuture().addListener(f -> connections.remove(c));
                        Channel oldest;
                        while (connections.size() > MAX_CONNECTIONS && (oldest = connections.poll()) != null) {
                            logger.debug("UAPI: more than {} connections; closing the oldest", MAX_CONNECTIONS);
                            oldest.close();
                        }
                        c.pipeline().addLast(new IdleStateHandler(0, 0, IDLE_SECONDS),
                                new LineBasedFrameDecoder(MAX_LINE, true, true),
                                new StringDecoder(StandardCharsets.US_ASCII), new Session(device, listenPort));
                    }
                })
                .bind(new DomainSocketAddress(socket.toFile())).sync().channel();
        try {
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            ch.close().sync();
            Files.deleteIfExists(socket);
            throw e;
        }
        return new UapiServer(ch, socket);
    }

    private static boolean isServed(Path socket) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The socket's path. */
    public Path socket() {
        return socket;
    }

    /** Stops listening and removes the socket file. */
    @Override
    public void close() throws IOException {
        channel.close().syncUninterruptibly();
        Files.deleteIfExists(socket);
    }

    /** One client connection: collects a request up to its blank line, answers it, waits for the next. */
    private static final class Session extends SimpleChannelInboundHandler<String> {
        private final WireGuardDevice device;
        private final IntSupplier listenPort;
        private final List<String> request = new ArrayList<>();
        private int requestBytes;

        Session(WireGuardDevice device, IntSupplier listenPort) {
            this.device = device;
            this.listenPort = listenPort;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, String line) {
            if (!line.isEmpty()) {
                requestBytes += line.length() + 1;
                if (requestBytes > MAX_REQUEST_BYTES) {
                    refuse(ctx, EMSGSIZE, "a request of more than " + MAX_REQUEST_BYTES + " bytes");
                    return;
                }
                request.add(line);
                return;
            }
            List<String> lines = new ArrayList<>(request);
            request.clear();
            requestBytes = 0;
            if (lines.isEmpty()) {
                return;
            }
            Callable<String> op;
            if (lines.get(0).equals("get=1") && lines.size() == 1) {
                op = () -> get(device, listenPort.getAsInt());
            } else if (lines.get(0).equals("set=1")) {
                op = () -> "errno=" + set(device, listenPort.getAsInt(), lines.subList(1, lines.size())) + "\n\n";
            } else {
                ctx.writeAndFlush(Unpooled.copiedBuffer("errno=" + EINVAL + "\n\n", StandardCharsets.US_ASCII));
                return;
            }
            device.eventLoop().submit(op).addListener(f -> {
                String answer = f.isSuccess() ? (String) f.getNow() : "errno=" + EINVAL + "\n\n";
                if (!f.isSuccess()) {
                    logger.warn("UAPI request failed: {}", lines.get(0), f.cause());
                }
                ctx.writeAndFlush(Unpooled.copiedBuffer(answer, StandardCharsets.US_ASCII));
            });
        }

        /** Answers {@code errno} and closes: the rest of the request is not read. */
        private void refuse(ChannelHandlerContext ctx, int errno, String why) {
            logger.warn("UAPI: refused {}; connection closed", why);
            request.clear();
            requestBytes = 0;
            ctx.writeAndFlush(Unpooled.copiedBuffer("errno=" + errno + "\n\n", StandardCharsets.US_ASCII))
                    .addListener(ChannelFutureListener.CLOSE);
            ctx.channel().config().setAutoRead(false);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                logger.debug("UAPI: connection idle for {} s; closed", IDLE_SECONDS);
                ctx.close();
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof TooLongFrameException) {
                refuse(ctx, EMSGSIZE, "a line of more than " + MAX_LINE + " bytes");
                return;
            }
            logger.debug("UAPI connection failed", cause);
            ctx.close();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // the protocol (runs on the device's event loop)

    static String get(WireGuardDevice device, int listenPort) {
        StringBuilder sb = new StringBuilder();
        sb.append("private_key=").append(ByteBufUtil.hexDump(device.privateKey())).append('\n');
        sb.append("listen_port=").append(listenPort).append('\n');
        for (WireGuardPeer peer : device.peers()) {
            sb.append("public_key=").append(ByteBufUtil.hexDump(peer.publicKey())).append('\n');
            if (peer.hasPresharedKey()) {
                sb.append("preshared_key=").append(ByteBufUtil.hexDump(peer.presharedKey())).append('\n');
            }
            sb.append("protocol_version=1\n");
            InetSocketAddress endpoint = peer.endpoint();
            if (endpoint != null) {
                String host = endpoint.getAddress().getHostAddress();
                sb.append("endpoint=").append(host.indexOf(':') >= 0 ? '[' + host + ']' : host)
                        .append(':').append(endpoint.getPort()).append('\n');
            }
            Instant handshake = peer.latestHandshake();
            sb.append("last_handshake_time_sec=").append(handshake == null ? 0 : handshake.getEpochSecond())
                    .append('\n');
            sb.append("last_handshake_time_nsec=").append(handshake == null ? 0 : handshake.getNano()).append('\n');
            sb.append("tx_bytes=").append(peer.txBytes()).append('\n');
            sb.append("rx_bytes=").append(peer.rxBytes()).append('\n');
            sb.append("persistent_keepalive_interval=").append(peer.persistentKeepaliveSeconds()).append('\n');
            for (AllowedIps.Entry<WireGuardPeer> e : peer.allowedIps()) {
                sb.append("allowed_ip=").append(e).append('\n');
            }
        }
        return sb.append("errno=0\n\n").toString();
    }

    /** Applies a {@code set=1} request; returns the errno (0: done). Changes before an error stay applied. */
    static int set(WireGuardDevice device, int listenPort, List<String> lines) {
        WireGuardPeer peer = null;
        boolean skipPeer = false;
        boolean created = false;
        for (String line : lines) {
            int eq = line.indexOf('=');
            if (eq <= 0) {
                return EINVAL;
            }
            String key = line.substring(0, eq);
            String value = line.substring(eq + 1);
            try {
                switch (key) {
                    case "private_key":
                        if (!ByteBufUtil.hexDump(device.privateKey()).equals(value.toLowerCase(Locale.ROOT))) {
                            logger.warn("UAPI: changing the private key of a running interface is not supported");
                            return EPERM;
                        }
                        break;
                    case "listen_port":
                        if (Integer.parseInt(value) != listenPort && Integer.parseInt(value) != 0) {
                            logger.warn("UAPI: changing the listen port of a running interface is not supported");
                            return EPERM;
                        }
                        break;
                    case "fwmark":
                        if (Integer.parseInt(value) != 0) {
                            return EPERM;
                        }
                        break;
                    case "replace_peers":
                        if (value.equals("true")) {
                            for (WireGuardPeer p : device.peers()) {
                                device.removePeer(p.publicKey());
                            }
                        }
                        break;
                    case "public_key":
                        byte[] publicKey = hex(value);
                        peer = device.peer(publicKey);
                        skipPeer = false;
                        created = peer == null;
                        if (created) {
                            peer = device.addPeer(new PeerConfig(publicKey));
                        }
                        break;
                    case "update_only":
                        // only change a peer that existed: one the public_key line just created goes again
                        if (value.equals("true") && created && peer != null) {
                            device.removePeer(peer.publicKey());
                            peer = null;
                            skipPeer = true;
                        }
                        break;
                    case "remove":
                        requirePeer(peer, skipPeer);
                        if (value.equals("true") && peer != null) {
                            device.removePeer(peer.publicKey());
                            peer = null;
                            skipPeer = true;
                        }
                        break;
                    case "preshared_key":
                        if (requirePeer(peer, skipPeer)) {
                            device.setPresharedKey(peer, hex(value));
                        }
                        break;
                    case "endpoint":
                        if (requirePeer(peer, skipPeer)) {
                            device.setEndpoint(peer, endpoint(value));
                        }
                        break;
                    case "persistent_keepalive_interval":
                        if (requirePeer(peer, skipPeer)) {
                            device.setPersistentKeepalive(peer, Integer.parseInt(value));
                        }
                        break;
                    case "replace_allowed_ips":
                        if (requirePeer(peer, skipPeer) && value.equals("true")) {
                            device.setAllowedIps(peer, List.of());
                        }
                        break;
                    case "allowed_ip":
                        if (requirePeer(peer, skipPeer)) {
                            List<PeerConfig.Prefix> prefixes = new ArrayList<>();
                            for (AllowedIps.Entry<WireGuardPeer> e : peer.allowedIps()) {
                                prefixes.add(new PeerConfig.Prefix(e.address(), e.prefixLength()));
                            }
                            prefixes.add(PeerConfig.Prefix.parse(value));
                            device.setAllowedIps(peer, prefixes);
                        }
                        break;
                    case "protocol_version":
                        if (!value.equals("1")) {
                            return EINVAL;
                        }
                        break;
                    default:
                        logger.warn("UAPI: unknown key {}", key);
                        return EINVAL;
                }
            } catch (IllegalArgumentException e) {
                logger.warn("UAPI: {}: {}", line, e.getMessage());
                return EINVAL;
            }
        }
        return 0;
    }

    private static boolean requirePeer(WireGuardPeer peer, boolean skipPeer) {
        if (peer == null && !skipPeer) {
            throw new IllegalArgumentException("a peer key before public_key");
        }
        return peer != null;
    }

    private static byte[] hex(String value) {
        if (value.length() != 64) {
            throw new IllegalArgumentException("a key must be 64 hex digits");
        }
        return StringUtil.decodeHexDump(value);
    }

    private static InetSocketAddress endpoint(String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("endpoint without port: " + value);
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = Integer.parseInt(value.substring(colon + 1));
        return new InetSocketAddress(PeerConfig.Prefix.parse(host).address(), port);
    }
}

/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.example.wireguard.WireGuardServer.StartupException;
import io.github.nettytun.handler.vpn.wireguard.WireGuardDevice;
import io.github.nettytun.handler.vpn.wireguard.WireGuardTunnel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The server's checks and openings before and around the start, each failure a {@link StartupException} with the
 * operator's one line: the interface name, the transport and offload options, the files {@code --acl} and
 * {@code --pcap} name, the kernel's refusals of the tunnel.
 */
final class ServerSetup {

    private ServerSetup() {
    }

    /** The capture's handler, its file made owner-only (inner traffic is private) and emptied. */
    static io.github.nettytun.handler.pcap.TunPcapWriteHandler openPcap(Path file) throws StartupException {
        try {
            java.io.OutputStream stream = java.nio.file.Files.newOutputStream(file);
            java.nio.file.Files.setPosixFilePermissions(file,
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            return new io.github.nettytun.handler.pcap.TunPcapWriteHandler(stream, 65535, 1L << 30);
        } catch (java.io.IOException e) {
            throw new StartupException(2, "--pcap " + file + ": cannot be written: " + e.getMessage(), e);
        }
    }

    static String hostPort(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? '[' + host + ']' : host) + ':' + a.getPort();
    }

    static String cut(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "…" : s;
    }

    static InnerPacketFilter readAcl(Path file) throws StartupException {
        try {
            return InnerPacketFilter.read(file);
        } catch (InnerPacketFilter.ParseException e) {
            throw new StartupException(2, e.getMessage(), e);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new StartupException(2, file + ": no such file (--acl)", e);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new StartupException(2, file + ": not UTF-8 text (--acl)", e);
        } catch (java.io.IOException e) {
            throw new StartupException(2, file + ": cannot be read (--acl): " + e.getMessage(), e);
        }
    }

    /** The tunnel, with the kernel's refusals (name taken, port in use) as one-line startup errors. */
    static WireGuardTunnel startTunnel(WireGuardTunnel.Builder builder, WireGuardDevice device, String name,
                                               int port) throws Exception {
        try {
            return builder.start(device);
        } catch (Exception e) {
            String text = WireGuardServer.describe(e);
            if (text.contains("Address already in use")) {
                throw new StartupException(1, "UDP port " + port + " is in use (ListenPort)", e);
            }
            if (text.contains("Operation not permitted")) {
                throw new StartupException(1, "not permitted to create " + name + " (run as root or with "
                        + "CAP_NET_ADMIN)", e);
            }
            if (text.contains("TUN device")) { // the TUN channel's own message says what is wrong with the name
                throw new StartupException(1, "interface " + name + ": " + text, e);
            }
            throw e;
        }
    }

    /** A Linux interface name: 1 to 15 bytes, no '/', ':' or white space, not "." or "..". */
    static void checkInterfaceName(String name) throws StartupException {
        String shown = name.length() > 40 ? name.substring(0, 40) + "…" : name;
        if (name.isEmpty() || name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 15) {
            throw new StartupException(2, "interface name '" + shown + "' must be 1 to 15 bytes (name the file "
                    + "wg0.conf, say, or pass --interface)", null);
        }
        if (!name.matches("[A-Za-z0-9_=+.-]+") || name.equals(".") || name.equals("..")) {
            throw new StartupException(2, "interface name '" + shown + "' may only hold letters, digits and "
                    + "_=+.- (as wg-quick requires)", null);
        }
    }

    static boolean chooseTransport(String transport) throws StartupException {
        switch (transport.toLowerCase(Locale.ROOT)) {
            case "epoll":
                Epoll.ensureAvailability();
                return false;
            case "io_uring":
                IoUring.ensureAvailability();
                return true;
            case "auto":
                return !Epoll.isAvailable() && IoUring.isAvailable();
            default:
                throw new StartupException(2, "--transport " + transport + " (expected epoll, io_uring or auto)",
                        null);
        }
    }

    static boolean chooseOffload(String offload) throws StartupException {
        switch (offload.toLowerCase(Locale.ROOT)) {
            case "on":
            case "auto":
                return true; // the kernel's grant is reported; without TSO the codecs pass packets through
            case "off":
                return false;
            default:
                throw new StartupException(2, "--offload " + offload + " (expected on, off or auto)", null);
        }
    }
}

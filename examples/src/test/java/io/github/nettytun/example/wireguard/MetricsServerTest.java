/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.example.Main;
import io.github.nettytun.testing.Await;
import io.github.nettytun.testing.Closer;
import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TemporaryNetns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.github.nettytun.example.wireguard.ServerFiles.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --metrics}: the server in a namespace of its own, a peer server in another, scraped over the namespace's
 * loopback: the exporter's names and labels are there, counters move with traffic, a malformed datagram shows as
 * a drop reason, and the port is closed again when the server stops.
 */
@Privileged
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsServerTest {

    private final Closer resources = new Closer();

    @AfterEach
    void cleanUp() throws Exception {
        resources.close();
    }

    private Path config(String name, String text) throws Exception {
        Path file = scratch(resources, "wgconf").resolve(name);
        Files.writeString(file, text);
        return file;
    }

    @Test
    void theEndpointServesTheExportersNamesAndMovesWithTraffic() throws Exception {
        TemporaryNetns a = resources.add(TemporaryNetns.create());
        TemporaryNetns b = resources.add(TemporaryNetns.create());
        a.veth("vma", InetAddress.getByName("10.216.0.1"), b, "vmb", InetAddress.getByName("10.216.0.2"), 24);
        byte[] keyA = newKey();
        byte[] keyB = newKey();
        String keyBPublic = publicOf(keyB);
        String ifA = "wma" + ProcessHandle.current().pid() % 100000;
        Path confA = config(ifA + ".conf", String.join("\n",
                "[Interface]", "PrivateKey = " + b64(keyA), "ListenPort = 51850", "Address = 10.217.0.1/32",
                "[Peer]", "PublicKey = " + keyBPublic, "AllowedIPs = 10.217.0.2/32, fd17::2/128",
                "Endpoint = 10.216.0.2:51851", ""));
        Path confB = config("wmb" + ProcessHandle.current().pid() % 100000 + ".conf", String.join("\n",
                "[Interface]", "PrivateKey = " + b64(keyB), "ListenPort = 51851", "Address = 10.217.0.2/32",
                "[Peer]", "PublicKey = " + publicOf(keyA), "AllowedIPs = 10.217.0.1/32", ""));
        ByteArrayOutputStream outA = new ByteArrayOutputStream();
        WireGuardServer serverA = new WireGuardServer(into(outA));
        WireGuardServer serverB = new WireGuardServer(quiet());
        new CommandLine(serverA).parseArgs("--transport", "epoll", "--offload", "on", "--no-uapi",
                "--metrics", "127.0.0.1:9586", confA.toString());
        new CommandLine(serverB).parseArgs("--transport", "io_uring", "--no-uapi", confB.toString());
        WireGuardServer.Running runA = resources.add(a.call(serverA::start));
        resources.add(b.call(serverB::start));
        assertTrue(outA.toString(StandardCharsets.UTF_8).contains("metrics http://127.0.0.1:9586/metrics"),
                outA.toString(StandardCharsets.UTF_8));

        a.exec("ping", "-c", "3", "-i", "0.2", "-w", "10", "10.217.0.2");
        String first = a.call(MetricsServerTest::scrape);
        String peer = "\\{allowed_ips=\"10.217.0.2/32,fd17::2/128\",interface=\"" + ifA + "\",public_key=\""
                + Pattern.quote(keyBPublic) + "\"}";
        double sent = value(first, "wireguard_sent_bytes_total" + peer);
        double received = value(first, "wireguard_received_bytes_total" + peer);
        double handshake = value(first, "wireguard_latest_handshake_seconds" + peer);
        assertTrue(sent > 0 && received > 0, first);
        assertTrue(Math.abs(handshake - System.currentTimeMillis() / 1000.0) < 600, "a Unix time: " + handshake);
        assertTrue(value(first, "wireguard_handshakes_total" + peer) >= 1, first);
        assertTrue(value(first, "wireguard_sent_packets_total" + peer) >= 3, first);
        assertEquals(1, value(first, "wireguard_peers\\{interface=\"" + ifA + "\"}"));
        assertEquals(1, value(first, "wireguard_tunnel_info\\{cipher=\"[a-z_]+\",interface=\"" + ifA
                + "\",jdk=\"[^\"]+\",offloads=\"[^\"]+\",transport=\"epoll\"}"), first);
        assertTrue(first.contains("wireguard_offload_total{event=\"segments\",handler=\"tun_gso_segmenter\""), first);
        assertEquals(0, value(first, "wireguard_dropped_total\\{interface=\"" + ifA + "\",reason=\"malformed\"}"));
        assertTrue(first.contains("# TYPE wireguard_sent_bytes_total counter"), first);
        assertTrue(first.contains("jvm_memory_used_bytes"), first);

        a.exec("ping", "-c", "3", "-i", "0.2", "-w", "10", "10.217.0.2");
        b.call(() -> {
            try (DatagramSocket s = new DatagramSocket()) {
                s.send(new DatagramPacket(new byte[] {9, 9, 9}, 3, InetAddress.getByName("10.216.0.1"), 51850));
            }
            return null;
        });
        String malformed = "wireguard_dropped_total\\{interface=\"" + ifA + "\",reason=\"malformed\"}";
        Await.until(() -> {
            try {
                return value(a.call(MetricsServerTest::scrape), malformed) == 1;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, 10, () -> "the malformed datagram counted");
        String second = a.call(MetricsServerTest::scrape);
        assertTrue(value(second, "wireguard_sent_bytes_total" + peer) > sent, second);
        assertTrue(value(second, "wireguard_received_bytes_total" + peer) > received, second);

        runA.close();
        assertThrows(ConnectException.class, () -> a.call(() -> new Socket("127.0.0.1", 9586)).close(),
                "the metrics port closed with the server");
    }

    @Test
    void aBadAddressStopsTheStartWithStatusTwo() throws Exception {
        Path conf = config("wmbad.conf", String.join("\n", "[Interface]",
                "PrivateKey = " + b64(newKey()), ""));
        for (String[] bad : new String[][] {
            {"9586", "expected HOST:PORT"},
            {"127.0.0.1:99999", "port 99999 (expected 1-65535)"},
            {"example.org:9586", "'example.org' is not an IP address (or localhost)"},
        }) {
            StringWriter err = new StringWriter();
            int status = new CommandLine(new Main()).setErr(new PrintWriter(err))
                    .execute("wireguard", "--metrics", bad[0], conf.toString());
            assertEquals(2, status, bad[0]);
        }
        assertThrows(IllegalArgumentException.class, () -> MetricsServer.parseAddress("[::1]:x"));
        assertEquals(9586, MetricsServer.parseAddress("[::1]:9586").getPort());
        assertTrue(MetricsServer.parseAddress("localhost:1").getAddress().isLoopbackAddress());
    }

    /** GET /metrics on this namespace's loopback (the connection opens on the calling thread). */
    private static String scrape() throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:9586/metrics").openConnection();
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        try (InputStream in = c.getInputStream()) {
            assertEquals(200, c.getResponseCode());
            assertTrue(c.getContentType().startsWith("text/plain; version=0.0.4"), c.getContentType());
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            c.disconnect();
        }
    }

    /** The value of the one series matching {@code series} (a regular expression), or -1 when absent. */
    private static double value(String scrape, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }


}

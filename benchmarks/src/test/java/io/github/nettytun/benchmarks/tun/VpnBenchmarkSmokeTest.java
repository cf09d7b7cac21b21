/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks.tun;

import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TestRequirements;
import io.github.nettytun.testing.WireGuardGo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The VPN benchmark's short mode, as CI runs it: every smoke case (veth, Debian's and upstream wireguard-go,
 * OpenVPN, ours on epoll and io_uring, ours against wireguard-go) is set up, measured and torn down; the report has a row with traffic for
 * each, the charts are PNGs, the README section is replaced, and no namespace or process is left. Speed is not
 * checked: one-second runs on a cold JIT say nothing about it.
 */
@Privileged
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class VpnBenchmarkSmokeTest {

    @Test
    void shortRunMeasuresEveryCaseAndCleansUp(@TempDir Path dir) throws Exception {
        TestRequirements.require(WireGuardGo.installed(), "wireguard-go and wg are not installed");
        for (String tool : List.of("openvpn", "openssl", "iperf3", "ping")) {
            TestRequirements.require(WireGuardGo.onPath(tool), tool + " is not installed");
        }
        TestRequirements.require(io.github.nettytun.testing.WireGuardGo.modern() != null,
                "no upstream wireguard-go ($WIREGUARD_GO_MODERN or shared/tools/ beside the checkout)");
        Path md = dir.resolve("vpn.md");
        Path readme = dir.resolve("README.md");
        Files.writeString(readme, "# title\n\n" + VpnReport.README_BEGIN + "\nold table\n" + VpnReport.README_END
                + "\n\nafter\n");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(console, true, StandardCharsets.UTF_8)) {
            status = new CommandLine(new VpnBenchmark(out)).execute("--smoke", "--out", md.toString(),
                    "--readme", readme.toString());
        }
        String log = console.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, log);
        // Progress: one line per step with the step count.
        assertTrue(log.contains("[ 1/7 ") && log.contains("[ 7/7 "), log);

        String report = Files.readString(md);
        for (String c : List.of("veth", "wireguard-go", "wireguard-go-modern", "openvpn", "ours-epoll-offload-jdk", "ours-io_uring-jdk",
                "mixed-io_uring-offload-jdk")) {
            String row = report.lines().filter(l -> l.startsWith("| " + c)).findFirst()
                    .orElseThrow(() -> new AssertionError("no row for " + c + ":\n" + report));
            String[] cells = row.split("\\|");
            assertTrue(Double.parseDouble(cells[2].trim()) > 0, row);   // 1 stream Gbit/s
            assertTrue(Double.parseDouble(cells[8].trim()) > 0, row);   // 4 streams Gbit/s
        }
        assertTrue(report.contains("| target"), report);
        for (String chart : List.of("vpn-throughput.png", "vpn-cpu.png", "vpn-latency.png")) {
            BufferedImage image = ImageIO.read(dir.resolve(chart).toFile());
            assertNotNull(image, chart);
            assertTrue(image.getWidth() >= 800, chart);
        }

        String updated = Files.readString(readme);
        assertFalse(updated.contains("old table"), updated);
        assertTrue(updated.startsWith("# title\n\n" + VpnReport.README_BEGIN), updated);
        assertTrue(updated.endsWith(VpnReport.README_END + "\n\nafter\n"), updated);
        assertTrue(updated.contains("| ours-epoll-offload-jdk"), updated);

        // Wait for `ip netns list` itself: read to the end, it may not have exited yet, and it is our child too
        // (CI once counted it as a process left behind).
        Process list = new ProcessBuilder("ip", "netns", "list").start();
        String namespaces = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(list.waitFor(30, TimeUnit.SECONDS), "ip netns list did not finish");
        assertFalse(namespaces.contains("ntt-" + ProcessHandle.current().pid() + '-'), namespaces);
        List<ProcessHandle.Info> left = ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .map(ProcessHandle::info).toList();
        assertEquals(List.of(), left, "processes left");
    }
}

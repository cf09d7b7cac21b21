/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.testing.Privileged;
import io.github.nettytun.testing.TestRequirements;
import io.github.nettytun.testing.WireGuardGo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The soak run's short mode (examples/soak.sh runs it for 10 minutes): every fault once, every byte checked. */
@Privileged
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SoakRunTest {

    @Test
    void fortySecondsWithARestartAFlapAndAFloodLeaveTheStreamExactAndNothingLeaked() {
        TestRequirements.require(WireGuardGo.installed(), "wireguard-go and wg are not installed");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int status = new CommandLine(new SoakRun(out)).execute("--seconds", "40", "--restart-every", "15",
                "--flap-every", "20", "--flood-rate", "2000");
        String report = bytes.toString(StandardCharsets.UTF_8);
        System.out.println(report);
        assertEquals(0, status, report);
        assertTrue(report.contains("every byte checked (exact)") && report.contains("leaks 0"), report);
        assertTrue(report.contains("2 peer restarts") && report.contains("2 link flaps"), report);
    }
}

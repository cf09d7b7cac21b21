/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.example.wireguard;

import io.github.nettytun.testing.WireGuardGo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an operator starts: the launcher script picks the JDK (JAVA_HOME, else the newest under /usr/lib/jvm) and
 * passes the JVM options file and the arguments on; the systemd unit passes {@code systemd-analyze verify}. The
 * launcher runs against a stand-in jar that reports what it was started with.
 */
class LauncherTest {

    private final List<Path> created = new ArrayList<>();

    @AfterEach
    void cleanUp() throws IOException {
        for (Path root : created) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** A copy of examples/ with the launcher, its options file, and a jar whose main prints its JVM and arguments. */
    private Path standIn() throws Exception {
        Path home = Files.createTempDirectory("launcher");
        created.add(home);
        Files.createDirectories(home.resolve("bin"));
        Files.copy(Path.of("bin/netty-tun-wg"), home.resolve("bin/netty-tun-wg"));
        home.resolve("bin/netty-tun-wg").toFile().setExecutable(true);
        Path resources = Files.createDirectories(home.resolve("src/main/resources"));
        Files.copy(Path.of("src/main/resources/netty-tun-wg-jvm.options"), resources.resolve("netty-tun-wg-jvm.options"));
        Path src = home.resolve("Report.java");
        Files.writeString(src, "public class Report { public static void main(String[] a) {"
                + " System.out.println(Runtime.version().feature() + \" \" + String.join(\",\", a) + \" \""
                + " + java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()"
                + ".contains(\"-XX:+ExitOnOutOfMemoryError\")); } }");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertEquals(0, javac.run(null, null, null, "--release", "17", "-d", home.toString(), src.toString()));
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "Report");
        Files.createDirectories(home.resolve("target"));
        try (OutputStream out = Files.newOutputStream(home.resolve("target/netty-tun-examples.jar"));
             JarOutputStream jar = new JarOutputStream(out, manifest)) {
            jar.putNextEntry(new JarEntry("Report.class"));
            jar.write(Files.readAllBytes(home.resolve("Report.class")));
            jar.closeEntry();
        }
        return home;
    }

    private static String run(Path home, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(home.resolve("bin/netty-tun-wg").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("JAVA_HOME");
        pb.environment().putAll(env);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return p.exitValue() + " " + output;
    }

    @Test
    void theLauncherPrefersJavaHomeElseTheNewestJdk() throws Exception {
        Path home = standIn();
        int newest = 0;
        try (Stream<Path> jdks = Files.list(Path.of("/usr/lib/jvm"))) {
            for (Path jdk : (Iterable<Path>) jdks::iterator) {
                Path release = jdk.resolve("release");
                if (Files.isRegularFile(release) && Files.isExecutable(jdk.resolve("bin/java"))) {
                    for (String line : Files.readAllLines(release)) {
                        if (line.startsWith("JAVA_VERSION=\"")) {
                            newest = Math.max(newest, Integer.parseInt(line.substring(14).split("[.\"]")[0]));
                        }
                    }
                }
            }
        }
        Assumptions.assumeTrue(newest > 0, "no JDK under /usr/lib/jvm");
        assertEquals("0 " + newest + " wireguard,/etc/wireguard/wg0.conf true",
                run(home, Map.of(), "/etc/wireguard/wg0.conf"), "the newest JDK, the options file, the arguments");
        String javaHome = System.getProperty("java.home");
        assertEquals("0 " + Runtime.version().feature() + " wireguard,x true",
                run(home, Map.of("JAVA_HOME", javaHome), "x"), "JAVA_HOME wins");
        assertEquals("1 netty-tun-wg: JAVA_HOME=/nonexistent has no bin/java",
                run(home, Map.of("JAVA_HOME", "/nonexistent"), "x"));
        Files.delete(home.resolve("target/netty-tun-examples.jar"));
        assertTrue(run(home, Map.of(), "x").startsWith("1 netty-tun-wg: "), "a missing build is one line");
    }

    @Test
    void theSystemdUnitVerifies() throws Exception {
        Assumptions.assumeTrue(WireGuardGo.onPath("systemd-analyze"), "systemd-analyze is not installed");
        Path dir = Files.createTempDirectory("unit");
        created.add(dir);
        // As installed: ExecStart names the launcher of a checkout (here this one), the instance a wg-quick file.
        String unit = Files.readString(Path.of("systemd/netty-tun-wg@.service"))
                .replace("/opt/netty-tun/examples/bin/netty-tun-wg", Path.of("bin/netty-tun-wg").toAbsolutePath()
                        .toString());
        Path file = dir.resolve("netty-tun-wg@wg0.service");
        Files.writeString(file, unit);
        Process p = new ProcessBuilder("systemd-analyze", "verify", file.toString()).redirectErrorStream(true)
                .start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), output);
        assertEquals("", output.trim(), "no complaint");
        assertTrue(unit.contains("RestartPreventExitStatus=2"), "a bad configuration is not restarted for ever");
    }
}

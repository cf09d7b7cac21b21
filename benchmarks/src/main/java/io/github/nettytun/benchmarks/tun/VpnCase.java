/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks.tun;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One case of {@link VpnBenchmark}: what runs in namespace A (the iperf3 client, the sender) and in B.
 *
 * <p>Names: {@code veth}, {@code wireguard-go} (Debian's build), {@code wireguard-go-modern} (upstream, with
 * offloads), {@code openvpn}, {@code ours-TRANSPORT[-offload][-sunjce]} (ours on both sides; {@code -sunjce}: the
 * JDK's transport cipher instead of the default) and {@code mixed-TRANSPORT[-offload]} (ours in A, Debian's
 * wireguard-go in B). Our cases run once per JDK and get the JDK as a suffix ({@code ours-epoll-offload-jdk25}); a
 * name given with a suffix runs on that JDK only.
 */
final class VpnCase {

    /** What one side runs. */
    enum Kind { NONE, WIREGUARD_GO, WIREGUARD_GO_MODERN, OPENVPN, OURS }

    final String name;
    final Kind a;
    final Kind b;
    /** Our JDK (our cases only). */
    final Jdk jdk;
    final String transport;
    final boolean offload;
    /** Our transport cipher ({@code io.github.nettytun.wireguard.cipher}), or null for the default. */
    final String cipher;
    /**
     * Netty with {@code sun.misc.Unsafe} where it is off by default (Java 25 on): {@code -Dio.netty.noUnsafe=false}
     * and, from Java 23, {@code --sun-misc-unsafe-memory-access=allow}.
     */
    final boolean unsafe;

    private VpnCase(String name, Kind a, Kind b, Jdk jdk, String transport, boolean offload) {
        this(name, a, b, jdk, transport, offload, null, false);
    }

    private VpnCase(String name, Kind a, Kind b, Jdk jdk, String transport, boolean offload, String cipher,
                    boolean unsafe) {
        this.name = name;
        this.a = a;
        this.b = b;
        this.jdk = jdk;
        this.transport = transport;
        this.offload = offload;
        this.cipher = cipher;
        this.unsafe = unsafe;
    }

    /** The JVM options the case adds to our server's. */
    List<String> jvmOptions() {
        List<String> options = new ArrayList<>();
        if (cipher != null) {
            options.add("-Dio.github.nettytun.wireguard.cipher=" + cipher);
        }
        if (unsafe && jdk != null && jdk.feature >= 25) {
            options.add("-Dio.netty.noUnsafe=false");
            options.add("--sun-misc-unsafe-memory-access=allow");
        }
        return options;
    }

    boolean ours() {
        return a == Kind.OURS || b == Kind.OURS;
    }

    boolean uses(Kind kind) {
        return a == kind || b == kind;
    }

    @Override
    public String toString() {
        return name;
    }

    private static final Pattern OURS =
            Pattern.compile("(ours|mixed)-(epoll|io_uring)(-offload)?(-sunjce)?(-unsafe)?(?:-jdk(\\d+))?");

    /** The cases {@code names} stand for, each of ours once per JDK in {@code jdks}. */
    static List<VpnCase> parse(List<String> names, List<Jdk> jdks) {
        List<VpnCase> cases = new ArrayList<>();
        for (String name : names) {
            switch (name) {
                case "veth":
                    cases.add(new VpnCase(name, Kind.NONE, Kind.NONE, null, null, false));
                    continue;
                case "wireguard-go":
                    cases.add(new VpnCase(name, Kind.WIREGUARD_GO, Kind.WIREGUARD_GO, null, null, false));
                    continue;
                case "wireguard-go-modern":
                    cases.add(new VpnCase(name, Kind.WIREGUARD_GO_MODERN, Kind.WIREGUARD_GO_MODERN, null, null,
                            false));
                    continue;
                case "openvpn":
                    cases.add(new VpnCase(name, Kind.OPENVPN, Kind.OPENVPN, null, null, false));
                    continue;
                default:
                    break;
            }
            Matcher m = OURS.matcher(name);
            if (!m.matches()) {
                throw new IllegalArgumentException("unknown case '" + name + "': veth, wireguard-go, wireguard-go-modern, "
                        + "openvpn, ours-{epoll|io_uring}[-offload][-sunjce][-unsafe][-jdkN] or "
                        + "mixed-{epoll|io_uring}[-offload][-jdkN]");
            }
            Kind b = m.group(1).equals("ours") ? Kind.OURS : Kind.WIREGUARD_GO;
            String base = m.group(1) + '-' + m.group(2) + (m.group(3) == null ? "" : m.group(3))
                    + (m.group(4) == null ? "" : m.group(4)) + (m.group(5) == null ? "" : m.group(5));
            boolean any = false;
            for (Jdk jdk : jdks) {
                if (m.group(6) == null || m.group(6).equals(Integer.toString(jdk.feature))) {
                    cases.add(new VpnCase(base + '-' + jdk.label(), Kind.OURS, b, jdk, m.group(2),
                            m.group(3) != null, m.group(4) == null ? null : "jdk", m.group(5) != null));
                    any = true;
                }
            }
            if (!any) {
                throw new IllegalArgumentException("case '" + name + "' names a JDK not among " + jdks);
            }
        }
        return cases;
    }

    /** A JDK that runs our side, by its home directory. */
    static final class Jdk {
        final Path home;
        final int feature;
        final String version;

        Jdk(Path home, int feature, String version) {
            this.home = home;
            this.feature = feature;
            this.version = version;
        }

        String label() {
            return "jdk" + feature;
        }

        String java() {
            return home.resolve("bin/java").toString();
        }

        /** Reads {@code JAVA_VERSION} from the home's {@code release} file. */
        static Jdk at(Path home) throws IOException {
            Path release = home.resolve("release");
            if (!Files.isExecutable(home.resolve("bin/java")) || !Files.isRegularFile(release)) {
                throw new IOException(home + " is not a JDK (no bin/java or release file)");
            }
            for (String line : Files.readAllLines(release, StandardCharsets.UTF_8)) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String version = line.substring("JAVA_VERSION=".length()).replace("\"", "").trim();
                    String feature = version.split("[.+-]")[0];
                    return new Jdk(home.toRealPath(), Integer.parseInt(feature), version);
                }
            }
            throw new IOException(release + " has no JAVA_VERSION");
        }

        /** The running JDK. */
        static Jdk current() throws IOException {
            return at(Paths.get(System.getProperty("java.home")));
        }

        /**
         * The newest JDK under {@code /usr/lib/jvm} (or the running one, if newer) and JDK 17 if present:
         * the "newest JDK and JDK 17".
         */
        static List<Jdk> newestAnd17() throws IOException {
            Map<Integer, Jdk> byFeature = new LinkedHashMap<>();
            Jdk current = current();
            byFeature.put(current.feature, current);
            Path jvm = Paths.get("/usr/lib/jvm");
            if (Files.isDirectory(jvm)) {
                try (DirectoryStream<Path> homes = Files.newDirectoryStream(jvm)) {
                    for (Path home : homes) {
                        try {
                            Jdk jdk = at(home);
                            byFeature.putIfAbsent(jdk.feature, jdk);
                        } catch (IOException | RuntimeException notAJdk) {
                            // a JRE, a symlink to one already seen, or another file
                        }
                    }
                }
            }
            int newest = byFeature.keySet().stream().mapToInt(Integer::intValue).max().orElseThrow();
            List<Jdk> jdks = new ArrayList<>();
            jdks.add(byFeature.get(newest));
            if (newest != 17 && byFeature.containsKey(17)) {
                jdks.add(byFeature.get(17));
            }
            return jdks;
        }

        @Override
        public String toString() {
            return label() + " (" + version + ", " + home + ')';
        }
    }
}

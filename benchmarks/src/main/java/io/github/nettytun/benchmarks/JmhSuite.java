/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Every JMH suite of the project (the checksum of netty-tun-channel, the GRO/GSO codecs, the WireGuard cipher and
 * data path) from one place, with JMH's own options, the GC profiler on by default, and a markdown summary: one
 * row per benchmark and parameter set with the score, its error and the bytes allocated per operation.
 *
 * <pre>
 * java -cp benchmarks.jar io.github.nettytun.benchmarks.JmhSuite [--summary FILE] [--quick] [JMH options] [regex]
 * </pre>
 */
public final class JmhSuite {

    private JmhSuite() {
    }

    public static void main(String[] args) throws Exception {
        Path summary = null;
        boolean quick = false;
        List<String> jmh = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--summary") && i + 1 < args.length) {
                summary = Paths.get(args[++i]);
            } else if (args[i].equals("--quick")) {
                quick = true;
            } else {
                jmh.add(args[i]);
            }
        }
        CommandLineOptions options = new CommandLineOptions(jmh.toArray(new String[0]));
        if (options.shouldHelp()) {
            System.out.println("JmhSuite [--summary FILE] [--quick] [JMH options]; --quick: 1 fork, 1 warm-up and 2 "
                    + "measured iterations of 1 s (checks that every suite runs; not for numbers). JMH options:");
            options.showHelp();
            return;
        }
        ChainedOptionsBuilder builder = new OptionsBuilder().parent(options);
        if (options.getProfilers().isEmpty()) {
            builder.addProfiler(GCProfiler.class);
        }
        if (quick) {
            builder.forks(1).warmupIterations(1).warmupTime(TimeValue.seconds(1)).measurementIterations(2)
                    .measurementTime(TimeValue.seconds(1));
        }
        Collection<RunResult> results = new Runner(builder.build()).run();
        String table = summary(results, String.join(" ", args));
        System.out.println();
        System.out.println(table);
        if (summary != null) {
            Path parent = summary.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Files.writeString(summary, table, StandardCharsets.UTF_8);
            System.out.println("wrote " + summary);
        }
    }

    static String summary(Collection<RunResult> results, String arguments) {
        StringBuilder sb = new StringBuilder("# JMH summary: every suite of the project\n\n");
        sb.append("- Date: ").append(LocalDate.now()).append("; JDK: ").append(System.getProperty("java.vm.name"))
                .append(' ').append(System.getProperty("java.version")).append("; Linux ")
                .append(System.getProperty("os.version")).append(", ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores\n");
        sb.append("- Command: `./benchmarks/run-jmh.sh").append(arguments.isEmpty() ? "" : " " + arguments)
                .append("`\n\n");
        sb.append("| benchmark | parameters | mode | score | error | unit | allocated B/op |\n");
        sb.append("|---|---|---|---:|---:|---|---:|\n");
        for (RunResult r : results) {
            BenchmarkParams p = r.getParams();
            String name = p.getBenchmark();
            name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
            List<String> params = new ArrayList<>();
            for (String key : p.getParamsKeys()) {
                params.add(key + '=' + p.getParam(key));
            }
            Result<?> primary = r.getPrimaryResult();
            Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
            if (alloc == null) {
                alloc = r.getSecondaryResults().get("·gc.alloc.rate.norm");
            }
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %.3f | %s | %s | %s |%n", name,
                    params.isEmpty() ? "-" : String.join(", ", params), p.getMode().shortLabel(),
                    primary.getScore(), Double.isNaN(primary.getScoreError()) ? "-"
                            : String.format(Locale.ROOT, "%.3f", primary.getScoreError()),
                    primary.getScoreUnit(), alloc == null ? "-" : String.format(Locale.ROOT, "%.1f", alloc.getScore())));
        }
        return sb.toString();
    }
}

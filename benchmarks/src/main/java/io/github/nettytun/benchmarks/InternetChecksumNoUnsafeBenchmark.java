/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks;

import org.openjdk.jmh.annotations.Fork;

/**
 * {@link InternetChecksumBenchmark} in a JVM where Netty does not use {@code sun.misc.Unsafe}, as it does not by
 * default on JDK 25+: the checksum then reads the buffer through VarHandle views.
 */
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.noUnsafe=true")
public class InternetChecksumNoUnsafeBenchmark extends InternetChecksumBenchmark {
}

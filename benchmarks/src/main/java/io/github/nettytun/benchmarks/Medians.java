/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/** Medians of repeated runs, the statistic every end-to-end report here uses (the machine is noisy). */
public final class Medians {

    private Medians() {
    }

    /** The median of {@code metric} per {@code key}, keys in the order of their first run. */
    public static <R> Map<String, Double> of(List<R> runs, Function<R, String> key, ToDoubleFunction<R> metric) {
        Map<String, List<Double>> byKey = new LinkedHashMap<>();
        for (R r : runs) {
            byKey.computeIfAbsent(key.apply(r), k -> new ArrayList<>()).add(metric.applyAsDouble(r));
        }
        Map<String, Double> medians = new LinkedHashMap<>();
        byKey.forEach((k, v) -> medians.put(k, median(v)));
        return medians;
    }

    /** The median of {@code values} (the mean of the middle two for an even count). */
    public static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}

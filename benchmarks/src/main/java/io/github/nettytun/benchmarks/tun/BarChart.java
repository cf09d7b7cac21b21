/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks.tun;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Bar charts as PNG, drawn by XChart in headless mode: one group of bars per case, one colour per series. */
final class BarChart {

    private BarChart() {
    }

    /** One series: a bar per labelled value. */
    static void write(Path png, String title, Map<String, Double> values) throws IOException {
        Map<String, Map<String, Double>> series = new LinkedHashMap<>();
        series.put("median", values);
        write(png, title, "", series);
    }

    /**
     * Several series over the same cases ({@code series name -> case -> value}); a case a series lacks is drawn
     * as zero. Writes nothing when there is no case.
     */
    static void write(Path png, String title, String yAxis, Map<String, Map<String, Double>> series)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<String> cases = new ArrayList<>();
        for (Map<String, Double> values : series.values()) {
            for (String c : values.keySet()) {
                if (!cases.contains(c)) {
                    cases.add(c);
                }
            }
        }
        if (cases.isEmpty()) {
            return; // nothing measured (every run failed): no chart rather than an empty one
        }
        CategoryChart chart = new CategoryChartBuilder().width(Math.max(800, 90 * cases.size() + 200)).height(600)
                .title(title).yAxisTitle(yAxis).build();
        CategoryStyler styler = chart.getStyler();
        styler.setXAxisLabelRotation(40);
        styler.setLabelsVisible(true);
        styler.setLabelsRotation(90);
        styler.setLegendVisible(series.size() > 1);
        styler.setLegendPosition(Styler.LegendPosition.InsideNE);
        styler.setDecimalPattern("#,##0.00");
        styler.setChartBackgroundColor(java.awt.Color.WHITE);
        for (Map.Entry<String, Map<String, Double>> s : series.entrySet()) {
            List<Double> y = new ArrayList<>();
            for (String c : cases) {
                Double v = s.getValue().get(c);
                y.add(v == null || v.isNaN() ? 0.0 : v);
            }
            chart.addSeries(s.getKey(), cases, y);
        }
        Files.createDirectories(png.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(png)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }
}

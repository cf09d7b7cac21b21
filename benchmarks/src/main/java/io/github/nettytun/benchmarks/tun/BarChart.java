/*
 * Copyright 2026 The netty-tun Project
 *
 * Licensed under the Apache License, Version 2.0.
 */
package io.github.nettytun.benchmarks.tun;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** A horizontal bar chart as PNG, drawn with Java2D in headless mode: one bar per labelled value. */
final class BarChart {

    private static final int WIDTH = 900;
    private static final int BAR = 26;
    private static final int GAP = 10;
    private static final int LABEL_WIDTH = 300;
    private static final int TOP = 50;

    private BarChart() {
    }

    static void write(Path png, String title, Map<String, Double> values) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int height = TOP + values.size() * (BAR + GAP) + 30;
        BufferedImage image = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString(title, 10, 28);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            double max = values.values().stream().mapToDouble(Double::doubleValue).max().orElse(1);
            int plot = WIDTH - LABEL_WIDTH - 90;
            int y = TOP;
            Color[] palette = {new Color(0x4C78A8), new Color(0xF58518), new Color(0x54A24B), new Color(0xE45756)};
            int i = 0;
            for (Map.Entry<String, Double> e : values.entrySet()) {
                int w = (int) Math.round(plot * e.getValue() / max);
                g.setColor(Color.DARK_GRAY);
                g.drawString(e.getKey(), 10, y + BAR - 8);
                g.setColor(palette[i++ % palette.length]);
                g.fillRect(LABEL_WIDTH, y, Math.max(w, 1), BAR);
                g.setColor(Color.BLACK);
                g.drawString(String.format(Locale.ROOT, "%.3f", e.getValue()), LABEL_WIDTH + w + 6, y + BAR - 8);
                y += BAR + GAP;
            }
            g.setStroke(new BasicStroke(1));
            g.setColor(Color.GRAY);
            g.drawLine(LABEL_WIDTH, TOP - 4, LABEL_WIDTH, y);
        } finally {
            g.dispose();
        }
        ImageIO.write(image, "png", png.toFile());
    }
}

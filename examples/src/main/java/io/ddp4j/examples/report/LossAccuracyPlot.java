package io.ddp4j.examples.report;

import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Draws a run's learning curves as a PNG: on the left the train and test loss per epoch, on the
 * right the test accuracy in percent, each with axes, round-numbered ticks, grid lines and a
 * legend, in a built-in pixel font (no java.desktop needed).
 */
public final class LossAccuracyPlot {

    public static final int WIDTH = 960;
    public static final int HEIGHT = 420;
    public static final int TRAIN_COLOUR = 0x1F77B4;
    public static final int TEST_COLOUR = 0xFF7F0E;
    public static final int ACCURACY_COLOUR = 0x2CA02C;
    static final int BACKGROUND = 0xFFFFFF;
    static final int INK = 0x000000;
    static final int GRID = 0xE4E4E4;

    private static final int SCALE = 2;
    private static final int PANEL_WIDTH = WIDTH / 2;
    private static final int MARGIN_LEFT = 76;
    private static final int MARGIN_RIGHT = 24;
    private static final int MARGIN_TOP = 64;
    private static final int MARGIN_BOTTOM = 52;

    /** A rectangle of the image, edges included. */
    public record Area(int left, int top, int right, int bottom) {
        public boolean contains(int x, int y) {
            return x >= left && x <= right && y >= top && y <= bottom;
        }
    }

    /** The rendered image and where its two plot areas lie (for tests and for anyone adding to it). */
    public record Chart(int width, int height, int[] pixels, Area lossArea, Area accuracyArea) {
        public int pixel(int x, int y) {
            return pixels[y * width + x];
        }

        public void writePng(Path file) {
            PngWriter.write(file, width, height, pixels);
        }
    }

    private LossAccuracyPlot() {}

    /** Renders {@code epochs} and writes the PNG to {@code file}. */
    public static Chart write(Path file, List<EpochMetrics> epochs) {
        Chart chart = render(epochs);
        chart.writePng(file);
        return chart;
    }

    public static Chart render(List<EpochMetrics> epochs) {
        Raster r = new Raster(WIDTH, HEIGHT, BACKGROUND);
        Area loss = plotArea(0);
        Area accuracy = plotArea(PANEL_WIDTH);
        double lossMin = Math.min(min(epochs, EpochMetrics::trainLoss), min(epochs, EpochMetrics::testLoss));
        double lossMax = Math.max(max(epochs, EpochMetrics::trainLoss), max(epochs, EpochMetrics::testLoss));
        panel(r, loss, "LOSS", NiceAxis.covering(lossMin, lossMax, 5), epochs,
                List.of(new Series("TRAIN", TRAIN_COLOUR, EpochMetrics::trainLoss),
                        new Series("TEST", TEST_COLOUR, EpochMetrics::testLoss)));
        ToDoubleFunction<EpochMetrics> percent = m -> 100 * m.testAccuracy();
        panel(r, accuracy, "TEST ACCURACY %", NiceAxis.covering(min(epochs, percent), max(epochs, percent), 5), epochs,
                List.of(new Series("TEST", ACCURACY_COLOUR, percent)));
        return new Chart(WIDTH, HEIGHT, r.pixels, loss, accuracy);
    }

    private record Series(String name, int colour, ToDoubleFunction<EpochMetrics> value) {}

    private static Area plotArea(int panelLeft) {
        return new Area(panelLeft + MARGIN_LEFT, MARGIN_TOP, panelLeft + PANEL_WIDTH - MARGIN_RIGHT, HEIGHT - MARGIN_BOTTOM);
    }

    private static void panel(Raster r, Area a, String title, NiceAxis y, List<EpochMetrics> epochs, List<Series> series) {
        int glyphHeight = BitmapFont.GLYPH_HEIGHT * SCALE;
        r.text(a.left(), 14, title, INK, SCALE);

        // legend under the title: a short line in the series colour, then its name
        int lx = a.left();
        for (Series s : series) {
            r.line(lx, 44, lx + 20, 44, s.colour(), 3);
            r.text(lx + 26, 44 - glyphHeight / 2, s.name(), INK, SCALE);
            lx += 26 + BitmapFont.width(s.name(), SCALE) + 24;
        }

        // horizontal grid and y tick labels
        for (int i = 0; i < y.tickCount(); i++) {
            int py = (int) Math.round(y.toPixel(y.tick(i), a.bottom(), a.top()));
            r.line(a.left(), py, a.right(), py, GRID, 1);
            r.line(a.left() - 5, py, a.left(), py, INK, 1);
            String label = y.label(y.tick(i));
            r.text(a.left() - 9 - BitmapFont.width(label, SCALE), py - glyphHeight / 2, label, INK, SCALE);
        }

        // x ticks at whole epochs, at most about ten labels
        double first = epochs.isEmpty() ? 1 : epochs.getFirst().epoch();
        double last = epochs.isEmpty() ? 1 : epochs.getLast().epoch();
        // one epoch sits in the middle of the axis; ticks only label epochs that were run
        double pad = last - first < 1 ? 1 : 0;
        NiceAxis x = new NiceAxis(first - pad, last + pad, Math.max(1, NiceAxis.covering(first, last, 10).step()));
        for (double e = Math.ceil(first / x.step()) * x.step(); e <= last + 1e-9; e += x.step()) {
            int px = (int) Math.round(x.toPixel(e, a.left(), a.right()));
            r.line(px, a.bottom(), px, a.bottom() + 5, INK, 1);
            String label = x.label(e);
            r.text(px - BitmapFont.width(label, SCALE) / 2, a.bottom() + 9, label, INK, SCALE);
        }
        String xTitle = "EPOCH";
        r.text((a.left() + a.right() - BitmapFont.width(xTitle, SCALE)) / 2, a.bottom() + 9 + glyphHeight + 6, xTitle, INK, SCALE);

        // axes over the grid
        r.line(a.left(), a.top(), a.left(), a.bottom(), INK, 1);
        r.line(a.left(), a.bottom(), a.right(), a.bottom(), INK, 1);

        // the curves last, so they sit on top; a NaN (diverged) value breaks the line
        for (Series s : series) {
            int prevX = 0, prevY = 0;
            boolean havePrev = false;
            for (EpochMetrics m : epochs) {
                double v = s.value().applyAsDouble(m);
                if (!Double.isFinite(v)) {
                    havePrev = false;
                    continue;
                }
                int px = (int) Math.round(x.toPixel(m.epoch(), a.left(), a.right()));
                int py = (int) Math.round(y.toPixel(v, a.bottom(), a.top()));
                if (havePrev) r.line(prevX, prevY, px, py, s.colour(), 2);
                r.fillRect(px - 3, py - 3, 7, 7, s.colour());
                prevX = px;
                prevY = py;
                havePrev = true;
            }
        }
    }

    private static double min(List<EpochMetrics> epochs, ToDoubleFunction<EpochMetrics> f) {
        return epochs.stream().mapToDouble(f).filter(Double::isFinite).min().orElse(Double.NaN);
    }

    private static double max(List<EpochMetrics> epochs, ToDoubleFunction<EpochMetrics> f) {
        return epochs.stream().mapToDouble(f).filter(Double::isFinite).max().orElse(Double.NaN);
    }
}

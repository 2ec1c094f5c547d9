package io.ddp4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.examples.report.LossAccuracyPlot.Area;
import io.ddp4j.examples.report.LossAccuracyPlot.Chart;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossAccuracyPlotTest {

    /** Train loss falls fast, test loss slowly, accuracy rises. */
    private static List<EpochMetrics> learningRun(int epochs) {
        List<EpochMetrics> run = new ArrayList<>();
        for (int e = 1; e <= epochs; e++) {
            run.add(new EpochMetrics(e, 2.0 / e, 1.0 + 1.2 / e, 0.5 + 0.04 * e, 10000, 3));
        }
        return run;
    }

    /** Mean row of the pixels of {@code colour} inside {@code area} whose x lies in [fromX, toX). */
    private static double meanRow(Chart c, Area area, int colour, int fromX, int toX) {
        long sum = 0, count = 0;
        for (int y = area.top(); y <= area.bottom(); y++) {
            for (int x = Math.max(fromX, area.left()); x < Math.min(toX, area.right() + 1); x++) {
                if (c.pixel(x, y) == colour) {
                    sum += y;
                    count++;
                }
            }
        }
        assertTrue(count > 0, String.format("no pixels of colour %06X in x %d..%d", colour, fromX, toX));
        return (double) sum / count;
    }

    @Test
    void fallingLossIsDrawnHigherOnTheLeftAndRisingAccuracyLower() {
        Chart c = LossAccuracyPlot.render(learningRun(8));
        Area loss = c.lossArea();
        int lossThird = (loss.right() - loss.left()) / 3;
        for (int colour : new int[] {LossAccuracyPlot.TRAIN_COLOUR, LossAccuracyPlot.TEST_COLOUR}) {
            double left = meanRow(c, loss, colour, loss.left(), loss.left() + lossThird);
            double right = meanRow(c, loss, colour, loss.right() - lossThird, loss.right() + 1);
            assertTrue(left < right - 20, String.format("colour %06X: left rows %.1f should be above right rows %.1f", colour, left, right));
        }
        Area acc = c.accuracyArea();
        int accThird = (acc.right() - acc.left()) / 3;
        double left = meanRow(c, acc, LossAccuracyPlot.ACCURACY_COLOUR, acc.left(), acc.left() + accThird);
        double right = meanRow(c, acc, LossAccuracyPlot.ACCURACY_COLOUR, acc.right() - accThird, acc.right() + 1);
        assertTrue(left > right + 20, "accuracy rises: the left should be lower than the right");
    }

    @Test
    void eachPanelHoldsOnlyItsOwnCurves() {
        Chart c = LossAccuracyPlot.render(learningRun(5));
        for (int y = 0; y < c.height(); y++) {
            for (int x = 0; x < c.width(); x++) {
                int p = c.pixel(x, y);
                if (c.lossArea().contains(x, y)) assertTrue(p != LossAccuracyPlot.ACCURACY_COLOUR, "accuracy colour in the loss panel");
                if (c.accuracyArea().contains(x, y)) {
                    assertTrue(p != LossAccuracyPlot.TRAIN_COLOUR && p != LossAccuracyPlot.TEST_COLOUR, "loss colour in the accuracy panel");
                }
            }
        }
    }

    @Test
    void theTestLossCurveLiesAboveTheTrainCurveAtTheEnd() {
        // by the last epoch train loss (0.25) is below test loss (1.15): its pixels are lower on the image
        Chart c = LossAccuracyPlot.render(learningRun(8));
        Area a = c.lossArea();
        double train = meanRow(c, a, LossAccuracyPlot.TRAIN_COLOUR, a.right() - 10, a.right() + 1);
        double test = meanRow(c, a, LossAccuracyPlot.TEST_COLOUR, a.right() - 10, a.right() + 1);
        assertTrue(train > test + 50, "train " + train + " test " + test);
    }

    @Test
    void labelsAreDrawnInInkOutsideThePlotAreas() {
        Chart c = LossAccuracyPlot.render(learningRun(3));
        int inkOutside = 0;
        for (int y = 0; y < c.height(); y++) {
            for (int x = 0; x < c.width(); x++) {
                boolean inside = c.lossArea().contains(x, y) || c.accuracyArea().contains(x, y);
                if (!inside && c.pixel(x, y) == LossAccuracyPlot.INK) inkOutside++;
            }
        }
        assertTrue(inkOutside > 1000, "titles, tick labels and legends: " + inkOutside + " ink pixels");
    }

    @Test
    void singleEpochsAndDivergedValuesStillRender(@TempDir Path dir) throws Exception {
        Chart one = LossAccuracyPlot.render(List.of(new EpochMetrics(1, 0.7, 0.6, 0.75, 1000, 1)));
        Area a = one.lossArea();
        meanRow(one, a, LossAccuracyPlot.TRAIN_COLOUR, a.left(), a.right() + 1); // the point is drawn
        List<EpochMetrics> diverged = List.of(new EpochMetrics(1, 0.7, 0.6, 0.75, 1000, 1),
                new EpochMetrics(2, Double.NaN, Double.NaN, 0.1, 1000, 1));
        Path f = dir.resolve("diverged.png");
        LossAccuracyPlot.write(f, diverged);
        assertEquals(LossAccuracyPlot.WIDTH, PngReader.parse(Files.readAllBytes(f)).width());
    }

    @Test
    void theWrittenPngHoldsExactlyTheRenderedPixels(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("curves.png");
        Chart c = LossAccuracyPlot.write(f, learningRun(10));
        PngReader png = PngReader.parse(Files.readAllBytes(f));
        assertEquals(LossAccuracyPlot.WIDTH, png.width());
        assertEquals(LossAccuracyPlot.HEIGHT, png.height());
        assertArrayEquals(c.pixels(), png.pixels());
    }
}

package io.ddp4j.examples.report;

import java.util.Locale;

/**
 * An axis range that starts and ends on round numbers, with ticks every 1, 2 or 5 times a power
 * of ten, so that labels read like a person would write them.
 */
record NiceAxis(double lo, double hi, double step) {

    /** A range covering {@code min..max} with about {@code targetTicks} ticks; NaN bounds give 0..1. */
    static NiceAxis covering(double min, double max, int targetTicks) {
        if (!Double.isFinite(min) || !Double.isFinite(max)) return new NiceAxis(0, 1, 0.2);
        if (max - min < 1e-12 * Math.max(1, Math.abs(max))) {
            double pad = max == 0 ? 0.5 : Math.abs(max) * 0.1;
            min -= pad;
            max += pad;
        }
        double rough = (max - min) / targetTicks;
        double magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
        double norm = rough / magnitude;
        double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
        return new NiceAxis(Math.floor(min / step + 1e-9) * step, Math.ceil(max / step - 1e-9) * step, step);
    }

    int tickCount() {
        return (int) Math.round((hi - lo) / step) + 1;
    }

    double tick(int i) {
        return lo + i * step;
    }

    /** Where {@code v} falls on a pixel span from {@code pixelLo} (at lo) to {@code pixelHi} (at hi). */
    double toPixel(double v, int pixelLo, int pixelHi) {
        return pixelLo + (v - lo) / (hi - lo) * (pixelHi - pixelLo);
    }

    /** A tick label with just enough decimals for the step, e.g. "0.25" for step 0.05, "40" for step 10. */
    String label(double v) {
        int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
        return String.format(Locale.ROOT, "%." + decimals + "f", v + 0.0); // + 0.0 turns -0.0 into 0.0
    }
}

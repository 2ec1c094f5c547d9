package io.ddp4j.ddp;

import java.time.Duration;

/** Formats durations for error messages ("30 s", "250 ms") and checks timeout arguments. */
public final class Durations {
    private Durations() {}

    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) return ms + " ms";
        if (ms % 1000 == 0) return (ms / 1000) + " s";
        return String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    /** Timeouts must be positive: a zero or negative one is a bug in the caller, not "wait forever". */
    public static Duration requirePositive(Duration d, String what) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be a positive duration, got " + d);
        }
        return d;
    }
}

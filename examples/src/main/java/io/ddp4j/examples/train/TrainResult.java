package io.ddp4j.examples.train;

import io.ddp4j.examples.report.EpochMetrics;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What a run produced: per-epoch metrics and the numbers of the JSON line. {@code overlap} is the
 * fraction of all-reduce time hidden behind backward (absent without a reducer).
 */
public record TrainResult(List<EpochMetrics> epochs, String device, int worldSize, String backend, String mode, Optional<Double> overlap) {

    public EpochMetrics last() {
        return epochs.getLast();
    }

    /** Mean training throughput over the epochs this run trained (samples of the whole job per second). */
    public double samplesPerSecond() {
        return epochs.stream().mapToDouble(EpochMetrics::samplesPerSecond).average().orElse(0);
    }

    /** {"test_accuracy", "test_loss", "epochs", "samples_per_s", "device", "world_size", "backend", "mode", "overlap"} */
    public String jsonLine() {
        return String.format(Locale.ROOT,
                "{\"test_accuracy\": %.4f, \"test_loss\": %.4f, \"epochs\": %d, \"samples_per_s\": %.1f, \"device\": \"%s\", "
                        + "\"world_size\": %d, \"backend\": \"%s\", \"mode\": \"%s\", \"overlap\": %s}",
                last().testAccuracy(), last().testLoss(), last().epoch(), samplesPerSecond(), device, worldSize, backend, mode,
                overlap.map(o -> String.format(Locale.ROOT, "%.3f", o)).orElse("null"));
    }
}

package io.ddp4j.examples.train;

import io.ddp4j.examples.report.EpochMetrics;
import java.util.List;
import java.util.Locale;

/** What a run produced: per-epoch metrics and the final numbers of the JSON line. */
public record TrainResult(List<EpochMetrics> epochs, String device, int worldSize) {

    public EpochMetrics last() {
        return epochs.getLast();
    }

    /** Mean training throughput over the epochs this run trained. */
    public double samplesPerSecond() {
        return epochs.stream().mapToDouble(EpochMetrics::samplesPerSecond).average().orElse(0);
    }

    /** {"test_accuracy", "test_loss", "epochs", "samples_per_s", "device", "world_size"} */
    public String jsonLine() {
        return String.format(Locale.ROOT,
                "{\"test_accuracy\": %.4f, \"test_loss\": %.4f, \"epochs\": %d, \"samples_per_s\": %.1f, \"device\": \"%s\", \"world_size\": %d}",
                last().testAccuracy(), last().testLoss(), last().epoch(), samplesPerSecond(), device, worldSize);
    }
}

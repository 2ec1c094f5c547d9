package io.ddp4j.examples.report;

/**
 * What one training epoch produced.
 *
 * @param epoch 1-based
 * @param trainLoss mean training loss over the epoch
 * @param testLoss mean loss on the test set after the epoch
 * @param testAccuracy fraction of test examples classified correctly, 0 to 1
 * @param samplesPerSecond training throughput (all ranks together)
 * @param seconds wall-clock time of the epoch's training
 */
public record EpochMetrics(int epoch, double trainLoss, double testLoss, double testAccuracy,
                           double samplesPerSecond, double seconds) {

    /** Column names, in the order of the CSV file and the JSON objects. */
    public static final String[] FIELDS = {"epoch", "train_loss", "test_loss", "test_accuracy", "samples_per_second", "seconds"};
}

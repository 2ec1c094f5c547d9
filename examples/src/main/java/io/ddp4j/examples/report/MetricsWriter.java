package io.ddp4j.examples.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a run's per-epoch metrics as {@code metrics.json} (an array of objects, for programs)
 * and {@code metrics.csv} (a header and one row per epoch, for spreadsheets and pandas).
 * Numbers use Java's shortest round-tripping form, independent of the locale; a NaN or infinite
 * value (a diverged run) is {@code null} in JSON, where those are not valid, and empty in CSV.
 */
public final class MetricsWriter {

    private MetricsWriter() {}

    /** Writes both files into {@code dir} (created if needed) and returns the folder. */
    public static Path write(Path dir, List<EpochMetrics> epochs) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("metrics.json"), toJson(epochs), StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("metrics.csv"), toCsv(epochs), StandardCharsets.UTF_8);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics to " + dir + ": " + e.getMessage(), e);
        }
    }

    public static String toJson(List<EpochMetrics> epochs) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < epochs.size(); i++) {
            b.append(i == 0 ? "\n" : ",\n").append("  {");
            double[] values = values(epochs.get(i));
            for (int f = 0; f < values.length; f++) {
                if (f > 0) b.append(", ");
                b.append('"').append(EpochMetrics.FIELDS[f]).append("\": ").append(f == 0 ? Integer.toString(epochs.get(i).epoch()) : json(values[f]));
            }
            b.append('}');
        }
        return b.append(epochs.isEmpty() ? "]\n" : "\n]\n").toString();
    }

    public static String toCsv(List<EpochMetrics> epochs) {
        StringBuilder b = new StringBuilder(String.join(",", EpochMetrics.FIELDS)).append('\n');
        for (EpochMetrics m : epochs) {
            double[] values = values(m);
            b.append(m.epoch());
            for (int f = 1; f < values.length; f++) b.append(',').append(Double.isFinite(values[f]) ? Double.toString(values[f]) : "");
            b.append('\n');
        }
        return b.toString();
    }

    private static double[] values(EpochMetrics m) {
        return new double[] {m.epoch(), m.trainLoss(), m.testLoss(), m.testAccuracy(), m.samplesPerSecond(), m.seconds()};
    }

    private static String json(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "null";
    }
}

package io.ddp4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsWriterTest {

    private static final List<EpochMetrics> TWO_EPOCHS = List.of(
            new EpochMetrics(1, 0.5123, 0.45, 0.8421, 12345.6, 4.5),
            new EpochMetrics(2, 0.375, 0.4, 0.86, 13000.0, 4.25));

    @Test
    void csvHasAHeaderAndOneRowPerEpoch() {
        assertEquals("""
                epoch,train_loss,test_loss,test_accuracy,samples_per_second,seconds
                1,0.5123,0.45,0.8421,12345.6,4.5
                2,0.375,0.4,0.86,13000.0,4.25
                """, MetricsWriter.toCsv(TWO_EPOCHS));
    }

    @Test
    void jsonIsAnArrayOfOneObjectPerEpoch() {
        assertEquals("""
                [
                  {"epoch": 1, "train_loss": 0.5123, "test_loss": 0.45, "test_accuracy": 0.8421, "samples_per_second": 12345.6, "seconds": 4.5},
                  {"epoch": 2, "train_loss": 0.375, "test_loss": 0.4, "test_accuracy": 0.86, "samples_per_second": 13000.0, "seconds": 4.25}
                ]
                """, MetricsWriter.toJson(TWO_EPOCHS));
        assertEquals("[]\n", MetricsWriter.toJson(List.of()));
    }

    @Test
    void aDivergedLossIsNullInJsonAndEmptyInCsv() {
        List<EpochMetrics> nan = List.of(new EpochMetrics(1, Double.NaN, Double.POSITIVE_INFINITY, 0.1, 1, 1));
        assertEquals("[\n  {\"epoch\": 1, \"train_loss\": null, \"test_loss\": null, \"test_accuracy\": 0.1,"
                + " \"samples_per_second\": 1.0, \"seconds\": 1.0}\n]\n", MetricsWriter.toJson(nan));
        assertEquals("1,,,0.1,1.0,1.0\n", MetricsWriter.toCsv(nan).lines().skip(1).findFirst().orElseThrow() + "\n");
    }

    @Test
    void writesBothFilesIntoTheFolder(@TempDir Path dir) throws Exception {
        Path out = MetricsWriter.write(dir.resolve("run1"), TWO_EPOCHS);
        assertEquals(MetricsWriter.toCsv(TWO_EPOCHS), Files.readString(out.resolve("metrics.csv")));
        assertEquals(MetricsWriter.toJson(TWO_EPOCHS), Files.readString(out.resolve("metrics.json")));
    }
}

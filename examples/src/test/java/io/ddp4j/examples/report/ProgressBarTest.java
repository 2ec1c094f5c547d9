package io.ddp4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicLong nanos = new AtomicLong();
    private static final String NL = System.lineSeparator();

    private ProgressBar bar(boolean interactive) {
        return new ProgressBar(out, interactive, 10, 60000, 10, nanos::get, 100);
    }

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theLineShowsEpochBarCountRateAndLoss() {
        assertEquals("epoch 1/10 [#####.....] 30000/60000  12,345 samples/s  loss 0.4521",
                bar(true).line(1, 30000, 12345.4, 0.45209));
        assertEquals("epoch 10/10 [..........]   500/60000  987 samples/s  loss 2.3026",
                bar(true).line(10, 500, 987, 2.302585));
        assertEquals("epoch 2/10 [##########] 60000/60000  1,234,568 samples/s  loss 0.0000",
                bar(true).line(2, 60000, 1234567.8, 0));
    }

    @Test
    void onATerminalUpdatesRedrawInPlaceAtMostEveryInterval() {
        ProgressBar b = bar(true);
        b.update(1, 6000, 1000, 1.5);
        nanos.set(50); // too soon: skipped
        b.update(1, 12000, 1000, 1.4);
        nanos.set(150);
        b.update(1, 18000, 1000, 1.25);
        b.finishEpoch(1, 60000, 1000, 0.5, "  test accuracy 81.2%");
        assertEquals("\repoch 1/10 [#.........]  6000/60000  1,000 samples/s  loss 1.5000"
                + "\repoch 1/10 [###.......] 18000/60000  1,000 samples/s  loss 1.2500"
                + "\repoch 1/10 [##########] 60000/60000  1,000 samples/s  loss 0.5000  test accuracy 81.2%" + NL,
                printed());
    }

    @Test
    void aShorterLineBlanksOutTheRestOfTheLongerOne() {
        ProgressBar b = bar(true);
        b.update(1, 100, 1_000_000, 1);
        nanos.set(1000);
        b.update(1, 200, 1, 1);
        String second = printed().substring(printed().lastIndexOf('\r') + 1);
        assertEquals("epoch 1/10 [..........]   200/60000  1 samples/s  loss 1.0000" + " ".repeat(8), second);
    }

    @Test
    void offATerminalOnlyTheFinalLineOfEachEpochIsPrinted() {
        ProgressBar b = bar(false);
        b.update(1, 30000, 5000, 0.7);
        b.finishEpoch(1, 60000, 5000, 0.6, "");
        b.update(2, 30000, 5000, 0.5);
        b.finishEpoch(2, 60000, 5000, 0.4, "");
        assertEquals("epoch 1/10 [##########] 60000/60000  5,000 samples/s  loss 0.6000" + NL
                + "epoch 2/10 [##########] 60000/60000  5,000 samples/s  loss 0.4000" + NL, printed());
    }
}

package io.ddp4j.examples.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ddp4j.examples.Ddp4jCli;
import io.ddp4j.tensor.data.idx.FashionMnist;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ddp4j train} as a person runs it: the real command line, real Fashion-MNIST. */
class TrainCommandTest {

    record Run(int exit, String out, String err) {}

    static Run train(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out, oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            String[] all = new String[args.length + 1];
            all[0] = "train";
            System.arraycopy(args, 0, all, 1, args.length);
            int code = new CommandLine(new Ddp4jCli()).execute(all);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static double jsonNumber(String out, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": ([0-9.]+)").matcher(out);
        assertTrue(m.find(), "no " + key + " in: " + out);
        return Double.parseDouble(m.group(1));
    }

    static void assumeDataset() {
        assumeTrue(Files.isDirectory(FashionMnist.DEBIAN_DIR), "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
    }

    /** No options on a machine without a GPU: two processes over tcp, one epoch of the MLP. */
    @Test
    void theDefaultRunIsTwoProcessesOverTcpAndPassesEightyPercentAndWritesItsReports(@TempDir Path dir) throws Exception {
        assumeDataset();
        assumeTrue(TrainCommand.gpuCount() == 0, "this test is about the default on a machine without a GPU");
        Run r = train("--json", "--out", dir.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        String last = r.out().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.startsWith("{\"test_accuracy\": "), last);
        assertTrue(jsonNumber(last, "test_accuracy") > 0.80, last);
        assertEquals(1, (int) jsonNumber(last, "epochs"));
        assertTrue(last.contains("\"device\": \"cpu\"") && last.contains("\"world_size\": 2"), last);
        assertTrue(last.contains("\"backend\": \"tcp\"") && last.contains("\"mode\": \"ddp\"") && last.contains("\"overlap\": 0."), last);
        assertTrue(r.out().contains("test accuracy"), "per-epoch line: " + r.out());
        List<String> csv = Files.readAllLines(dir.resolve("metrics.csv"));
        assertEquals(2, csv.size(), "header and one epoch: " + csv);
        assertTrue(Files.readString(dir.resolve("metrics.json")).contains("\"test_accuracy\""));
        byte[] png = Files.readAllBytes(dir.resolve("loss_accuracy.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
    }

    @Test
    void aRunResumedFromItsCheckpointEndsBitForBitWhereAnUninterruptedOneDoes(@TempDir Path dir) throws Exception {
        assumeDataset();
        String[] common = {"--nproc", "1", "--train-samples", "1500", "--batch-size", "100", "--optimizer", "adamw", "--seed", "7", "--workers", "1"};
        Path straight = dir.resolve("straight"), interrupted = dir.resolve("interrupted");
        assertEquals(0, train(concat(common, "--epochs", "2", "--checkpoint", straight.toString(), "--out", dir.resolve("o1").toString())).exit());
        assertEquals(0, train(concat(common, "--epochs", "1", "--checkpoint", interrupted.toString(), "--out", dir.resolve("o2").toString())).exit());
        Run resumed = train(concat(common, "--epochs", "2", "--checkpoint", interrupted.toString(), "--resume", "--out", dir.resolve("o3").toString()));
        assertEquals(0, resumed.exit(), resumed.out() + resumed.err());
        assertTrue(resumed.out().contains("resumed from " + interrupted + " after epoch 1"), resumed.out());
        for (String f : List.of(Checkpoint.MODEL, Checkpoint.TRAINING)) {
            assertArrayEquals(Files.readAllBytes(straight.resolve(f)), Files.readAllBytes(interrupted.resolve(f)), f + " differs after resuming");
        }
    }

    /** The same global batch, epochs and seed: one process, two DDP processes and two DataParallel replicas agree. */
    @Test
    void dataParallelRunsReachTheAccuracyOfOneProcessWithinHalfAPoint(@TempDir Path dir) throws Exception {
        assumeDataset();
        String[] common = {"--json", "--train-samples", "12000", "--batch-size", "128", "--workers", "1"};
        double one = jsonNumber(lastLine(train(concat(common, "--nproc", "1", "--out", dir.resolve("one").toString()))), "test_accuracy");
        Run ddp = train(concat(common, "--nproc", "2", "--mode", "ddp", "--out", dir.resolve("ddp").toString()));
        Run dp = train(concat(common, "--nproc", "2", "--mode", "dp", "--out", dir.resolve("dp").toString()));
        assertEquals(0, ddp.exit(), ddp.out() + ddp.err());
        assertEquals(0, dp.exit(), dp.out() + dp.err());
        double viaDdp = jsonNumber(lastLine(ddp), "test_accuracy"), viaDp = jsonNumber(lastLine(dp), "test_accuracy");
        assertTrue(lastLine(dp).contains("\"mode\": \"dp\"") && lastLine(dp).contains("\"world_size\": 2"), lastLine(dp));
        assertTrue(Math.abs(viaDdp - one) <= 0.005, "ddp " + viaDdp + " vs one process " + one);
        assertTrue(Math.abs(viaDp - one) <= 0.005, "dp " + viaDp + " vs one process " + one);
    }

    static String lastLine(Run r) {
        assertEquals(0, r.exit(), r.out() + r.err());
        return r.out().strip().lines().reduce((a, b) -> b).orElseThrow();
    }

    @Test
    void bf16TrainingUnderAutocastLearns(@TempDir Path dir) throws Exception {
        assumeDataset();
        Run r = train("--json", "--dtype", "bf16", "--train-samples", "2000", "--batch-size", "50", "--seed", "3", "--out", dir.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        String last = r.out().strip().lines().reduce((a, b) -> b).orElseThrow();
        // ten classes: chance is 10%; 2000 samples of one epoch reach well above it
        assertTrue(jsonNumber(last, "test_accuracy") > 0.5, last);
        assertTrue(Double.isFinite(jsonNumber(last, "test_loss")), last);
    }

    @Test
    void withoutTheDatasetItSaysHowToGetItAndExitsNonZero(@TempDir Path empty) {
        Run r = train("--nproc", "1", "--data", empty.toString());
        assertTrue(r.exit() != 0);
        assertTrue(r.err().contains("apt-get install dataset-fashion-mnist") && r.err().contains("--data"), r.err());
    }

    @Test
    void badOptionsAreRefusedWithTheirName() {
        Run r = train("--model", "resnet");
        assertTrue(r.exit() != 0);
        assertTrue(r.err().contains("--model must be mlp or cnn, got resnet"), r.err());
    }

    private static String[] concat(String[] a, String... b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}

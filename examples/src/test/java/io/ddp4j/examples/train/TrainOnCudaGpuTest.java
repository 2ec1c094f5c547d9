package io.ddp4j.examples.train;

import io.ddp4j.bindings.cuda.CudaAvailability;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.ddp4j.examples.train.TrainCommandTest.assumeDataset;
import static io.ddp4j.examples.train.TrainCommandTest.jsonNumber;
import static io.ddp4j.examples.train.TrainCommandTest.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code ddp4j train --device cuda} trains on the GPU and scores what the CPU scores: the same
 * seed, samples and batches give the same test accuracy (the CPU sums in double, the GPU in
 * float: the loss agrees to 1e-3). Its loaders once left batches on the CPU, so the first layer
 * refused them.
 */
@Tag("gpu")
class TrainOnCudaGpuTest {

    @Test
    void oneProcessOnCudaMatchesTheCpuRun(@TempDir Path dir) {
        assumeTrue(CudaAvailability.isAvailable(), () -> "no GPU: " + CudaAvailability.whyUnavailable().orElse(""));
        assumeDataset();
        String[] common = {"--json", "--nproc", "1", "--train-samples", "1024", "--batch-size", "64", "--seed", "5", "--workers", "2"};
        TrainCommandTest.Run gpu = train(concat(common, "--device", "cuda", "--out", dir.resolve("cuda").toString()));
        assertEquals(0, gpu.exit(), gpu.err());
        TrainCommandTest.Run cpu = train(concat(common, "--device", "cpu", "--out", dir.resolve("cpu").toString()));
        assertEquals(0, cpu.exit(), cpu.err());
        assertTrue(gpu.out().contains("\"device\": \"cuda:0\""), gpu.out());
        double accGpu = jsonNumber(gpu.out(), "test_accuracy"), accCpu = jsonNumber(cpu.out(), "test_accuracy");
        assertTrue(accGpu > 0.4, gpu.out());
        assertEquals(accCpu, accGpu, 0.005, "test accuracy on cuda vs cpu");
        assertEquals(jsonNumber(cpu.out(), "test_loss"), jsonNumber(gpu.out(), "test_loss"), 1e-3, "test loss on cuda vs cpu");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

package io.ddp4j.examples.train;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.nccl.Nccl;
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

    /**
     * Two GPUs: two processes over nccl (each rank on its own GPU, cuda:LOCAL_RANK) and
     * DataParallel with a replica on each GPU score what two CPU processes over tcp score. Both
     * once failed: every rank put its model on cuda:0, and the evaluation all-reduced host memory,
     * which nccl refuses.
     */
    @Test
    void twoGpusOverNcclAndDataParallelAcrossGpusMatchTheCpuRun(@TempDir Path dir) {
        assumeTrue(CudaAvailability.isAvailable(), () -> "no GPU: " + CudaAvailability.whyUnavailable().orElse(""));
        assumeTrue(Nccl.isLoaded(), "NCCL is not installed");
        assumeTrue(Cudart.cudaGetDeviceCount() >= 2, "needs two GPUs");
        assumeDataset();
        String[] common = {"--json", "--nproc", "2", "--train-samples", "1024", "--batch-size", "64", "--seed", "5", "--workers", "1"};
        TrainCommandTest.Run cpu = train(concat(common, "--device", "cpu", "--backend", "tcp", "--out", dir.resolve("cpu").toString()));
        TrainCommandTest.Run nccl = train(concat(common, "--device", "cuda", "--backend", "nccl", "--out", dir.resolve("nccl").toString()));
        TrainCommandTest.Run dp = train(concat(common, "--device", "cuda", "--mode", "dp", "--out", dir.resolve("dp").toString()));
        String want = TrainCommandTest.lastLine(cpu);
        for (TrainCommandTest.Run run : java.util.List.of(nccl, dp)) {
            String got = TrainCommandTest.lastLine(run);
            assertEquals(jsonNumber(want, "test_accuracy"), jsonNumber(got, "test_accuracy"), 0.005, got);
            assertEquals(jsonNumber(want, "test_loss"), jsonNumber(got, "test_loss"), 1e-3, got);
        }
        assertTrue(TrainCommandTest.lastLine(nccl).contains("\"backend\": \"nccl\""), TrainCommandTest.lastLine(nccl));
        assertTrue(TrainCommandTest.lastLine(dp).contains("\"device\": \"cuda:0,cuda:1\"")
                && TrainCommandTest.lastLine(dp).contains("\"backend\": \"nccl\""), TrainCommandTest.lastLine(dp));
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

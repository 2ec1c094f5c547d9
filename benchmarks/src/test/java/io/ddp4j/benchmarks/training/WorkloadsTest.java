package io.ddp4j.benchmarks.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.benchmarks.ops.HandWrittenMlp;
import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** CPU smoke tests of the GPU benchmarks' step code (small batches), and their no-GPU failure. */
class WorkloadsTest {
    @Test
    void w1AndW3StepsRunOnCpuAndLearnTheirFixedBatch() {
        for (Workloads.Workload w : new Workloads.Workload[]{Workloads.Workload.W1, Workloads.Workload.W3}) {
            try (Workloads.Step step = new Workloads.Step(w, Device.CPU, 8, 3)) {
                double first = step.run(), last = first;
                for (int i = 0; i < 4; i++) last = step.run();
                assertTrue(Double.isFinite(first) && last < first, w + ": loss " + first + " -> " + last);
            }
        }
    }

    @Test
    void w2StepsInBf16AutocastWithFp32WeightsAndItsLossFalls() {
        try (Workloads.Step step = new Workloads.Step(Workloads.Workload.W2, Device.CPU, 2, 1)) {
            double first = step.run(), last = first;
            for (int i = 0; i < 2; i++) last = step.run();
            assertTrue(Double.isFinite(first) && last < first, "W2 loss " + first + " -> " + last);
            step.model.parameters().forEach(p -> assertEquals(DType.F32, p.dtype(), "autocast never changes a parameter's dtype"));
            // the same step in fp32 lands close by but not on the same bits: the matmuls really ran in bf16
            try (Workloads.Step fp32 = new Workloads.Step(Workloads.Workload.W2_FP32, Device.CPU, 2, 1)) {
                double f = fp32.run();
                assertTrue(Math.abs(f - first) < 0.05 * Math.abs(f), "bf16 loss " + first + " vs fp32 " + f);
                assertTrue(f != first, "the W2 loss equals the fp32 one to the last bit: autocast did not apply");
            }
        }
    }

    @Test
    void w2FlopFormula() {
        assertEquals(6.0 * 8192 * 4 * 4096 * 4096, Workloads.Workload.W2.flopsPerStep(8192));
    }

    @Test
    void handWrittenMlpLearnsItsFixedBatchOnCpu() {
        try (HandWrittenMlp mlp = new HandWrittenMlp(Device.CPU, 16, 2)) {
            double first = mlp.step(), last = first;
            for (int i = 0; i < 5; i++) last = mlp.step();
            assertTrue(Double.isFinite(first) && last < first, "loss " + first + " -> " + last);
        }
    }

    @Test
    void gpuBenchmarksFailFastWithoutAGpu() {
        Assumptions.assumeTrue(CudaAvailability.whyUnavailable().isPresent(), "a GPU is present");
        var e = assertThrows(IllegalStateException.class, () -> {
            TrainingStepBenchmark b = new TrainingStepBenchmark();
            b.workload = "W1";
            b.setUp();
        });
        assertTrue(e.getMessage().startsWith("this benchmark needs a CUDA GPU"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> new io.ddp4j.benchmarks.ops.OpCostBenchmark().setUp());
    }
}

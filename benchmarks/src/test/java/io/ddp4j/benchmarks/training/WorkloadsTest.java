package io.ddp4j.benchmarks.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.benchmarks.ops.HandWrittenMlp;
import io.ddp4j.bindings.cuda.CudaAvailability;
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
    void w2SaysItNeedsAutocastInsteadOfMeasuringFp32() {
        var e = assertThrows(UnsupportedOperationException.class, () -> new Workloads.Step(Workloads.Workload.W2, Device.CPU, 2, 1));
        assertTrue(e.getMessage().contains("needs autocast"), e.getMessage());
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

package io.ddp4j.tensor.data;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Batches copied to the GPU by the loader's workers: same contents, copies ordered and measured. */
@Tag("gpu")
class DataLoaderGpuTest {
    private static final Device CUDA = Device.cuda(0);

    private static TensorDataset rows(int n, int width) {
        float[] f = new float[n * width];
        long[] l = new long[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < width; j++) f[i * width + j] = i + j / 1000f;
            l[i] = i;
        }
        return new TensorDataset(Tensor.fromArray(f, n, width), Tensor.fromArray(l, n));
    }

    @Test
    void pinnedAsynchronousCopiesDeliverTheSameBatchesAndTheirWaitsAreMeasured() {
        assumeTrue(CudaAvailability.isAvailable(), () -> "no GPU: " + CudaAvailability.whyUnavailable().orElse(""));
        TensorDataset data = rows(1000, 784);
        for (boolean pinned : new boolean[]{true, false}) {
            try (DataLoader onGpu = DataLoader.builder(data).batchSize(128).numWorkers(4).device(CUDA).pinMemory(pinned).build();
                 DataLoader onCpu = DataLoader.builder(data).batchSize(128).build()) {
                var cpu = onCpu.iterator();
                for (Batch g : onGpu) {
                    try (g; Batch c = cpu.next()) {
                        assertEquals(CUDA, g.get(0).device());
                        // a kernel on the compute stream reads the batch: it must see the copied bytes
                        try (Tensor doubled = g.get(0).mul(2)) {
                            float[] want = c.get(0).toFloatArray();
                            for (int i = 0; i < want.length; i++) want[i] *= 2;
                            assertArrayEquals(want, doubled.toFloatArray(), "pinned=" + pinned);
                        }
                        assertArrayEquals(c.get(1).toLongArray(), g.get(1).toLongArray());
                    }
                }
                var s = onGpu.stats();
                assertEquals(8, s.batches());
                if (pinned) {
                    // toFloatArray synchronised the device, so every copy's wait is known by now
                    assertEquals(16, s.deviceWaitsMeasured(), s.toString());
                    assertEquals(0, s.deviceWaitsPending(), s.toString());
                    assertTrue(s.deviceWaitNanos() >= 0);
                } else {
                    assertEquals(0, s.deviceWaitsMeasured(), "synchronous copies have nothing to wait for: " + s);
                }
            }
        }
    }
}

package io.ddp4j.ddp.parallel;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.tensor.Device;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * DataParallel with replicas sharing the one GPU (NCCL refuses two ranks on one GPU, so they reduce
 * through the local group's device copies and sum kernels): after 20 steps on batches that start
 * on the CPU, every replica matches one CPU process trained on the whole batch (1e-4: the GPU's
 * float sums run in another order than the CPU's), and the replicas stay bit-for-bit equal.
 */
@Tag("gpu")
class DataParallelGpuTest {
    @ParameterizedTest(name = "{0}, {1} replicas on cuda:0")
    @CsvSource({"mlp, 2, 16", "mlp, 3, 16", "small-cnn-bn, 2, 8"})
    void replicasSharingTheGpuTrainLikeOneProcessOnTheWholeBatch(String kind, int replicas, int batch) {
        assumeTrue(CudaAvailability.isAvailable(), () -> "no GPU: " + CudaAvailability.whyUnavailable().orElse(""));
        Device cuda = Device.cuda(0);
        int steps = 20;
        double lr = 0.05;
        Map<String, float[]> want = Training.reference(kind, steps, batch, lr);

        List<Device> devices = Collections.nCopies(replicas, cuda);
        var options = DdpOptions.defaults().withBucketCaps(List.of(4_000L, 100_000L));
        try (DataParallel dp = Training.dataParallel(kind, devices, options)) {
            Training.trainLikeTheReference(dp, want, 1e-4, steps, batch, lr,
                    output -> assertEquals(cuda, output.device(), "outputs are gathered on the first replica's device"));
            for (int i = 0; i < replicas; i++) assertEquals(cuda, dp.replicas().get(i).parameters().getFirst().device());
        }
    }
}

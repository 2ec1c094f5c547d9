package io.ddp4j.ddp.parallel;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.nccl.Nccl;
import io.ddp4j.tensor.Device;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * DataParallel with one replica per GPU, PyTorch's usual case: the replicas reduce over NCCL
 * communicators made in this process (one per GPU), batches that start on the CPU or on the first
 * GPU are scattered to every GPU, outputs are gathered on the first, and after 20 steps every
 * replica matches one CPU process trained on the whole batch while staying on its own GPU. With
 * batches on cuda:0 the scatter once deadlocked now and then: replica 1 copied its rows out of
 * cuda:0 behind replica 0's backward, which waited for replica 1's gradients. Needs two GPUs and NCCL: it runs
 * on the CUDA emulator in CI (two emulated devices) and on any machine with two GPUs.
 */
@Tag("gpu")
class DataParallelAcrossGpusGpuTest {
    @ParameterizedTest(name = "{0}, one replica on each of cuda:0 and cuda:1, batches on {2}")
    @CsvSource({"mlp, 16, cpu", "mlp, 16, cuda:0", "small-cnn-bn, 8, cuda:0"})
    @Timeout(value = 240, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a deadlock fails instead of hanging the build
    void oneReplicaPerGpuTrainsLikeOneProcessOnTheWholeBatch(String kind, int batch, String batchOn) {
        assumeTrue(CudaAvailability.isAvailable(), () -> "no GPU: " + CudaAvailability.whyUnavailable().orElse(""));
        assumeTrue(Nccl.isLoaded(), "NCCL is not installed");
        assumeTrue(Cudart.cudaGetDeviceCount() >= 2, "needs two GPUs");
        int steps = 20;
        double lr = 0.05;
        Map<String, float[]> want = Training.reference(kind, steps, batch, lr);
        List<Device> devices = List.of(Device.cuda(0), Device.cuda(1));
        var options = DdpOptions.defaults().withBucketCaps(List.of(4_000L, 100_000L));
        try (DataParallel dp = Training.dataParallel(kind, devices, options)) {
            Training.trainLikeTheReference(dp, want, 1e-4, steps, batch, lr, Device.parse(batchOn),
                    output -> assertEquals(devices.getFirst(), output.device(), "outputs are gathered on the first replica's device"));
            for (int i = 0; i < devices.size(); i++) {
                assertEquals(devices.get(i), dp.replicas().get(i).parameters().getFirst().device(), "replica " + i + " stays on its GPU");
            }
        }
    }
}

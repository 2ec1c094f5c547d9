package io.ddp4j.ddp.parallel;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.ddp.nn.SyncBatchNorm;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.nn.Module;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * DDP of a model on a GPU over a group of host memory (tcp), as PyTorch's gloo takes CUDA
 * tensors: the device buckets, the parameter broadcast at construction and the per-forward buffer
 * broadcast go through host copies (SyncBatchNorm's statistics too), and training equals one process on the whole batch. (Before,
 * the first broadcast of device memory was refused: {@code ddp4j train --device cuda --backend tcp}
 * failed at once.)
 */
@Tag("gpu")
class DdpOverHostGroupGpuTest {
    private static final Device CUDA = Device.cuda(0);

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "small-cnn-bn"})
    void gpuReplicasOverTcpTrainLikeOneProcess(String kind) throws Exception {
        assumeTrue(CudaAvailability.isAvailable(), () -> "no GPU: " + CudaAvailability.whyUnavailable().orElse(""));
        int world = 2, steps = 3, batch = 8;
        double lr = 0.05;
        Map<String, float[]> want = Training.reference(kind, steps, batch, lr);
        List<Map<String, float[]>> got = Ranks.tcp(world, Duration.ofSeconds(60), (r, pg) -> {
            Module m = Training.model(kind, r == 0 ? 42 : 7); // rank 1 starts elsewhere: the broadcast must fix it
            if (kind.endsWith("-bn")) m = SyncBatchNorm.convert(m, pg); // whole-batch statistics, reduced over the host group
            m.to(CUDA);
            try (var ddp = DistributedDataParallel.wrap(m, pg, DdpOptions.defaults())) {
                Training.trainShard(ddp, m, r, world, CUDA, steps, batch, lr);
            }
            return Training.snapshot(m);
        });
        for (var g : got) assertTrue(Training.maxAbsDiff(want, g) < 1e-5, kind + " differs by " + Training.maxAbsDiff(want, g));
    }
}

package io.ddp4j.ddp.parallel;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.nccl.Nccl;
import io.ddp4j.ddp.nn.SyncBatchNorm;
import io.ddp4j.ddp.reducer.ReducerStats;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.nn.Module;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * DistributedDataParallel over nccl with two ranks, each on its own GPU, the way a multi-GPU job
 * runs: the parameter broadcast at construction (rank 1 starts from other weights), device buckets
 * all-reduced on the communication stream while backward runs, SyncBatchNorm's statistics over
 * nccl, and after a few steps every rank equals one process trained on the whole batch. Needs two
 * GPUs and NCCL: the GPU machine has one, so it runs on the CUDA emulator in CI (two emulated
 * devices, ranks as threads) and on any machine with two GPUs.
 */
@Tag("gpu")
class DdpOverNcclGpuTest {
    @ParameterizedTest
    @ValueSource(strings = {"mlp", "small-cnn-bn"})
    void twoRanksOnTwoGpusTrainLikeOneProcess(String kind) throws Exception {
        assumeTrue(CudaAvailability.isAvailable(), () -> "no GPU: " + CudaAvailability.whyUnavailable().orElse(""));
        assumeTrue(Nccl.isLoaded(), "NCCL is not installed");
        assumeTrue(Cudart.cudaGetDeviceCount() >= 2, "needs two GPUs, one per rank");
        int world = 2, steps = 3, batch = 8;
        double lr = 0.05;
        Map<String, float[]> want = Training.reference(kind, steps, batch, lr);
        record Rank(Map<String, float[]> weights, Device device, ReducerStats stats) {}
        List<Rank> got = Ranks.nccl(world, Duration.ofSeconds(60), (r, pg) -> {
            Device gpu = Device.cuda(r);
            Module m = Training.model(kind, r == 0 ? 42 : 7); // rank 1 starts elsewhere: the broadcast must fix it
            if (kind.endsWith("-bn")) m = SyncBatchNorm.convert(m, pg);
            m.to(gpu);
            // small buckets, so several all-reduces are in flight during one backward
            var options = DdpOptions.defaults().withBucketCaps(List.of(4_000L, 100_000L));
            ReducerStats stats;
            try (var ddp = DistributedDataParallel.wrap(m, pg, options)) {
                Training.trainShard(ddp, m, r, world, gpu, steps, batch, lr);
                stats = ddp.stats();
            }
            return new Rank(Training.snapshot(m), m.parameters().getFirst().device(), stats);
        });
        for (int r = 0; r < world; r++) {
            Rank g = got.get(r);
            assertEquals(Device.cuda(r), g.device(), "rank " + r + " trains on its own GPU");
            assertTrue(Training.maxAbsDiff(want, g.weights()) < 1e-5, kind + ", rank " + r + " differs by " + Training.maxAbsDiff(want, g.weights()));
            assertTrue(g.stats().bucketBytes().size() > 1, "several buckets: " + g.stats());
        }
    }
}

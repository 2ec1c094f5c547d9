package io.ddp4j.ddp.reducer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.bindings.nccl.Nccl;
import io.ddp4j.ddp.Distributed;
import io.ddp4j.ddp.InitOptions;
import io.ddp4j.ddp.parallel.DdpOptions;
import io.ddp4j.ddp.parallel.DistributedDataParallel;
import io.ddp4j.ddp.store.TCPStore;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.CrossEntropyLoss;
import io.ddp4j.tensor.nn.Module;
import io.ddp4j.tensor.nn.models.ReferenceModels;
import io.ddp4j.tensor.optim.SGD;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * DDP on the GPU: buckets in CUDA memory reduced by NCCL (world size 1, the one GPU of the test
 * machine). With one rank the average is the gradient itself, so DDP must train exactly like the
 * plain model, its gradients must live in the device buckets, and the first bucket's all-reduce
 * must start before backward ends.
 */
@Tag("gpu")
class CudaBucketBufferGpuTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void ddpOverNcclOnTheGpuTrainsLikeThePlainModelAndOverlapsItsBuckets() {
        assumeTrue(CudaAvailability.isAvailable(), () -> "no GPU: " + CudaAvailability.whyUnavailable().orElse(""));
        assumeTrue(Nccl.library().isLoaded(), "NCCL is not installed");
        Device cuda = Device.cuda(0);
        try (TCPStore store = TCPStore.host("127.0.0.1", 0, TIMEOUT, null);
             Distributed d = Distributed.init(InitOptions.withStore(store, 0, 1).withBackend("nccl").withTimeout(TIMEOUT).withEnv(Map.of()));
             Module plain = ReferenceModels.mlp(new Generator(3)).to(cuda);
             Module wrapped = ReferenceModels.mlp(new Generator(3)).to(cuda);
             DistributedDataParallel ddp = DistributedDataParallel.wrap(wrapped, d.group(), DdpOptions.defaults().withBucketCaps(List.of(64L << 10)));
             SGD a = new SGD(plain.parameters(), SGD.options().lr(0.1).momentum(0.9));
             SGD b = new SGD(wrapped.parameters(), SGD.options().lr(0.1).momentum(0.9))) {
            Tensor x = Tensor.randn(new Generator(5), 32, 784).to(cuda).keep();
            long[] labels = new long[32];
            for (int i = 0; i < labels.length; i++) labels[i] = i % 10;
            Tensor y = Tensor.fromArray(labels, 32).to(cuda).keep();
            CrossEntropyLoss loss = new CrossEntropyLoss();
            for (int step = 0; step < 5; step++) {
                try (Scope s = Scope.open()) {
                    a.zeroGrad();
                    loss.forward(plain.forward(x), y).backward();
                    a.step();
                    b.zeroGrad(false);
                    loss.forward(ddp.forward(x), y).backward();
                    b.step();
                }
            }
            var pa = plain.namedParameters();
            var pb = wrapped.namedParameters();
            for (String k : pa.keySet()) {
                float[] u = pa.get(k).toFloatArray(), v = pb.get(k).toFloatArray();
                for (int i = 0; i < u.length; i++) assertEquals(u[i], v[i], 1e-5f, k + "[" + i + "]");
            }
            Reducer r = ddp.reducer();
            boolean sharesBucket = false;
            for (int i = 0; i < ddp.stats().bucketBytes().size(); i++) {
                assertTrue(r.bucketBuffer(i) instanceof CudaBucketBuffer, r.bucketBuffer(i).toString());
                for (Tensor p : pb.values()) sharesBucket |= p.grad() != null && p.grad().storage() == r.bucketBuffer(i).flat().storage();
            }
            assertTrue(sharesBucket, "gradients are views into the device buckets");
            // from the second iteration on, backward ends with the compute stream waiting for NCCL and
            // the host checks each iteration at the next forward: the fifth is not checked yet
            assertEquals(4, ddp.timelines().size(), "iterations checked by the host so far");
            var last = ddp.timelines().getLast();
            assertTrue(last.buckets().size() > 1, "several buckets: " + last);
            assertTrue(last.commStart(0) < last.backwardEnd(), "the first bucket's all-reduce starts before backward ends: " + last);
            assertEquals(cuda, pb.values().iterator().next().device());
        }
    }

    @Test
    void withoutAGpuABucketOnCudaIsAClearErrorNotACrash() {
        assumeTrue(!CudaAvailability.isAvailable(), "this test is about machines without a usable GPU");
        var e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                () -> BucketBuffer.allocate(io.ddp4j.tensor.DType.F32, Device.cuda(0), 16));
        assertTrue(e.getMessage().contains("cuda:0"), e.getMessage());
    }
}

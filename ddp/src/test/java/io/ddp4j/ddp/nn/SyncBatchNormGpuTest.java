package io.ddp4j.ddp.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.bindings.nccl.Nccl;
import io.ddp4j.ddp.Distributed;
import io.ddp4j.ddp.InitOptions;
import io.ddp4j.ddp.store.TCPStore;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.BatchNorm2d;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * SyncBatchNorm on CUDA tensors over nccl (world size 1): its statistics are reduced in device
 * memory, so it must match BatchNorm2d in training mode, forward, input gradient and running stats.
 */
@Tag("gpu")
class SyncBatchNormGpuTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void onCudaOverNcclItMatchesBatchNormAtWorldOne() {
        assumeTrue(CudaAvailability.isAvailable(), () -> "no GPU: " + CudaAvailability.whyUnavailable().orElse(""));
        assumeTrue(Nccl.library().isLoaded(), "NCCL is not installed");
        Device cuda = Device.cuda(0);
        try (TCPStore store = TCPStore.host("127.0.0.1", 0, TIMEOUT, null);
             Distributed d = Distributed.init(InitOptions.withStore(store, 0, 1).withBackend("nccl").withTimeout(TIMEOUT).withEnv(Map.of()));
             BatchNorm2d plain = new BatchNorm2d(3);
             SyncBatchNorm sync = new SyncBatchNorm(3, d.group())) {
            plain.to(cuda);
            sync.to(cuda);
            Tensor host = Tensor.randn(new Generator(11), 4, 3, 5, 5);
            try (Scope s = Scope.open()) {
                Tensor xa = host.to(cuda).setRequiresGrad(true), xb = host.to(cuda).setRequiresGrad(true);
                Tensor ya = plain.forward(xa), yb = sync.forward(xb);
                ya.pow(2).sum().backward();
                yb.pow(2).sum().backward();
                float[] fa = ya.toFloatArray(), fb = yb.toFloatArray();
                for (int i = 0; i < fa.length; i++) assertEquals(fa[i], fb[i], 1e-4f, "output " + i);
                float[] ga = xa.grad().toFloatArray(), gb = xb.grad().toFloatArray();
                for (int i = 0; i < ga.length; i++) assertEquals(ga[i], gb[i], 1e-3f, "input gradient " + i);
                float[] ra = plain.namedBuffers().get("running_var").toFloatArray(), rb = sync.namedBuffers().get("running_var").toFloatArray();
                for (int i = 0; i < ra.length; i++) assertEquals(ra[i], rb[i], 1e-5f, "running_var " + i);
            }
        }
    }
}

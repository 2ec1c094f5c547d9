package io.ddp4j.tensor.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.memory.cuda.AllocatorStats;
import io.ddp4j.tensor.nn.CrossEntropyLoss;
import io.ddp4j.tensor.nn.Linear;
import io.ddp4j.tensor.nn.Module;
import io.ddp4j.tensor.nn.ReLU;
import io.ddp4j.tensor.nn.Sequential;
import io.ddp4j.tensor.optim.Adam;
import io.ddp4j.tensor.optim.Optimizer;
import io.ddp4j.tensor.optim.SGD;

import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A whole training step captured as a CUDA graph: replays equal eager steps, allocate nothing, and what a graph cannot replay is refused. */
@Tag("gpu")
class CudaGraphGpuTest {
    private static final Device CUDA = Device.cuda(0);

    @BeforeEach
    void gpu() {
        assumeTrue(CudaAvailability.isAvailable(), () -> "no GPU: " + CudaAvailability.whyUnavailable().orElse(""));
    }

    private static CudaBackend cuda() {
        return (CudaBackend) Backends.forDevice(CUDA);
    }

    /** A small MLP, its SGD, and one fixed batch on cuda. */
    private static final class Trainer implements AutoCloseable {
        final Module model = new Sequential(new Linear(20, 32, true, new Generator(5)), new ReLU(), new Linear(32, 10, true, new Generator(6))).to(CUDA);
        final Optimizer sgd;
        final Tensor x = Tensor.randn(new Generator(7), DType.F32, 16, 20).to(CUDA).keep();
        final Tensor y = Tensor.fromArray(new long[]{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5}, 16).to(CUDA).keep();
        final CrossEntropyLoss loss = new CrossEntropyLoss();

        Trainer(boolean adam) {
            sgd = adam ? new Adam(model.parameters(), Adam.options()) : new SGD(model.parameters(), SGD.options().lr(0.05).momentum(0.9));
        }

        Tensor enqueueStep() {
            try (Scope s = Scope.open()) {
                Tensor l = loss.forward(model.forward(x), y);
                sgd.zeroGrad();
                l.backward();
                sgd.step();
                return l.keep();
            }
        }

        double step() {
            try (Tensor l = enqueueStep()) {
                return l.item();
            }
        }

        List<float[]> parameters() {
            return model.parameters().stream().map(Tensor::toFloatArray).toList();
        }

        @Override
        public void close() {
            sgd.close();
            model.close();
            x.close();
            y.close();
        }
    }

    @Test
    void replaysOfACapturedStepEqualEagerSteps() {
        try (Trainer eager = new Trainer(false); Trainer graphed = new Trainer(false)) {
            for (int i = 0; i < 3; i++) { // warm-up: cuBLAS handle, momentum buffers
                eager.step();
                graphed.step();
            }
            Tensor[] loss = new Tensor[1];
            try (CudaGraph graph = CudaGraph.capture(CUDA, () -> loss[0] = graphed.enqueueStep())) {
                assertTrue(graph.poolBytes() > 0, graph.toString());
                for (int i = 0; i < 5; i++) {
                    graph.replay();
                    double eagerLoss = eager.step();
                    assertEquals(eagerLoss, loss[0].item(), 1e-6 * Math.abs(eagerLoss), "loss after replay " + (i + 1));
                }
                List<float[]> a = eager.parameters(), b = graphed.parameters();
                for (int p = 0; p < a.size(); p++)
                    for (int i = 0; i < a.get(p).length; i++)
                        if (Math.abs(a.get(p)[i] - b.get(p)[i]) > 1e-6 * Math.max(1, Math.abs(a.get(p)[i])))
                            fail("parameter " + p + " element " + i + ": eager " + a.get(p)[i] + ", graph " + b.get(p)[i]);
                assertEquals(5, graph.replays());
            } finally {
                if (loss[0] != null) loss[0].close();
            }
        }
    }

    @Test
    void replaysAllocateNothing() {
        try (Trainer t = new Trainer(false)) {
            for (int i = 0; i < 3; i++) t.step();
            Tensor[] loss = new Tensor[1];
            try (CudaGraph graph = CudaGraph.capture(CUDA, () -> loss[0] = t.enqueueStep())) {
                graph.replay();
                loss[0].item();
                AllocatorStats before = cuda().allocatorStats();
                long syncs = cuda().hostSyncCount();
                for (int i = 0; i < 20; i++) graph.replay();
                loss[0].item();
                AllocatorStats after = cuda().allocatorStats();
                assertEquals(before.cudaMallocCalls(), after.cudaMallocCalls(), before + " -> " + after);
                assertEquals(before.allocatedBytes(), after.allocatedBytes(), before + " -> " + after);
                assertEquals(syncs + 1, cuda().hostSyncCount(), "20 replays and one read wait once");
            } finally {
                if (loss[0] != null) loss[0].close();
            }
        }
    }

    @Test
    void hostCopiesReadsAndAdamAreRefusedAndTheDeviceStaysUsable() {
        var upload = assertThrows(IllegalStateException.class,
                () -> CudaGraph.capture(CUDA, () -> Tensor.fromArray(new float[]{1, 2}, 2).to(CUDA)));
        assertTrue(upload.getMessage().contains("a copy from the host on cuda:0 while a CUDA graph is being captured"), upload.getMessage());
        Tensor onDevice = Tensor.ones(DType.F32, 3).to(CUDA);
        var read = assertThrows(IllegalStateException.class, () -> CudaGraph.capture(CUDA, () -> onDevice.add(1).sum().item()));
        assertTrue(read.getMessage().contains("reading values back to the host"), read.getMessage());
        try (Trainer adam = new Trainer(true)) {
            adam.step();
            var e = assertThrows(IllegalStateException.class, () -> CudaGraph.capture(CUDA, adam::enqueueStep));
            assertTrue(e.getMessage().contains("Adam"), e.getMessage());
            adam.step(); // eager Adam still works after the refused capture
        }
        assertEquals(6.0, onDevice.add(1).sum().item(), 0.0, "the device works after the failed captures");
        onDevice.close();
    }
}

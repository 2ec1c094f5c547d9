package io.ddp4j.benchmarks.training;

import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.cuda.CudaGraph;

/**
 * A workload's whole training step (forward, backward, SGD) captured once as a CUDA graph and
 * replayed, as PyTorch's "whole-step CUDA graph" number is measured: warm-up steps first (cuBLAS
 * handle, momentum buffers), then one captured step; each run is one graph launch and the loss
 * read back.
 */
public final class GraphedStep implements AutoCloseable {
    static final int WARMUP_STEPS = 3;

    private final Workloads.Step step;
    private final CudaGraph graph;
    private final Tensor loss;

    public GraphedStep(Workloads.Workload w, Device device, int batch, long seed) {
        this.step = new Workloads.Step(w, device, batch, seed);
        Tensor[] captured = new Tensor[1];
        try {
            for (int i = 0; i < WARMUP_STEPS; i++) step.run();
            this.graph = CudaGraph.capture(device, () -> captured[0] = step.enqueue());
        } catch (RuntimeException | Error e) {
            step.close();
            throw e;
        }
        this.loss = captured[0];
    }

    /** One replayed step; returns its loss (reading it back is the step's synchronisation). */
    public double run() {
        graph.replay();
        return loss.item();
    }

    @Override
    public void close() {
        graph.close();
        loss.close();
        step.close();
    }
}

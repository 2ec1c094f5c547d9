package io.ddp4j.benchmarks.ops;

import io.ddp4j.benchmarks.training.Workloads;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.GradMode;
import io.ddp4j.tensor.nn.Functional;
import java.util.List;

/**
 * W1's MLP (784-512-512-10, batch 128, fp32) written with tensor ops only, no nn modules and no
 * optimizer class: matmul with the transposed weight, bias add, relu, cross-entropy, backward,
 * then plain SGD (lr 0.01, no momentum) as in-place adds under no_grad, gradients dropped.
 * What is left is the per-op cost of the Tensor API and autograd. PyTorch's side:
 * benchmarks/python/op_cost_torch.py ("mlp_by_hand").
 */
public final class HandWrittenMlp implements AutoCloseable {
    static final int[] SIZES = {784, 512, 512, 10};

    final int batch;
    final List<Tensor> weights;
    final List<Tensor> biases;
    final Tensor x;
    final Tensor y;

    public HandWrittenMlp(Device device, int batch, long seed) {
        this.batch = batch;
        Generator gen = new Generator(seed);
        Tensor[] w = new Tensor[3], b = new Tensor[3];
        for (int i = 0; i < 3; i++) {
            double bound = 1 / Math.sqrt(SIZES[i]);
            w[i] = uniform(gen, bound, device, SIZES[i + 1], SIZES[i]);
            b[i] = uniform(gen, bound, device, SIZES[i + 1]);
        }
        weights = List.of(w);
        biases = List.of(b);
        x = Workloads.onDevice(Tensor.randn(gen, DType.F32, batch, 784), device);
        long[] labels = new long[batch];
        for (int i = 0; i < batch; i++) labels[i] = (i * 7L) % 10;
        y = Workloads.onDevice(Tensor.fromArray(labels, batch), device);
    }

    private static Tensor uniform(Generator gen, double bound, Device device, int... shape) {
        try (Scope s = Scope.open()) {
            Tensor t = Tensor.rand(gen, DType.F32, shape).mul(2 * bound).sub(bound).to(device);
            return t.keep().setRequiresGrad(true);
        }
    }

    /** Forward, backward, SGD update; returns the loss (the read-back is the step's synchronisation). */
    public double step() {
        try (Scope s = Scope.open()) {
            Tensor h = x;
            for (int i = 0; i < 3; i++) {
                h = h.matmul(weights.get(i).t()).add(biases.get(i));
                if (i < 2) h = h.relu();
            }
            Tensor loss = Functional.crossEntropy(h, y);
            loss.backward();
            try (GradMode.Guard g = GradMode.noGrad()) {
                for (int i = 0; i < 3; i++) {
                    update(weights.get(i));
                    update(biases.get(i));
                }
            }
            return loss.item();
        }
    }

    private static void update(Tensor p) {
        p.addInPlace(p.grad(), -0.01);
        p.setGrad(null);
    }

    @Override
    public void close() {
        weights.forEach(Tensor::close);
        biases.forEach(Tensor::close);
        x.close();
        y.close();
    }
}

package io.ddp4j.benchmarks.training;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.amp.Autocast;
import io.ddp4j.tensor.nn.Conv2d;
import io.ddp4j.tensor.nn.CrossEntropyLoss;
import io.ddp4j.tensor.nn.Flatten;
import io.ddp4j.tensor.nn.Linear;
import io.ddp4j.tensor.nn.Loss;
import io.ddp4j.tensor.nn.MSELoss;
import io.ddp4j.tensor.nn.MaxPool2d;
import io.ddp4j.tensor.nn.Module;
import io.ddp4j.tensor.nn.ReLU;
import io.ddp4j.tensor.nn.Sequential;
import io.ddp4j.tensor.optim.SGD;

/**
 * The training-step workloads of the issues, defined once for {@link TrainingStepBenchmark} and
 * mirrored line by line in benchmarks/python/training_steps_torch.py. Every step is PyTorch's
 * usual loop: forward, loss, zero_grad (set to none), backward, SGD (lr 0.01, momentum 0.9) step,
 * then the loss read back to the host (the one synchronisation per step).
 *
 * <ul>
 *   <li>W1: MLP 784-512-512-10 (ReLU), cross-entropy, batch 128, fp32.
 *   <li>W2: four Linear(4096, 4096) with ReLU between them, MSE against a random target, batch
 *       8192, bf16 autocast (the setting). FLOPs per step are counted as
 *       {@code 6 * batch * weights} = 6 * 8192 * 4 * 4096^2 = 3.30e12 (2 forward, 4 backward per
 *       weight and sample; biases, ReLU, loss and the optimizer are left out, and so is the first
 *       layer's unused input gradient, so this slightly over-counts, like PyTorch's usual estimate).
 *       The forward pass and the loss run under {@link Autocast} (bf16 matmuls with fp32
 *       accumulation, fp32 weights and optimizer), backward outside it, as in PyTorch.
 *       {@code W2_FP32} is the same model in fp32, for comparison.
 *   <li>W3: Conv(3,32,3,p1)-ReLU-MaxPool2, Conv(32,64)-ReLU-MaxPool2, Conv(64,128)-ReLU-MaxPool2,
 *       Flatten, Linear(128*4*4, 10) on 3x32x32 images, cross-entropy, batch 256, fp32.
 * </ul>
 */
public final class Workloads {
    private Workloads() {}

    public enum Workload {
        W1(128), W2(8192), W2_FP32(8192), W3(256);

        /** The batch size. */
        public final int batch;

        Workload(int batch) {
            this.batch = batch;
        }

        /** FLOPs of one step by the formula in the class comment; 0 where none is stated. */
        public double flopsPerStep(int batch) {
            return switch (this) {
                case W2, W2_FP32 -> 6.0 * batch * 4 * 4096.0 * 4096.0;
                default -> 0;
            };
        }
    }

    public static Module model(Workload w, Generator gen) {
        return switch (w) {
            case W1 -> new Sequential(
                    new Linear(784, 512, true, gen), new ReLU(),
                    new Linear(512, 512, true, gen), new ReLU(),
                    new Linear(512, 10, true, gen));
            case W2, W2_FP32 -> new Sequential(
                    new Linear(4096, 4096, true, gen), new ReLU(),
                    new Linear(4096, 4096, true, gen), new ReLU(),
                    new Linear(4096, 4096, true, gen), new ReLU(),
                    new Linear(4096, 4096, true, gen));
            case W3 -> new Sequential(
                    new Conv2d(3, 32, 3, 1, 1, 1, 1, true, gen), new ReLU(), new MaxPool2d(2),
                    new Conv2d(32, 64, 3, 1, 1, 1, 1, true, gen), new ReLU(), new MaxPool2d(2),
                    new Conv2d(64, 128, 3, 1, 1, 1, 1, true, gen), new ReLU(), new MaxPool2d(2),
                    new Flatten(),
                    new Linear(128 * 4 * 4, 10, true, gen));
        };
    }

    /** {@code host} on {@code device}, kept out of any scope; the host copy is closed unless it is the result. */
    public static Tensor onDevice(Tensor host, Device device) {
        Tensor t = host.to(device);
        if (t != host) host.close();
        return t.keep();
    }

    /** One workload's model, optimizer and fixed batch on a device: {@link #run()} is one training step. */
    public static final class Step implements AutoCloseable {
        public final Workload workload;
        public final int batch;
        public final Module model;
        final SGD optimizer;
        final Tensor x;
        final Tensor y;
        final Loss loss;

        public Step(Workload w, Device device, int batch, long seed) {
            this.workload = w;
            this.batch = batch;
            Generator gen = new Generator(seed);
            this.model = model(w, gen).to(device);
            this.optimizer = new SGD(model.parameters(), SGD.options().lr(0.01).momentum(0.9));
            int[] inShape = switch (w) {
                case W1 -> new int[]{batch, 784};
                case W2, W2_FP32 -> new int[]{batch, 4096};
                case W3 -> new int[]{batch, 3, 32, 32};
            };
            this.x = onDevice(Tensor.randn(gen, DType.F32, inShape), device);
            if (w == Workload.W2 || w == Workload.W2_FP32) {
                this.y = onDevice(Tensor.randn(gen, DType.F32, batch, 4096), device);
                this.loss = new MSELoss();
            } else {
                long[] labels = new long[batch];
                java.util.Random r = new java.util.Random(seed);
                for (int i = 0; i < batch; i++) labels[i] = r.nextInt(10);
                this.y = onDevice(Tensor.fromArray(labels, batch), device);
                this.loss = new CrossEntropyLoss();
            }
        }

        /** One step; returns the loss (reading it back is the step's synchronisation). */
        public double run() {
            try (Tensor l = enqueue()) {
                return l.item();
            }
        }

        /**
         * One step's work, enqueued and not waited for; returns the loss, kept out of the step's
         * scope (the caller closes it). What a CUDA graph captures.
         */
        public Tensor enqueue() {
            try (Scope s = Scope.open()) {
                Tensor l;
                try (Autocast a = workload == Workload.W2 ? Autocast.enable(DType.BF16) : Autocast.disable()) {
                    l = loss.forward(model.forward(x), y);
                }
                optimizer.zeroGrad();
                l.backward();
                optimizer.step();
                return l.keep();
            }
        }

        @Override
        public void close() {
            optimizer.close();
            model.close();
            x.close();
            y.close();
        }
    }
}

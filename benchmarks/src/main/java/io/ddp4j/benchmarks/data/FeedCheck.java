package io.ddp4j.benchmarks.data;

import io.ddp4j.benchmarks.training.Workloads;
import io.ddp4j.benchmarks.training.Workloads.Workload;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.data.Batch;
import io.ddp4j.tensor.data.DataLoader;
import io.ddp4j.tensor.data.FeedStats;
import io.ddp4j.tensor.data.TensorDataset;
import io.ddp4j.tensor.nn.CrossEntropyLoss;
import io.ddp4j.tensor.nn.Module;
import io.ddp4j.tensor.optim.SGD;

import java.util.Locale;

/**
 * Does the GPU ever wait for data? The W1 step (MLP 784-512-512-10, batch 128, SGD momentum) fed
 * by a {@link DataLoader} with 4 workers, pinned memory and copies on the copy stream, over 60,000
 * random samples (Fashion-MNIST's size; the values do not matter to the question). Prints one JSON
 * line: steps, time per step, and from the loader's {@link FeedStats} how long the compute stream
 * stood still on copy events (total, mean, max) and how long the training thread waited for
 * workers. Run on the GPU machine: {@code bash .gpu/run java io.ddp4j.benchmarks.data.FeedCheck [--workers 4] [--epochs 2] [--samples 60000] [--no-pin]}
 * (fewer samples only to smoke-run it on the CUDA emulator, where a step takes about a second).
 */
public final class FeedCheck {
    private FeedCheck() {}

    public static void main(String[] args) {
        int workers = 4, epochs = 2, n = 60_000;
        boolean pin = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--workers" -> workers = Integer.parseInt(args[++i]);
                case "--epochs" -> epochs = Integer.parseInt(args[++i]);
                case "--samples" -> n = Integer.parseInt(args[++i]);
                case "--no-pin" -> pin = false;
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: [--workers N] [--epochs N] [--samples N] [--no-pin]");
            }
        }
        if (epochs < 2 || n < 2 * Workload.W1.batch)
            throw new IllegalArgumentException("FeedCheck: needs --epochs >= 2 (the first only warms up) and --samples >= "
                    + 2 * Workload.W1.batch + ", got " + epochs + " and " + n);
        Device cuda = Device.cuda(0);
        Generator gen = new Generator(7);
        TensorDataset data = new TensorDataset(Tensor.randn(gen, DType.F32, n, 784).keep(), randomLabels(n).keep());
        Module model = Workloads.model(Workload.W1, gen).to(cuda);
        var loss = new CrossEntropyLoss();
        try (SGD opt = new SGD(model.parameters(), SGD.options().lr(0.01).momentum(0.9));
             DataLoader loader = DataLoader.builder(data).batchSize(Workload.W1.batch).shuffle(true).seed(1).dropLast(true)
                     .numWorkers(workers).pinMemory(pin).device(cuda).build()) {
            long steps = 0, t0 = 0;
            for (int e = 0; e < epochs; e++) {
                if (e == 1) { // the first epoch warms up the JIT and the allocators; time the rest
                    t0 = System.nanoTime();
                    steps = 0;
                }
                for (Batch b : loader) {
                    try (b; Scope s = Scope.open()) {
                        Tensor l = loss.forward(model.forward(b.get(0)), b.get(1));
                        opt.zeroGrad();
                        l.backward();
                        opt.step();
                        l.item(); // PyTorch's usual loop reads the loss every step
                        steps++;
                    }
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            FeedStats.Snapshot s = loader.stats();
            double stepUs = seconds * 1e6 / steps;
            double waitShare = s.deviceWaitNanos() / 1e9 / Math.max(1e-9, seconds);
            System.out.println(String.format(Locale.ROOT,
                    "{\"check\": \"feed\", \"workload\": \"W1\", \"workers\": %d, \"pinned\": %b, \"timed_steps\": %d, \"step_us\": %.1f,"
                            + " \"batches\": %d, \"device_wait_ms\": %.3f, \"device_wait_mean_us\": %.2f, \"device_wait_max_us\": %.1f,"
                            + " \"device_waits_measured\": %d, \"device_waits_pending\": %d, \"host_wait_ms\": %.1f, \"device_wait_share\": %.5f,"
                            + " \"gpu_never_waits\": %b}",
                    workers, pin, steps, stepUs, s.batches(), s.deviceWaitNanos() / 1e6, s.meanDeviceWaitMicros(), s.maxDeviceWaitNanos() / 1e3,
                    s.deviceWaitsMeasured(), s.deviceWaitsPending(), s.hostWaitNanos() / 1e6, waitShare, waitShare < 0.01));
        } finally {
            model.close();
        }
    }

    private static Tensor randomLabels(int n) {
        long[] l = new long[n];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < n; i++) l[i] = r.nextInt(10);
        return Tensor.fromArray(l, n);
    }
}

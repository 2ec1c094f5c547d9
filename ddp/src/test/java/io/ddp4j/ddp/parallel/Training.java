package io.ddp4j.ddp.parallel;

import io.ddp4j.ddp.nn.SyncBatchNorm;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.BatchNorm2d;
import io.ddp4j.tensor.nn.Conv2d;
import io.ddp4j.tensor.nn.CrossEntropyLoss;
import io.ddp4j.tensor.nn.Flatten;
import io.ddp4j.tensor.nn.Linear;
import io.ddp4j.tensor.nn.MaxPool2d;
import io.ddp4j.tensor.nn.ReLU;
import io.ddp4j.tensor.nn.Module;
import io.ddp4j.tensor.nn.Sequential;
import io.ddp4j.tensor.nn.models.ReferenceModels;
import io.ddp4j.tensor.optim.SGD;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Deterministic data, models and training loops for the equivalence tests. */
final class Training {
    static final int CLASSES = 10;

    private Training() {}

    /** Inputs [n, 1, 28, 28] for step {@code step}, the same on every call. */
    static Tensor inputs(long seed, int step, int n) {
        Random r = new Random(seed * 7919 + step);
        float[] v = new float[n * 28 * 28];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Tensor.fromArray(v, n, 1, 28, 28);
    }

    static Tensor targets(long seed, int step, int n) {
        Random r = new Random(seed * 104729 + step);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = r.nextInt(CLASSES);
        return Tensor.fromArray(v, n);
    }

    static Sequential model(String kind, long seed) {
        Generator g = new Generator(seed);
        return switch (kind) {
            case "mlp" -> ReferenceModels.mlp(g);
            case "cnn" -> ReferenceModels.cnn(g);
            case "cnn-bn" -> ReferenceModels.cnnBatchNorm(g);
            // the reference CNN with batch norm at a tenth of the width, for multi-process tests on a loaded CPU
            case "small-cnn-bn" -> new Sequential(
                    new Conv2d(1, 4, 3, 1, 1, 1, 1, false, g), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
                    new Conv2d(4, 8, 3, 1, 1, 1, 1, false, g), new BatchNorm2d(8), new ReLU(), new MaxPool2d(2),
                    new Flatten(), new Linear(8 * 7 * 7, 16, true, g), new ReLU(), new Linear(16, CLASSES, true, g));
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** {@code steps} SGD steps of {@code forward} on rows [from, from + n) of each step's batch of {@code batch}. */
    static void train(Module model, Function<Tensor, Tensor> forward, int steps, int batch, int from, int n, double lr) {
        try (SGD opt = new SGD(model.parameters(), SGD.options().lr(lr))) {
            CrossEntropyLoss loss = new CrossEntropyLoss();
            for (int s = 0; s < steps; s++) {
                try (Scope scope = Scope.open()) {
                    Tensor x = inputs(1, s, batch).narrow(0, from, n);
                    Tensor y = targets(1, s, batch).narrow(0, from, n);
                    opt.zeroGrad();
                    loss.forward(forward.apply(x), y).backward();
                    opt.step();
                }
            }
        }
    }

    /** The parameters (and buffers) of one process that trained {@code kind} (seed 42) {@code steps} steps on the whole batch. */
    static Map<String, float[]> reference(String kind, int steps, int batch, double lr) {
        try (Sequential ref = model(kind, 42)) {
            train(ref, ref::forward, steps, batch, 0, batch, lr);
            return snapshot(ref);
        }
    }

    /**
     * DataParallel of the model {@code kind} with a replica on each of {@code devices}: replica 0
     * from seed 42 and the others from other seeds (DataParallel must make them equal); the
     * "-bn" models get SyncBatchNorm over the replicas' group.
     */
    static DataParallel dataParallel(String kind, List<Device> devices, DdpOptions options) {
        long[] seed = {100};
        if (kind.endsWith("-bn")) {
            return DataParallel.create(pg -> SyncBatchNorm.convert(model(kind, pg.rank() == 0 ? 42 : seed[0]++), pg), devices, options);
        }
        Sequential first = model(kind, 42);
        first.to(devices.getFirst());
        return DataParallel.create(first, () -> model(kind, seed[0]++), devices, options);
    }

    /**
     * {@code steps} SGD steps of {@code dp} on the reference's batches (the whole batch split over
     * the replicas), passing each step's gathered output to {@code eachOutput}; then checks that
     * every replica is within {@code tolerance} of {@code want}, that the replicas are bit-for-bit
     * equal, and that each step counted as one iteration.
     */
    static void trainLikeTheReference(DataParallel dp, Map<String, float[]> want, double tolerance, int steps, int batch, double lr,
                                      Consumer<Tensor> eachOutput) {
        trainLikeTheReference(dp, want, tolerance, steps, batch, lr, Device.CPU, eachOutput);
    }

    /** As above, with every batch starting on {@code batchOn}. */
    static void trainLikeTheReference(DataParallel dp, Map<String, float[]> want, double tolerance, int steps, int batch, double lr,
                                      Device batchOn, Consumer<Tensor> eachOutput) {
        try (var opt = dp.optimizer(ps -> new SGD(ps, SGD.options().lr(lr)))) {
            CrossEntropyLoss loss = new CrossEntropyLoss();
            for (int s = 0; s < steps; s++) {
                try (Scope scope = Scope.open()) {
                    opt.zeroGrad();
                    var r = dp.step(inputs(1, s, batch).to(batchOn), targets(1, s, batch).to(batchOn), loss::forward);
                    assertEquals(batch, r.output().size(0));
                    eachOutput.accept(r.output());
                    opt.step();
                }
            }
        }
        int replicas = dp.replicas().size();
        for (int i = 0; i < replicas; i++) {
            double d = maxAbsDiff(want, snapshot(dp.replicas().get(i)));
            assertTrue(d < tolerance, "replica " + i + " differs from one process by " + d);
        }
        assertEquals(0, maxAbsDiff(snapshot(dp.replicas().get(0)), snapshot(dp.replicas().get(replicas - 1))),
                "replicas stay bit-for-bit equal");
        assertEquals(steps, dp.stats().iterations());
    }

    /**
     * {@code steps} SGD steps of a DDP rank on its shard (rows rank*n .. rank*n+n of each batch,
     * n = batch / world), inputs and targets moved to {@code device}: the loop the multi-rank GPU
     * tests compare with {@link #reference}.
     */
    static void trainShard(DistributedDataParallel ddp, Module m, int rank, int world, Device device, int steps, int batch,
                           double lr) {
        try (var opt = new SGD(m.parameters(), SGD.options().lr(lr))) {
            CrossEntropyLoss loss = new CrossEntropyLoss();
            int n = batch / world;
            for (int s = 0; s < steps; s++) {
                try (Scope sc = Scope.open()) {
                    Tensor x = inputs(1, s, batch).narrow(0, rank * n, n).to(device);
                    Tensor y = targets(1, s, batch).narrow(0, rank * n, n).to(device);
                    opt.zeroGrad();
                    loss.forward(ddp.forward(x), y).backward();
                    opt.step();
                }
            }
        }
    }

    static Map<String, float[]> snapshot(Module m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.stateDict().forEach((k, t) -> out.put(k, t.to(io.ddp4j.tensor.DType.F32).toFloatArray()));
        return out;
    }

    static double maxAbsDiff(Map<String, float[]> a, Map<String, float[]> b) {
        if (!a.keySet().equals(b.keySet())) throw new AssertionError(a.keySet() + " vs " + b.keySet());
        double max = 0;
        for (String k : a.keySet()) {
            float[] x = a.get(k), y = b.get(k);
            if (x.length != y.length) throw new AssertionError(k);
            for (int i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        return max;
    }
}

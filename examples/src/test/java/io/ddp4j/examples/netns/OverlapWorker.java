package io.ddp4j.examples.netns;

import io.ddp4j.ddp.Distributed;
import io.ddp4j.ddp.InitOptions;
import io.ddp4j.ddp.parallel.DdpOptions;
import io.ddp4j.ddp.parallel.DistributedDataParallel;
import io.ddp4j.ddp.reducer.ReducerStats;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.CrossEntropyLoss;
import io.ddp4j.tensor.nn.Linear;
import io.ddp4j.tensor.nn.Module;
import io.ddp4j.tensor.nn.ReLU;
import io.ddp4j.tensor.nn.Sequential;
import io.ddp4j.tensor.optim.SGD;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One rank of the overlap experiment: a deep MLP (LAYERS x Linear(WIDTH, WIDTH) + ReLU) whose
 * gradients are spread evenly over the layers, trained with DDP. {@code buckets}: one 1 MiB bucket
 * per layer, so each layer's all-reduce runs while the layers below it are still in backward;
 * {@code one}: a single bucket that is ready only when backward ends (overlap switched off).
 * Rank 0 prints "RESULT {...}" with the mean iteration time and the reducer's statistics.
 *
 * <pre>args: buckets|one steps warmupSteps</pre>
 */
public final class OverlapWorker {
    static final int LAYERS = 8, WIDTH = 512, BATCH = 64;

    static Module model() {
        Generator g = new Generator(0);
        List<Module> layers = new ArrayList<>();
        for (int i = 0; i < LAYERS; i++) {
            layers.add(new Linear(WIDTH, WIDTH, true, g));
            layers.add(new ReLU());
        }
        layers.add(new Linear(WIDTH, 10, true, g));
        return new Sequential(layers.toArray(Module[]::new));
    }

    public static void main(String[] args) {
        String mode = args[0];
        int steps = Integer.parseInt(args[1]), warmup = Integer.parseInt(args[2]);
        DdpOptions options = DdpOptions.defaults().withCheckRanksInStep(false).withHistorySize(steps - warmup)
                .withBucketCaps(mode.equals("one") ? List.of(Long.MAX_VALUE / 2) : List.of(1L << 20));
        try (Distributed d = Distributed.init(InitOptions.fromEnv().withTimeout(Duration.ofSeconds(120)));
             Module model = model();
             DistributedDataParallel ddp = DistributedDataParallel.wrap(model, d.group(), options);
             SGD sgd = new SGD(model.parameters(), SGD.options().lr(0.01).momentum(0.9))) {
            Generator g = new Generator(100 + d.rank());
            Tensor x = Tensor.randn(g, BATCH, WIDTH).keep();
            Tensor y = Tensor.fromArray(new long[BATCH], BATCH).keep();
            CrossEntropyLoss loss = new CrossEntropyLoss();
            // CPU time of this (training) thread and of the whole process over the measured steps:
            // on a shared 2-core machine, what the other threads take comes out of backward
            var threads = java.lang.management.ManagementFactory.getThreadMXBean();
            var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long measured = 0, trainCpu = 0, processCpu = 0;
            for (int step = 0; step < steps; step++) {
                long t0 = System.nanoTime(), c0 = threads.getCurrentThreadCpuTime(), p0 = os.getProcessCpuTime();
                try (Scope s = Scope.open()) {
                    sgd.zeroGrad(false);
                    loss.forward(ddp.forward(x), y).backward();
                    sgd.step();
                }
                if (step >= warmup) { // the first steps rebuild buckets and warm up the JIT (C2 still compiles for a few seconds)
                    measured += System.nanoTime() - t0;
                    trainCpu += threads.getCurrentThreadCpuTime() - c0;
                    processCpu += os.getProcessCpuTime() - p0;
                }
            }
            d.group().barrier().await();
            ReducerStats st = ddp.stats();
            if (d.rank() == 0) {
                System.out.printf(Locale.ROOT, "RESULT {\"mode\": \"%s\", \"iter_ms\": %.2f, \"backward_ms\": %.2f, \"comm_ms\": %.2f, "
                                + "\"hidden\": %.3f, \"exposed_ms\": %.2f, \"buckets\": %d, \"grad_bytes\": %d, "
                                + "\"train_cpu_ms\": %.2f, \"other_cpu_ms\": %.2f}%n",
                        mode, measured / 1e6 / (steps - warmup), st.meanBackwardMs(), st.meanCommMs(), st.hiddenFraction(), st.meanExposedMs(),
                        st.bucketBytes().size(), st.bucketBytes().stream().mapToLong(Long::longValue).sum(),
                        trainCpu / 1e6 / (steps - warmup), (processCpu - trainCpu) / 1e6 / (steps - warmup));
            }
        } catch (Exception e) {
            System.out.println("FAILED: " + e);
            e.printStackTrace(System.out);
            System.exit(1);
        }
    }
}

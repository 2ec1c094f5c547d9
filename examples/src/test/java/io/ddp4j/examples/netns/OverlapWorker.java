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
 * gradients are spread evenly over the layers, trained with DDP.
 *
 * <p>Why 16 layers and a batch of 256. With all-reduce as long as backward, the link idles while
 * the first layer-sized bucket is computed and the last one's all-reduce can only start when
 * backward ends, so about 2/LAYERS of the all-reduce stays exposed however good the overlap is:
 * with forward and the optimizer step taking about 0.6 of backward's time, the best possible
 * iteration is about 29% faster than without overlap with 8 layers, 34% with 16. The batch sets
 * how much compute each byte of gradient carries: the two ranks share this machine's 2 cores, and
 * each rank's socket thread (about 2 ms of CPU per MiB sent and received) takes its CPU from the
 * other rank's backward, which two real hosts would not do. With 8 layers at batch 64 that made
 * the overlapped backward 12-24% longer (iterations 13-21% faster than one bucket); with 16 layers
 * at batch 256 it is 0-6% longer (29-34% faster).
 *
 * <p>{@code buckets}: one 1 MiB bucket per layer, so each layer's all-reduce runs while the
 * layers below it are still in backward;
 * {@code one}: a single bucket that is ready only when backward ends (overlap switched off);
 * {@code both}: two identical models in the same processes, one per setting, trained in turns
 * (a step of one, then a step of the other), so both see the same JIT, the same link and the
 * same load from the rest of the machine, however these drift during the run. Rank 0 prints one
 * "RESULT {...}" per setting with the mean iteration time and the reducer's statistics.
 *
 * <pre>args: buckets|one|both steps warmupSteps   (steps and warm-up steps per setting)</pre>
 */
public final class OverlapWorker {
    static final int LAYERS = 16, WIDTH = 512, BATCH = 256;

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

    /** One setting's model, its DDP wrapper and optimizer, and what its measured steps cost. */
    private static final class Trainee implements AutoCloseable {
        final String mode;
        final Module model = model();
        final DistributedDataParallel ddp;
        final SGD sgd;
        long measured, trainCpu, processCpu;

        Trainee(String mode, Distributed d, int history) {
            this.mode = mode;
            DdpOptions options = DdpOptions.defaults().withCheckRanksInStep(false).withHistorySize(history)
                    .withBucketCaps(mode.equals("one") ? List.of(Long.MAX_VALUE / 2) : List.of(1L << 20));
            this.ddp = DistributedDataParallel.wrap(model, d.group(), options);
            this.sgd = new SGD(model.parameters(), SGD.options().lr(0.01).momentum(0.9));
        }

        void step(Tensor x, Tensor y, CrossEntropyLoss loss) {
            try (Scope s = Scope.open()) {
                sgd.zeroGrad(false);
                loss.forward(ddp.forward(x), y).backward();
                sgd.step();
            }
        }

        @Override
        public void close() {
            sgd.close();
            ddp.close();
            model.close();
        }
    }

    public static void main(String[] args) {
        String mode = args[0];
        int steps = Integer.parseInt(args[1]), warmup = Integer.parseInt(args[2]);
        List<String> modes = mode.equals("both") ? List.of("buckets", "one") : List.of(mode);
        List<Trainee> trainees = new ArrayList<>();
        try (Distributed d = Distributed.init(InitOptions.fromEnv().withTimeout(Duration.ofSeconds(120)))) {
            for (String m : modes) trainees.add(new Trainee(m, d, steps - warmup));
            Generator g = new Generator(100 + d.rank());
            Tensor x = Tensor.randn(g, BATCH, WIDTH).keep();
            Tensor y = Tensor.fromArray(new long[BATCH], BATCH).keep();
            CrossEntropyLoss loss = new CrossEntropyLoss();
            // CPU time of this (training) thread and of the whole process over the measured steps:
            // on a shared 2-core machine, what the other threads take comes out of backward
            var threads = java.lang.management.ManagementFactory.getThreadMXBean();
            var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            for (int step = 0; step < steps; step++) {
                // turns alternate which setting goes first, so neither always follows the other
                for (Trainee t : step % 2 == 0 ? trainees : trainees.reversed()) {
                    long t0 = System.nanoTime(), c0 = threads.getCurrentThreadCpuTime(), p0 = os.getProcessCpuTime();
                    t.step(x, y, loss);
                    if (step >= warmup) { // the first steps rebuild buckets and warm up the JIT (C2 still compiles for a few seconds)
                        t.measured += System.nanoTime() - t0;
                        t.trainCpu += threads.getCurrentThreadCpuTime() - c0;
                        t.processCpu += os.getProcessCpuTime() - p0;
                    }
                }
            }
            d.group().barrier().await();
            for (Trainee t : trainees) {
                ReducerStats st = t.ddp.stats();
                if (d.rank() == 0) {
                    System.out.printf(Locale.ROOT, "RESULT {\"mode\": \"%s\", \"iter_ms\": %.2f, \"backward_ms\": %.2f, \"comm_ms\": %.2f, "
                                    + "\"hidden\": %.3f, \"exposed_ms\": %.2f, \"buckets\": %d, \"grad_bytes\": %d, "
                                    + "\"train_cpu_ms\": %.2f, \"other_cpu_ms\": %.2f}%n",
                            t.mode, t.measured / 1e6 / (steps - warmup), st.meanBackwardMs(), st.meanCommMs(), st.hiddenFraction(), st.meanExposedMs(),
                            st.bucketBytes().size(), st.bucketBytes().stream().mapToLong(Long::longValue).sum(),
                            t.trainCpu / 1e6 / (steps - warmup), (t.processCpu - t.trainCpu) / 1e6 / (steps - warmup));
                }
            }
            for (Trainee t : trainees) t.close();
        } catch (Exception e) {
            System.out.println("FAILED: " + e);
            e.printStackTrace(System.out);
            System.exit(1);
        }
    }
}

package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.CrossEntropyLoss;
import io.ddp4j.tensor.nn.Sequential;
import io.ddp4j.tensor.nn.models.ReferenceModels;
import io.ddp4j.tensor.optim.SGD;

import java.util.Arrays;

/**
 * A timing main run by hand (not a test): median wall time of one training step (forward,
 * backward, SGD with momentum) of the reference MLP at batch 128 and the reference CNN at batch 64
 * on the CPU backend. Arguments: [mlp|cnn|both] [steps].
 */
public final class CpuStepTiming {
    private CpuStepTiming() {}

    public static void main(String[] args) {
        String which = args.length > 0 ? args[0] : "both";
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        if (which.equals("mm")) {
            matmuls();
            return;
        }
        if (!which.equals("cnn")) run("mlp", ReferenceModels.mlp(new Generator(0)), 128, steps);
        if (!which.equals("mlp")) run("cnn", ReferenceModels.cnn(new Generator(0)), 64, Math.max(5, steps / 3));
    }

    /** The products of one MLP step, each timed alone (median of 20). */
    private static void matmuls() {
        int[][] shapes = {{128, 784, 256, 1}, {128, 256, 128, 0}, {128, 128, 10, 0}, {256, 128, 784, 2}, {128, 10, 128, 0},
                {128, 128, 256, 0}, {128, 256, 784, 1}};
        for (int[] sh : shapes) {
            try (Scope s = Scope.open()) {
                // mode 1: b is a transposed view (x W^T), mode 2: a is (g^T x)
                Tensor a = sh[3] == 2 ? Tensor.rand(new Generator(1), sh[1], sh[0]).t() : Tensor.rand(new Generator(1), sh[0], sh[1]);
                Tensor b = sh[3] == 1 ? Tensor.rand(new Generator(2), sh[2], sh[1]).t() : Tensor.rand(new Generator(2), sh[1], sh[2]);
                double[] ms = new double[20];
                for (int it = 0; it < 40; it++) {
                    long t0 = System.nanoTime();
                    try (Scope inner = Scope.open()) {
                        a.matmul(b);
                    }
                    if (it >= 20) ms[it - 20] = (System.nanoTime() - t0) / 1e6;
                }
                Arrays.sort(ms);
                System.out.printf("[%d x %d] x [%d x %d] mode %d: median %.2f ms, min %.2f ms%n", sh[0], sh[1], sh[1], sh[2], sh[3], ms[10], ms[0]);
            }
        }
    }

    private static void run(String name, Sequential model, int batch, int steps) {
        try (model;
             SGD sgd = new SGD(model.parameters(), SGD.options().lr(0.01).momentum(0.9));
             Scope data = Scope.open()) {
            Tensor images = Tensor.rand(new Generator(1), batch, 1, 28, 28);
            long[] labels = new long[batch];
            for (int i = 0; i < batch; i++) labels[i] = i % 10;
            Tensor targets = Tensor.fromArray(labels);
            CrossEntropyLoss criterion = new CrossEntropyLoss();
            int warmup = Math.max(3, steps / 3);
            double[] ms = new double[steps], cpu = new double[steps];
            var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            double loss = 0;
            for (int step = 0; step < warmup + steps; step++) {
                long t0 = System.nanoTime(), c0 = os.getProcessCpuTime();
                try (Scope s = Scope.open()) {
                    Tensor l = criterion.forward(model.forward(images), targets);
                    sgd.zeroGrad();
                    l.backward();
                    sgd.step();
                    loss = l.item();
                }
                if (step >= warmup) {
                    ms[step - warmup] = (System.nanoTime() - t0) / 1e6;
                    cpu[step - warmup] = (os.getProcessCpuTime() - c0) / 1e6;
                }
            }
            Arrays.sort(ms);
            Arrays.sort(cpu);
            System.out.printf("%s batch %d: median %.2f ms, min %.2f ms, max %.2f ms over %d steps; cpu time median %.2f ms"
                    + " (final loss %.6f)%n", name, batch, ms[steps / 2], ms[0], ms[steps - 1], steps, cpu[steps / 2], loss);
        }
    }
}

package io.ddp4j.benchmarks.training;

import io.ddp4j.benchmarks.AllocatorReport;
import io.ddp4j.benchmarks.GpuState;
import io.ddp4j.tensor.Device;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training step on cuda:0 through the public API (nn modules, SGD with momentum, a Scope per
 * step, the loss read back at the end): the workloads W1, W2, W3 of {@link Workloads}. Time per
 * op is one whole step. W1_GRAPH is W1's step captured once as a CUDA graph and replayed
 * ({@link GraphedStep}), next to PyTorch's whole-step graph. W2 runs its forward pass under bf16 autocast; W2_FP32 is the same model
 * in fp32, for comparison. For W2/W2_FP32,
 * TFLOP/s = 6 * 8192 * 4 * 4096^2 / time (benchmarks/python/jmh_tflops.py prints it).
 * PyTorch's side: benchmarks/python/training_steps_torch.py. Each iteration's tear-down prints the
 * allocator's cudaMalloc count for that iteration (zero once the cache is warm).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class TrainingStepBenchmark {
    @Param({"W1", "W1_GRAPH", "W2", "W2_FP32", "W3"})
    String workload;

    Workloads.Step step;
    GraphedStep graphed;
    AllocatorReport allocator;

    @Setup(Level.Trial)
    public void setUp() {
        GpuState.requireGpu();
        boolean graph = workload.endsWith("_GRAPH");
        Workloads.Workload w = Workloads.Workload.valueOf(graph ? workload.substring(0, workload.length() - "_GRAPH".length()) : workload);
        if (graph) graphed = new GraphedStep(w, Device.cuda(0), w.batch, 42);
        else step = new Workloads.Step(w, Device.cuda(0), w.batch, 42);
        allocator = new AllocatorReport(Device.cuda(0));
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        allocator.start();
    }

    @TearDown(Level.Iteration)
    public void endIteration() {
        allocator.print("TrainingStepBenchmark " + workload + " iteration");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (step != null) step.close();
        if (graphed != null) graphed.close();
    }

    @Benchmark
    public double step() {
        return graphed != null ? graphed.run() : step.run();
    }
}

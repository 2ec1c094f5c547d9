package io.ddp4j.benchmarks.ops;

import io.ddp4j.benchmarks.AllocatorReport;
import io.ddp4j.benchmarks.GpuState;
import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.kernel.KernelLaunch;
import io.ddp4j.bindings.kernel.KernelModule;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The host cost of one op through the Tensor API on cuda:0, next to a bare kernel launch:
 * <ul>
 *   <li>{@code tinyAdd}: {@code a.add(b)} on 4-element float tensors (allocation from the caching
 *       allocator, shape/dtype checks, kernel launch, the result freed when its Scope closes);
 *       PyTorch's {@code a + b} costs about 9.7 us (benchmarks/python/op_cost_torch.py);
 *   <li>{@code tinyAddInPlace}: {@code a.addInPlace(b)}, no allocation;
 *   <li>{@code bareKernelLaunch}: the same-size axpy kernel through the bindings, what an op
 *       costs at the very least (as in KernelLaunchBenchmark);
 *   <li>{@code handWrittenMlpStep}: W1's MLP forward + backward + SGD from tensor ops only
 *       ({@link HandWrittenMlp}); time per op is one whole step.
 * </ul>
 * Batches of {@value #BATCH} ops, then one device synchronisation. Each iteration's tear-down
 * prints the allocator's cudaMalloc count for that iteration (zero in steady state).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class OpCostBenchmark {
    static final int BATCH = 256;

    Tensor a;
    Tensor b;
    long stream;
    long x;
    long y;
    KernelLaunch axpy;
    HandWrittenMlp mlp;
    AllocatorReport allocator;

    @Setup(Level.Trial)
    public void setUp() {
        GpuState.requireGpu();
        Device cuda = Device.cuda(0);
        a = Tensor.ones(DType.F32, cuda, 4);
        b = Tensor.ones(DType.F32, cuda, 4);
        stream = Cudart.cudaStreamCreateWithPriority(Cudart.cudaStreamNonBlocking, 0);
        x = Cudart.cudaMalloc(4 * 4);
        y = Cudart.cudaMalloc(4 * 4);
        axpy = KernelModule.get().kernel("ddp4j_axpy_f32").launcher(4).shape1d(4, 256);
        mlp = new HandWrittenMlp(cuda, 128, 7);
        allocator = new AllocatorReport(cuda);
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        allocator.start();
    }

    @TearDown(Level.Iteration)
    public void endIteration() {
        allocator.print("OpCostBenchmark iteration");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Cudart.cudaDeviceSynchronize();
        if (mlp != null) mlp.close();
        if (axpy != null) axpy.close();
        Cudart.cudaFree(x);
        Cudart.cudaFree(y);
        Cudart.cudaStreamDestroy(stream);
        a.close();
        b.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void tinyAdd() {
        try (io.ddp4j.tensor.Scope s = io.ddp4j.tensor.Scope.open()) {
            for (int i = 0; i < BATCH; i++) a.add(b);
        }
        Cudart.cudaDeviceSynchronize();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void tinyAddInPlace() {
        for (int i = 0; i < BATCH; i++) a.addInPlace(b);
        Cudart.cudaDeviceSynchronize();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void bareKernelLaunch() {
        for (int i = 0; i < BATCH; i++) axpy.arg(0, y).arg(1, x).argFloat(2, 1f).arg(3, 4L).launch(stream);
        Cudart.cudaStreamSynchronize(stream);
    }

    @Benchmark
    public double handWrittenMlpStep() {
        return mlp.step();
    }
}

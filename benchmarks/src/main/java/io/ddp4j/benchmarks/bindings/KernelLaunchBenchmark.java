package io.ddp4j.benchmarks.bindings;

import io.ddp4j.benchmarks.GpuState;
import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.kernel.KernelLaunch;
import io.ddp4j.bindings.kernel.KernelModule;
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
 * The host cost of a kernel launch through the reusable argument buffer: an empty kernel, and the
 * four-argument axpy (arguments rewritten before each launch, as an op would). Batches of
 * {@value #BATCH} launches then one synchronisation, like benchmarks/native/call_cost.cu.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class KernelLaunchBenchmark {
    static final int BATCH = 256;

    long stream;
    long x;
    long y;
    KernelLaunch noop;
    KernelLaunch axpy;

    @Setup(Level.Trial)
    public void setUp() {
        GpuState.requireGpu();
        stream = Cudart.cudaStreamCreateWithPriority(Cudart.cudaStreamNonBlocking, 0);
        x = Cudart.cudaMalloc(1024 * 4);
        y = Cudart.cudaMalloc(1024 * 4);
        noop = KernelModule.get().kernel("ddp4j_noop").launcher(0).grid(1, 1, 1).block(1, 1, 1);
        axpy = KernelModule.get().kernel("ddp4j_axpy_f32").launcher(4).shape1d(1024, 256);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Cudart.cudaStreamSynchronize(stream);
        noop.close();
        axpy.close();
        Cudart.cudaFree(x);
        Cudart.cudaFree(y);
        Cudart.cudaStreamDestroy(stream);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void emptyKernel() {
        for (int i = 0; i < BATCH; i++) noop.launch(stream);
        Cudart.cudaStreamSynchronize(stream);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void axpyWithFreshArguments() {
        for (int i = 0; i < BATCH; i++) axpy.arg(0, y).arg(1, x).argFloat(2, 0.5f).arg(3, 1024L).launch(stream);
        Cudart.cudaStreamSynchronize(stream);
    }
}

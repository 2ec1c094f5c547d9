package io.ddp4j.benchmarks.bindings;

import io.ddp4j.benchmarks.GpuState;
import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.cuda.CudartUncritical;
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
 * The cost of one call through the FFM bindings, with and without {@code Linker.Option.critical}:
 * a trivial query (cudaGetDevice) and cudaMemsetAsync of 4 bytes. The memsets run in batches of
 * {@value #BATCH} followed by one stream synchronisation, so the launch queue never fills and the
 * time per call is the host-side cost. benchmarks/native/call_cost.cu measures the same in C.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CudaCallCostBenchmark {
    static final int BATCH = 256;

    long stream;
    long buffer;

    @Setup(Level.Trial)
    public void setUp() {
        GpuState.requireGpu();
        stream = Cudart.cudaStreamCreateWithPriority(Cudart.cudaStreamNonBlocking, 0);
        buffer = Cudart.cudaMalloc(4);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Cudart.cudaStreamSynchronize(stream);
        Cudart.cudaFree(buffer);
        Cudart.cudaStreamDestroy(stream);
    }

    @Benchmark
    public int getDeviceCritical() {
        return Cudart.cudaGetDevice();
    }

    @Benchmark
    public int getDevicePlain() {
        return CudartUncritical.cudaGetDevice();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void memsetAsyncCritical() {
        for (int i = 0; i < BATCH; i++) Cudart.cudaMemsetAsync(buffer, i, 4, stream);
        Cudart.cudaStreamSynchronize(stream);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void memsetAsyncPlain() {
        for (int i = 0; i < BATCH; i++) CudartUncritical.cudaMemsetAsync(buffer, i, 4, stream);
        Cudart.cudaStreamSynchronize(stream);
    }
}

package io.ddp4j.benchmarks.bindings;

import static io.ddp4j.bindings.cublas.Cublas.CUBLAS_COMPUTE_32F;
import static io.ddp4j.bindings.cublas.Cublas.CUBLAS_COMPUTE_32F_FAST_TF32;
import static io.ddp4j.bindings.cublas.Cublas.CUBLAS_GEMM_DEFAULT;
import static io.ddp4j.bindings.cublas.Cublas.CUBLAS_OP_N;
import static io.ddp4j.bindings.cublas.CudaDataType.CUDA_R_16BF;
import static io.ddp4j.bindings.cublas.CudaDataType.CUDA_R_32F;

import io.ddp4j.benchmarks.GpuState;
import io.ddp4j.bindings.cublas.Cublas;
import io.ddp4j.bindings.cublas.CublasHandle;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Square GEMM at {@code size}^3 through cublasGemmEx, as torch.matmul does it: fp32 (pedantic
 * fp32 math, TF32 off), tf32 (fp32 data, TF32 tensor cores) and bf16 (bf16 in and out, fp32
 * accumulation). {@value #BATCH} GEMMs then one synchronisation per operation, so the time per op is
 * the GPU's; TFLOP/s = 2 size^3 / time (benchmarks/python/jmh_tflops.py converts the JSON).
 * benchmarks/python/torch_gemm.py is PyTorch's side.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class GemmBenchmark {
    static final int BATCH = 10;
    static final long WORKSPACE = 32L << 20; // what PyTorch gives cuBLAS on Hopper

    @Param({"8192"})
    int size;

    @Param({"fp32", "tf32", "bf16"})
    String precision;

    CublasHandle handle;
    long stream, workspace, a, b, c;
    int dataType, computeType;

    @Setup(Level.Trial)
    public void setUp() {
        GpuState.requireGpu();
        dataType = precision.equals("bf16") ? CUDA_R_16BF : CUDA_R_32F;
        computeType = precision.equals("tf32") ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
        long elements = (long) size * size, bytes = elements * (dataType == CUDA_R_16BF ? 2 : 4);
        stream = Cudart.cudaStreamCreateWithPriority(Cudart.cudaStreamNonBlocking, 0);
        handle = CublasHandle.create();
        handle.setStream(stream);
        workspace = Cudart.cudaMalloc(WORKSPACE);
        handle.setWorkspace(workspace, WORKSPACE);
        a = Cudart.cudaMalloc(bytes);
        b = Cudart.cudaMalloc(bytes);
        c = Cudart.cudaMalloc(bytes);
        // values of order one (not zeros: tensor cores are faster on zeros), in the data type itself
        try (KernelLaunch fill = KernelModule.get().kernel("ddp4j_fill_f32").launcher(3)) {
            float[] v = {0.5f, 0.25f};
            long[] buf = {a, b};
            for (int i = 0; i < 2; i++) {
                if (dataType == CUDA_R_32F) fill.arg(0, buf[i]).argFloat(1, v[i]).arg(2, elements).shape1d(elements, 256).launch(stream);
                else Cudart.cudaMemsetAsync(buf[i], 0x3f, bytes, stream); // bf16 0x3f3f = 0.746
            }
        }
        Cudart.cudaStreamSynchronize(stream);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Cudart.cudaStreamSynchronize(stream);
        handle.close();
        for (long p : new long[] {a, b, c, workspace}) Cudart.cudaFree(p);
        Cudart.cudaStreamDestroy(stream);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void gemm() {
        for (int i = 0; i < BATCH; i++) {
            Cublas.cublasGemmEx(handle.handle(), CUBLAS_OP_N, CUBLAS_OP_N, size, size, size,
                    1f, a, dataType, size, b, dataType, size, 0f, c, dataType, size, computeType, CUBLAS_GEMM_DEFAULT);
        }
        Cudart.cudaStreamSynchronize(stream);
    }
}

package io.ddp4j.tensor.backend.cuda;

import static io.ddp4j.tensor.backend.cuda.CudaBackendGpuTest.assertClose;
import static io.ddp4j.tensor.backend.cuda.CudaBackendGpuTest.valueAndGrads;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.bindings.cudnn.Cudnn;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.Conv2dParams;
import io.ddp4j.tensor.memory.cuda.AllocatorStats;
import io.ddp4j.tensor.nn.Functional;

import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * conv2d on cuDNN: forward and both gradients against the CPU reference and against ddp4j's direct
 * kernels, for every float dtype, views, stride, padding, dilation and groups; the plan cache and
 * the borrowed workspaces in a steady loop.
 */
@Tag("gpu")
class CudnnConvolutionGpuTest {
    private static final Device CUDA = Device.cuda(0);
    private Scope scope;
    private Generator gen;

    @BeforeEach
    void open() {
        assumeTrue(CudaAvailability.isAvailable(), () -> "no GPU: " + CudaAvailability.whyUnavailable().orElse(""));
        assumeTrue(Cudnn.isLoaded(), "cuDNN not found");
        scope = Scope.open();
        gen = new Generator(99);
    }

    @AfterEach
    void close() {
        if (scope == null) return; // skipped: no GPU
        cuda().setCudnnConvolutions(true);
        scope.close();
    }

    private static CudaBackend cuda() {
        return (CudaBackend) Backends.forDevice(CUDA);
    }

    /** Values and gradients agree to a few units in the last place of the dtype (sums of up to ~150 products). */
    private static double tolerance(DType t) {
        return switch (t) {
            case F32 -> 1e-4;
            case F64 -> 1e-10;
            case F16 -> 1e-2;
            case BF16 -> 6e-2;
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    private Tensor randn(DType t, int... shape) {
        return Tensor.randn(gen, DType.F64, shape).to(t);
    }

    /** f's value and input gradients on the CPU, on cuDNN and on the direct kernels agree. */
    private void sameOnEveryEngine(String what, DType t, Function<Tensor[], Tensor> f, Tensor... cpu) {
        double[][] expected = valueAndGrads(f, copies(cpu, Device.CPU));
        for (boolean onCudnn : new boolean[]{true, false}) {
            cuda().setCudnnConvolutions(onCudnn);
            long passes = cuda().cudnnPassCount();
            double[][] actual = valueAndGrads(f, copies(cpu, CUDA));
            String engine = onCudnn ? "cudnn" : "direct kernels";
            // forward, and the gradients of input and weight: three passes, none left to the direct kernels
            if (onCudnn) assertEquals(passes + 3, cuda().cudnnPassCount(), what + " " + t + ": passes run on cuDNN");
            for (int i = 0; i < expected.length; i++)
                assertClose(expected[i], actual[i], tolerance(t), tolerance(t), what + " " + t + " on " + engine + (i == 0 ? " value" : " grad " + (i - 1)));
        }
        cuda().setCudnnConvolutions(true);
    }

    private static Tensor[] copies(Tensor[] ts, Device d) {
        Tensor[] r = new Tensor[ts.length];
        for (int i = 0; i < ts.length; i++) r[i] = ts[i].to(d).add(0).to(ts[i].dtype()); // a fresh leaf, never the caller's tensor
        return r;
    }

    @Test
    void theBackendConvolvesOnCudnn() {
        String engine = cuda().convolutionEngine();
        assertTrue(engine.startsWith("cuDNN 9."), engine);
        cuda().setCudnnConvolutions(false);
        assertTrue(cuda().convolutionEngine().startsWith("direct kernels"), cuda().convolutionEngine());
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64", "F16", "BF16"})
    void forwardAndGradientsMatchTheCpuAndTheDirectKernels(DType t) {
        Tensor x = randn(t, 2, 3, 9, 7), w = randn(t, 4, 3, 3, 3), b = randn(t, 4);
        sameOnEveryEngine("3x3 padding 1 with bias", t, v -> Functional.conv2d(v[0], v[1], v[2], 1, 1), x, w, b);
        sameOnEveryEngine("stride 2, dilation 2, padding 1x2", t, v -> Functional.conv2d(v[0], v[1], null, new Conv2dParams(2, 2, 1, 2, 2, 2, 1)), x, w);
        sameOnEveryEngine("5x3 kernel, stride 1x2", t, v -> Functional.conv2d(v[0], v[1], null, new Conv2dParams(1, 2, 2, 0, 1, 1, 1)), x, randn(t, 5, 3, 5, 3));
        sameOnEveryEngine("1x1", t, v -> Functional.conv2d(v[0], v[1], v[2], 1, 0), x, randn(t, 4, 3, 1, 1), b);
        Tensor xg = randn(t, 2, 6, 8, 8), wg = randn(t, 6, 2, 3, 3);
        sameOnEveryEngine("groups 3", t, v -> Functional.conv2d(v[0], v[1], null, new Conv2dParams(1, 1, 1, 1, 1, 1, 3)), xg, wg);
        sameOnEveryEngine("depthwise", t, v -> Functional.conv2d(v[0], v[1], null, new Conv2dParams(2, 2, 1, 1, 1, 1, 6)), xg, randn(t, 6, 1, 3, 3));
    }

    @Test
    void viewsAreStagedIntoDenseCopies() {
        // a channels-last input seen as NCHW, and a weight stored [in, out, kH, kW] and transposed
        Tensor nhwc = randn(DType.F32, 2, 9, 7, 3), wio = randn(DType.F32, 3, 4, 3, 3);
        sameOnEveryEngine("permuted input and transposed weight", DType.F32,
                v -> Functional.conv2d(v[0].permute(0, 3, 1, 2), v[1].transpose(0, 1), null, 1, 1), nhwc, wio);
    }

    @Test
    void aDenseSliceAtAnOddOffsetIsStagedToAnAlignedCopy() {
        // one float past a 16-byte boundary: dense, but not where cuDNN's vector loads want it
        Tensor flat = randn(DType.F32, 1 + 2 * 3 * 9 * 7), w = randn(DType.F32, 4, 3, 3, 3);
        sameOnEveryEngine("input at element offset 1", DType.F32,
                v -> Functional.conv2d(v[0].slice(0, 1, v[0].shape()[0]).reshape(2, 3, 9, 7), v[1], null, 1, 1), flat, w);
    }

    @Test
    void anOutputViewIsWrittenThroughAStagedCopy() {
        Tensor x = randn(DType.F32, 2, 3, 9, 7), w = randn(DType.F32, 4, 3, 3, 3);
        Conv2dParams p = new Conv2dParams(1, 1, 1, 1, 1, 1, 1);
        Tensor expected = Functional.conv2d(x, w, null, p);                       // [2, 4, 9, 7] on the CPU
        Tensor stored = Tensor.zeros(DType.F32, CUDA, 2, 4, 7, 9), view = stored.transpose(2, 3);
        cuda().conv2d(x.to(CUDA).data("test"), w.to(CUDA).data("test"), view.data("test"), p);
        assertArrayEquals(expected.shape(), view.shape());
        assertClose(expected.toDoubleArray(), view.contiguous().toDoubleArray(), 1e-4, 1e-4, "conv2d into a transposed output");
    }

    @Test
    void anEmptyBatchGivesAnEmptyOutputAndZeroWeightGradients() {
        Tensor x = Tensor.zeros(DType.F32, CUDA, 0, 3, 5, 5), w = randn(DType.F32, 4, 3, 3, 3).to(CUDA);
        w.setRequiresGrad(true);
        Tensor y = Functional.conv2d(x, w, null, 1, 1);
        assertArrayEquals(new int[]{0, 4, 5, 5}, y.shape());
        y.sum().backward();
        for (float g : w.grad().toFloatArray()) assertEquals(0f, g);
    }

    @Test
    void aSteadyLoopReusesOnePlanPerShapeAndMakesNoCudaMalloc() {
        Tensor x = randn(DType.F32, 8, 3, 28, 28).to(CUDA);
        Tensor w1 = randn(DType.F32, 16, 3, 5, 5).to(CUDA), w2 = randn(DType.F32, 32, 16, 3, 3).to(CUDA);
        w1.setRequiresGrad(true);
        w2.setRequiresGrad(true);
        int plansBefore = cuda().cudnnPlanCount();
        AllocatorStats warm = null;
        for (int step = 0; step < 12; step++) {
            try (Scope s = Scope.open()) {
                w1.setGrad(null);
                w2.setGrad(null);
                Tensor h = Functional.conv2d(x, w1, null, 1, 2).relu();
                Functional.conv2d(h, w2, null, 2, 1).mul(0.5).sum().backward();
                w1.grad().close();
                w2.grad().close();
            }
            if (step == 3) warm = cuda().allocatorStats();
        }
        AllocatorStats end = cuda().allocatorStats();
        assertEquals(2, cuda().cudnnPlanCount() - plansBefore, "one plan per convolution shape");
        assertEquals(warm.cudaMallocCalls(), end.cudaMallocCalls(), "cudaMalloc calls grew in a steady loop: " + warm + " -> " + end);
    }
}

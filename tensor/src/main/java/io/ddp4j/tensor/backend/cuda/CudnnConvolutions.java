package io.ddp4j.tensor.backend.cuda;

import static io.ddp4j.bindings.cudnn.CudnnConstants.CUDNN_DATA_BFLOAT16;
import static io.ddp4j.bindings.cudnn.CudnnConstants.CUDNN_DATA_DOUBLE;
import static io.ddp4j.bindings.cudnn.CudnnConstants.CUDNN_DATA_FLOAT;
import static io.ddp4j.bindings.cudnn.CudnnConstants.CUDNN_DATA_HALF;
import static io.ddp4j.bindings.cudnn.CudnnConstants.CUDNN_FMA_MATH;
import static io.ddp4j.bindings.cudnn.CudnnConstants.CUDNN_TENSOR_OP_MATH;

import io.ddp4j.bindings.CudnnException;
import io.ddp4j.bindings.cudnn.Conv2dOptions;
import io.ddp4j.bindings.cudnn.Conv2dPlan;
import io.ddp4j.bindings.cudnn.Conv2dShape;
import io.ddp4j.bindings.cudnn.CudnnHandle;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.backend.Conv2dParams;
import io.ddp4j.tensor.memory.cuda.Block;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * conv2d's three passes through cuDNN on one device's compute stream. One plan per input shape
 * and dtype, made on first use and kept (algorithm search is costly, as in PyTorch's cache of
 * chosen algorithms); each pass borrows its workspace from the caching allocator for as long as
 * it runs on the stream, so a steady loop makes no cudaMalloc and no memory sits pinned per plan.
 *
 * <p>FP32 and FP64 run with FMA math (no TF32), the same choice the backend makes for cuBLAS, so
 * results stay within FP32 rounding of the CPU reference. F16 and BF16 ask for tensor cores
 * ({@code CUDNN_TENSOR_OP_MATH}: the legacy API uses them only when asked), accumulating in FP32. A shape cuDNN cannot plan (no algorithm fits) is remembered and reported
 * to the caller, which runs ddp4j's direct kernels for it instead.
 *
 * <p>Not thread-safe: the backend calls it under its lock. Tensors must be dense (the backend
 * stages views first).
 */
final class CudnnConvolutions implements AutoCloseable {
    /** Plans kept per device; the least recently used is closed beyond this (descriptors only). */
    static final int MAX_PLANS = 64;
    /** Algorithms wanting more workspace than this are passed over. */
    static final long WORKSPACE_LIMIT = 1L << 30;

    private final CudaDevice dev;
    private final CudnnSettings settings;
    private CudnnHandle handle;
    private long passes;
    private final Map<PlanKey, Optional<Conv2dPlan>> plans = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<PlanKey, Optional<Conv2dPlan>> eldest) {
            if (size() <= MAX_PLANS) return false;
            eldest.getValue().ifPresent(Conv2dPlan::close);
            return true;
        }
    };

    private record PlanKey(Conv2dShape shape, DType dtype) {}

    CudnnConvolutions(CudaDevice dev, CudnnSettings settings) {
        this.dev = dev;
        this.settings = settings;
    }

    /** The dtypes cuDNN convolves; others (integers) take the direct kernels. */
    static boolean serves(DType t) {
        return t == DType.F32 || t == DType.F64 || t == DType.F16 || t == DType.BF16;
    }

    static int cudnnType(DType t) {
        return switch (t) {
            case F32 -> CUDNN_DATA_FLOAT;
            case F64 -> CUDNN_DATA_DOUBLE;
            case F16 -> CUDNN_DATA_HALF;
            case BF16 -> CUDNN_DATA_BFLOAT16;
            default -> throw new IllegalArgumentException("cuDNN convolution: no cuDNN data type for " + t);
        };
    }

    /**
     * The algorithm choice for {@code t} under {@code settings}: FMA math keeps FP32 and FP64 exact
     * to their precision; half precision asks for tensor cores.
     */
    static Conv2dOptions options(DType t, CudnnSettings settings) {
        int math = t == DType.F32 || t == DType.F64 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH;
        return Conv2dOptions.defaults()
                .withSearch(settings.benchmark() ? Conv2dOptions.Search.EXHAUSTIVE : Conv2dOptions.Search.HEURISTIC)
                .withMathType(math)
                .withDeterministicOnly(settings.deterministic())
                .withWorkspaceLimit(WORKSPACE_LIMIT);
    }

    /** The cuDNN shape of x [N, C, H, W] convolved with w [K, C/g, kH, kW]. */
    static Conv2dShape shapeOf(int[] x, int[] w, Conv2dParams p) {
        return new Conv2dShape(x[0], x[1], x[2], x[3], w[0], w[2], w[3], p.padH(), p.padW(), p.strideH(), p.strideW(),
                p.dilationH(), p.dilationW(), p.groups());
    }

    /** The plan for this shape and dtype, or empty when cuDNN has none (the caller falls back). */
    Optional<Conv2dPlan> plan(int[] xShape, int[] wShape, Conv2dParams p, DType t) {
        PlanKey key = new PlanKey(shapeOf(xShape, wShape, p), t);
        Optional<Conv2dPlan> plan = plans.get(key);
        if (plan != null) return plan;
        // planning may run and time kernels (benchmark mode) or fail for reasons of its own inside
        // a capture; a fallback decided there would stick for good
        if (dev.capturing())
            throw new IllegalStateException("conv2d " + key.shape() + " in " + t + " on " + dev.device + " was not run before this CUDA graph capture:"
                    + " run the step once before capturing it, so its cuDNN plan exists");
        try {
            plan = Optional.of(Conv2dPlan.createWithoutWorkspace(handle(), key.shape(), cudnnType(t), options(t, settings)));
        } catch (CudnnException | IllegalStateException e) {
            // cuDNN supports no algorithm for this configuration under the options: direct kernels serve it
            System.getLogger(CudnnConvolutions.class.getName()).log(System.Logger.Level.INFO,
                    "conv2d " + key.shape() + " in " + t + " on " + dev.device + " runs on ddp4j's direct kernels: " + e.getMessage());
            plan = Optional.empty();
        }
        plans.put(key, plan);
        return plan;
    }

    void forward(Conv2dPlan plan, long x, long w, long y) {
        withWorkspace(plan, ws -> plan.forward(dev.compute, x, w, y, 1, 0, ws));
    }

    void backwardData(Conv2dPlan plan, long w, long dy, long dx) {
        withWorkspace(plan, ws -> plan.backwardData(dev.compute, w, dy, dx, 1, 0, ws));
    }

    void backwardFilter(Conv2dPlan plan, long x, long dy, long dw) {
        withWorkspace(plan, ws -> plan.backwardFilter(dev.compute, x, dy, dw, 1, 0, ws));
    }

    /** Shapes planned on cuDNN (not those remembered as left to the direct kernels), for tests. */
    int plansInUse() {
        return (int) plans.values().stream().filter(Optional::isPresent).count();
    }

    /** Passes enqueued on cuDNN so far, for tests. */
    long passCount() {
        return passes;
    }

    /** Makes the handle now, outside any capture (making one inside a capture is not allowed). */
    void prepareHandle() {
        handle();
    }

    private CudnnHandle handle() {
        if (handle == null) {
            CudnnHandle h = CudnnHandle.create();
            h.setStream(dev.compute);
            handle = h;
        }
        return handle;
    }

    /**
     * Runs {@code pass} with a workspace of the plan's size from the caching allocator (0 when it
     * needs none). The block goes back once the pass is enqueued: the allocator reuses a block on
     * the compute stream only in stream order, after this pass has run.
     */
    private void withWorkspace(Conv2dPlan plan, LongConsumer pass) {
        Block ws = plan.workspaceBytes() > 0 ? dev.allocate(plan.workspaceBytes()) : null;
        try {
            pass.accept(ws == null ? 0 : ws.address());
            passes++;
        } finally {
            if (ws != null) dev.free(ws);
        }
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (Optional<Conv2dPlan> p : plans.values()) {
            try {
                p.ifPresent(Conv2dPlan::close);
            } catch (RuntimeException e) {
                if (first == null) first = e; else first.addSuppressed(e);
            }
        }
        plans.clear();
        if (handle != null) {
            try {
                handle.close();
            } catch (RuntimeException e) {
                if (first == null) first = e; else first.addSuppressed(e);
            }
            handle = null;
        }
        if (first != null) throw first;
    }
}

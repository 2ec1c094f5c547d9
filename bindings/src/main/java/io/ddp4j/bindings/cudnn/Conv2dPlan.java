package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CudnnConstants.*;

import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.CudnnException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToLongFunction;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Everything cuDNN needs to run one Conv2d layer's three passes, prepared once: descriptors for
 * the given shapes, the forward, backward-data and backward-filter algorithms (searched once), and
 * one device workspace large enough for all three. Each pass then only enqueues work on the
 * stream it is given.
 * <p>
 * Each pass has its own convolution descriptor, because the math type cuDNN reports for the chosen
 * algorithm must be set on the descriptor it runs with, and the three choices may differ.
 * <p>
 * The plan borrows {@code handle} (it sets the handle's stream on every pass) and owns the rest;
 * one thread at a time, like the handle. Tensors are packed NCHW in device memory, weights KCRS.
 * <p>
 * A plan made by {@link #createWithoutWorkspace} allocates no workspace: each pass is handed one
 * of at least {@link #workspaceBytes()}, so a caller with a caching allocator can lend it for the
 * duration of one pass instead of pinning memory per plan.
 */
public final class Conv2dPlan implements AutoCloseable {
    private final CudnnHandle handle;
    private final Conv2dShape shape;
    private final int dataType;
    private final TensorDescriptor x, y, bias;
    private final FilterDescriptor w;
    private final ConvolutionDescriptor fwdConv, bwdDataConv, bwdFilterConv;
    private ConvolutionAlgoPerf fwd, bwdData, bwdFilter;
    private long workspace, workspaceBytes;
    private boolean ownsWorkspace;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Conv2dPlan(CudnnHandle handle, Conv2dShape shape, int dataType, int mathType) {
        this.handle = handle;
        this.shape = shape;
        this.dataType = dataType;
        int computeType = dataType == CUDNN_DATA_DOUBLE ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
        int[] in = shape.inputDims(), f = shape.filterDims(), out = shape.outputDims();
        // fields are assigned one by one so close() can free whatever was made before a failure
        TensorDescriptor xd = null, yd = null, bd = null;
        FilterDescriptor wd = null;
        ConvolutionDescriptor c1 = null, c2 = null, c3 = null;
        try {
            xd = TensorDescriptor.nchw(dataType, in[0], in[1], in[2], in[3]);
            wd = FilterDescriptor.kcrs(dataType, f[0], f[1], f[2], f[3]);
            yd = TensorDescriptor.nchw(dataType, out[0], out[1], out[2], out[3]);
            bd = TensorDescriptor.nchw(dataType, 1, out[1], 1, 1);
            c1 = ConvolutionDescriptor.forShape(shape, computeType, mathType);
            c2 = ConvolutionDescriptor.forShape(shape, computeType, mathType);
            c3 = ConvolutionDescriptor.forShape(shape, computeType, mathType);
        } catch (RuntimeException | Error e) {
            for (CudnnResource r : new CudnnResource[] {c3, c2, c1, bd, yd, wd, xd}) closeQuietly(r, e);
            throw e;
        }
        this.x = xd;
        this.w = wd;
        this.y = yd;
        this.bias = bd;
        this.fwdConv = c1;
        this.bwdDataConv = c2;
        this.bwdFilterConv = c3;
    }

    /**
     * Prepares a plan. Checks the data type in Java first (the shape checked itself when built),
     * then creates descriptors, searches the three algorithms and allocates the workspace.
     *
     * @param dataType CUDNN_DATA_FLOAT, CUDNN_DATA_DOUBLE, CUDNN_DATA_HALF or CUDNN_DATA_BFLOAT16
     */
    public static Conv2dPlan create(CudnnHandle handle, Conv2dShape shape, int dataType, Conv2dOptions options) {
        return create(handle, shape, dataType, options, true);
    }

    /**
     * Like {@link #create}, but allocates no workspace: every pass must then be called with one of
     * at least {@link #workspaceBytes()} bytes (the overloads taking {@code workspace}).
     */
    public static Conv2dPlan createWithoutWorkspace(CudnnHandle handle, Conv2dShape shape, int dataType, Conv2dOptions options) {
        return create(handle, shape, dataType, options, false);
    }

    private static Conv2dPlan create(CudnnHandle handle, Conv2dShape shape, int dataType, Conv2dOptions options, boolean ownWorkspace) {
        if (shape == null) throw new IllegalArgumentException("Conv2dPlan.create: shape must not be null");
        if (options == null) throw new IllegalArgumentException("Conv2dPlan.create: options must not be null");
        DataTypes.requireFloatingPoint(dataType, "Conv2dPlan.create(" + shape + ")");
        if (handle == null) throw new IllegalArgumentException("Conv2dPlan.create: handle must not be null");
        handle.address(); // a closed handle fails here, before anything is made
        Conv2dPlan plan = new Conv2dPlan(handle, shape, dataType, options.mathType());
        try {
            plan.prepare(options, ownWorkspace);
            return plan;
        } catch (RuntimeException | Error e) {
            closeQuietly(plan, e);
            throw e;
        }
    }

    private void prepare(Conv2dOptions options, boolean ownWorkspace) {
        int[] cudnnOut = fwdConv.outputDims(x, w);
        if (!Arrays.equals(cudnnOut, shape.outputDims())) {
            throw new IllegalStateException("cuDNN computes output " + Shapes.format(cudnnOut) + " for " + shape
                    + " but ddp4j computed " + Shapes.format(shape.outputDims()));
        }
        long h = handle.address();
        boolean exhaustive = options.search() == Conv2dOptions.Search.EXHAUSTIVE;

        List<ConvolutionAlgoPerf> ranked = exhaustive
                ? Cudnn.cudnnFindConvolutionForwardAlgorithm(h, x.address(), w.address(), fwdConv.address(), y.address(), Cudnn.cudnnGetConvolutionForwardAlgorithmMaxCount(h))
                : Cudnn.cudnnGetConvolutionForwardAlgorithm_v7(h, x.address(), w.address(), fwdConv.address(), y.address(), Cudnn.cudnnGetConvolutionForwardAlgorithmMaxCount(h));
        Choice fwdChoice = choose("forward", ranked, options, fwdConv,
                p -> Cudnn.cudnnGetConvolutionForwardWorkspaceSize(h, x.address(), w.address(), fwdConv.address(), y.address(), p.algo()));
        fwd = fwdChoice.perf();
        long fwdBytes = fwdChoice.workspaceBytes();

        ranked = exhaustive
                ? Cudnn.cudnnFindConvolutionBackwardDataAlgorithm(h, w.address(), y.address(), bwdDataConv.address(), x.address(), Cudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h))
                : Cudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(h, w.address(), y.address(), bwdDataConv.address(), x.address(), Cudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h));
        Choice bwdDataChoice = choose("backward-data", ranked, options, bwdDataConv,
                p -> Cudnn.cudnnGetConvolutionBackwardDataWorkspaceSize(h, w.address(), y.address(), bwdDataConv.address(), x.address(), p.algo()));
        bwdData = bwdDataChoice.perf();
        long bwdDataBytes = bwdDataChoice.workspaceBytes();

        ranked = exhaustive
                ? Cudnn.cudnnFindConvolutionBackwardFilterAlgorithm(h, x.address(), y.address(), bwdFilterConv.address(), w.address(), Cudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h))
                : Cudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, x.address(), y.address(), bwdFilterConv.address(), w.address(), Cudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h));
        Choice bwdFilterChoice = choose("backward-filter", ranked, options, bwdFilterConv,
                p -> Cudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(h, x.address(), y.address(), bwdFilterConv.address(), w.address(), p.algo()));
        bwdFilter = bwdFilterChoice.perf();
        long bwdFilterBytes = bwdFilterChoice.workspaceBytes();

        workspaceBytes = Math.max(fwdBytes, Math.max(bwdDataBytes, bwdFilterBytes));
        ownsWorkspace = ownWorkspace;
        workspace = ownWorkspace && workspaceBytes > 0 ? Cudart.cudaMalloc(workspaceBytes) : 0;
    }

    /** An algorithm chosen for one pass, and the workspace it needs. */
    private record Choice(ConvolutionAlgoPerf perf, long workspaceBytes) {}

    /**
     * The first candidate, best first, that the options accept and whose workspace cuDNN can size
     * within the options' limit, with its math type set on {@code conv} (the size depends on it).
     * Like PyTorch, a candidate cuDNN then refuses is passed over for the next rather than failing
     * the whole shape.
     */
    private static Choice choose(String pass, List<ConvolutionAlgoPerf> ranked, Conv2dOptions options,
                                 ConvolutionDescriptor conv, ToLongFunction<ConvolutionAlgoPerf> workspaceOf) {
        List<String> passedOver = new ArrayList<>();
        for (ConvolutionAlgoPerf p : ranked) {
            if (!options.accepts(p)) continue;
            conv.setMathType(options.mathTypeFor(p));
            long need;
            try {
                need = workspaceOf.applyAsLong(p);
            } catch (CudnnException e) {
                passedOver.add("algo " + p.algo() + ": " + e.getMessage());
                continue;
            }
            if (need > options.workspaceLimitBytes()) {
                passedOver.add("algo " + p.algo() + ": needs " + need + " B of workspace");
                continue;
            }
            return new Choice(p, need);
        }
        if (passedOver.isEmpty()) options.pick(pass, ranked); // none accepted: throws, listing every candidate
        throw new IllegalStateException("no cuDNN " + pass + " algorithm fits " + options + ": " + String.join("; ", passedOver));
    }

    // ---- passes -------------------------------------------------------------------------------

    /** y = conv(x, w) on {@code stream}. */
    public void forward(long stream, long x, long w, long y) {
        forward(stream, x, w, y, 1.0, 0.0);
    }

    /** y = alpha * conv(x, w) + beta * y. */
    public void forward(long stream, long x, long w, long y, double alpha, double beta) {
        forward(stream, x, w, y, alpha, beta, ownWorkspace("forward"));
    }

    /** y = alpha * conv(x, w) + beta * y, with a caller's workspace of at least {@link #workspaceBytes()}. */
    public void forward(long stream, long x, long w, long y, double alpha, double beta, long workspace) {
        requireWorkspace("forward", workspace);
        requirePointer("forward", "x", x);
        requirePointer("forward", "w", w);
        requirePointer("forward", "y", y);
        long h = onStream(stream);
        Cudnn.cudnnConvolutionForward(h, CudnnScalars.alpha(dataType, alpha), this.x.address(), x, this.w.address(), w, fwdConv.address(), fwd.algo(),
                workspace, workspaceBytes, CudnnScalars.beta(dataType, beta), this.y.address(), y);
    }

    /** dx = gradient of the loss with respect to x, given dy. */
    public void backwardData(long stream, long w, long dy, long dx) {
        backwardData(stream, w, dy, dx, 1.0, 0.0);
    }

    public void backwardData(long stream, long w, long dy, long dx, double alpha, double beta) {
        backwardData(stream, w, dy, dx, alpha, beta, ownWorkspace("backwardData"));
    }

    /** dx = alpha * gradient with respect to x + beta * dx, with a caller's workspace. */
    public void backwardData(long stream, long w, long dy, long dx, double alpha, double beta, long workspace) {
        requireWorkspace("backwardData", workspace);
        requirePointer("backwardData", "w", w);
        requirePointer("backwardData", "dy", dy);
        requirePointer("backwardData", "dx", dx);
        long h = onStream(stream);
        Cudnn.cudnnConvolutionBackwardData(h, CudnnScalars.alpha(dataType, alpha), this.w.address(), w, y.address(), dy, bwdDataConv.address(), bwdData.algo(),
                workspace, workspaceBytes, CudnnScalars.beta(dataType, beta), x.address(), dx);
    }

    /** dw = gradient with respect to w; pass beta = 1 to accumulate into an existing gradient. */
    public void backwardFilter(long stream, long x, long dy, long dw) {
        backwardFilter(stream, x, dy, dw, 1.0, 0.0);
    }

    public void backwardFilter(long stream, long x, long dy, long dw, double alpha, double beta) {
        backwardFilter(stream, x, dy, dw, alpha, beta, ownWorkspace("backwardFilter"));
    }

    /** dw = alpha * gradient with respect to w + beta * dw, with a caller's workspace. */
    public void backwardFilter(long stream, long x, long dy, long dw, double alpha, double beta, long workspace) {
        requireWorkspace("backwardFilter", workspace);
        requirePointer("backwardFilter", "x", x);
        requirePointer("backwardFilter", "dy", dy);
        requirePointer("backwardFilter", "dw", dw);
        long h = onStream(stream);
        Cudnn.cudnnConvolutionBackwardFilter(h, CudnnScalars.alpha(dataType, alpha), this.x.address(), x, y.address(), dy, bwdFilterConv.address(), bwdFilter.algo(),
                workspace, workspaceBytes, CudnnScalars.beta(dataType, beta), w.address(), dw);
    }

    /** db (K values) = dy summed over batch and pixels. */
    public void backwardBias(long stream, long dy, long db) {
        backwardBias(stream, dy, db, 1.0, 0.0);
    }

    public void backwardBias(long stream, long dy, long db, double alpha, double beta) {
        requirePointer("backwardBias", "dy", dy);
        requirePointer("backwardBias", "db", db);
        long h = onStream(stream);
        Cudnn.cudnnConvolutionBackwardBias(h, CudnnScalars.alpha(dataType, alpha), y.address(), dy, CudnnScalars.beta(dataType, beta), bias.address(), db);
    }

    private void requireOpen() {
        if (closed.get()) throw new IllegalStateException("Conv2dPlan for " + shape + " is closed");
    }

    private long onStream(long stream) {
        requireOpen();
        handle.setStream(stream);
        return handle.address();
    }

    private long ownWorkspace(String pass) {
        requireOpen();
        if (!ownsWorkspace && workspaceBytes > 0)
            throw new IllegalStateException("Conv2dPlan." + pass + " for " + shape + ": the plan was made without a workspace and needs "
                    + workspaceBytes + " B; pass one");
        return workspace;
    }

    private void requireWorkspace(String pass, long workspace) {
        requireOpen();
        if (workspace == 0 && workspaceBytes > 0)
            throw new IllegalArgumentException("Conv2dPlan." + pass + " for " + shape + ": needs a workspace of " + workspaceBytes + " B, got a null pointer");
    }

    private void requirePointer(String pass, String name, long pointer) {
        if (pointer == 0) throw new IllegalArgumentException("Conv2dPlan." + pass + " for " + shape + ": device pointer " + name + " is null");
    }

    // ---- what was chosen ----------------------------------------------------------------------

    public Conv2dShape shape() {
        return shape;
    }

    public int dataType() {
        return dataType;
    }

    public ConvolutionAlgoPerf forwardAlgorithm() {
        return fwd;
    }

    public ConvolutionAlgoPerf backwardDataAlgorithm() {
        return bwdData;
    }

    public ConvolutionAlgoPerf backwardFilterAlgorithm() {
        return bwdFilter;
    }

    /** The one workspace all three passes share. */
    public long workspaceBytes() {
        return workspaceBytes;
    }

    public TensorDescriptor inputDescriptor() {
        return x;
    }

    public FilterDescriptor filterDescriptor() {
        return w;
    }

    public TensorDescriptor outputDescriptor() {
        return y;
    }

    /** 1xKx1x1, for the bias and its gradient. */
    public TensorDescriptor biasDescriptor() {
        return bias;
    }

    /** Frees the workspace and destroys the descriptors (not the borrowed handle); later calls do nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        RuntimeException first = null;
        for (CudnnResource r : new CudnnResource[] {bwdFilterConv, bwdDataConv, fwdConv, bias, y, w, x}) {
            try {
                r.close();
            } catch (RuntimeException e) {
                if (first == null) first = e; else first.addSuppressed(e);
            }
        }
        if (workspace != 0) {
            long ws = workspace;
            workspace = 0;
            try {
                Cudart.cudaFree(ws);
            } catch (RuntimeException e) {
                if (first == null) first = e; else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }

    private static void closeQuietly(AutoCloseable r, Throwable into) {
        if (r == null) return;
        try {
            r.close();
        } catch (Exception e) {
            into.addSuppressed(e);
        }
    }

    @Override
    public String toString() {
        return "Conv2dPlan[" + shape + ", " + DataTypes.name(dataType) + ", forward algo " + (fwd == null ? "?" : fwd.algo())
                + ", backward-data algo " + (bwdData == null ? "?" : bwdData.algo()) + ", backward-filter algo " + (bwdFilter == null ? "?" : bwdFilter.algo())
                + ", workspace " + workspaceBytes + " B" + (closed.get() ? ", closed]" : "]");
    }
}

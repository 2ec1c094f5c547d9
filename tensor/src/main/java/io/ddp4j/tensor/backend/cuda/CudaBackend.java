package io.ddp4j.tensor.backend.cuda;

import io.ddp4j.bindings.cublas.Cublas;
import io.ddp4j.bindings.cublas.CudaDataType;
import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.cudnn.Conv2dPlan;
import io.ddp4j.bindings.cudnn.Cudnn;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.backend.Backend;
import io.ddp4j.tensor.backend.PendingUpload;
import io.ddp4j.tensor.backend.BinaryOp;
import io.ddp4j.tensor.backend.Conv2dParams;
import io.ddp4j.tensor.backend.MultiTensorPlan;
import io.ddp4j.tensor.backend.MultiTensorUpdates;
import io.ddp4j.tensor.backend.Pool2dParams;
import io.ddp4j.tensor.backend.ReduceOp;
import io.ddp4j.tensor.backend.TensorData;
import io.ddp4j.tensor.backend.UnaryOp;
import io.ddp4j.tensor.memory.DeviceStorage;
import io.ddp4j.tensor.memory.Storage;
import io.ddp4j.tensor.memory.cuda.AllocatorStats;
import io.ddp4j.tensor.memory.cuda.Block;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The backend for one CUDA device. Every op enqueues kernels (native/kernels/tensor_*.cu) or
 * cuBLAS calls on the device's compute stream and returns; only {@link #toHost} waits. Memory
 * comes from the device's caching allocator, so a steady loop makes no cudaMalloc. Ops on one
 * device are serialised by a lock (enqueueing is cheap; the GPU runs them in order anyway).
 *
 * <p>Arithmetic follows the CPU reference backend: F32, F16 and BF16 elementwise math in float,
 * everything else (F64, integer dtypes, all reductions, losses, pooling) in double; conversions
 * round like the CPU's. Matmuls of F32/F16/BF16 go to cuBLAS with FP32 compute (no TF32);
 * F64 and integer matmuls use direct kernels. Floating-point convolutions go to cuDNN
 * ({@link CudnnConvolutions}; FP32 without TF32), or to direct kernels where cuDNN is missing,
 * switched off ({@link CudnnSettings}) or has no algorithm for a shape.
 */
public final class CudaBackend implements Backend, MultiTensorUpdates, AutoCloseable {
    private static final int T = TensorKernel.THREADS;

    private final CudaDevice dev;
    private final CudnnSettings cudnnSettings;
    /** Null while convolutions run on the direct kernels. */
    private CudnnConvolutions cudnn;

    CudaBackend(Device device) {
        this(device, CudnnSettings.fromSystemProperties());
    }

    CudaBackend(Device device, CudnnSettings cudnnSettings) {
        if (!device.isCuda()) throw new IllegalArgumentException("the CUDA backend serves cuda devices, not " + device);
        this.dev = new CudaDevice(device);
        this.cudnnSettings = cudnnSettings;
        setCudnnConvolutions(true);
    }

    /** What runs convolutions here: "cuDNN 9.x.y", or "direct kernels (why)". */
    public synchronized String convolutionEngine() {
        if (cudnn != null) return "cuDNN " + Cudnn.versionString();
        return "direct kernels (" + cudnnSettings.whyNotCudnn().orElse("switched off by a test") + ")";
    }

    /** Convolution passes enqueued on cuDNN on this device, for tests (a fallback to the direct kernels adds none). */
    synchronized long cudnnPassCount() {
        return cudnn == null ? 0 : cudnn.passCount();
    }

    /** Shapes with a cuDNN plan on this device (not those left to the direct kernels), for tests. */
    synchronized int cudnnPlanCount() {
        return cudnn == null ? 0 : cudnn.plansInUse();
    }

    /**
     * Routes floating-point convolutions to cuDNN ({@code true}, when the settings allow it) or to
     * the direct kernels; a seam for tests that compare the two.
     */
    synchronized void setCudnnConvolutions(boolean on) {
        if (on && cudnn == null && cudnnSettings.whyNotCudnn().isEmpty()) cudnn = new CudnnConvolutions(dev, cudnnSettings);
        if (!on && cudnn != null) {
            cudnn.close();
            cudnn = null;
        }
    }

    @Override
    public Device device() {
        return dev.device;
    }

    /** The device's caching allocator counters (cudaMalloc calls, bytes in use, ...). */
    public AllocatorStats allocatorStats() {
        return dev.stats();
    }

    /**
     * The device's compute stream (a cudaStream_t), where every op of this backend is enqueued. A
     * communication library orders its work after the compute work with an event on this stream.
     */
    public long computeStream() {
        return dev.compute;
    }

    /** Whether all work enqueued on the compute stream has finished (asks without waiting; a test seam). */
    synchronized boolean computeStreamIdle() {
        dev.enter();
        return Cudart.cudaStreamQuery(dev.compute);
    }

    /** How many times the host has waited for this device (a test seam: only reads back wait). */
    public long hostSyncCount() {
        return dev.hostSyncs();
    }

    /** Pinned staging buffers allocated so far. */
    public long pinnedAllocations() {
        return dev.pinnedAllocations();
    }

    @Override
    public synchronized void close() {
        try {
            if (cudnn != null) {
                dev.enter();
                cudnn.close();
                cudnn = null;
            }
        } finally {
            dev.close();
        }
    }

    // ------------------------------------------------------------------ CUDA graphs

    /**
     * Captures everything {@code body} enqueues on this device into a graph ({@link CudaGraph}).
     * Holds this backend's lock throughout, so other threads' ops wait instead of being captured.
     */
    public synchronized CudaGraph captureGraph(Runnable body) {
        if (body == null) throw new IllegalArgumentException("captureGraph: body must not be null");
        dev.enter();
        // handles are made on first use, and making one inside a capture is not allowed
        dev.cublas();
        if (cudnn != null) cudnn.prepareHandle();
        dev.beginCapture();
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            dev.abortCapture(e);
            throw e;
        }
        CudaDevice.Captured captured = dev.endCapture();
        long exec;
        try {
            exec = Cudart.cudaGraphInstantiate(captured.graph(), 0);
        } catch (RuntimeException e) {
            try {
                Cudart.cudaGraphDestroy(captured.graph());
            } finally {
                dev.release(captured.owned());
            }
            throw e;
        }
        return new CudaGraph(this, captured, exec);
    }

    synchronized void launchGraph(long exec) {
        dev.enter();
        Cudart.cudaGraphLaunch(exec, dev.compute);
    }

    /** Waits for the graph's last replay, then frees it and what it owned. */
    synchronized void destroyGraph(CudaDevice.Captured captured, long exec) {
        dev.enter();
        Cudart.cudaStreamSynchronize(dev.compute);
        try {
            Cudart.cudaGraphExecDestroy(exec);
            Cudart.cudaGraphDestroy(captured.graph());
        } finally {
            dev.release(captured.owned());
        }
    }

    // ------------------------------------------------------------------ memory and transfers

    @Override
    public synchronized Storage allocate(long byteSize) {
        if (byteSize < 0) throw new IllegalArgumentException("cannot allocate " + byteSize + " bytes");
        dev.enter();
        Block b = dev.allocate(byteSize);
        if (byteSize > 0) Cudart.cudaMemsetAsync(b.address(), 0, byteSize, dev.compute);
        return new CudaStorage(dev.device, dev.allocator, b, byteSize);
    }

    private long address(String op, TensorData t) {
        if (!(t.storage() instanceof DeviceStorage ds) || !t.storage().device().equals(dev.device))
            throw new IllegalArgumentException(op + ": the " + dev.device + " backend got a tensor on " + t.storage().device());
        return ds.address() + t.offset() * t.dtype().byteSize();
    }

    private static TensorData dense(TensorData like, DType dtype, Storage storage) {
        return new TensorData(storage, dtype, like.shape(), TensorData.contiguousStrides(like.shape()), 0);
    }

    @Override
    public synchronized void fromHost(MemorySegment src, TensorData dst) {
        dev.enter();
        long bytes = dst.numel() * dst.dtype().byteSize();
        if (bytes == 0) return;
        if (src.byteSize() < bytes) throw new IllegalArgumentException("fromHost: " + src.byteSize() + " host bytes for " + dst + " (" + bytes + " bytes)");
        if (dst.isContiguous()) {
            dev.upload(src, address("fromHost", dst), bytes);
            return;
        }
        Storage tmp = allocate(bytes);
        try {
            TensorData staged = dense(dst, dst.dtype(), tmp);
            dev.upload(src, address("fromHost", staged), bytes);
            copy(staged, dst);
        } finally {
            tmp.release();
        }
    }

    /**
     * The data loader's copy: staged through a pinned buffer on the calling (worker) thread, sent
     * on the copy stream, and ordered before compute work only when the consumer takes the batch,
     * so a prefetched batch never holds up the step still running.
     */
    @Override
    public synchronized PendingUpload uploadAsync(MemorySegment src, TensorData dst) {
        dev.enter();
        long bytes = dst.numel() * dst.dtype().byteSize();
        if (src.byteSize() < bytes) throw new IllegalArgumentException("uploadAsync: " + src.byteSize() + " host bytes for " + dst + " (" + bytes + " bytes)");
        if (!dst.isContiguous()) throw new IllegalArgumentException("uploadAsync: the destination must be contiguous, got " + dst);
        long ready = dev.uploadUnordered(src, address("uploadAsync", dst), bytes);
        // until the consumer orders the copy before compute work, the block's last use is the copy:
        // a batch closed or dropped before that must not be reused on compute under the copy
        Block block = dst.storage() instanceof CudaStorage cs ? cs.block() : null;
        if (block != null) dev.allocator.moveToStream(block, dev.copy);
        return new CudaUpload(this, ready, block);
    }

    /** The consumer's compute stream now waits for the copy into {@code block}: its last use is on compute again. */
    void copyOrderedBeforeCompute(Block block) {
        if (block != null) dev.allocator.moveToStream(block, dev.compute);
    }

    /** Makes this backend's device current on the calling thread. */
    void enterDevice() {
        dev.enter();
    }

    void requireNotCapturing(String what) {
        dev.requireNotCapturing(what);
    }

    @Override
    public synchronized void toHost(TensorData src, MemorySegment dst) {
        dev.enter();
        long bytes = src.numel() * src.dtype().byteSize();
        if (dst.byteSize() < bytes) throw new IllegalArgumentException("toHost: " + dst.byteSize() + " host bytes for " + src + " (" + bytes + " bytes)");
        if (bytes == 0) return;
        if (src.isContiguous()) {
            dev.download(address("toHost", src), dst, bytes);
            return;
        }
        Storage tmp = allocate(bytes);
        try {
            TensorData dense = dense(src, src.dtype(), tmp);
            copy(src, dense);
            dev.download(address("toHost", dense), dst, bytes);
        } finally {
            tmp.release();
        }
    }

    // ------------------------------------------------------------------ elementwise

    /**
     * Launches an elementwise kernel over {@code shape}: the operands (out first, then a, b, c;
     * null for unused ones) share the shape and are collapsed together.
     */
    private void elementwise(String op, TensorKernel k, int[] shape, long code, long aux0, long aux1, double scalar,
                             TensorData out, TensorData a, TensorData b, TensorData c) {
        long n = Layouts.numel(shape);
        if (n == 0) return;
        TensorData[] ops = {out, a, b, c};
        int used = 0;
        for (TensorData t : ops) if (t != null) used++;
        long[][] strides = new long[used][];
        int j = 0;
        for (TensorData t : ops) if (t != null) strides[j++] = t.strides();
        Layouts.Collapsed col = Layouts.collapse(shape, strides);
        Layouts.checkRank(op, col.rank());
        Slots p = dev.launch.params();
        p.put(n).put(col.rank()).put(col.shape(), Layouts.MAX_RANK);
        p.put(code).put(aux0).put(aux1).putDouble(scalar);
        j = 0;
        for (TensorData t : ops) {
            if (t == null) {
                p.put(0).put(0).put(new long[0], Layouts.MAX_RANK);
            } else {
                p.put(address(op, t)).put(t.dtype().ordinal()).put(col.strides()[j++], Layouts.MAX_RANK);
            }
        }
        dev.launch.launch(dev.kernel(k), Layouts.gridFor(n, T), T, dev.compute);
    }

    /** Like {@link #elementwise} but keeps every dim as it is (kernels that index one dim). */
    private void elementwiseUncollapsed(String op, TensorKernel k, int[] shape, long n, int grid, long code, long aux0, long aux1,
                                        double scalar, TensorData out, long[] outStrides, TensorData a, long[] aStrides,
                                        TensorData b, long[] bStrides, TensorData c, long[] cStrides, long cAddress) {
        Layouts.checkRank(op, shape.length);
        Slots p = dev.launch.params();
        p.put(n).put(shape.length).put(shape, Layouts.MAX_RANK);
        p.put(code).put(aux0).put(aux1).putDouble(scalar);
        TensorData[] ops = {out, a, b, c};
        long[][] strides = {outStrides, aStrides, bStrides, cStrides};
        for (int j = 0; j < 4; j++) {
            TensorData t = ops[j];
            long addr = t != null ? address(op, t) : (j == 3 ? cAddress : 0);
            p.put(addr).put(t != null ? t.dtype().ordinal() : DType.F64.ordinal()).put(strides[j] != null ? strides[j] : new long[0], Layouts.MAX_RANK);
        }
        dev.launch.launch(dev.kernel(k), grid, T, dev.compute);
    }

    @Override
    public synchronized void fill(TensorData out, double value) {
        dev.enter();
        elementwise("fill", TensorKernel.FILL, out.shape(), 0, 0, 0, value, out, null, null, null);
    }

    @Override
    public synchronized void fillInteger(TensorData out, long value) {
        dev.enter();
        elementwise("fill", TensorKernel.FILL, out.shape(), 0, 1, value, 0, out, null, null, null); // aux0 = 1: the integer in aux1
    }

    @Override
    public synchronized void copy(TensorData src, TensorData out) {
        dev.enter();
        requireSameShape("copy", src, out);
        elementwise("copy", TensorKernel.COPY, out.shape(), 0, 0, 0, 0, out, src, null, null);
    }

    @Override
    public synchronized void unary(UnaryOp op, TensorData x, TensorData out) {
        dev.enter();
        requireSameShape(op.name().toLowerCase(), x, out);
        elementwise(op.name().toLowerCase(), TensorKernel.UNARY, out.shape(), op.ordinal(), 0, 0, 0, out, x, null, null);
    }

    @Override
    public synchronized void binary(BinaryOp op, TensorData a, TensorData b, TensorData out) {
        dev.enter();
        requireSameShape(op.name().toLowerCase(), a, out);
        requireSameShape(op.name().toLowerCase(), b, out);
        elementwise(op.name().toLowerCase(), TensorKernel.BINARY, out.shape(), op.ordinal(), 0, 0, 0, out, a, b, null);
    }

    @Override
    public synchronized void where(TensorData cond, TensorData a, TensorData b, TensorData out) {
        dev.enter();
        requireSameShape("where", cond, out);
        requireSameShape("where", a, out);
        requireSameShape("where", b, out);
        elementwise("where", TensorKernel.WHERE, out.shape(), 0, 0, 0, 0, out, a, b, cond);
    }

    private static void requireSameShape(String op, TensorData x, TensorData out) {
        if (!java.util.Arrays.equals(x.shape(), out.shape()))
            throw new IllegalArgumentException(op + " on cuda: operand " + x + " does not have the output's shape " + out);
    }

    // ------------------------------------------------------------------ reductions

    /** Kept dims first, reduced dims last: the ReduceParams of a reduction over {@code dims}. */
    private void reduction(String op, TensorKernel k, long code, TensorData x, int[] dims, TensorData out) {
        int rank = x.rank();
        boolean[] reduced = new boolean[rank];
        for (int d : dims) reduced[d] = true;
        int nk = 0, nr = 0;
        for (int d = 0; d < rank; d++) if (reduced[d]) nr++; else nk++;
        int[] keptShape = new int[nk], redShape = new int[nr];
        long[] xKept = new long[nk], outKept = new long[nk], xRed = new long[nr];
        int a = 0, b = 0;
        for (int d = 0; d < rank; d++) {
            if (reduced[d]) {
                redShape[b] = x.shape()[d];
                xRed[b++] = x.strides()[d];
            } else {
                keptShape[a] = x.shape()[d];
                xKept[a] = x.strides()[d];
                outKept[a++] = out.strides()[d];
            }
        }
        long nOut = Layouts.numel(keptShape), r = Layouts.numel(redShape);
        if (nOut == 0) return;
        Layouts.Collapsed kept = Layouts.collapse(keptShape, xKept, outKept);
        Layouts.Collapsed red = r == 0 ? new Layouts.Collapsed(new int[]{0}, new long[][]{{0}}) : Layouts.collapse(redShape, xRed);
        Layouts.checkRank(op, kept.rank());
        Layouts.checkRank(op, red.rank());
        Slots p = dev.launch.params();
        p.put(address(op, x)).put(x.dtype().ordinal()).put(address(op, out)).put(out.dtype().ordinal()).put(code);
        p.put(nOut).put(r).put(kept.rank()).put(kept.shape(), Layouts.MAX_RANK).put(kept.strides()[0], Layouts.MAX_RANK)
                .put(kept.strides()[1], Layouts.MAX_RANK);
        p.put(red.rank()).put(red.shape(), Layouts.MAX_RANK).put(red.strides()[0], Layouts.MAX_RANK);
        dev.launch.launch(dev.kernel(k), (int) Math.min(nOut, 1 << 20), T, dev.compute);
    }

    @Override
    public synchronized void reduce(ReduceOp op, TensorData x, int[] dims, TensorData out) {
        dev.enter();
        reduction(op.name().toLowerCase(), TensorKernel.REDUCE, op.ordinal(), x, dims, out);
    }

    @Override
    public synchronized void argmax(TensorData x, int dim, TensorData out) {
        dev.enter();
        if (out.dtype() != DType.I64) throw new IllegalArgumentException("argmax on cuda: the output must be int64, got " + out);
        reduction("argmax", TensorKernel.ARGMAX, 0, x, new int[]{dim}, out);
    }

    // ------------------------------------------------------------------ matmul

    private static int cudaType(DType t) {
        return switch (t) {
            case F32 -> CudaDataType.CUDA_R_32F;
            case F16 -> CudaDataType.CUDA_R_16F;
            case BF16 -> CudaDataType.CUDA_R_16BF;
            default -> -1;
        };
    }

    @Override
    public synchronized void matmul(TensorData a, TensorData b, TensorData out) {
        dev.enter();
        int batch = a.shape()[0], m = a.shape()[1], k = a.shape()[2], n = b.shape()[2];
        if ((long) batch * m * n == 0) return;
        if (k == 0) {
            fill(out, 0);
            return;
        }
        int type = cudaType(out.dtype());
        if (type < 0 || a.dtype() != out.dtype() || b.dtype() != out.dtype()) {
            matmulDirect(a, b, out);
            return;
        }
        Storage tmpA = null, tmpB = null, tmpOut = null;
        try {
            GemmLayout la = GemmLayout.of(m, k, a.strides()[1], a.strides()[2]);
            if (la == null || a.strides()[0] < 0) {
                tmpA = allocate(a.numel() * a.dtype().byteSize());
                TensorData d = dense(a, a.dtype(), tmpA);
                copy(a, d);
                a = d;
                la = GemmLayout.of(m, k, a.strides()[1], a.strides()[2]);
            }
            GemmLayout lb = GemmLayout.of(k, n, b.strides()[1], b.strides()[2]);
            if (lb == null || b.strides()[0] < 0) {
                tmpB = allocate(b.numel() * b.dtype().byteSize());
                TensorData d = dense(b, b.dtype(), tmpB);
                copy(b, d);
                b = d;
                lb = GemmLayout.of(k, n, b.strides()[1], b.strides()[2]);
            }
            TensorData target = out;
            GemmLayout lo = GemmLayout.of(m, n, out.strides()[1], out.strides()[2]);
            // batches must not overlap: one matrix spans (m - 1) rows of ld elements plus n
            boolean outOk = lo != null && lo.kind() == GemmLayout.Kind.ROW && (batch == 1 || out.strides()[0] >= (long) (m - 1) * lo.ld() + n)
                    && (n == 1 || out.strides()[2] == 1);
            if (!outOk) {
                tmpOut = allocate(out.numel() * out.dtype().byteSize());
                target = dense(out, out.dtype(), tmpOut);
                lo = GemmLayout.of(m, n, target.strides()[1], target.strides()[2]);
            }
            GemmLayout.Plan plan = GemmLayout.plan(m, n, k, la, lb, lo);
            if (plan == null) {
                matmulDirect(a, b, target);
            } else {
                long strideA = batch == 1 ? 0 : a.strides()[0], strideB = batch == 1 ? 0 : b.strides()[0];
                long strideC = batch == 1 ? 0 : target.strides()[0];
                Cublas.cublasGemmStridedBatchedEx(dev.cublas(), plan.transa(), plan.transb(), plan.m(), plan.n(), plan.k(),
                        1f, address("matmul", b), type, plan.lda(), strideB,
                        address("matmul", a), type, plan.ldb(), strideA,
                        0f, address("matmul", target), type, plan.ldc(), strideC,
                        batch, Cublas.CUBLAS_COMPUTE_32F, Cublas.CUBLAS_GEMM_DEFAULT);
            }
            if (tmpOut != null) copy(target, out);
        } finally {
            if (tmpA != null) tmpA.release();
            if (tmpB != null) tmpB.release();
            if (tmpOut != null) tmpOut.release();
        }
    }

    private void matmulDirect(TensorData a, TensorData b, TensorData out) {
        if (a.dtype() != out.dtype() || b.dtype() != out.dtype())
            throw new IllegalArgumentException("matmul on cuda: operands " + a + " and " + b + " must have the output's dtype " + out.dtype());
        int batch = a.shape()[0], m = a.shape()[1], k = a.shape()[2], n = b.shape()[2];
        long total = (long) batch * m * n;
        Slots p = dev.launch.params();
        p.put(address("matmul", a)).put(address("matmul", b)).put(address("matmul", out)).put(out.dtype().ordinal());
        p.put(batch).put(m).put(n).put(k).put(a.strides(), 3).put(b.strides(), 3).put(out.strides(), 3);
        dev.launch.launch(dev.kernel(TensorKernel.MATMUL_DIRECT), Layouts.gridFor(total, T), T, dev.compute);
    }

    // ------------------------------------------------------------------ convolution and pooling

    private static void requireOneDtype(TensorData x, TensorData w, TensorData y) {
        if (x.dtype() != y.dtype() || w.dtype() != y.dtype())
            throw new IllegalArgumentException("conv2d on cuda: " + x + ", " + w + " and " + y + " must share one dtype");
    }

    private void conv(TensorKernel k, long total, TensorData x, TensorData w, TensorData y, Conv2dParams c) {
        if (total == 0) return;
        Slots p = dev.launch.params();
        p.put(address("conv2d", x)).put(address("conv2d", w)).put(address("conv2d", y)).put(y.dtype().ordinal());
        p.put(x.strides(), 4).put(w.strides(), 4).put(y.strides(), 4);
        p.put(x.shape()[0]).put(x.shape()[1]).put(x.shape()[2]).put(x.shape()[3]).put(w.shape()[0]).put(w.shape()[2]).put(w.shape()[3])
                .put(y.shape()[2]).put(y.shape()[3]);
        p.put(c.strideH()).put(c.strideW()).put(c.padH()).put(c.padW()).put(c.dilationH()).put(c.dilationW()).put(c.groups());
        dev.launch.launch(dev.kernel(k), Layouts.gridFor(total, T), T, dev.compute);
    }

    /**
     * cuDNN's plan for input x, weight w and output y, or empty when the direct kernels serve them:
     * cuDNN off or missing, an integer dtype, an empty tensor (cuDNN takes no zero-size shape), or
     * a shape cuDNN has no algorithm for.
     */
    private Optional<Conv2dPlan> cudnnPlan(TensorData x, TensorData w, TensorData y, Conv2dParams p) {
        if (cudnn == null || !CudnnConvolutions.serves(y.dtype())) return Optional.empty();
        if (x.numel() == 0 || w.numel() == 0 || y.numel() == 0) return Optional.empty();
        return cudnn.plan(x.shape(), w.shape(), p, y.dtype());
    }

    /** One cuDNN pass, given its plan and the staging that hands it dense addresses. */
    private interface CudnnPass {
        void run(Conv2dPlan plan, DenseStaging dense);
    }

    /**
     * One of conv2d's three passes over input-side x, weight w and output-side y (as the direct
     * kernels name them): on cuDNN when it has a plan for them, else on kernel {@code direct}
     * with one thread per element of {@code written}.
     */
    private void convPass(String op, TensorKernel direct, TensorData written, TensorData x, TensorData w, TensorData y, Conv2dParams p,
                          CudnnPass pass) {
        dev.enter();
        requireOneDtype(x, w, y);
        Optional<Conv2dPlan> plan = cudnnPlan(x, w, y, p);
        if (plan.isEmpty()) {
            conv(direct, written.numel(), x, w, y, p);
            return;
        }
        try (DenseStaging dense = new DenseStaging(op)) {
            pass.run(plan.get(), dense);
        }
    }

    @Override
    public synchronized void conv2d(TensorData x, TensorData weight, TensorData out, Conv2dParams p) {
        convPass("conv2d", TensorKernel.CONV2D, out, x, weight, out, p,
                (plan, dense) -> cudnn.forward(plan, dense.input(x), dense.input(weight), dense.output(out)));
    }

    @Override
    public synchronized void conv2dBackwardInput(TensorData gradOut, TensorData weight, TensorData gradIn, Conv2dParams p) {
        convPass("conv2d backward", TensorKernel.CONV2D_BACKWARD_INPUT, gradIn, gradIn, weight, gradOut, p,
                (plan, dense) -> cudnn.backwardData(plan, dense.input(weight), dense.input(gradOut), dense.output(gradIn)));
    }

    @Override
    public synchronized void conv2dBackwardWeight(TensorData x, TensorData gradOut, TensorData gradWeight, Conv2dParams p) {
        convPass("conv2d backward", TensorKernel.CONV2D_BACKWARD_WEIGHT, gradWeight, x, gradWeight, gradOut, p,
                (plan, dense) -> cudnn.backwardFilter(plan, dense.input(x), dense.input(gradOut), dense.output(gradWeight)));
    }

    /**
     * Dense, 16-byte aligned device addresses for a library call that takes packed tensors only
     * (cuDNN's filters and its plans here; its tensor-core kernels load 16 bytes at a time): a
     * view, or a dense slice at an odd offset, is copied into a temporary first, and such an
     * output is written through a temporary that is copied into it on close. Temporaries go back
     * to the allocator on close, to be reused in compute-stream order after the call that used them.
     */
    private final class DenseStaging implements AutoCloseable {
        private final String op;
        private final List<Storage> temporaries = new ArrayList<>(2);
        private TensorData pendingOut, stagedOut;

        DenseStaging(String op) {
            this.op = op;
        }

        private boolean direct(TensorData t) {
            return t.isContiguous() && address(op, t) % 16 == 0;
        }

        long input(TensorData t) {
            if (direct(t)) return address(op, t);
            TensorData staged = temporaryLike(t);
            copy(t, staged);
            return address(op, staged);
        }

        long output(TensorData t) {
            if (direct(t)) return address(op, t);
            stagedOut = temporaryLike(t);
            pendingOut = t;
            return address(op, stagedOut);
        }

        private TensorData temporaryLike(TensorData t) {
            long bytes = t.numel() * t.dtype().byteSize();
            Storage s = new CudaStorage(dev.device, dev.allocator, dev.allocate(bytes), bytes);
            temporaries.add(s);
            return dense(t, t.dtype(), s);
        }

        @Override
        public void close() {
            try {
                if (pendingOut != null) copy(stagedOut, pendingOut);
            } finally {
                for (Storage s : temporaries) s.release();
            }
        }
    }

    /** in = the [N, C, H, W] side, out = the pooled side; x is what the kernel reads, y what it writes. */
    private void pool(TensorKernel k, long total, TensorData x, TensorData y, TensorData idx, TensorData in, TensorData outSide, Pool2dParams q) {
        if (total == 0) return;
        Slots p = dev.launch.params();
        p.put(address("pool2d", x)).put(x.dtype().ordinal()).put(x.strides(), 4);
        p.put(address("pool2d", y)).put(y.dtype().ordinal()).put(y.strides(), 4);
        p.put(idx == null ? 0 : address("pool2d", idx)).put(idx == null ? new long[0] : idx.strides(), 4);
        p.put(in.shape()[0]).put(in.shape()[1]).put(in.shape()[2]).put(in.shape()[3]).put(outSide.shape()[2]).put(outSide.shape()[3]);
        p.put(q.kernelH()).put(q.kernelW()).put(q.strideH()).put(q.strideW()).put(q.padH()).put(q.padW());
        dev.launch.launch(dev.kernel(k), Layouts.gridFor(total, T), T, dev.compute);
    }

    @Override
    public synchronized void maxPool2d(TensorData x, TensorData out, TensorData indices, Pool2dParams p) {
        dev.enter();
        pool(TensorKernel.MAX_POOL2D, out.numel(), x, out, indices, x, out, p);
    }

    @Override
    public synchronized void maxPool2dBackward(TensorData gradOut, TensorData indices, TensorData gradIn, Pool2dParams p) {
        dev.enter();
        pool(TensorKernel.MAX_POOL2D_BACKWARD, gradIn.numel(), gradOut, gradIn, indices, gradIn, gradOut, p);
    }

    @Override
    public synchronized void avgPool2d(TensorData x, TensorData out, Pool2dParams p) {
        dev.enter();
        pool(TensorKernel.AVG_POOL2D, out.numel(), x, out, null, x, out, p);
    }

    @Override
    public synchronized void avgPool2dBackward(TensorData gradOut, TensorData gradIn, Pool2dParams p) {
        dev.enter();
        pool(TensorKernel.AVG_POOL2D_BACKWARD, gradIn.numel(), gradOut, gradIn, null, gradIn, gradOut, p);
    }

    // ------------------------------------------------------------------ losses

    @Override
    public synchronized void crossEntropy(TensorData logits, TensorData targets, double smoothing, TensorData loss, TensorData probs) {
        dev.enter();
        int n = logits.shape()[0];
        if (n == 0) return;
        Block rowLoss = dev.allocate((long) n * 8);
        try {
            int[] shape = logits.shape();
            elementwiseUncollapsed("cross_entropy", TensorKernel.CROSS_ENTROPY, shape, logits.numel(), (int) Math.min(n, 1 << 20),
                    0, dev.errorSlot(), 0, smoothing, probs, probs.strides(), logits, logits.strides(), targets, targets.strides(),
                    null, null, rowLoss.address());
            elementwiseUncollapsed("cross_entropy", TensorKernel.MEAN_ROWS, new int[]{n}, n, 1, 0, 0, 0, 0,
                    loss, new long[0], null, null, null, null, null, null, rowLoss.address());
        } finally {
            dev.free(rowLoss); // reused only by later work on the compute stream, after these kernels
        }
    }

    @Override
    public synchronized void crossEntropyBackward(TensorData probs, TensorData targets, double smoothing, TensorData gradLoss, TensorData gradLogits) {
        dev.enter();
        long total = probs.numel();
        if (total == 0) return;
        elementwiseUncollapsed("cross_entropy backward", TensorKernel.CROSS_ENTROPY_BACKWARD, probs.shape(), total, Layouts.gridFor(total, T),
                0, 0, 0, smoothing, gradLogits, gradLogits.strides(), probs, probs.strides(), targets, targets.strides(),
                gradLoss, new long[0], 0);
    }

    // ------------------------------------------------------------------ indexing

    private static long[] indexStrides(TensorData index) {
        return new long[]{index.rank() == 0 ? 0 : index.strides()[0]};
    }

    @Override
    public synchronized void indexSelect(TensorData x, int dim, TensorData index, TensorData out) {
        dev.enter();
        long n = out.numel();
        if (n == 0) return;
        elementwiseUncollapsed("index_select", TensorKernel.INDEX_SELECT, out.shape(), n, Layouts.gridFor(n, T), dim, dev.errorSlot(),
                x.shape()[dim], 0, out, out.strides(), x, x.strides(), index, indexStrides(index), null, null, 0);
    }

    @Override
    public synchronized void indexAdd(TensorData out, int dim, TensorData index, TensorData src) {
        dev.enter();
        int[] shape = src.shape().clone();
        int count = shape[dim];
        shape[dim] = 1;
        long n = Layouts.numel(shape);
        if (n == 0 || count == 0) return;
        elementwiseUncollapsed("index_add", TensorKernel.INDEX_ADD, shape, n, Layouts.gridFor(n, T), dim, dev.errorSlot(),
                out.shape()[dim], count, out, out.strides(), src, src.strides(), index, indexStrides(index), null, null, 0);
    }

    // ------------------------------------------------------------------ random numbers

    /** Significand bits a uniform sample may use in {@code type} (the CPU backend's table). */
    static int unitBits(DType type) {
        return switch (type) {
            case F64 -> 32;
            case F32 -> 24;
            case F16 -> 11;
            case BF16 -> 8;
            default -> throw new IllegalArgumentException("random numbers need a floating-point dtype, got " + type);
        };
    }

    @Override
    public synchronized void uniform(TensorData out, long seed, long offset) {
        dev.enter();
        int bits = unitBits(out.dtype());
        long n = out.numel();
        if (n == 0) return;
        Layouts.Collapsed c = Layouts.collapse(out.shape(), out.strides());
        elementwiseUncollapsed("uniform", TensorKernel.UNIFORM, c.shape(), n, Layouts.gridFor((n + 3) / 4, T), bits, seed, offset, 0,
                out, c.strides()[0], null, null, null, null, null, null, 0);
    }

    @Override
    public synchronized void normal(TensorData out, long seed, long offset) {
        dev.enter();
        unitBits(out.dtype());
        long n = out.numel();
        if (n == 0) return;
        Layouts.Collapsed c = Layouts.collapse(out.shape(), out.strides());
        elementwiseUncollapsed("normal", TensorKernel.NORMAL, c.shape(), n, Layouts.gridFor((n + 1) / 2, T), 0, seed, offset, 0,
                out, c.strides()[0], null, null, null, null, null, null, 0);
    }

    // ------------------------------------------------------------------ fused optimizer updates

    /**
     * One launch of optim_fused.cu for all the update's tensors: the tensor and chunk table goes to
     * device memory on the compute stream (from a pinned buffer), the kernel reads it there.
     */
    @Override
    public synchronized void multiTensorUpdate(Update u) {
        dev.enter();
        if (u.hyper().length > 8) throw new IllegalArgumentException("multi-tensor update: at most 8 hyperparameters, got " + u.hyper().length);
        if (dev.capturing() && u.kind() == Kind.ADAM)
            throw new IllegalStateException("a fused Adam step on " + dev.device + " while a CUDA graph is being captured: its bias corrections change"
                    + " every step, and a replay would repeat the captured step's; step Adam outside the graph");
        int n = u.tensors().size();
        long[] numels = new long[n];
        long[][] rows = new long[n][];
        for (int t = 0; t < n; t++) {
            Entry e = u.tensors().get(t);
            numels[t] = e.param().numel();
            for (TensorData d : new TensorData[]{e.param(), e.grad(), e.state0(), e.state1()}) {
                if (d == null) continue;
                if (d.dtype() != DType.F32 || !d.isContiguous() || d.numel() != numels[t])
                    throw new IllegalArgumentException("multi-tensor update: " + d + " is not a dense float32 tensor of " + numels[t] + " elements");
            }
            rows[t] = new long[]{address("multi-tensor update", e.param()), address("multi-tensor update", e.grad()),
                    e.state0() == null ? 0 : address("multi-tensor update", e.state0()),
                    e.state1() == null ? 0 : address("multi-tensor update", e.state1()),
                    0, e.flags(), Double.doubleToRawLongBits(e.scalar0()), Double.doubleToRawLongBits(e.scalar1())};
        }
        MultiTensorPlan plan = MultiTensorPlan.of(numels, MultiTensorPlan.DEFAULT_CHUNK);
        if (plan.chunkCount() == 0) return;
        Block table = dev.uploadOnCompute(plan.table(rows));
        try {
            Slots p = dev.launch.params();
            p.put(table.address()).put(table.address() + plan.chunksOffset() * 8).put(plan.chunkCount()).put(plan.chunkSize()).put(u.flags());
            for (int i = 0; i < 8; i++) p.putDouble(i < u.hyper().length ? u.hyper()[i] : 0);
            TensorKernel k = u.kind() == Kind.SGD ? TensorKernel.MULTI_TENSOR_SGD : TensorKernel.MULTI_TENSOR_ADAM;
            dev.launch.launch(dev.kernel(k), Math.min(plan.chunkCount(), 1 << 16), T, dev.compute);
        } finally {
            dev.free(table);
        }
    }
}

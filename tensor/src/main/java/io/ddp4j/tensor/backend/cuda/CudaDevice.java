package io.ddp4j.tensor.backend.cuda;

import io.ddp4j.bindings.cublas.Cublas;
import io.ddp4j.bindings.cublas.CublasHandle;
import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.kernel.Kernel;
import io.ddp4j.bindings.kernel.KernelModule;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.memory.cuda.AllocatorStats;
import io.ddp4j.tensor.memory.cuda.Block;
import io.ddp4j.tensor.memory.cuda.CachingAllocator;
import io.ddp4j.tensor.memory.cuda.CudaDeviceMemory;
import io.ddp4j.tensor.memory.cuda.GraphPool;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything the CUDA backend keeps per device: a compute stream (every op is enqueued there), a
 * copy stream (host transfers), the caching allocator, a cuBLAS handle bound to the compute
 * stream with its own workspace, a pinned staging pool, the device-side error slot kernels report
 * bad indices into, and one reusable kernel launch. Order between the two streams is kept with
 * events; the host waits only in {@link #toHost}, and counts each wait in {@link #hostSyncs()}.
 */
final class CudaDevice implements AutoCloseable {
    /** cuBLAS's workspace: 32 MiB, what NVIDIA recommends for Hopper. */
    static final long CUBLAS_WORKSPACE = 32L << 20;
    private static final long ERROR_SLOT_BYTES = 32;

    final Device device;
    final int index;
    final long compute;
    final long copy;
    final CachingAllocator allocator;
    final StructLaunch launch = new StructLaunch();
    private final PinnedPool pinned = new PinnedPool();
    private final long computeMark, copyMark;
    private final Block errorSlot;
    private final EnumMap<TensorKernel, Kernel> kernels = new EnumMap<>(TensorKernel.class);
    private final AtomicLong hostSyncs = new AtomicLong();
    private CublasHandle cublas;
    private Block cublasWorkspace;
    private boolean closed;
    /** Non-null while the compute stream is being captured into a CUDA graph. */
    private Capture capture;

    /** What a capture collects besides the graph: its memory pool and the pinned buffers its copies read. */
    record Capture(GraphPool pool, List<PinnedPool.Buffer> pinned) {}

    /** A finished capture: the graph ({@code cudaGraph_t}) and what it owns. */
    record Captured(long graph, Capture owned) {}

    CudaDevice(Device device) {
        this.device = device;
        this.index = device.index();
        Cudart.cudaSetDevice(index);
        this.compute = Cudart.cudaStreamCreateWithPriority(Cudart.cudaStreamNonBlocking, 0);
        this.copy = Cudart.cudaStreamCreateWithPriority(Cudart.cudaStreamNonBlocking, 0);
        this.computeMark = Cudart.cudaEventCreateWithFlags(Cudart.cudaEventDisableTiming);
        this.copyMark = Cudart.cudaEventCreateWithFlags(Cudart.cudaEventDisableTiming);
        this.allocator = new CachingAllocator(device.toString(), new CudaDeviceMemory(index));
        this.errorSlot = allocator.allocate(ERROR_SLOT_BYTES, compute);
        Cudart.cudaMemsetAsync(errorSlot.address(), 0, ERROR_SLOT_BYTES, compute);
    }

    /** Makes this device current on the calling thread (the runtime keeps one per thread). */
    void enter() {
        if (closed) throw new IllegalStateException("the CUDA backend for " + device + " was closed");
        if (Cudart.cudaGetDevice() != index) Cudart.cudaSetDevice(index);
    }

    Kernel kernel(TensorKernel k) {
        Kernel kernel = kernels.get(k);
        if (kernel == null) {
            kernel = KernelModule.get().kernel(k.symbol);
            kernels.put(k, kernel);
        }
        return kernel;
    }

    /** Address of the int64[4] error slot the index-checking kernels write into. */
    long errorSlot() {
        return errorSlot.address();
    }

    /** cuBLAS on the compute stream with its workspace from the caching allocator, made on first use. */
    long cublas() {
        if (cublas == null) {
            CublasHandle h = CublasHandle.create();
            cublasWorkspace = allocator.allocate(CUBLAS_WORKSPACE, compute);
            h.setStream(compute);
            h.setWorkspace(cublasWorkspace.address(), CUBLAS_WORKSPACE);
            // F16/BF16 outputs: split-K partial sums stay in FP32 too (the default may reduce in the output type)
            h.setMathMode(Cublas.CUBLAS_DEFAULT_MATH | Cublas.CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION);
            cublas = h;
        }
        return cublas.handle();
    }

    boolean capturing() {
        return capture != null;
    }

    /** Refuses {@code what} during a capture: the graph would replay it with stale host memory, or it would wait on the host. */
    void requireNotCapturing(String what) {
        if (capture != null)
            throw new IllegalStateException(what + " on " + device + " while a CUDA graph is being captured: a graph replays device work only."
                    + " Make the inputs before capturing, fill them between replays with copies on the device, and read results after a replay");
    }

    /**
     * Starts capturing the compute stream (relaxed mode: the allocator may still cudaMalloc for the
     * graph's pool). Everything the backend enqueues until {@link #endCapture} goes into the graph.
     */
    void beginCapture() {
        requireNotCapturing("a second capture");
        GraphPool pool = allocator.beginCapture();
        try {
            Cudart.cudaStreamBeginCapture(compute, Cudart.cudaStreamCaptureModeRelaxed);
        } catch (RuntimeException e) {
            allocator.endCapture(pool);
            allocator.releasePool(pool);
            throw e;
        }
        capture = new Capture(pool, new ArrayList<>());
    }

    /** Ends the capture; the caller owns the graph and, until it is destroyed, the pool and buffers. */
    Captured endCapture() {
        Capture c = capture;
        capture = null;
        allocator.endCapture(c.pool());
        try {
            return new Captured(Cudart.cudaStreamEndCapture(compute), c);
        } catch (RuntimeException e) {
            release(c);
            throw e;
        }
    }

    /** Ends a capture that failed: whatever was captured is dropped. */
    void abortCapture(Throwable why) {
        if (capture == null) return;
        try {
            Captured c = endCapture();
            try {
                if (c.graph() != 0) Cudart.cudaGraphDestroy(c.graph());
            } finally {
                release(c.owned());
            }
        } catch (RuntimeException e) {
            why.addSuppressed(e);
        }
    }

    /** Gives back what a graph owned, once it is destroyed and the device has finished with it. */
    void release(Capture owned) {
        for (PinnedPool.Buffer b : owned.pinned()) pinned.unhold(b);
        allocator.releasePool(owned.pool());
    }

    /** Device memory for work on the compute stream. */
    Block allocate(long bytes) {
        return allocator.allocate(Math.max(bytes, 1), compute);
    }

    void free(Block b) {
        allocator.free(b);
    }

    /** Makes {@code waiter} wait, on the device, for everything enqueued on {@code signaller} so far. */
    private void order(long signaller, long event, long waiter) {
        Cudart.cudaEventRecord(event, signaller);
        Cudart.cudaStreamWaitEvent(waiter, event, 0);
    }

    /**
     * Copies {@code bytes} dense host bytes to device address {@code dst} on the copy stream,
     * through a pinned buffer; the compute stream waits for the copy, and the copy for the compute
     * stream's earlier work (the destination may have been in use there). Does not block.
     */
    void upload(MemorySegment src, long dst, long bytes) {
        requireNotCapturing("a copy from the host");
        PinnedPool.Buffer buf = pinned.acquire(bytes);
        MemorySegment.copy(src, 0, buf.segment, 0, bytes);
        order(compute, computeMark, copy);
        Cudart.cudaMemcpyAsync(dst, buf.address, bytes, Cudart.cudaMemcpyHostToDevice, copy);
        pinned.release(buf, copy);
        order(copy, copyMark, compute);
    }

    /**
     * Like {@link #upload}, but the compute stream is not made to wait: returns an event recorded
     * on the copy stream after the copy, for the consumer to wait on when it uses the data. The
     * copy still waits for compute work enqueued so far, because the destination block may have
     * been in use there before the allocator handed it out again.
     */
    long uploadUnordered(MemorySegment src, long dst, long bytes) {
        requireNotCapturing("a copy from the host");
        long ready = Cudart.cudaEventCreateWithFlags(Cudart.cudaEventDisableTiming);
        if (bytes > 0) {
            PinnedPool.Buffer buf = pinned.acquire(bytes);
            MemorySegment.copy(src, 0, buf.segment, 0, bytes);
            order(compute, computeMark, copy);
            Cudart.cudaMemcpyAsync(dst, buf.address, bytes, Cudart.cudaMemcpyHostToDevice, copy);
            pinned.release(buf, copy);
        }
        Cudart.cudaEventRecord(ready, copy);
        return ready;
    }

    /**
     * Copies {@code bytes} from device address {@code src} into host memory after all work
     * enqueued so far on the compute stream, and waits for it: the one place the host blocks.
     * Throws a kernel's index error, if one was reported since the last check.
     */
    void download(long src, MemorySegment dst, long bytes) {
        requireNotCapturing("reading values back to the host");
        PinnedPool.Buffer buf = pinned.acquire(bytes + ERROR_SLOT_BYTES);
        order(compute, computeMark, copy);
        Cudart.cudaMemcpyAsync(buf.address, src, bytes, Cudart.cudaMemcpyDeviceToHost, copy);
        long errAt = buf.address + ((bytes + 7) & ~7L);
        Cudart.cudaMemcpyAsync(errAt, errorSlot.address(), ERROR_SLOT_BYTES, Cudart.cudaMemcpyDeviceToHost, copy);
        Cudart.cudaEventRecord(copyMark, copy);
        hostSyncs.incrementAndGet();
        Cudart.cudaEventSynchronize(copyMark);
        MemorySegment.copy(buf.segment, 0, dst, 0, bytes);
        MemorySegment err = buf.segment.asSlice(errAt - buf.address, ERROR_SLOT_BYTES);
        long code = err.get(ValueLayout.JAVA_LONG, 0);
        if (code != 0) {
            long pos = err.get(ValueLayout.JAVA_LONG, 8), value = err.get(ValueLayout.JAVA_LONG, 16), limit = err.get(ValueLayout.JAVA_LONG, 24);
            Cudart.cudaMemsetAsync(errorSlot.address(), 0, ERROR_SLOT_BYTES, compute);
            throw new IndexOutOfBoundsException(KernelErrors.describe(device, code, pos, value, limit));
        }
    }

    /**
     * A device block holding {@code values}, copied from a pinned buffer on the compute stream (so
     * kernels enqueued after it see it); give it back with {@link #free} once those are enqueued:
     * the allocator reuses it only in the compute stream's order. Does not block. During a capture
     * the graph copies from the pinned buffer on every replay, so the buffer is held for the graph.
     */
    Block uploadOnCompute(long[] values) {
        long bytes = values.length * 8L;
        Block b = allocate(bytes);
        if (bytes == 0) return b;
        // during a capture, no event query (the buffer comes from those known free, or a new one)
        PinnedPool.Buffer buf = capture != null ? pinned.acquireWithoutQuery(bytes) : pinned.acquire(bytes);
        MemorySegment.copy(values, 0, buf.segment, ValueLayout.JAVA_LONG, 0, values.length);
        try {
            Cudart.cudaMemcpyAsync(b.address(), buf.address, bytes, Cudart.cudaMemcpyHostToDevice, compute);
        } catch (RuntimeException e) {
            free(b);
            throw e;
        }
        if (capture != null) {
            pinned.hold(buf);
            capture.pinned().add(buf);
        } else {
            pinned.release(buf, compute);
        }
        return b;
    }

    /** Host waits so far (only reading values back waits). */
    long hostSyncs() {
        return hostSyncs.get();
    }

    long pinnedAllocations() {
        return pinned.allocations();
    }

    AllocatorStats stats() {
        return allocator.stats();
    }

    @Override
    public void close() {
        if (closed) return;
        if (capture != null) abortCapture(new IllegalStateException("closed during a capture"));
        enter();
        Cudart.cudaStreamSynchronize(compute);
        Cudart.cudaStreamSynchronize(copy);
        closed = true;
        if (cublas != null) {
            cublas.close();
            allocator.free(cublasWorkspace);
        }
        allocator.free(errorSlot);
        pinned.close();
        launch.close();
        Cudart.cudaEventDestroy(computeMark);
        Cudart.cudaEventDestroy(copyMark);
        Cudart.cudaStreamDestroy(compute);
        Cudart.cudaStreamDestroy(copy);
        allocator.close();
    }
}

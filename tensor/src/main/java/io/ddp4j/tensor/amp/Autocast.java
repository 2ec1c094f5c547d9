package io.ddp4j.tensor.amp;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Tensor;

/**
 * Mixed precision for the ops run on this thread, PyTorch's {@code torch.autocast}:
 * <pre>
 * try (var a = Autocast.enable(DType.BF16)) {
 *     Tensor loss = lossFn.forward(model.forward(x), y);
 * }
 * loss.backward();
 * </pre>
 * Inside the scope, ops fall into PyTorch's lists:
 * <ul>
 *   <li><b>lower precision</b> ({@code matmul}, {@code linear}, {@code conv2d}): floating inputs
 *       (except float64) are cast to the autocast dtype and the output has that dtype; the backends
 *       accumulate in fp32 (cuBLAS/cuDNN compute type) or better (the CPU backend sums in double).</li>
 *   <li><b>fp32</b> ({@code softmax}, {@code log_softmax}, {@code cross_entropy}, {@code sum},
 *       {@code mean}, {@code var}, {@code batch_norm}, {@code layer_norm}): f16/bf16 inputs are
 *       upcast to float32 and the op runs in float32.</li>
 * </ul>
 * Everything else runs in its inputs' dtype; binary elementwise ops and {@code where} follow
 * PyTorch's type promotion in or out of autocast ({@link io.ddp4j.tensor.ops.TypePromotion}), so a
 * bf16 activation meets an fp32 tensor (a residual, a target) in fp32. The casts are ordinary
 * differentiable {@code to(dtype)} ops, so gradients flow back to the fp32 parameters in fp32; the parameters and the optimizer
 * never change dtype. Backward passes run with autocast off (the engine suspends it), as PyTorch
 * recommends: each backward rule runs in the dtypes its forward chose.
 *
 * <p>The state is per thread and scopes nest: {@link #close()} restores what was there before.
 * {@link #disable()} opens a nested scope without autocast ({@code torch.autocast(enabled=False)}).
 * Autocast does not depend on the device: CPU and CUDA tensors are treated alike.
 */
public final class Autocast implements AutoCloseable {
    private static final ThreadLocal<DType[]> CURRENT = ThreadLocal.withInitial(() -> new DType[1]);

    private final DType[] slot;
    private final DType previous;
    private final DType mine;
    private final Thread owner;
    private boolean closed;

    private Autocast(DType dtype) {
        this.slot = CURRENT.get();
        this.previous = slot[0];
        this.mine = dtype;
        this.owner = Thread.currentThread();
        slot[0] = dtype;
    }

    /** Turns autocast to {@code dtype} (float16 or bfloat16) on for this thread until closed. */
    public static Autocast enable(DType dtype) {
        if (dtype != DType.F16 && dtype != DType.BF16)
            throw new IllegalArgumentException("Autocast: the autocast dtype must be float16 or bfloat16, got " + dtype);
        return new Autocast(dtype);
    }

    /** Turns autocast off for this thread until closed (a full-precision region inside an autocast one). */
    public static Autocast disable() {
        return new Autocast(null);
    }

    /** Whether ops on this thread autocast now. */
    public static boolean isEnabled() {
        return CURRENT.get()[0] != null;
    }

    /** The autocast dtype on this thread, or null when autocast is off. */
    public static DType dtype() {
        return CURRENT.get()[0];
    }

    /** The dtype this scope set (null for a {@link #disable()} scope). */
    public DType scopeDType() {
        return mine;
    }

    /** Restores the state from before this scope; idempotent. Must run on the thread that opened it. */
    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != owner)
            throw new IllegalStateException("Autocast: a scope opened on thread " + owner.getName() + " is being closed on "
                    + Thread.currentThread().getName());
        closed = true;
        slot[0] = previous;
    }

    // ---------------------------------------------------------------- hooks for the op front-ends

    private static boolean lowPrecision(DType d) {
        return d == DType.F16 || d == DType.BF16;
    }

    /**
     * For a lower-precision op: {@code t} cast to the autocast dtype when autocast is on and
     * {@code t} is an open float32/float16/bfloat16 tensor; otherwise {@code t} itself (null
     * stays null, a closed tensor is left for the op's own checks to report).
     */
    public static Tensor lowerPrecision(Tensor t) {
        DType target = CURRENT.get()[0];
        if (target == null || t == null || t.isClosed() || t.dtype() == target) return t;
        DType d = t.dtype();
        if (d != DType.F32 && !lowPrecision(d)) return t; // float64 and integer tensors are left alone, as in PyTorch
        return t.to(target);
    }

    /** For an fp32 op: {@code t} upcast to float32 when autocast is on and {@code t} is float16/bfloat16. */
    public static Tensor fp32(Tensor t) {
        if (CURRENT.get()[0] == null || t == null || t.isClosed() || !lowPrecision(t.dtype())) return t;
        return t.to(DType.F32);
    }
}

package io.ddp4j.tensor;

import io.ddp4j.tensor.autograd.AccumulateGrad;
import io.ddp4j.tensor.autograd.Engine;
import io.ddp4j.tensor.autograd.GradMode;
import io.ddp4j.tensor.autograd.HookHandle;
import io.ddp4j.tensor.autograd.Node;
import io.ddp4j.tensor.backend.Backend;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.TensorData;
import io.ddp4j.tensor.memory.Storage;
import io.ddp4j.tensor.ops.Checks;
import io.ddp4j.tensor.ops.Creation;
import io.ddp4j.tensor.ops.Elementwise;
import io.ddp4j.tensor.ops.InPlace;
import io.ddp4j.tensor.ops.LinearAlgebra;
import io.ddp4j.tensor.ops.Logical;
import io.ddp4j.tensor.ops.Reductions;
import io.ddp4j.tensor.ops.Softmax;
import io.ddp4j.tensor.ops.Transfer;
import io.ddp4j.tensor.ops.ViewOps;
import io.ddp4j.tensor.backend.BinaryOp;
import io.ddp4j.tensor.backend.UnaryOp;

import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An n-dimensional array on one device: a storage, plus shape, strides and offset (in elements)
 * saying where each element lives in it. Views ({@link #reshape}, {@link #transpose},
 * {@link #narrow}, {@link #expand}, ...) share the storage. Ops broadcast like PyTorch's and
 * need operands on one device; elementwise ops of mixed dtypes follow PyTorch's type promotion
 * ({@link io.ddp4j.tensor.ops.TypePromotion}), and in-place ops cast the promoted result into the
 * tensor's own dtype when it can hold it; matmul and convolution need one dtype. With {@link #setRequiresGrad} a tensor becomes a
 * leaf of the autograd graph; {@link #backward()} fills leaves' {@link #grad()}.
 *
 * <p>A tensor belongs to the {@link Scope} open on its thread when it was made, which closes it;
 * one made outside any scope is closed by {@link #close()} or, if forgotten, by a Cleaner.
 * Using a closed tensor throws IllegalStateException naming the op.
 */
public final class Tensor implements AutoCloseable {
    private final Storage storage;
    private final DType dtype;
    private final int[] shape;
    private final long[] strides;
    private final long offset;
    private final TensorLifetime lifetime;
    private Scope owner;

    private boolean requiresGrad;
    private Node gradFn;
    private AccumulateGrad accumulator;
    private Tensor grad;
    private boolean ownsGrad;
    /** Gradients this leaf made that carried a graph and were replaced: freed with the next .grad reset. */
    private List<Tensor> retiredGrads;
    private String name;

    /** Takes over one reference to {@code storage} (the caller's). */
    private Tensor(Storage storage, DType dtype, int[] shape, long[] strides, long offset) {
        this.storage = storage;
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.lifetime = new TensorLifetime(storage, dtype, shape);
        this.lifetime.watch(this);
        this.owner = Scope.current();
        if (owner != null) owner.adopt(this);
    }

    // ---------------------------------------------------------------- construction (for ops and backends)

    /** A new contiguous tensor on {@code device} whose contents are unspecified (zeros on the CPU); ops fill it. */
    public static Tensor empty(DType dtype, Device device, int... shape) {
        int[] s = Checks.shape("empty", shape);
        Backend backend = Backends.forDevice(device);
        long bytes = numel(s) * dtype.byteSize();
        return new Tensor(backend.allocate(bytes), dtype, s, TensorData.contiguousStrides(s), 0);
    }

    /**
     * A tensor over an existing storage (a device buffer, a bucket): takes a new reference to it,
     * so the caller keeps its own. Bounds are checked against the storage's size.
     */
    public static Tensor fromStorage(Storage storage, DType dtype, int[] shape, long[] strides, long offset) {
        Checks.layoutFits("fromStorage", storage.byteSize() / dtype.byteSize(), shape, strides, offset);
        storage.retain();
        return new Tensor(storage, dtype, shape.clone(), strides.clone(), offset);
    }

    /** A view of this tensor's storage with another layout (PyTorch's as_strided); no autograd. */
    public Tensor asStrided(int[] newShape, long[] newStrides, long newOffset) {
        Checks.open("as_strided", this);
        Checks.layoutFits("as_strided", storage.byteSize() / dtype.byteSize(), newShape, newStrides, newOffset);
        storage.retain();
        return new Tensor(storage, dtype, newShape.clone(), newStrides.clone(), newOffset);
    }

    // ---------------------------------------------------------------- factories

    public static Tensor zeros(int... shape) { return Creation.full(0, DType.F32, Device.CPU, shape); }
    public static Tensor zeros(DType dtype, int... shape) { return Creation.full(0, dtype, Device.CPU, shape); }
    public static Tensor zeros(DType dtype, Device device, int... shape) { return Creation.full(0, dtype, device, shape); }
    public static Tensor ones(int... shape) { return Creation.full(1, DType.F32, Device.CPU, shape); }
    public static Tensor ones(DType dtype, int... shape) { return Creation.full(1, dtype, Device.CPU, shape); }
    public static Tensor ones(DType dtype, Device device, int... shape) { return Creation.full(1, dtype, device, shape); }
    public static Tensor full(double value, int... shape) { return Creation.full(value, DType.F32, Device.CPU, shape); }
    public static Tensor full(double value, DType dtype, Device device, int... shape) { return Creation.full(value, dtype, device, shape); }
    /** An integer: exact in int64 whatever its size (a double is not above 2^53), wrapped into narrower integer dtypes, rounded once into float ones. */
    public static Tensor full(long value, DType dtype, Device device, int... shape) { return Creation.full(value, dtype, device, shape); }
    /** A 0-d tensor holding {@code value}. */
    public static Tensor scalar(double value, DType dtype) { return Creation.full(value, dtype, Device.CPU); }
    /** A 0-d tensor holding the integer {@code value}, exact in int64. */
    public static Tensor scalar(long value, DType dtype) { return Creation.full(value, dtype, Device.CPU); }
    /** 0, 1, ..., end-1 as I64, like torch.arange(end). */
    public static Tensor arange(long end) { return Creation.arange(0L, end, 1L, DType.I64, Device.CPU); }
    /** start, start+step, ... below end (above, for a negative step), computed in int64 (exact over its whole range), then converted to dtype. */
    public static Tensor arange(long start, long end, long step, DType dtype) { return Creation.arange(start, end, step, dtype, Device.CPU); }
    /** start, start+step, ... below end (above, for a negative step). */
    public static Tensor arange(double start, double end, double step, DType dtype) { return Creation.arange(start, end, step, dtype, Device.CPU); }
    /** Uniform [0, 1) from the generator (Philox4x32-10, reproducible on every device). */
    public static Tensor rand(Generator gen, DType dtype, int... shape) { return Creation.rand(gen, dtype, Device.CPU, shape); }
    public static Tensor rand(Generator gen, int... shape) { return Creation.rand(gen, DType.F32, Device.CPU, shape); }
    /** Standard normal from the generator. */
    public static Tensor randn(Generator gen, DType dtype, int... shape) { return Creation.randn(gen, dtype, Device.CPU, shape); }
    public static Tensor randn(Generator gen, int... shape) { return Creation.randn(gen, DType.F32, Device.CPU, shape); }
    public static Tensor fromArray(float[] values, int... shape) { return Creation.fromArray(values, shape); }
    public static Tensor fromArray(double[] values, int... shape) { return Creation.fromArray(values, shape); }
    public static Tensor fromArray(int[] values, int... shape) { return Creation.fromArray(values, shape); }
    public static Tensor fromArray(long[] values, int... shape) { return Creation.fromArray(values, shape); }
    public static Tensor fromArray(boolean[] values, int... shape) { return Creation.fromArray(values, shape); }
    public Tensor zerosLike() { return Creation.full(0, dtype, device(), shape); }
    public Tensor onesLike() { return Creation.full(1, dtype, device(), shape); }

    // ---------------------------------------------------------------- what it is

    public DType dtype() { return dtype; }
    public Device device() { return storage.device(); }
    public int[] shape() { return shape.clone(); }
    public int dim() { return shape.length; }
    /** Size of dim {@code d}; negative d counts from the end. */
    public int size(int d) { return shape[Checks.dim("size", d, shape.length)]; }
    public long[] strides() { return strides.clone(); }
    public long offset() { return offset; }
    public long numel() { return numel(shape); }
    public boolean isContiguous() { return layout().isContiguous(); }
    public boolean isClosed() { return lifetime.isClosed(); }
    /** The storage (shared with every view of this tensor). */
    public Storage storage() { return storage; }
    public String name() { return name; }
    /** A name for messages (DDP names unused parameters with it). */
    public Tensor setName(String name) { this.name = name; return this; }

    /** What a backend needs; throws IllegalStateException naming {@code op} if closed. */
    public TensorData data(String op) {
        Checks.open(op, this);
        return layout();
    }

    private TensorData layout() {
        return new TensorData(storage, dtype, shape, strides, offset);
    }

    /** e.g. "float32[2, 3] on cpu" (and its name if it has one), for messages. */
    public String describe() {
        return (name != null ? "'" + name + "' " : "") + dtype + Arrays.toString(shape) + (device().isCpu() ? "" : " on " + device());
    }

    static long numel(int[] shape) {
        long n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    // ---------------------------------------------------------------- lifetime

    Scope owner() { return owner; }

    /** Takes this tensor out of its scope: it now lives until closed (or collected). Returns this. */
    public Tensor keep() {
        owner = null;
        return this;
    }

    /**
     * The opposite of {@link #keep()}: a tensor that belongs to no scope is given to the innermost
     * scope open on this thread (if any), which will close it. A tensor that has a scope keeps it.
     * Returns this.
     */
    public Tensor joinCurrentScope() {
        Checks.open("joinCurrentScope", this);
        if (owner != null) return this;
        owner = Scope.current();
        if (owner != null) owner.adopt(this);
        return this;
    }

    /** Frees this tensor's reference to its storage; idempotent. Also frees a .grad autograd made. */
    @Override
    public void close() {
        if (lifetime.isClosed()) return;
        owner = null;
        lifetime.close();
        if (ownsGrad && grad != null) grad.close();
        closeRetiredGrads();
        grad = null;
        gradFn = null;
    }

    // ---------------------------------------------------------------- values

    public float[] toFloatArray() { return Transfer.toFloatArray(this); }
    public double[] toDoubleArray() { return Transfer.toDoubleArray(this); }
    public long[] toLongArray() { return Transfer.toLongArray(this); }
    public int[] toIntArray() { return Transfer.toIntArray(this); }
    public boolean[] toBooleanArray() { return Transfer.toBooleanArray(this); }
    /** The value of a one-element tensor. */
    public double item() { return Transfer.item(this); }
    /** The value of a one-element integer or bool tensor, exact (item() rounds int64 above 2^53 to a double). */
    public long longItem() { return Transfer.longItem(this); }

    /** Converts to another dtype (a copy; differentiable between float dtypes). */
    public Tensor to(DType target) { return Transfer.cast(this, target); }
    /** Copies to another device (differentiable). */
    public Tensor to(Device target) { return Transfer.toDevice(this, target); }

    // ---------------------------------------------------------------- views

    public Tensor reshape(int... newShape) { return ViewOps.reshape(this, newShape); }
    /** Like reshape, but never copies: throws if the strides do not allow it. */
    public Tensor view(int... newShape) { return ViewOps.view(this, newShape); }
    public Tensor transpose(int dim0, int dim1) { return ViewOps.transpose(this, dim0, dim1); }
    /** Transpose of a 2-d tensor. */
    public Tensor t() { return ViewOps.transpose(this, 0, 1); }
    public Tensor permute(int... dims) { return ViewOps.permute(this, dims); }
    /** Elements start .. start+length-1 of dim, sharing storage. */
    public Tensor narrow(int dim, int start, int length) { return ViewOps.narrow(this, dim, start, length); }
    /** Elements start .. end-1 of dim (Python's x[..., start:end]). */
    public Tensor slice(int dim, int start, int end) { return ViewOps.narrow(this, dim, start, end - start); }
    public Tensor squeeze() { return ViewOps.squeeze(this); }
    public Tensor squeeze(int dim) { return ViewOps.squeeze(this, dim); }
    public Tensor unsqueeze(int dim) { return ViewOps.unsqueeze(this, dim); }
    /** Repeats size-1 dims (and adds leading ones) without copying; -1 keeps a size. */
    public Tensor expand(int... newShape) { return ViewOps.expand(this, newShape); }
    public Tensor flatten() { return ViewOps.reshape(this, (int) numel()); }
    /** Dims startDim..endDim merged into one. */
    public Tensor flatten(int startDim, int endDim) { return ViewOps.flatten(this, startDim, endDim); }
    /** This tensor if it is contiguous, else a contiguous copy. */
    public Tensor contiguous() { return ViewOps.contiguous(this); }
    /** A dense copy with storage of its own (differentiable, like PyTorch's clone). */
    @Override
    public Tensor clone() { return ViewOps.copy(this); }

    // ---------------------------------------------------------------- elementwise
    // Mixed dtypes follow PyTorch's type promotion (ops.TypePromotion). A long scalar is Python's
    // int and a double Python's float: ints.mul(2) stays an integer tensor, ints.mul(2.0) and
    // ints.div(2) are float32. Scalars pass through a double, so a long is exact up to 2^53.

    public Tensor add(Tensor other) { return Elementwise.binary(BinaryOp.ADD, this, other); }
    public Tensor add(double value) { return Elementwise.binary(BinaryOp.ADD, this, value); }
    public Tensor add(long value) { return Elementwise.binary(BinaryOp.ADD, this, value); }
    public Tensor sub(Tensor other) { return Elementwise.binary(BinaryOp.SUB, this, other); }
    public Tensor sub(double value) { return Elementwise.binary(BinaryOp.SUB, this, value); }
    public Tensor sub(long value) { return Elementwise.binary(BinaryOp.SUB, this, value); }
    public Tensor mul(Tensor other) { return Elementwise.binary(BinaryOp.MUL, this, other); }
    public Tensor mul(double value) { return Elementwise.binary(BinaryOp.MUL, this, value); }
    public Tensor mul(long value) { return Elementwise.binary(BinaryOp.MUL, this, value); }
    public Tensor div(Tensor other) { return Elementwise.binary(BinaryOp.DIV, this, other); }
    public Tensor div(double value) { return Elementwise.binary(BinaryOp.DIV, this, value); }
    public Tensor div(long value) { return Elementwise.binary(BinaryOp.DIV, this, value); }
    /** The quotient rounded toward zero or down (PyTorch's rounding_mode); integers stay integers and must not divide by 0. Its gradient is 0. */
    public Tensor div(Tensor other, RoundingMode mode) { return Elementwise.binary(mode.op(), this, other); }
    public Tensor div(double value, RoundingMode mode) { return Elementwise.binary(mode.op(), this, value); }
    public Tensor div(long value, RoundingMode mode) { return Elementwise.binary(mode.op(), this, value); }
    /** this - other * floor(this / other): the result takes the divisor's sign (Python's %, PyTorch's remainder). */
    public Tensor remainder(Tensor other) { return Elementwise.binary(BinaryOp.REMAINDER, this, other); }
    public Tensor remainder(double value) { return Elementwise.binary(BinaryOp.REMAINDER, this, value); }
    public Tensor remainder(long value) { return Elementwise.binary(BinaryOp.REMAINDER, this, value); }
    /** this - other * trunc(this / other): the result takes the dividend's sign (C's fmod, PyTorch's fmod). */
    public Tensor fmod(Tensor other) { return Elementwise.binary(BinaryOp.FMOD, this, other); }
    public Tensor fmod(double value) { return Elementwise.binary(BinaryOp.FMOD, this, value); }
    public Tensor fmod(long value) { return Elementwise.binary(BinaryOp.FMOD, this, value); }
    public Tensor pow(Tensor exponent) { return Elementwise.binary(BinaryOp.POW, this, exponent); }
    public Tensor pow(double exponent) { return Elementwise.binary(BinaryOp.POW, this, exponent); }
    public Tensor pow(long exponent) { return Elementwise.binary(BinaryOp.POW, this, exponent); }
    public Tensor maximum(Tensor other) { return Elementwise.binary(BinaryOp.MAXIMUM, this, other); }
    public Tensor minimum(Tensor other) { return Elementwise.binary(BinaryOp.MINIMUM, this, other); }
    public Tensor neg() { return Elementwise.unary(UnaryOp.NEG, this); }
    public Tensor exp() { return Elementwise.unary(UnaryOp.EXP, this); }
    public Tensor log() { return Elementwise.unary(UnaryOp.LOG, this); }
    public Tensor sqrt() { return Elementwise.unary(UnaryOp.SQRT, this); }
    public Tensor abs() { return Elementwise.unary(UnaryOp.ABS, this); }
    public Tensor relu() { return Elementwise.unary(UnaryOp.RELU, this); }
    /** x * Phi(x) with the exact normal CDF, PyTorch's default gelu. */
    public Tensor gelu() { return Elementwise.unary(UnaryOp.GELU, this); }
    public Tensor sigmoid() { return Elementwise.unary(UnaryOp.SIGMOID, this); }
    public Tensor tanh() { return Elementwise.unary(UnaryOp.TANH, this); }
    /** Clamped to [min, max] with float bounds: an integer tensor is clamped in float32 (PyTorch's result type). */
    public Tensor clamp(double min, double max) { return Elementwise.clamp(this, min, max); }
    /** Clamped to [min, max] with integer bounds: the dtype is kept, and int64 bounds are exact. */
    public Tensor clamp(long min, long max) { return Elementwise.clamp(this, min, max); }
    public Tensor eq(Tensor other) { return Elementwise.binary(BinaryOp.EQ, this, other); }
    public Tensor eq(double value) { return Elementwise.binary(BinaryOp.EQ, this, value); }
    public Tensor eq(long value) { return Elementwise.binary(BinaryOp.EQ, this, value); }
    public Tensor ne(Tensor other) { return Elementwise.binary(BinaryOp.NE, this, other); }
    public Tensor ne(double value) { return Elementwise.binary(BinaryOp.NE, this, value); }
    public Tensor ne(long value) { return Elementwise.binary(BinaryOp.NE, this, value); }
    /** PyTorch's logical_not: true where this is zero, as bool; any dtype (NaN counts as nonzero). */
    public Tensor logicalNot() { return Logical.not(this); }
    /** PyTorch's logical_and, broadcasting: true where both are nonzero, as bool. */
    public Tensor logicalAnd(Tensor other) { return Logical.and(this, other); }
    /** PyTorch's logical_or, broadcasting: true where either is nonzero, as bool. */
    public Tensor logicalOr(Tensor other) { return Logical.or(this, other); }
    /** PyTorch's logical_xor, broadcasting: true where exactly one is nonzero, as bool. */
    public Tensor logicalXor(Tensor other) { return Logical.xor(this, other); }
    public Tensor lt(Tensor other) { return Elementwise.binary(BinaryOp.LT, this, other); }
    public Tensor lt(double value) { return Elementwise.binary(BinaryOp.LT, this, value); }
    public Tensor lt(long value) { return Elementwise.binary(BinaryOp.LT, this, value); }
    public Tensor gt(Tensor other) { return Elementwise.binary(BinaryOp.GT, this, other); }
    public Tensor gt(double value) { return Elementwise.binary(BinaryOp.GT, this, value); }
    public Tensor gt(long value) { return Elementwise.binary(BinaryOp.GT, this, value); }
    public Tensor le(Tensor other) { return Elementwise.binary(BinaryOp.LE, this, other); }
    public Tensor le(double value) { return Elementwise.binary(BinaryOp.LE, this, value); }
    public Tensor le(long value) { return Elementwise.binary(BinaryOp.LE, this, value); }
    public Tensor ge(Tensor other) { return Elementwise.binary(BinaryOp.GE, this, other); }
    public Tensor ge(double value) { return Elementwise.binary(BinaryOp.GE, this, value); }
    public Tensor ge(long value) { return Elementwise.binary(BinaryOp.GE, this, value); }
    /** cond ? a : b elementwise, broadcasting all three; cond is BOOL. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) { return Elementwise.where(cond, a, b); }

    // ---------------------------------------------------------------- in place (no autograd; for optimizers, DDP, grad buffers)
    // Computed as the out-of-place op would be (type promotion), then cast into this tensor's
    // dtype, which must hold the result: PyTorch's f32.add_(bf16) works, i64.mul_(2.5) is refused.

    /** this += other (broadcast to this shape), written into this tensor's own memory. */
    public Tensor addInPlace(Tensor other) { return InPlace.binary(BinaryOp.ADD, this, other); }
    /** this += alpha * other, in place (SGD's p.add_(g, alpha=-lr)); alpha is whole for integer tensors. */
    public Tensor addInPlace(Tensor other, double alpha) { return InPlace.add(this, other, alpha); }
    public Tensor addInPlace(double value) { return InPlace.binary(BinaryOp.ADD, this, value); }
    public Tensor addInPlace(long value) { return InPlace.binary(BinaryOp.ADD, this, value); }
    public Tensor subInPlace(Tensor other) { return InPlace.binary(BinaryOp.SUB, this, other); }
    public Tensor subInPlace(double value) { return InPlace.binary(BinaryOp.SUB, this, value); }
    public Tensor subInPlace(long value) { return InPlace.binary(BinaryOp.SUB, this, value); }
    public Tensor mulInPlace(Tensor other) { return InPlace.binary(BinaryOp.MUL, this, other); }
    /** this *= value; a double is Python's float, so an integer tensor refuses it (use the long overload). */
    public Tensor mulInPlace(double value) { return InPlace.binary(BinaryOp.MUL, this, value); }
    public Tensor mulInPlace(long value) { return InPlace.binary(BinaryOp.MUL, this, value); }
    /** this /= other, true division: only floating-point tensors can hold it. */
    public Tensor divInPlace(Tensor other) { return InPlace.binary(BinaryOp.DIV, this, other); }
    public Tensor divInPlace(double value) { return InPlace.binary(BinaryOp.DIV, this, value); }
    public Tensor divInPlace(Tensor other, RoundingMode mode) { return InPlace.binary(mode.op(), this, other); }
    public Tensor divInPlace(long value, RoundingMode mode) { return InPlace.binary(mode.op(), this, value); }
    public Tensor fillInPlace(double value) { return InPlace.fill(this, value); }
    public Tensor zeroInPlace() { return InPlace.fill(this, 0); }
    /** Copies src (broadcast, cast, from any device) into this tensor's memory. */
    public Tensor copyFrom(Tensor src) { return InPlace.copyInto(this, src); }

    // ---------------------------------------------------------------- reductions

    public Tensor sum() { return Reductions.sum(this, null, false); }
    public Tensor sum(int dim, boolean keepDim) { return Reductions.sum(this, new int[]{dim}, keepDim); }
    public Tensor sum(int[] dims, boolean keepDim) { return Reductions.sum(this, dims, keepDim); }
    public Tensor mean() { return Reductions.mean(this, null, false); }
    public Tensor mean(int dim, boolean keepDim) { return Reductions.mean(this, new int[]{dim}, keepDim); }
    public Tensor mean(int[] dims, boolean keepDim) { return Reductions.mean(this, dims, keepDim); }
    /** Largest element; its gradient is shared evenly between ties (PyTorch's amax). */
    public Tensor max() { return Reductions.max(this, null, false); }
    public Tensor max(int dim, boolean keepDim) { return Reductions.max(this, new int[]{dim}, keepDim); }
    public Tensor argmax(int dim, boolean keepDim) { return Reductions.argmax(this, dim, keepDim); }
    /** Variance with Bessel's correction (correction 1), like torch.var. */
    public Tensor var(int[] dims, boolean keepDim) { return Reductions.var(this, dims, 1, keepDim); }
    public Tensor var(int[] dims, int correction, boolean keepDim) { return Reductions.var(this, dims, correction, keepDim); }

    // ---------------------------------------------------------------- linear algebra, softmax

    /** Matrix product with PyTorch's rules: 1-d and 2-d operands, batch dims broadcast. */
    public Tensor matmul(Tensor other) { return LinearAlgebra.matmul(this, other); }
    public Tensor softmax(int dim) { return Softmax.softmax(this, dim); }
    public Tensor logSoftmax(int dim) { return Softmax.logSoftmax(this, dim); }

    // ---------------------------------------------------------------- autograd

    public boolean requiresGrad() { return requiresGrad; }

    /** Makes this a leaf that collects gradients (only leaves; only floating-point dtypes). */
    public Tensor setRequiresGrad(boolean value) {
        Checks.open("setRequiresGrad", this);
        if (gradFn != null)
            throw new IllegalStateException("setRequiresGrad: " + describe() + " is the output of '" + gradFn.name()
                    + "', not a leaf; use detach() to make a leaf of it");
        if (value && !dtype.isFloatingPoint())
            throw new IllegalArgumentException("setRequiresGrad: only floating-point tensors can require grad, got " + describe());
        requiresGrad = value;
        return this;
    }

    /** The node that made this tensor, or null for a leaf. */
    public Node gradFn() { return gradFn; }

    public boolean isLeaf() { return gradFn == null; }

    /** Used by {@link io.ddp4j.tensor.autograd.Autograd#record} when an op records its output. */
    public void attachGradFn(Node node) {
        if (gradFn != null) throw new IllegalStateException(describe() + " already has a grad_fn '" + gradFn.name() + "'");
        gradFn = node;
        requiresGrad = true;
    }

    /** The leaf's gradient sink, made on first use; only for leaves that require grad. */
    public AccumulateGrad gradAccumulator() {
        if (gradFn != null || !requiresGrad)
            throw new IllegalStateException("only a leaf that requires grad has a gradient accumulator; " + describe()
                    + (gradFn != null ? " is the output of '" + gradFn.name() + "'" : " does not require grad"));
        if (accumulator == null) accumulator = new AccumulateGrad(this);
        return accumulator;
    }

    /** The accumulated gradient of a leaf, or null before the first backward (or after zeroing). */
    public Tensor grad() { return grad; }

    /**
     * Sets the gradient tensor, e.g. a view into a flat bucket: later backward passes add into it in
     * place. null drops it. The caller keeps ownership of the tensor it passes.
     */
    public void setGrad(Tensor newGrad) {
        if (newGrad != null) {
            Checks.open("setGrad", this, newGrad);
            if (!Arrays.equals(newGrad.shape, shape) || newGrad.dtype != dtype || !newGrad.device().equals(device()))
                throw new IllegalArgumentException("setGrad: the gradient " + newGrad.describe() + " does not match the tensor " + describe()
                        + " (shape, dtype and device must be equal)");
        }
        if (ownsGrad && grad != null && grad != newGrad) grad.close();
        closeRetiredGrads();
        grad = newGrad;
        ownsGrad = false;
    }

    /**
     * Adds a gradient contribution to .grad: in place into the existing gradient (which may be a
     * caller's view), or as a fresh copy owned by this tensor when there is none. A contribution
     * that carries a graph (a backward with createGraph) is accumulated out of place, so that .grad
     * carries the graph too; a .grad that carries one is never written in place either, since that
     * graph may have saved it.
     */
    public void accumulateGrad(Tensor contribution) {
        Checks.open("accumulateGrad", this, contribution);
        if (grad != null && grad.isClosed())
            throw new IllegalStateException("accumulateGrad: the gradient of " + describe() + " was closed while still set as its .grad; "
                    + "call setGrad(null) (or set another tensor) before closing it");
        if (GradMode.isEnabled() && contribution.requiresGrad()) {
            accumulateWithGraph(contribution);
            return;
        }
        if (grad != null && grad.gradFn == null) {
            try (GradMode.Guard g = GradMode.noGrad()) {
                grad.addInPlace(contribution);
            }
            return;
        }
        Tensor fresh;
        try (GradMode.Guard g = GradMode.noGrad()) {
            fresh = grad == null ? Tensor.empty(dtype, device(), shape).keep().copyFrom(contribution) : grad.add(contribution).keep();
        }
        replaceOwnedGrad(fresh);
    }

    private void accumulateWithGraph(Tensor contribution) {
        if (grad != null && !ownsGrad)
            throw new IllegalStateException("backward with createGraph: the .grad of " + describe() + " is a tensor given with setGrad (such as "
                    + "a DDP bucket view), and a gradient that carries a graph cannot be written into it; use Autograd.grad for "
                    + "higher-order gradients, or setGrad(null) first");
        replaceOwnedGrad((grad == null ? contribution.clone() : grad.add(contribution)).keep());
    }

    /**
     * Makes {@code fresh} (kept) this leaf's own .grad. The one it replaces is closed, unless it
     * carries a graph: what was computed from it may still need it, so it lives on until .grad is
     * next reset (setGrad, zeroGrad's default) or this tensor is closed.
     */
    private void replaceOwnedGrad(Tensor fresh) {
        Tensor old = grad;
        grad = fresh;
        if (old != null && ownsGrad) {
            if (old.gradFn == null) old.close();
            else (retiredGrads == null ? retiredGrads = new ArrayList<>() : retiredGrads).add(old);
        }
        ownsGrad = true;
    }

    private void closeRetiredGrads() {
        if (retiredGrads == null) return;
        for (Tensor t : retiredGrads) t.close();
        retiredGrads = null;
    }

    /**
     * Runs {@code hook} with this leaf each time a backward pass has put its final gradient for
     * that pass into {@link #grad()}; hooks fire in the order gradients become ready, on the thread
     * running backward, before the engine goes on to other nodes. Tensors the hook makes belong to
     * the backward pass's own scope and are freed when backward returns, unless the hook keeps them.
     */
    public HookHandle registerGradReadyHook(Consumer<Tensor> hook) {
        if (gradFn != null || !requiresGrad)
            throw new IllegalStateException("registerGradReadyHook: only a leaf that requires grad gets gradients; "
                    + describe() + (gradFn != null ? " is the output of '" + gradFn.name() + "'" : " does not require grad"));
        return gradAccumulator().addHook(hook);
    }

    /** Backward from a one-element tensor (gradient 1). */
    public void backward() {
        backward(false);
    }

    /**
     * Backward from a one-element tensor (gradient 1); with {@code createGraph} the leaves' .grad
     * carry a graph, so a function of them (a gradient penalty) can be differentiated again.
     */
    public void backward(boolean createGraph) {
        Checks.open("backward", this);
        if (numel() != 1)
            throw new IllegalArgumentException("backward: a gradient can be implied only for a one-element output, got " + describe()
                    + "; pass the gradient with backward(grad)");
        Tensor one;
        try (GradMode.Guard g = GradMode.noGrad()) {
            one = onesLike();
        }
        try {
            Engine.backward(this, one, createGraph, createGraph);
        } finally {
            if (!createGraph) one.close(); // with a graph it may be saved in it, and stays in the current scope
        }
    }

    public void backward(Tensor gradient) {
        backward(gradient, false);
    }

    /** Backward with the output's gradient; retainGraph keeps the graph for another backward. */
    public void backward(Tensor gradient, boolean retainGraph) {
        backward(gradient, retainGraph, false);
    }

    /**
     * Backward with the output's gradient, like PyTorch's {@code backward(gradient, retain_graph,
     * create_graph)}: createGraph records the gradients' computation (see {@link #backward(boolean)}).
     */
    public void backward(Tensor gradient, boolean retainGraph, boolean createGraph) {
        Checks.open("backward", this, gradient);
        if (!Arrays.equals(gradient.shape, shape) || gradient.dtype != dtype)
            throw new IllegalArgumentException("backward: the gradient " + gradient.describe() + " must have the output's shape and dtype " + describe());
        Checks.sameDevice("backward", this, gradient);
        Engine.backward(this, gradient, retainGraph, createGraph);
    }

    /** The same data with no history (shares storage). */
    public Tensor detach() {
        Checks.open("detach", this);
        storage.retain();
        return new Tensor(storage, dtype, shape, strides, offset);
    }

    @Override
    public String toString() {
        if (isClosed()) return "tensor(" + describe() + ", closed)";
        StringBuilder sb = new StringBuilder("tensor(").append(describe());
        if (numel() <= 16) sb.append(", ").append(Arrays.toString(toDoubleArray()));
        if (gradFn != null) sb.append(", grad_fn=").append(gradFn.name());
        else if (requiresGrad) sb.append(", requires_grad");
        return sb.append(')').toString();
    }
}

package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.GradMode;
import io.ddp4j.tensor.backend.Backend;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.BinaryOp;
import io.ddp4j.tensor.backend.TensorData;

import java.util.Arrays;

/**
 * In-place updates ({@code t.add_(other)} and friends), outside autograd: what optimizers, DDP and
 * gradient buffers use. As in PyTorch, the op is computed in the type the out-of-place op would
 * give (type promotion) and the result is cast into the tensor's own dtype, which must be able to
 * hold it: a float result never goes into an integer tensor, nor a number into a bool one
 * (PyTorch's can_cast). When the tensor already has the computation's dtype and does not overlap
 * the operand in another layout, the backend writes straight into it, with no temporary.
 */
public final class InPlace {
    private InPlace() {}

    /** The name errors give: the Tensor method that was called. */
    static String name(BinaryOp op) {
        return switch (op) {
            case ADD -> "addInPlace";
            case SUB -> "subInPlace";
            case MUL -> "mulInPlace";
            case DIV -> "divInPlace";
            case DIV_TRUNC -> "divInPlace(TRUNC)";
            case DIV_FLOOR -> "divInPlace(FLOOR)";
            default -> Elementwise.name(op) + "InPlace";
        };
    }

    /** The name, for the ops that have an in-place form: all but the comparisons. */
    private static String checkedName(BinaryOp op) {
        if (op.isComparison()) throw new IllegalArgumentException(name(op) + ": comparisons have no in-place form here; use " + Elementwise.name(op));
        return name(op);
    }

    /** t = t op other, other broadcast to t's shape. */
    public static Tensor binary(BinaryOp op, Tensor t, Tensor other) {
        String name = checkedName(op);
        Checks.open(name, t, other);
        if (!other.device().equals(t.device())) {
            if (!Elementwise.isCpuScalar(other)) Checks.sameDevice(name, t, other);
            try (GradMode.Guard g = GradMode.noGrad(); Tensor moved = other.to(t.device()).keep()) { // a CPU scalar, as PyTorch allows
                return binary(op, t, moved);
            }
        }
        TensorData dst = writable(name, t);
        TensorData src = broadcastInto(name, t, other);
        DType common = TypePromotion.computeType(op, TypePromotion.resultType(t, other));
        requireCastable(name, common, t, other.describe());
        if (common == t.dtype() && other.dtype() == t.dtype() && !overlapsElsewhere(t, other)) {
            Elementwise.checkOperands(name, op, common, t, other, other); // what the other path's Elementwise.binary checks
            Backends.forDevice(t.device()).binary(op, dst, src, dst);
            return t;
        }
        try (GradMode.Guard g = GradMode.noGrad(); Tensor result = Elementwise.binary(op, t, other).keep()) {
            return copyInto(t, result);
        }
    }

    /** t = t op value, with value a Python int (exact, int64 included). */
    public static Tensor binary(BinaryOp op, Tensor t, long value) {
        return binary(op, t, new Scalar.Int(value));
    }

    /** t = t op value, with value a Python float. */
    public static Tensor binary(BinaryOp op, Tensor t, double value) {
        return binary(op, t, new Scalar.Float(value));
    }

    private static Tensor binary(BinaryOp op, Tensor t, Scalar value) {
        String name = checkedName(op);
        Checks.open(name, t);
        TensorData dst = writable(name, t);
        DType common = TypePromotion.computeType(op, TypePromotion.resultType(t, value.isFloat()));
        requireCastable(name, common, t, value.toString());
        if (common == t.dtype()) {
            Elementwise.checkScalar(name, op, common, t, value); // what the other path's Elementwise.binary checks
            try (Tensor s = Elementwise.scalarOperand(op, t, value)) {
                Backends.forDevice(t.device()).binary(op, dst, Layouts.broadcastTo(s.data(name), t.shape()), dst);
            }
            return t;
        }
        try (GradMode.Guard g = GradMode.noGrad(); Tensor result = Elementwise.binary(op, t, value).keep()) {
            return copyInto(t, result);
        }
    }

    /**
     * t += alpha * other (SGD's {@code p.add_(g, alpha=-lr)}). In an integer computation alpha must
     * be a whole number, and in a bool one 1, as PyTorch requires.
     */
    public static Tensor add(Tensor t, Tensor other, double alpha) {
        if (alpha == 1) return binary(BinaryOp.ADD, t, other);
        String name = name(BinaryOp.ADD);
        Checks.open(name, t, other);
        DType common = TypePromotion.resultType(t, other);
        if (common == DType.BOOL)
            throw new IllegalArgumentException(name + ": alpha must be 1 when adding bool tensors (" + t.describe() + " and " + other.describe() + "), got " + alpha);
        if (!common.isFloatingPoint() && alpha != Math.rint(alpha))
            throw new IllegalArgumentException(name + ": alpha " + alpha + " is not a whole number, but " + t.describe() + " and "
                    + other.describe() + " add in " + common + " (PyTorch: alpha must not be a floating point number for integral tensors)");
        if (common == t.dtype() && other.dtype() == t.dtype() && other.device().equals(t.device()) && !overlapsElsewhere(t, other)) {
            // the optimizers' path: one scaled temporary, no casts
            TensorData dst = writable(name, t);
            TensorData src = broadcastInto(name, t, other);
            Backend backend = Backends.forDevice(t.device());
            try (Tensor a = Elementwise.scalarLike(t, alpha); Tensor scaled = Tensor.empty(t.dtype(), t.device(), t.shape()).keep()) {
                TensorData sd = scaled.data(name);
                backend.binary(BinaryOp.MUL, src, Layouts.broadcastTo(a.data(name), t.shape()), sd);
                backend.binary(BinaryOp.ADD, dst, sd, dst);
            }
            return t;
        }
        try (GradMode.Guard g = GradMode.noGrad();
             Tensor scaled = (common.isFloatingPoint() ? other.mul(alpha) : other.mul((long) alpha)).keep()) {
            return binary(BinaryOp.ADD, t, scaled);
        }
    }

    public static Tensor fill(Tensor t, double value) {
        Backends.forDevice(t.device()).fill(writable("fillInPlace", t), value);
        return t;
    }

    /** Copies src (broadcast, cast to dst's dtype, from any device) into dst's memory: PyTorch's copy_. */
    public static Tensor copyInto(Tensor dst, Tensor src) {
        Checks.open("copyFrom", dst, src);
        if (!src.device().equals(dst.device())) { // across devices, as PyTorch's copy_
            writable("copyFrom", dst); // here: under noGrad below it would not refuse a leaf that requires grad
            try (GradMode.Guard g = GradMode.noGrad()) {
                if (copyBetweenHostAndDevice(dst, src)) return dst;
                try (Tensor moved = src.to(dst.device()).keep()) {
                    return copyInto(dst, moved); // the source moved first (broadcast, dtype change, GPU to GPU)
                }
            }
        }
        TensorData d = writable("copyFrom", dst);
        Backends.forDevice(dst.device()).copy(broadcastInto("copyFrom", dst, src), d);
        return dst;
    }

    /** PyTorch's can_cast for a result going back into t: no float into an integer, no number into bool. */
    private static void requireCastable(String name, DType result, Tensor t, String operand) {
        boolean ok = t.dtype() == DType.BOOL ? result == DType.BOOL : t.dtype().isFloatingPoint() || !result.isFloatingPoint();
        if (!ok)
            throw new IllegalArgumentException(name + ": the result type " + result + " of " + t.describe() + " and " + operand
                    + " can't be cast to the tensor's own dtype " + t.dtype() + " (PyTorch's rule); compute it out of place, or convert first");
    }

    /**
     * Whether other reads t's memory in another layout, so that writing t while reading other
     * would read elements already overwritten (x.addInPlace(x.t())). The same layout is safe:
     * each element is read before it is written.
     */
    private static boolean overlapsElsewhere(Tensor t, Tensor other) {
        if (t.storage() != other.storage()) return false;
        return t.offset() != other.offset() || !Arrays.equals(t.shape(), other.shape()) || !Arrays.equals(t.strides(), other.strides());
    }

    private static TensorData writable(String op, Tensor t) {
        if (GradMode.isEnabled() && t.requiresGrad())
            throw new IllegalStateException(op + ": " + t.describe() + " requires grad and cannot be changed in place while grad "
                    + "mode is on; do it inside GradMode.noGrad() (as optimizers do)");
        TensorData d = t.data(op);
        for (int i = 0; i < d.rank(); i++)
            if (d.strides()[i] == 0 && d.shape()[i] > 1)
                throw new IllegalArgumentException(op + ": cannot write into " + t.describe() + ", an expanded view whose elements share memory");
        return d;
    }

    private static TensorData broadcastInto(String op, Tensor target, Tensor src) {
        int[] shape = Checks.broadcastShapes(op, target, src);
        if (!Arrays.equals(shape, target.shape()))
            throw new IllegalArgumentException(op + ": " + src.describe() + " does not broadcast to the shape of " + target.describe());
        return Layouts.broadcastTo(src.data(op), shape);
    }

    /**
     * One copy between host and device when the two have the same dtype and shape: the device
     * backend reads or writes the CPU side's dense bytes directly (no staging tensor on the other
     * device). False when that does not apply, or when the CPU destination is not dense.
     */
    private static boolean copyBetweenHostAndDevice(Tensor dst, Tensor src) {
        if (dst.dtype() != src.dtype() || !Arrays.equals(dst.shape(), src.shape())) return false;
        if (dst.device().isCpu()) {
            if (!dst.isContiguous()) return false;
            TensorData from = src.data("copyFrom");
            writable("copyFrom", dst);
            Backends.forDevice(src.device()).toHost(from, Transfer.hostSegment(dst));
            return true;
        }
        if (!src.device().isCpu()) return false;
        TensorData to = writable("copyFrom", dst);
        Tensor dense = src.contiguous();
        try {
            Backends.forDevice(dst.device()).fromHost(Transfer.hostSegment(dense), to);
        } finally {
            if (dense != src) dense.close();
        }
        return true;
    }
}
